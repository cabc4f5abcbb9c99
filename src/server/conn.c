/*
 * conn.c - the per-connection state machine of ferryd.
 *
 * Does: drive one connection through
 *     [PROXY ->] HANDSHAKE -> READ_REQUEST -> [BODY_IN | BODY_OUT] -> ...
 *     any state -> CLOSING -> LINGER
 * on a worker thread until it would block, then park it with the reactor.
 * Pending output is always flushed before a state's action runs (that is
 * the "WRITE" step between the states above).  It frames requests, checks
 * paths and permissions, dispatches through the op table, answers errors,
 * applies the close-after-error rules of the protocol, handles timeouts
 * (pace.c decides them while a request moves) and drain, and logs one
 * line per request.
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

/* Body bytes moved since the last call, into the metrics. */
static void count_bytes(struct conn *c)
{
	if (c->bytes > c->bytes_counted && c->op)
		metrics_bytes(c->op->op == FR_OP_PUT, c->bytes - c->bytes_counted);
	c->bytes_counted = c->bytes;
}

/*
 * The result of a request that failed with err, for the log and the
 * metrics: the wire code, or how the connection ended, so that an operator
 * can tell a network cut (truncated: no close_notify), a client that gave
 * up cleanly (closed: close_notify mid-request) and a TLS fault apart.
 * *msg gets a description when the caller has none.
 */
static const char *result_of(struct conn *c, int err, const char **msg,
			     char *buf, size_t n)
{
	const char *code = fr_err_code(err);
	uint64_t total = c->bytes + c->body_left;

	if (err == FR_OK)
		return "ok";
	if (code)
		return code;
	if ((err == FR_E_TRUNCATED || err == FR_E_CLOSED) && c->peer_closed) {
		snprintf(buf, n, "the client closed the connection (close_notify) "
			 "after %llu of %llu body bytes",
			 (unsigned long long)c->bytes, (unsigned long long)total);
		*msg = buf;
		return "closed";
	}
	if (err == FR_E_TRUNCATED) {
		snprintf(buf, n, "the connection ended without close_notify after "
			 "%llu of %llu body bytes (a network cut or a killed "
			 "client)", (unsigned long long)c->bytes,
			 (unsigned long long)total);
		*msg = buf;
		return "truncated";
	}
	if (err == FR_E_TLS) {
		snprintf(buf, n, "TLS failure after %llu of %llu body bytes: %s",
			 (unsigned long long)c->bytes, (unsigned long long)total,
			 fr_tls_error(c->tls));
		*msg = buf;
		return "tls_error";
	}
	return err == FR_E_CLOSED ? "closed" : "aborted";
}

/* The one log line of a request, and the end of its operation state. */
static void request_finish(struct conn *c, int err, const char *why)
{
	struct fr_log_req lr;
	const char *msg = NULL;
	char buf[400];

	memset(&lr, 0, sizeof(lr));
	lr.peer = c->peer;
	lr.identity = c->identity;
	lr.op = c->op ? fr_op_name(c->op->op)
		: c->req.op_name[0] ? c->req.op_name : "?";
	lr.path = c->req.has_path ? c->req.path : NULL;
	lr.to = c->req.to;
	lr.bytes = c->bytes;
	lr.seconds = (double)(mono_ms() - c->t_start) / 1000.0;
	lr.sha256 = c->sha256[0] ? c->sha256 : NULL;
	lr.sha256_from = c->sha_from;
	/* where a resumed transfer started: the held part, or the offset */
	lr.offset = !c->op ? 0
		    : c->op->op == FR_OP_PUT ? c->os.up.have
		    : c->op->op == FR_OP_GET ? c->os.offset : 0;
	lr.result = result_of(c, err, &msg, buf, sizeof(buf));
	lr.message = err == FR_OK ? NULL
		     : msg	  ? msg
		     : why	  ? why
				  : fr_err_str(err);
	fr_log_request(&lr);
	count_bytes(c);
	metrics_request(c->op ? c->op->op : c->req.op, lr.result, lr.seconds);
	op_state_cleanup(&c->os);
	fr_request_cleanup(&c->req);
	c->op = NULL;
	c->body_left = 0;
	c->raw_out = false;
	pace_stop(&c->pace);
}

/* A request ended well: serve the next one, unless we are draining. */
static void request_next(struct conn *c)
{
	c->state = reactor_draining(c->srv->reactor) ? CS_CLOSING
						     : CS_READ_REQUEST;
}

