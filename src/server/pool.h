/*
 * pool.h - a fixed pool of worker threads fed by one FIFO queue.
 *
 * Items are intrusive (struct pool_item embedded in the owner), so pushing
 * never allocates and never fails.  Knows nothing about connections.
 */
#ifndef FERRYD_POOL_H
#define FERRYD_POOL_H

struct pool_item {
	struct pool_item *next;
};

typedef void pool_work_fn(struct pool_item *it);

struct pool;

/* Start n worker threads that run work(item) for each pushed item, in
 * order.  FR_OK or FR_E_INTERNAL (no thread could be started). */
int pool_new(unsigned n, pool_work_fn *work, struct pool **out);

/* Queue an item at the back.  The queue owns it until a worker pops it. */
void pool_push(struct pool *p, struct pool_item *it);

/* Stop: a sentinel makes every worker exit once it finishes its current
 * item; items still queued behind it are handed to drop().  NULL is a
 * no-op. */
void pool_free(struct pool *p, pool_work_fn *drop);

#endif
