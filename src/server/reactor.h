/*
 * reactor.h - the epoll thread of ferryd and the registry of connections.
 *
 * Does: accept, wait for readiness of parked connections, hand ready,
 * timed-out and (while draining) idle connections to the worker pool,
 * handle SIGINT/SIGTERM/SIGHUP, count connections for --max-conns.
 * Does not: read or write a connection's bytes; workers do (conn.c).
 *
 * Ownership: a connection belongs to exactly one of (a) the epoll set
 * (parked), (b) the pool queue, (c) the worker running it.  Only the
 * owner touches its non-registry fields.
 */
#ifndef FERRYD_REACTOR_H
#define FERRYD_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conn;
struct reactor;
struct server;

/* Why the reactor handed a connection to a worker. */
enum conn_why { WHY_READY = 0, WHY_TIMEOUT, WHY_DRAIN };

/* The reactor's bookkeeping inside every connection; every field is
 * guarded by the registry mutex. */
struct reactor_link {
	struct conn *prev, *next;
	bool parked;  /* waiting in the epoll set */
	bool idle;    /* parked between requests or handshaking */
	int64_t deadline; /* monotonic ms */
};

static inline int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take over the listening sockets (closed by the reactor).  The signals
 * must already be blocked in the calling thread. */
int reactor_new(struct server *srv, const int *lfds, size_t n,
		struct reactor **out);

/* Run the event loop in the calling thread until a SIGINT/SIGTERM drain
 * has finished.  FR_OK, or FR_E_INTERNAL when epoll itself failed. */
int reactor_run(struct reactor *r);

/*
 * Called by the worker that owns c: wait for the socket to become readable
 * (or writable) or for deadline.  idle marks a connection that drain may
 * close.  Returns false, without parking, when the server is draining and
 * the connection is idle or epoll refused it: the caller closes it.
 */
bool reactor_park(struct reactor *r, struct conn *c, bool want_write,
		  bool idle, int64_t deadline);

/* Remove c from the registry (the owning worker, before freeing it). */
void reactor_unregister(struct reactor *r, struct conn *c);

/* True once SIGINT/SIGTERM was received. */
bool reactor_draining(struct reactor *r);

/* Free the reactor and every connection still registered (after the pool
 * has stopped).  NULL is a no-op. */
void reactor_free(struct reactor *r);

#endif