/* Bytes of the failed put's body still to come from the peer, when the
 * connection can stay usable by reading and dropping them: a body that
 * follows its header at once (nothing of it was read yet), or, on a
 * protocol-2 connection, the rest of a sized body.  0: nothing to drop
 * (the body is done, or it cannot be skipped: chunked, or version 1). */
static uint64_t skippable_body(const struct conn *c)
{
	const struct fr_request *q = &c->req;

	if (q->op != FR_OP_PUT || c->proto < 2 || q->body == FR_BODY_CHUNKED)
		return 0;
	if (c->state == CS_BODY_IN)
		return c->body_left;
	if (q->body == FR_BODY_FOLLOWS && c->state == CS_READ_REQUEST)
		return q->size; /* refused before a byte of it was read */
	return 0;
}

/*
 * A request failed with err.  Answer it unless raw body bytes are on their
 * way out (a frame cannot be told apart from body bytes then; once any
 * body byte was queued, even all of them, only closing ends the request:
 * the peer must see a truncation, never a body followed by an error
 * where it waits for "ok"), and apply
 * the protocol's rule: the connection stays usable, except after
 * bad_request, busy, timeout, or an error in the middle of a body that
 * cannot be skipped (see skippable_body: those bytes are read and dropped
 * in CS_DISCARD instead).
 * Returns FR_OK to go on (flush, then the next state) or a negative value
 * when the connection must be dropped at once.
 */
static int request_fail(struct conn *c, int err, const char *why)
{
	bool raw_out = c->raw_out ||
		       (c->state == CS_BODY_OUT && c->body_left > 0);
	bool mid_in = c->state == CS_BODY_IN && c->body_left > 0;
	bool wire = fr_err_code(err) != NULL;
	uint64_t skip = wire && !fr_err_closes(err) ? skippable_body(c) : 0;

	if (!why)
		why = c->err_msg;
	if (wire && !raw_out &&
	    fr_resp_error(&c->out, err, why ? why : fr_err_str(err)) != FR_OK)
		wire = false;
	request_finish(c, err, why);
	if (!wire || raw_out)
		return err < 0 ? err : FR_E_INTERNAL;
	if (skip > 0) {
		c->discard_left = skip;
		c->state = CS_DISCARD;
	} else if (mid_in || fr_err_closes(err)) {
		c->state = CS_CLOSING;
	} else {
		request_next(c);
	}
	return FR_OK;
}

/* CS_DISCARD: read and drop what is left of a refused body (bytes already
 * buffered with the request first), then serve the next request. */
static int discard(struct conn *c)
{
	size_t n = fr_buf_len(&c->in);
	int r;

	if (n > c->discard_left)
		n = (size_t)c->discard_left;
	fr_buf_consume(&c->in, n);
	c->discard_left -= n;
	while (c->discard_left > 0) {
		if (conn_quantum_spent(c))
			return FR_AGAIN;
		n = c->discard_left < FR_IO_CHUNK ? (size_t)c->discard_left
						  : FR_IO_CHUNK;
		fr_buf_reset(&c->body);
		/* SECURITY: exactly the body's bytes, never the next frame */
		r = conn_read(c, &c->body, n);
		if (r == FR_E_CLOSED)
			r = FR_E_TRUNCATED;
		if (r != FR_OK)
			return r;
		c->discard_left -= fr_buf_len(&c->body);
	}
	fr_buf_reset(&c->body);
	request_next(c);
	return FR_OK;
}

