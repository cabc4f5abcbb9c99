/*
 * reactor.c - the one thread that waits: epoll, accept, timeouts, signals.
 *
 * Does: accept connections (over --max-conns they are still accepted, up
 * to BUSY_EXTRA of them, to be answered `busy`), keep the registry of all
 * connections, wake parked connections (EPOLLONESHOT) by handing them to
 * the pool, expire deadlines every SCAN_MS, and drain on SIGINT/SIGTERM.
 * Does not: read, write or parse anything on a connection, nor free a
 * connection it does not own; it knows watches (reactor.h), not
 * connections.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/log.h"
#include "config.h"
#include "listener.h"
#include "notify.h"
#include "pool.h"
#include "reactor.h"
#include "server.h"

#define SCAN_MS 250
#define BUSY_EXTRA 64   /* connections we accept only to answer `busy` */
#define ACCEPT_BATCH 64 /* accepts per wake-up, so events keep flowing */

struct reactor {
	struct server *srv;
	const struct reactor_ops *ops;
	int ep;
	int sfd;
	int lfds[FR_MAX_LISTENERS];
	char ltag[FR_MAX_LISTENERS]; /* epoll tags of the listeners */
	char sigtag;
	size_t n_l;
	int64_t accept_resume; /* 0, or when to listen again after EMFILE */
	int64_t drain_end;

	/*
	 * Lock order: mu is a leaf.  Nothing else is locked while holding it
	 * (the pool is fed after unlocking), and no worker holds it while
	 * running a connection.  It guards the registry list, the counters,
	 * draining, and the registry fields of every watch.
	 */
	pthread_mutex_t mu;
	struct reactor_watch *head;
	size_t n_active, n_busy;
	bool draining;
};

static void listeners_watch(struct reactor *r, bool on)
{
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < r->n_l; i++) {
		if (r->lfds[i] < 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = &r->ltag[i];
		if (epoll_ctl(r->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
			      r->lfds[i], &ev) != 0)
			fr_log(FR_LOG_ERROR, "epoll_ctl(listener): %s",
			       strerror(errno));
	}
}

static void listeners_close(struct reactor *r)
{
	size_t i;

	for (i = 0; i < r->n_l; i++) {
		if (r->lfds[i] >= 0)
			close(r->lfds[i]); /* also leaves the epoll set */
		r->lfds[i] = -1;
	}
}

int reactor_new(struct server *srv, const struct reactor_ops *ops,
		const int *lfds, size_t n, struct reactor **out)
{
	struct epoll_event ev;
	struct reactor *r;
	sigset_t set;
	size_t i;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return FR_E_NOMEM;
	r->srv = srv;
	r->ops = ops;
	pthread_mutex_init(&r->mu, NULL);
	for (i = 0; i < n && i < FR_MAX_LISTENERS; i++)
		r->lfds[i] = lfds[i];
	r->n_l = i;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	r->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->ep < 0 || r->sfd < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &r->sigtag;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->sfd, &ev) != 0)
		goto fail;
	listeners_watch(r, true);
	*out = r;
	return FR_OK;
fail:
	fr_log(FR_LOG_ERROR, "epoll/signalfd set-up: %s", strerror(errno));
	r->n_l = 0; /* the caller still owns the listeners */
	reactor_free(r);
	return FR_E_INTERNAL;
}

static void link_watch(struct reactor *r, struct reactor_watch *w)
{
	w->prev = NULL;
	w->next = r->head;
	if (r->head)
		r->head->prev = w;
	r->head = w;
	if (w->busy)
		r->n_busy++;
	else
		r->n_active++;
}

void reactor_unregister(struct reactor *r, struct reactor_watch *w)
{
	pthread_mutex_lock(&r->mu);
	if (w->prev)
		w->prev->next = w->next;
	else if (r->head == w)
		r->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	if (w->busy)
		r->n_busy--;
	else
		r->n_active--;
	pthread_mutex_unlock(&r->mu);
}

