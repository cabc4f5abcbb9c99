/*
 * conn.c - the per-connection state machine of ferryd.
 *
 * Does: drive one connection through
 *     HANDSHAKE -> READ_REQUEST -> [BODY_IN | BODY_OUT] -> READ_REQUEST ...
 *     any state -> CLOSING -> LINGER
 * on a worker thread until it would block, then park it with the reactor.
 * Pending output is always flushed before a state's action runs (that is
 * the "WRITE" step between the states above).  It frames requests, checks
 * paths and permissions, dispatches through the op table, answers errors,
 * applies the close-after-error rules of the protocol, handles timeouts
 * and drain, and logs one line per request.
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
#include "reactor.h"
#include "server.h"

/* How long a closing connection may keep sending before we hang up. */
#define LINGER_MS 2000

/* What a worker does with a connection when run() returns. */
enum act { ACT_PARK_IN, ACT_PARK_OUT, ACT_REQUEUE, ACT_FREE };

struct conn *conn_new(struct server *srv, int fd, const char *peer,
		      bool busy)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (fr_tls_new(srv->tls, fd, NULL, &c->tls) != FR_OK) {
		free(c);
		return NULL;
	}
	c->srv = srv;
	c->fd = fd;
	c->busy = busy;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->perms = 0; /* until the handshake names the identity */
	c->root_fd = -1;
	c->proto = 1; /* until a hello says otherwise */
	c->state = CS_HANDSHAKE;
	c->fixed_deadline =
		mono_ms() + (int64_t)srv->cfg->handshake_timeout * 1000;
	fr_buf_init(&c->in, FR_FRAME_HDR + FR_MAX_REQUEST);
	fr_buf_init(&c->out, FR_FRAME_HDR + FR_MAX_RESPONSE + FR_IO_CHUNK);
	fr_buf_init(&c->body, FR_IO_CHUNK);
	op_state_init(&c->os);
	return c;
}

