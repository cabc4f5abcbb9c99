/*
 * reactor.h - the epoll thread of ferryd and the registry of connections.
 *
 * Does: accept, wait for readiness of parked connections, hand ready,
 * timed-out and (while draining) idle connections to the worker pool,
 * handle SIGINT/SIGTERM/SIGHUP, count connections for --max-conns.
 * Does not: read or write a connection's bytes (workers do, conn.c), nor
 * know what a connection is: it sees a struct reactor_watch (fd, interest,
 * deadline) and calls the ops table given at reactor_new.
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
#include <sys/socket.h>
#include <time.h>

#include "pool.h"

struct reactor;
struct server;

/* Why the reactor handed a watch to a worker. */
enum reactor_why { WHY_READY = 0, WHY_TIMEOUT, WHY_DRAIN };

/*
 * What the reactor knows of a connection: embedded in it (conn.c), so the
 * loop never sees a connection type, a TLS session or a protocol state.
 * fd, busy: set by ops->open, constant afterwards.  why: written by the
 * reactor before handing over, read by the new owner.  The rest is the
 * registry's, guarded by the registry mutex.
 */
struct reactor_watch {
	struct pool_item item; /* while queued in the pool */
	int fd;
	bool busy; /* over --max-conns: counted apart (BUSY_EXTRA) */
	enum reactor_why why;
	struct reactor_watch *prev, *next;
	bool parked;   /* waiting in the epoll set */
	bool in_epoll; /* registered (a timed-out watch was removed) */
	bool idle;     /* drain may close it */
	bool want_write; /* the interest: EPOLLOUT, else EPOLLIN */
	int64_t deadline; /* monotonic ms */
};

/* How the reactor creates and destroys what it watches. */
struct reactor_ops {
	/* A watch for the accepted socket fd (taken over) from the peer at
	 * ss (peer: as text), with its first deadline in *deadline; NULL on
	 * failure (fd untouched). */
	struct reactor_watch *(*open)(struct server *srv, int fd,
				      const struct sockaddr_storage *ss,
				      const char *peer, bool busy,
				      int64_t *deadline);
	/* Close and free a watch (unregistering it); used at exit. */
	void (*free)(struct reactor_watch *w);
};

static inline int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take over the listening sockets (closed by the reactor).  The signals
 * must already be blocked in the calling thread. */
int reactor_new(struct server *srv, const struct reactor_ops *ops,
		const int *lfds, size_t n, struct reactor **out);

/* Run the event loop in the calling thread until a SIGINT/SIGTERM drain
 * has finished.  FR_OK, or FR_E_INTERNAL when epoll itself failed. */
int reactor_run(struct reactor *r);

/*
 * Called by the worker that owns w: wait for the socket to become readable
 * (or writable) or for deadline.  idle marks a connection that drain may
 * close.  Returns false, without parking, when the server is draining and
 * the connection is idle or epoll refused it: the caller closes it.
 */
bool reactor_park(struct reactor *r, struct reactor_watch *w,
		  bool want_write, bool idle, int64_t deadline);

/* Remove w from the registry (the owning worker, before freeing it). */
void reactor_unregister(struct reactor *r, struct reactor_watch *w);

/* True once SIGINT/SIGTERM was received. */
bool reactor_draining(struct reactor *r);

/* Free the reactor and every watch still registered (ops->free, after the
 * pool has stopped).  NULL is a no-op. */
void reactor_free(struct reactor *r);

#endif