/* Components in a valid path ("" has none). */
static uint64_t path_depth(const char *p)
{
	uint64_t n = *p ? 1 : 0;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

int conn_path_ok(const struct conn *c, const char *p, bool root_ok,
		 const char **why)
{
	if (fr_path_check(p, strlen(p), why) != FR_OK)
		return FR_E_INVALID_PATH;
	if (path_depth(p) > c->srv->cfg->max_path_depth) {
		*why = "path deeper than the server's --max-path-depth";
		return FR_E_INVALID_PATH;
	}
	/* SECURITY: our temporary files are never addressable */
	if (fr_path_is_reserved(p)) {
		*why = "reserved name";
		return FR_E_INVALID_PATH;
	}
	if (p[0] == '\0' && !root_ok) {
		*why = "the root cannot be the target of this operation";
		return FR_E_INVALID_PATH;
	}
	return FR_OK;
}

/* Path rules apply again here, whatever the parser did: defence in depth. */
static int check_path(const struct conn *c, const char **why)
{
	if (!c->req.has_path) {
		*why = "missing \"path\"";
		return c->op->op == FR_OP_HELLO ? FR_OK : FR_E_BAD_REQUEST;
	}
	return conn_path_ok(c, c->req.path, c->op->root_ok, why);
}

static int dispatch(struct conn *c, int r, const char *why)
{
	c->t_start = mono_ms();
	/* the frame is in (a pipelined one may never have been timed) */
	if (!c->pace.active)
		pace_start(&c->pace, c->t_start);
	pace_frame_done(&c->pace);
	c->bytes = 0;
	c->bytes_counted = 0;
	c->peer_closed = false;
	c->body_left = 0;
	c->sha256[0] = '\0';
	c->sha_from = NULL;
	c->err_msg = NULL;
	c->op = NULL;
	if (r == FR_OK && c->proto < 2)
		r = op_request_as_v1(&c->req, &why);
	if (r == FR_OK) {
		c->op = op_find(c->req.op, c->proto);
		if (c->deny != FR_OK) {
			/* SECURITY: an identity --acl refused gets nothing,
			 * not even hello */
			r = fr_err_code(c->deny) ? c->deny : FR_E_INTERNAL;
			why = c->deny_why;
		} else if (!c->op) {
			r = FR_E_UNSUPPORTED;
			why = "unknown op";
		} else if ((c->op->perm & c->perms) != c->op->perm) {
			r = FR_E_FORBIDDEN;
			why = "not permitted";
		} else {
			r = check_path(c, &why);
		}
	}
	if (r == FR_OK) {
		why = NULL;
		r = c->op->start(c);
	}
	if (r == FR_AGAIN)
		return FR_OK; /* the op moved to a body state */
	if (r != FR_OK)
		return request_fail(c, r, why);
	request_finish(c, FR_OK, NULL);
	request_next(c);
	return FR_OK;
}

static int read_request(struct conn *c)
{
	const uint8_t *body = NULL;
	const char *why = NULL;
	size_t blen = 0, room;
	int r;

	r = fr_frame_peek(&c->in, FR_MAX_REQUEST, &body, &blen);
	if (r == FR_AGAIN) {
		room = c->in.max - fr_buf_len(&c->in);
		if (room > FR_TLS_RECORD)
			room = FR_TLS_RECORD;
		r = room ? conn_read(c, &c->in, room) : FR_E_BAD_REQUEST;
		if (r == FR_E_CLOSED && fr_buf_len(&c->in) == 0) {
			c->state = CS_CLOSING; /* a clean goodbye */
			return FR_OK;
		}
		if (r != FR_E_BAD_REQUEST)
			return r; /* read more, wait, or drop the peer */
	}
	if (r == FR_OK) {
		fr_request_cleanup(&c->req);
		memset(&c->req, 0, sizeof(c->req));
		r = fr_request_parse(body, blen, &c->req, &why);
		fr_buf_consume(&c->in, FR_FRAME_HDR + blen);
	} else {
		fr_request_cleanup(&c->req);
		memset(&c->req, 0, sizeof(c->req));
		r = FR_E_BAD_REQUEST;
		why = "bad frame length";
	}
	if (r == FR_E_BAD_REQUEST) {
		/* log nothing of a request we refused to understand (an
		 * invalid path is understood: a put's body is skipped) */
		c->req.op = FR_OP_UNKNOWN;
		c->req.has_path = false;
	}
	return dispatch(c, r, why);
}

static int body_step(struct conn *c)
{
	uint64_t left = c->body_left;
	enum conn_state st = c->state;
	int r = c->op && c->op->step ? c->op->step(c) : FR_E_INTERNAL;

	if (st == CS_BODY_OUT && c->body_left < left)
		c->raw_out = true; /* body bytes are in c->out now */

	if (r == FR_AGAIN || r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE)
		return r;
	if (r != FR_OK)
		return request_fail(c, r, NULL);
	request_finish(c, FR_OK, NULL);
	request_next(c);
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
				r = read_request(c);
				break;
			case CS_BODY_IN:
			case CS_BODY_OUT:
				r = body_step(c);
				break;
			case CS_DISCARD:
				r = discard(c);
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
			(void)request_fail(c, r, NULL);
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
		request_finish(c, FR_E_CLOSED, "connection closed by server");
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
		if (request_fail(c, FR_E_TIMEOUT, why) != FR_OK) {
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
	count_bytes(c); /* a long transfer shows in the metrics as it goes */
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
