/*
 * conn_req.c - the request cycle of a connection (see conn.h): read a
 * request frame, parse it (request.c), apply protocol 1's meaning on a
 * version-1 connection, check path and permission, dispatch through the op
 * table, run the op's body steps, and finish: one log line and the
 * metrics, or an error answered by the protocol's rules (kept, closed, or
 * the refused body skipped in CS_DISCARD).
 * Does not: wait on sockets, handle handshakes, timeouts or linger
 * (conn.c), or know what an operation does (op_*.c).
 *
 * SECURITY: the frame length is checked as soon as its 4 bytes are in;
 * body bytes are read exactly up to the announced size, never the next
 * frame; an identity --acl refused gets nothing, not even hello.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/log.h"
#include "ferry/path.h"
#include "ferry/tls.h"
#include "config.h"
#include "conn.h"
#include "metrics.h"
#include "reactor.h"
#include "server.h"

/* Body bytes moved since the last call, into the metrics. */
void conn_count_bytes(struct conn *c)
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
void conn_request_finish(struct conn *c, int err, const char *why)
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
	conn_count_bytes(c);
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
int conn_request_fail(struct conn *c, int err, const char *why)
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
	conn_request_finish(c, err, why);
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
int conn_discard(struct conn *c)
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
		return conn_request_fail(c, r, why);
	conn_request_finish(c, FR_OK, NULL);
	request_next(c);
	return FR_OK;
}

int conn_read_request(struct conn *c)
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

int conn_body_step(struct conn *c)
{
	uint64_t left = c->body_left;
	enum conn_state st = c->state;
	int r = c->op && c->op->step ? c->op->step(c) : FR_E_INTERNAL;

	if (st == CS_BODY_OUT && c->body_left < left)
		c->raw_out = true; /* body bytes are in c->out now */

	if (r == FR_AGAIN || r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE)
		return r;
	if (r != FR_OK)
		return conn_request_fail(c, r, NULL);
	conn_request_finish(c, FR_OK, NULL);
	request_next(c);
	return FR_OK;
}