int conn_read(struct conn *c, struct fr_buf *b, size_t n)
{
	size_t got = 0;
	uint8_t *p;
	int r;

	r = fr_buf_reserve(b, n, &p);
	if (r != FR_OK)
		return r;
	r = fr_tls_read(c->tls, p, n, &got);
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

/* The one log line of a request, and the end of its operation state. */
static void request_finish(struct conn *c, int err, const char *why)
{
	struct fr_log_req lr;
	const char *code = fr_err_code(err);

	memset(&lr, 0, sizeof(lr));
	lr.peer = c->peer;
	lr.identity = c->identity;
	lr.op = c->op ? fr_op_name(c->op->op)
		: c->req.op_name[0] ? c->req.op_name : "?";
	lr.path = c->req.has_path ? c->req.path : NULL;
	lr.bytes = c->bytes;
	lr.seconds = (double)(mono_ms() - c->t_start) / 1000.0;
	lr.sha256 = c->sha256[0] ? c->sha256 : NULL;
	lr.result = err == FR_OK			? "ok"
		    : code			? code
		    : err == FR_E_TRUNCATED	? "truncated"
		    : err == FR_E_CLOSED	? "closed"
		    : err == FR_E_TLS		? "tls_error"
						: "aborted";
	lr.message = err == FR_OK ? NULL : why ? why : fr_err_str(err);
	fr_log_request(&lr);
	op_state_cleanup(&c->os);
	c->op = NULL;
	c->body_left = 0;
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
 * way out (a frame cannot be told apart from body bytes then), and apply
 * the protocol's rule: the connection stays usable, except after
 * bad_request, busy, timeout, or an error in the middle of a body that
 * cannot be skipped (see skippable_body: those bytes are read and dropped
 * in CS_DISCARD instead).
 * Returns FR_OK to go on (flush, then the next state) or a negative value
 * when the connection must be dropped at once.
 */
static int request_fail(struct conn *c, int err, const char *why)
{
	bool raw_out = c->state == CS_BODY_OUT && c->body_left > 0;
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

static int handshake(struct conn *c)
{
	int r = fr_tls_handshake(c->tls);

	if (r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE)
		return r;
	if (r != FR_OK) {
		fr_log(FR_LOG_WARN, "handshake failed: peer=%s: %s", c->peer,
		       fr_tls_error(c->tls));
		return FR_E_TLS;
	}
	snprintf(c->identity, sizeof(c->identity), "%s",
		 fr_tls_peer_identity(c->tls));
	if (!c->busy &&
	    !acl_conn_enter(c->srv->acl, c->identity,
			    (unsigned long)c->srv->cfg->max_conns_per_identity)) {
		fr_log(FR_LOG_WARN, "busy: peer=%s identity=%s: over "
				    "--max-conns-per-identity=%llu", c->peer,
		       c->identity,
		       (unsigned long long)c->srv->cfg->max_conns_per_identity);
		if (fr_resp_error(&c->out, FR_E_BUSY,
				  "too many connections for this identity, "
				  "try again later") != FR_OK)
			return FR_E_INTERNAL;
		c->state = CS_CLOSING;
		return FR_OK;
	}
	c->counted = !c->busy;
	if (c->busy) {
		fr_log(FR_LOG_WARN, "busy: peer=%s identity=%s: over "
				    "--max-conns=%llu", c->peer, c->identity,
		       (unsigned long long)c->srv->cfg->max_conns);
		if (fr_resp_error(&c->out, FR_E_BUSY,
				  "too many connections, try again later") !=
		    FR_OK)
			return FR_E_INTERNAL;
		c->state = CS_CLOSING;
		return FR_OK;
	}
	c->deny = acl_resolve(c->srv->acl, c->srv->root_fd, c->identity,
			      &c->perms, &c->root_fd, &c->own_root,
			      &c->deny_why);
	if (c->deny != FR_OK)
		fr_log(FR_LOG_WARN, "acl: peer=%s identity='%s': %s (%s): "
				    "every request gets %s", c->peer,
		       c->identity, c->deny_why, fr_err_str(c->deny),
		       fr_err_code(c->deny) ? fr_err_code(c->deny)
					    : "internal");
	c->state = CS_READ_REQUEST;
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

/* Path rules apply again here, whatever the parser did: defence in depth. */
static int check_path(const struct conn *c, const char **why)
{
	const char *p = c->req.path;

	if (!c->req.has_path) {
		*why = "missing \"path\"";
		return c->op->op == FR_OP_HELLO ? FR_OK : FR_E_BAD_REQUEST;
	}
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
	if (p[0] == '\0' && !c->op->root_ok) {
		*why = "the root cannot be the target of this operation";
		return FR_E_INVALID_PATH;
	}
	return FR_OK;
}

static int dispatch(struct conn *c, int r, const char *why)
{
	c->t_start = mono_ms();
	c->bytes = 0;
	c->body_left = 0;
	c->sha256[0] = '\0';
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
		memset(&c->req, 0, sizeof(c->req));
		r = fr_request_parse(body, blen, &c->req, &why);
		fr_buf_consume(&c->in, FR_FRAME_HDR + blen);
	} else {
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
	int r = c->op && c->op->step ? c->op->step(c) : FR_E_INTERNAL;

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
	if (shutdown(c->fd, SHUT_WR) != 0)
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
		n = read(c->fd, sink, sizeof(sink));
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
			case CS_HANDSHAKE:
				r = handshake(c);
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
	reactor_unregister(c->srv->reactor, c);
	fr_tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	if (c->own_root && c->root_fd >= 0)
		close(c->root_fd);
	if (c->counted)
		acl_conn_leave(c->srv->acl, c->identity);
	fr_buf_cleanup(&c->in);
	fr_buf_cleanup(&c->out);
	fr_buf_cleanup(&c->body);
	fr_sha256_free(c->sha);
	free(c);
}

static void close_conn(struct conn *c, bool graceful)
{
	if (graceful && c->state != CS_HANDSHAKE && c->state != CS_LINGER)
		fr_tls_close(c->tls);
	conn_free(c);
}

/* A deadline passed: say so when a frame can still be sent, then close. */
static void timed_out(struct conn *c)
{
	const struct config *cfg = c->srv->cfg;
	char why[64];

	if (c->state == CS_HANDSHAKE || c->state == CS_LINGER) {
		if (c->state == CS_HANDSHAKE)
			fr_log(FR_LOG_WARN,
			       "handshake timeout: peer=%s after %llu s",
			       c->peer,
			       (unsigned long long)cfg->handshake_timeout);
		conn_free(c);
		return;
	}
	if (c->op) {
		snprintf(why, sizeof(why), "no progress for %llu s",
			 (unsigned long long)cfg->stall_timeout);
		if (request_fail(c, FR_E_TIMEOUT, why) != FR_OK) {
			conn_free(c); /* mid-body: the peer sees a truncation */
			return;
		}
	} else if (c->state == CS_READ_REQUEST) {
		(void)fr_resp_error(&c->out, FR_E_TIMEOUT,
				    fr_buf_len(&c->in) ? "request incomplete"
						       : "idle too long");
		fr_log(FR_LOG_INFO, "timeout: peer=%s identity=%s %s", c->peer,
		       c->identity,
		       fr_buf_len(&c->in) ? "mid-request" : "idle");
	}
	(void)flush(c); /* best effort: never waits */
	close_conn(c, true);
}

void conn_work(struct pool_item *it)
{
	struct conn *c = (struct conn *)((char *)it - offsetof(struct conn, item));
	const struct config *cfg = c->srv->cfg;
	enum conn_why why = c->why;
	int64_t deadline;
	enum act act;
	bool between;

	c->why = WHY_READY;
	c->run_bytes = 0;
	if (why == WHY_DRAIN) {
		close_conn(c, true);
		return;
	}
	if (why == WHY_TIMEOUT) {
		timed_out(c);
		return;
	}
	act = run(c);
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
		if (c->state == CS_HANDSHAKE || c->state == CS_LINGER)
			deadline = c->fixed_deadline;
		else
			deadline = mono_ms() + 1000 * (int64_t)(between
				? cfg->idle_timeout : cfg->stall_timeout);
		if (between) {
			/* idle connections keep no big buffers */
			fr_buf_shrink(&c->in);
			fr_buf_shrink(&c->out);
			fr_buf_shrink(&c->body);
		}
		/* drain may close it unless a request is under way */
		if (!reactor_park(c->srv->reactor, c, act == ACT_PARK_OUT,
				  between || c->state == CS_HANDSHAKE ||
					  c->state == CS_CLOSING ||
					  c->state == CS_LINGER,
				  deadline))
			close_conn(c, true);
		return;
	case ACT_REQUEUE:
		pool_push(c->srv->pool, &c->item);
		return;
	case ACT_FREE: /* done lingering, or nothing more can be sent */
	default:
		conn_free(c);
		return;
	}
}
