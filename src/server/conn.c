/*
 * conn.c - the per-connection state machine of ferryd.
 *
 * Does: drive one connection through
 *     [PROXY ->] HANDSHAKE -> READ_REQUEST -> [BODY_IN | BODY_OUT] -> ...
 *     any state -> CLOSING -> LINGER
 * on a worker thread until it would block, then park it with the reactor.
 * Pending output is always flushed before a state's action runs (that is
 * the "WRITE" step between the states above).  It handles the handshake
 * stage (admit.c), timeouts (pace.c decides them while a request moves),
 * drain and linger; the request cycle itself (framing, checks, dispatch,
 * errors, the log line) is conn_req.c.
 * Does not: wait on a socket (reactor.c), touch files (store.c), or know
 * what an operation does (op_*.c).
 *
 * SECURITY: the input buffer is capped at one maximal request frame and the
 * frame length is checked as soon as its 4 bytes are in; body bytes are
 * read from TLS exactly up to the announced size, so a hostile peer can
 * make us hold at most FR_FRAME_HDR + FR_MAX_REQUEST + FR_IO_CHUNK bytes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/log.h"
#include "ferry/path.h"
#include "ferry/tls.h"
#include "acl.h"
#include "config.h"
#include "conn.h"
#include "admit.h"
#include "metrics.h"
#include "reactor.h"
#include "server.h"

/* How long a closing connection may keep sending before we hang up. */
#define LINGER_MS 2000

/* What a worker does with a connection when run() returns. */
enum act { ACT_PARK_IN, ACT_PARK_OUT, ACT_REQUEUE, ACT_FREE };

/* reactor_ops.open: a new connection on fd (taken over) from peer. */
static struct reactor_watch *conn_open(struct server *srv, int fd,
				       const struct sockaddr_storage *ss,
				       const char *peer, bool busy,
				       int64_t *deadline)
{
	struct conn *c = calloc(1, sizeof(*c));
	bool proxied = admit_trusted(srv->cfg, ss);

	if (!c)
		return NULL;
	if (fr_tls_new(srv->tls, fd, NULL, &c->tls) != FR_OK) {
		free(c);
		return NULL;
	}
	c->srv = srv;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	/* a balancer's connections count by the address in their header */
	if (!proxied) {
		struct addrkey k;

		addrkey_of_sockaddr(&k, ss);
		if (!admit_count_address(c, &k))
			goto refuse;
	}
	c->w.fd = fd;
	c->w.busy = busy;
	c->perms = 0; /* until the handshake names the identity */
	c->root_fd = -1;
	c->proto = 1; /* until a hello says otherwise */
	/* SECURITY: a PROXY header is read only from --proxy-protocol-from
	 * peers; from anyone else it is refused like any bad handshake.
	 * The handshake deadline covers the header too. */
	c->state = proxied ? CS_PROXY : CS_HANDSHAKE;
	c->peeked = srv->cfg->n_proxy_from == 0;
	c->fixed_deadline =
		mono_ms() + (int64_t)srv->cfg->handshake_timeout * 1000;
	*deadline = c->fixed_deadline;
	fr_buf_init(&c->in, FR_FRAME_HDR + FR_MAX_REQUEST);
	fr_buf_init(&c->out, FR_FRAME_HDR + FR_MAX_RESPONSE + FR_IO_CHUNK);
	fr_buf_init(&c->body, FR_IO_CHUNK);
	op_state_init(&c->os);
	metrics_conn_open();
	return &c->w;
refuse:
	fr_tls_free(c->tls);
	free(c);
	return NULL; /* the reactor closes fd */
}


static void conn_free_watch(struct reactor_watch *w)
{
	conn_free((struct conn *)((char *)w - offsetof(struct conn, w)));
}

const struct reactor_ops conn_reactor_ops = { conn_open, conn_free_watch };

int conn_read(struct conn *c, struct fr_buf *b, size_t n)
{
	size_t got = 0;
	uint8_t *p;
	int r;

	r = fr_buf_reserve(b, n, &p);
	if (r != FR_OK)
		return r;
	r = fr_tls_read(c->tls, p, n, &got);
	if (r == FR_E_CLOSED)
		c->peer_closed = true; /* ops may call it truncated: it is not */
	if (r != FR_OK)
		return r;
	fr_buf_commit(b, got);
	c->run_bytes += got;
	return FR_OK;
}

bool conn_quantum_spent(const struct conn *c)
{
	return c->run_bytes >= FR_STEP_QUANTUM;
}

