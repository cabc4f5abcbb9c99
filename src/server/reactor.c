/*
 * reactor.c - the one thread that waits: epoll, accept, timeouts, signals.
 *
 * Does: accept connections (over --max-conns they are still accepted, up
 * to BUSY_EXTRA of them, to be answered `busy`), keep the registry of all
 * connections, wake parked connections (EPOLLONESHOT) by handing them to
 * the pool, expire deadlines every SCAN_MS, and drain on SIGINT/SIGTERM.
 * Does not: read, write or parse anything on a connection, nor free a
 * connection it does not own.
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
#include "conn.h"
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
	 * draining, and every connection's struct reactor_link.
	 */
	pthread_mutex_t mu;
	struct conn *head;
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

int reactor_new(struct server *srv, const int *lfds, size_t n,
		struct reactor **out)
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

static void link_conn(struct reactor *r, struct conn *c)
{
	c->link.prev = NULL;
	c->link.next = r->head;
	if (r->head)
		r->head->link.prev = c;
	r->head = c;
	if (c->busy)
		r->n_busy++;
	else
		r->n_active++;
}

void reactor_unregister(struct reactor *r, struct conn *c)
{
	pthread_mutex_lock(&r->mu);
	if (c->link.prev)
		c->link.prev->link.next = c->link.next;
	else if (r->head == c)
		r->head = c->link.next;
	if (c->link.next)
		c->link.next->link.prev = c->link.prev;
	c->link.prev = c->link.next = NULL;
	if (c->busy)
		r->n_busy--;
	else
		r->n_active--;
	pthread_mutex_unlock(&r->mu);
}

static void accept_some(struct reactor *r, size_t idx)
{
	const struct config *cfg = r->srv->cfg;
	struct epoll_event ev;
	char peer[64];
	struct conn *c;
	bool busy, full;
	int k, fd, rc;

	for (k = 0; k < ACCEPT_BATCH && r->lfds[idx] >= 0; k++) {
		rc = listener_accept(r->lfds[idx], &fd, peer, sizeof(peer));
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
		c = full ? NULL : conn_new(r->srv, fd, peer, busy);
		if (!c) {
			close(fd);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.ptr = c;
		pthread_mutex_lock(&r->mu);
		link_conn(r, c);
		c->link.parked = true;
		c->link.idle = true;
		c->link.deadline = c->fixed_deadline;
		rc = epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
		if (rc != 0)
			c->link.parked = false;
		pthread_mutex_unlock(&r->mu);
		if (rc != 0)
			conn_free(c);
	}
}

bool reactor_park(struct reactor *r, struct conn *c, bool want_write,
		  bool idle, int64_t deadline)
{
	struct epoll_event ev;
	bool ok = false;

	memset(&ev, 0, sizeof(ev));
	ev.events = (want_write ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
	ev.data.ptr = c;
	pthread_mutex_lock(&r->mu);
	if (r->draining && idle)
		goto out;
	/* parked is set before arming: the reactor may see the event
	 * before epoll_ctl even returns, but not before we unlock */
	c->link.parked = true;
	c->link.idle = idle;
	c->link.deadline = deadline;
	if (epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
		c->link.parked = false;
		goto out;
	}
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

/* Hand expired connections, and idle ones while draining, to workers. */
static void scan(struct reactor *r, int64_t now)
{
	struct pool_item *list = NULL, *it;
	struct conn *c;

	pthread_mutex_lock(&r->mu);
	for (c = r->head; c; c = c->link.next) {
		enum conn_why why;

		if (!c->link.parked)
			continue;
		if (r->draining && c->link.idle)
			why = WHY_DRAIN;
		else if (now >= c->link.deadline)
			why = WHY_TIMEOUT;
		else
			continue;
		(void)epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->link.parked = false;
		c->why = why;
		c->item.next = list;
		list = &c->item;
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

static void wake(struct reactor *r, struct conn *c)
{
	bool mine;

	pthread_mutex_lock(&r->mu);
	mine = c->link.parked; /* false: the scan took it already */
	c->link.parked = false;
	pthread_mutex_unlock(&r->mu);
	if (mine) {
		c->why = WHY_READY;
		pool_push(r->srv->pool, &c->item);
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
	struct conn *c;

	if (!r)
		return;
	listeners_close(r);
	for (;;) {
		pthread_mutex_lock(&r->mu);
		c = r->head;
		pthread_mutex_unlock(&r->mu);
		if (!c)
			break;
		conn_free(c); /* unregisters it */
	}
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->ep >= 0)
		close(r->ep);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