static void accept_some(struct reactor *r, size_t idx)
{
	const struct config *cfg = r->srv->cfg;
	struct sockaddr_storage ss;
	struct epoll_event ev;
	struct reactor_watch *w;
	int64_t deadline = 0;
	char peer[64];
	bool busy, full;
	int k, fd, rc;

	for (k = 0; k < ACCEPT_BATCH && r->lfds[idx] >= 0; k++) {
		rc = listener_accept(r->lfds[idx], &fd, &ss, peer, sizeof(peer));
		if (rc == FR_AGAIN)
			return;
		if (rc != FR_OK) {
			/* out of descriptors or memory: stop accepting for a
			 * moment instead of spinning on a ready listener */
			fr_log(FR_LOG_WARN, "accept: %s; pausing accepts",
			       strerror(errno));
			listeners_watch(r, false);
			r->accept_resume = mono_ms() + SCAN_MS;
			return;
		}
		pthread_mutex_lock(&r->mu);
		busy = r->n_active >= cfg->max_conns;
		full = busy && r->n_busy >= BUSY_EXTRA;
		pthread_mutex_unlock(&r->mu);
		w = full ? NULL
			 : r->ops->open(r->srv, fd, &ss, peer, busy, &deadline);
		if (!w) {
			close(fd);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.ptr = w;
		pthread_mutex_lock(&r->mu);
		link_watch(r, w);
		w->parked = true;
		w->idle = true;
		w->deadline = deadline;
		rc = epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
		w->parked = w->in_epoll = rc == 0;
		pthread_mutex_unlock(&r->mu);
		if (rc != 0)
			r->ops->free(w);
	}
}

bool reactor_park(struct reactor *r, struct reactor_watch *w,
		  bool want_write, bool idle, int64_t deadline)
{
	struct epoll_event ev;
	bool ok = false;

	memset(&ev, 0, sizeof(ev));
	ev.events = (want_write ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
	ev.data.ptr = w;
	pthread_mutex_lock(&r->mu);
	if (r->draining && idle)
		goto out;
	/* parked is set before arming: the reactor may see the event
	 * before epoll_ctl even returns, but not before we unlock */
	w->parked = true;
	w->idle = idle;
	w->want_write = want_write;
	w->deadline = deadline;
	/* a watch the scan took out of epoll (a deadline that turned out
	 * not to be final, e.g. a --min-rate window) is added again */
	if (epoll_ctl(r->ep, w->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      w->fd, &ev) != 0) {
		w->parked = false;
		goto out;
	}
	w->in_epoll = true;
	ok = true;
out:
	pthread_mutex_unlock(&r->mu);
	return ok;
}

bool reactor_draining(struct reactor *r)
{
	bool d;

	pthread_mutex_lock(&r->mu);
	d = r->draining;
	pthread_mutex_unlock(&r->mu);
	return d;
}

/* Hand expired watches, and idle ones while draining, to workers. */
static void scan(struct reactor *r, int64_t now)
{
	struct pool_item *list = NULL, *it;
	struct reactor_watch *w;

	pthread_mutex_lock(&r->mu);
	for (w = r->head; w; w = w->next) {
		enum reactor_why why;

		if (!w->parked)
			continue;
		if (r->draining && w->idle)
			why = WHY_DRAIN;
		else if (now >= w->deadline)
			why = WHY_TIMEOUT;
		else
			continue;
		/* out of epoll before unlocking: no event of this batch or
		 * a later one can refer to it once its new owner frees it */
		(void)epoll_ctl(r->ep, EPOLL_CTL_DEL, w->fd, NULL);
		w->in_epoll = false;
		w->parked = false;
		w->why = why;
		w->item.next = list;
		list = &w->item;
	}
	pthread_mutex_unlock(&r->mu);
	while (list) {
		it = list;
		list = it->next;
		pool_push(r->srv->pool, it);
	}
}

static void start_drain(struct reactor *r, int signo)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	if (r->draining) {
		pthread_mutex_unlock(&r->mu);
		fr_log(FR_LOG_WARN, "signal %d again: stopping now", signo);
		r->drain_end = mono_ms();
		return;
	}
	r->draining = true;
	n = r->n_active + r->n_busy;
	pthread_mutex_unlock(&r->mu);
	listeners_close(r);
	r->drain_end = mono_ms() + (int64_t)r->srv->cfg->drain_timeout * 1000;
	fr_log(FR_LOG_INFO,
	       "signal %d: draining %zu connection(s), up to %llu s", signo,
	       n, (unsigned long long)r->srv->cfg->drain_timeout);
	notify_stopping("draining");
}

static void read_signals(struct reactor *r)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			server_reload(r->srv);
		else
			start_drain(r, (int)si.ssi_signo);
	}
}

static void wake(struct reactor *r, struct reactor_watch *w)
{
	bool mine;

	pthread_mutex_lock(&r->mu);
	mine = w->parked; /* false: the scan took it already */
	w->parked = false;
	pthread_mutex_unlock(&r->mu);
	if (mine) {
		w->why = WHY_READY;
		pool_push(r->srv->pool, &w->item);
	}
}

int reactor_run(struct reactor *r)
{
	struct epoll_event evs[64];
	int64_t now, last_scan = 0;
	size_t left;
	int i, n;

	for (;;) {
		n = epoll_wait(r->ep, evs, 64, SCAN_MS);
		if (n < 0 && errno != EINTR) {
			fr_log(FR_LOG_ERROR, "epoll_wait: %s", strerror(errno));
			return FR_E_INTERNAL;
		}
		for (i = 0; i < n; i++) {
			char *tag = evs[i].data.ptr;

			if (tag == &r->sigtag)
				read_signals(r);
			else if (tag >= r->ltag && tag < r->ltag + r->n_l)
				accept_some(r, (size_t)(tag - r->ltag));
			else
				wake(r, evs[i].data.ptr);
		}
		now = mono_ms();
		if (r->accept_resume && now >= r->accept_resume) {
			r->accept_resume = 0;
			listeners_watch(r, true);
		}
		if (now - last_scan >= SCAN_MS || r->drain_end) {
			scan(r, now);
			last_scan = now;
		}
		if (!r->drain_end)
			continue;
		pthread_mutex_lock(&r->mu);
		left = r->n_active + r->n_busy;
		pthread_mutex_unlock(&r->mu);
		if (left == 0) {
			fr_log(FR_LOG_INFO, "drained, exiting");
			return FR_OK;
		}
		if (now >= r->drain_end) {
			fr_log(FR_LOG_WARN,
			       "drain timeout: cutting %zu connection(s)", left);
			return FR_OK;
		}
	}
}

void reactor_free(struct reactor *r)
{
	struct reactor_watch *w;

	if (!r)
		return;
	listeners_close(r);
	for (;;) {
		pthread_mutex_lock(&r->mu);
		w = r->head;
		pthread_mutex_unlock(&r->mu);
		if (!w)
			break;
		r->ops->free(w); /* unregisters it */
	}
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->ep >= 0)
		close(r->ep);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