static int flush(struct conn *c)
{
	size_t w;
	int r;

	while (fr_buf_len(&c->out) > 0) {
		w = 0;
		r = fr_tls_write(c->tls, fr_buf_data(&c->out),
				 fr_buf_len(&c->out), &w);
		if (r != FR_OK)
			return r;
		fr_buf_consume(&c->out, w);
		c->run_bytes += w;
	}
	return FR_OK;
}

/*
 * Closing with unread input makes the kernel send a reset, which can destroy
 * the error frame we just sent before the peer reads it.  So: close_notify,
 * half-close, and read and discard raw bytes until the peer hangs up or
 * LINGER_MS passes.
 */
static int start_linger(struct conn *c)
{
	fr_tls_close(c->tls);
	if (shutdown(c->w.fd, SHUT_WR) != 0)
		return FR_E_CLOSED;
	c->fixed_deadline = mono_ms() + LINGER_MS;
	c->state = CS_LINGER;
	return FR_OK;
}

static int linger(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	for (;;) {
		n = read(c->w.fd, sink, sizeof(sink));
		if (n > 0) {
			c->run_bytes += (size_t)n;
			if (conn_quantum_spent(c))
				return FR_AGAIN;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return FR_TLS_WANT_READ;
		return FR_E_CLOSED; /* EOF or error: done */
	}
}

static enum act run(struct conn *c)
{
	int r;

	for (;;) {
		if (conn_quantum_spent(c))
			return ACT_REQUEUE;
		r = flush(c);
		if (r == FR_OK) {
			switch (c->state) {
			case CS_PROXY:
				r = admit_proxy_read(c);
				break;
			case CS_HANDSHAKE:
				r = admit_handshake(c);
				break;
			case CS_READ_REQUEST:
				r = conn_read_request(c);
				break;
			case CS_BODY_IN:
			case CS_BODY_OUT:
				r = conn_body_step(c);
				break;
			case CS_DISCARD:
				r = conn_discard(c);
				break;
			case CS_CLOSING:
				r = start_linger(c);
				break;
			case CS_LINGER:
				r = linger(c);
				break;
			default:
				r = FR_E_INTERNAL;
				break;
			}
		} else if (r < 0 && c->op) {
			/* the peer stopped reading mid-response */
			(void)conn_request_fail(c, r, NULL);
		}
		if (r == FR_TLS_WANT_READ)
			return ACT_PARK_IN;
		if (r == FR_TLS_WANT_WRITE)
			return ACT_PARK_OUT;
		if (r < 0)
			return ACT_FREE;
	}
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->op)
		conn_request_finish(c, FR_E_CLOSED, "connection closed by server");
	op_state_cleanup(&c->os);
	fr_request_cleanup(&c->req);
	reactor_unregister(c->srv->reactor, &c->w);
	fr_tls_free(c->tls);
	if (c->w.fd >= 0)
		close(c->w.fd);
	if (c->own_root && c->root_fd >= 0)
		close(c->root_fd);
	if (c->counted)
		acl_conn_leave(c->srv->acl, c->identity);
	metrics_conn_close();
	addrlimit_leave(c->srv->alim, &c->akey);
	fr_buf_cleanup(&c->in);
	fr_buf_cleanup(&c->out);
	fr_buf_cleanup(&c->body);
	fr_sha256_free(c->sha);
	free(c);
}

static void close_conn(struct conn *c, bool graceful)
{
	if (graceful && c->state != CS_PROXY && c->state != CS_HANDSHAKE &&
	    c->state != CS_LINGER)
		fr_tls_close(c->tls);
	conn_free(c);
}

/* The limits pace.c applies, from the flags. */
static void pace_limits(const struct config *cfg, struct pace_limits *l)
{
	l->stall_ms = (int64_t)cfg->stall_timeout * 1000;
	l->frame_ms = (int64_t)cfg->request_timeout * 1000;
	l->window_ms = (int64_t)cfg->min_rate_window * 1000;
	l->min_rate = cfg->min_rate;
}

/* A deadline passed (reason and its limit in seconds, from pace.c, or
 * NULL for the handshake and linger deadlines): say so when a frame can
 * still be sent, then close. */
