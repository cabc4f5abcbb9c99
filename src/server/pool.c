/*
 * pool.c - the worker pool: one mutex, one condition variable, one FIFO.
 *
 * Does: run queued items on a fixed set of threads, shut down with a
 * sentinel (libuv threadpool style: the sentinel stays at the head so every
 * worker sees it).  Does not: know what an item is, block on I/O itself,
 * or re-queue anything.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ferry/err.h"
#include "ferry/log.h"
#include "pool.h"

struct pool {
	/* Lock order: the reactor's registry mutex may be held while taking
	 * this one (reactor.c hands parked connections over); never the
	 * reverse.  Work runs with no lock held. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pool_item *head, *tail;
	struct pool_item sentinel;
	pool_work_fn *work;
	pthread_t *threads;
	unsigned n;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct pool_item *it;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head)
			pthread_cond_wait(&p->cv, &p->mu);
		it = p->head;
		if (it == &p->sentinel) {
			/* leave it in place for the other workers */
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = it->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		it->next = NULL;
		p->work(it);
	}
}

int pool_new(unsigned n, pool_work_fn *work, struct pool **out)
{
	struct pool *p;
	unsigned i;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return FR_E_NOMEM;
	p->threads = calloc(n, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return FR_E_NOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->work = work;
	for (i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->n++;
	}
	if (p->n == 0) {
		pool_free(p, NULL);
		return FR_E_INTERNAL;
	}
	if (p->n < n)
		fr_log(FR_LOG_WARN, "started only %u of %u worker threads",
		       p->n, n);
	*out = p;
	return FR_OK;
}

static void push_locked(struct pool *p, struct pool_item *it)
{
	it->next = NULL;
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
}

void pool_push(struct pool *p, struct pool_item *it)
{
	pthread_mutex_lock(&p->mu);
	push_locked(p, it);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void pool_free(struct pool *p, pool_work_fn *drop)
{
	struct pool_item *it, *next;
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	/* the sentinel jumps the queue: leftovers are dropped below */
	p->sentinel.next = p->head;
	p->head = &p->sentinel;
	if (!p->tail)
		p->tail = &p->sentinel;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	/* no worker is left: items behind the sentinel, including any a
	 * worker pushed while finishing, belong to us now */
	for (it = p->sentinel.next; it; it = next) {
		next = it->next;
		if (drop)
			drop(it);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}