static void timed_out(struct conn *c, const char *reason, uint64_t limit)
{
	const struct config *cfg = c->srv->cfg;
	char why[128];

	if (c->state == CS_PROXY || c->state == CS_HANDSHAKE ||
	    c->state == CS_LINGER) {
		if (c->state != CS_LINGER && !c->balancer_check) {
			fr_log(FR_LOG_WARN,
			       "handshake timeout: peer=%s after %llu s%s",
			       c->peer,
			       (unsigned long long)cfg->handshake_timeout,
			       c->state == CS_PROXY ? " (no whole PROXY header)"
						    : "");
			metrics_handshake_failed("timeout");
		}
		conn_free(c);
		return;
	}
	snprintf(why, sizeof(why), "%s (%llu s)",
		 reason ? reason : "no progress within --stall-timeout",
		 (unsigned long long)(reason ? limit : cfg->stall_timeout));
	if (c->op) {
		if (conn_request_fail(c, FR_E_TIMEOUT, why) != FR_OK) {
			conn_free(c); /* mid-body: the peer sees a truncation */
			return;
		}
	} else if (c->state == CS_READ_REQUEST) {
		(void)fr_resp_error(&c->out, FR_E_TIMEOUT,
				    fr_buf_len(&c->in) ? why : "idle too long");
		fr_log(FR_LOG_INFO, "timeout: peer=%s identity=%s %s", c->peer,
		       c->identity,
		       fr_buf_len(&c->in) ? why : "idle");
	}
	(void)flush(c); /* best effort: never waits */
	close_conn(c, true);
}

void conn_work(struct pool_item *it)
{
	struct conn *c = conn_of_item(it);
	const struct config *cfg = c->srv->cfg;
	enum reactor_why why = c->w.why;
	struct pace_limits lim;
	const char *late = NULL;
	uint64_t limit = 0;
	int64_t deadline, now;
	enum act act;
	bool between;

	c->w.why = WHY_READY;
	c->run_bytes = 0;
	pace_limits(cfg, &lim);
	if (why == WHY_DRAIN) {
		close_conn(c, true);
		return;
	}
	if (why == WHY_TIMEOUT) {
		/* a --min-rate window that was met is no timeout: park again */
		late = pace_check(&c->pace, &lim, mono_ms(), &limit);
		if (late || !c->pace.active) {
			timed_out(c, late, limit);
			return;
		}
		act = c->w.want_write ? ACT_PARK_OUT : ACT_PARK_IN;
	} else {
		act = run(c);
	}
	conn_count_bytes(c); /* a long transfer shows in the metrics as it goes */
	now = mono_ms();
	pace_moved(&c->pace, c->run_bytes, now);
	switch (act) {
	case ACT_PARK_IN:
	case ACT_PARK_OUT:
		/* SECURITY: run() parks only right after fr_tls_read or
		 * fr_tls_write said WANT_*, never on a guess, so no decrypted
		 * byte can wait inside TLS where epoll would not see it.
		 * (SSL_has_pending is no test for that: it is also true for a
		 * partial record, and a stalled peer would make us spin.) */
		between = c->state == CS_READ_REQUEST &&
			  fr_buf_len(&c->in) == 0 && fr_buf_len(&c->out) == 0;
		if (c->state == CS_READ_REQUEST && fr_buf_len(&c->in) > 0 &&
		    !c->pace.active)
			pace_start(&c->pace, now); /* a frame's first bytes */
		if (c->state == CS_PROXY || c->state == CS_HANDSHAKE ||
		    c->state == CS_LINGER) {
			deadline = c->fixed_deadline;
		} else if (between) {
			deadline = now + 1000 * (int64_t)cfg->idle_timeout;
		} else if (c->pace.active) {
			late = pace_check(&c->pace, &lim, now, &limit);
			if (late) {
				timed_out(c, late, limit);
				return;
			}
			deadline = pace_deadline(&c->pace, &lim);
		} else {
			/* a response or error frame the peer does not read */
			deadline = now + 1000 * (int64_t)cfg->stall_timeout;
		}
		if (between) {
			/* idle connections keep no big buffers */
			fr_buf_shrink(&c->in);
			fr_buf_shrink(&c->out);
			fr_buf_shrink(&c->body);
		}
		/* drain may close it unless a request is under way */
		if (!reactor_park(c->srv->reactor, &c->w, act == ACT_PARK_OUT,
				  between || c->state == CS_PROXY ||
					  c->state == CS_HANDSHAKE ||
					  c->state == CS_CLOSING ||
					  c->state == CS_LINGER,
				  deadline))
			close_conn(c, true);
		return;
	case ACT_REQUEUE:
		pool_push(c->srv->pool, &c->w.item);
		return;
	case ACT_FREE: /* done lingering, or nothing more can be sent */
	default:
		conn_free(c);
		return;
	}
}
