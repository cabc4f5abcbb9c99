/*
 * conn.h - one client connection and its state machine.
 *
 * Does: the TLS handshake, framing of requests, dispatch to the operation
 * table, flushing responses, error and timeout handling, closing, and the
 * one log line per request.  Does not: wait on sockets (it returns to the
 * reactor by parking) or touch files (operations and store.c do).
 */
#ifndef FERRYD_CONN_H
#define FERRYD_CONN_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/hash.h"
#include "ferry/proto.h"
#include "addrlimit.h"
#include "ops.h"
#include "pace.h"
#include "pool.h"
#include "reactor.h"

struct server;
struct fr_tls;

enum conn_state {
	CS_PROXY,        /* a trusted balancer's PROXY header (before TLS) */
	CS_HANDSHAKE,    /* TLS handshake in progress */
	CS_READ_REQUEST, /* waiting for / parsing the next request frame */
	CS_BODY_IN,      /* the op consumes a request body (put) */
	CS_BODY_OUT,     /* the op produces output in steps (get, list, stat) */
	CS_DISCARD,      /* read and drop the rest of a refused put body */
	CS_CLOSING,      /* flush what is pending, send close_notify */
	CS_LINGER,       /* discard what the peer still sends, then close */
};

struct conn {
	/* the reactor's view: socket, pool item, registry (reactor.h);
	 * w.busy: over --max-conns, answer `busy` after the handshake */
	struct reactor_watch w;

	struct server *srv;
	struct fr_tls *tls;
	/* the client's address: from accept, or from a trusted balancer's
	 * PROXY header (then in every log line and limit) */
	char peer[64];
	bool balancer_check; /* a PROXY v2 LOCAL connection: the balancer */
	bool peeked;         /* untrusted peer's first bytes checked */
	struct addrkey akey; /* counted in srv->alim (family 0: not) */
	char identity[256];
	unsigned perms;
	int root_fd;     /* where this identity's storage calls start */
	bool own_root;   /* root_fd is ours to close (--acl) */
	bool counted;    /* counted in acl_conn_enter */
	int deny;        /* --acl refused the identity: every request gets it */
	const char *deny_why;
	unsigned proto;  /* protocol version settled by hello (1 without) */
	enum conn_state state;
	int64_t fixed_deadline; /* PROXY, handshake, linger: not renewed */
	size_t run_bytes; /* moved in this turn on a worker (fair share) */
	struct pace pace; /* deadlines while a request moves (pace.h) */

	struct fr_buf in;   /* request frames (and pipelined bytes) */
	struct fr_buf out;  /* responses and get bodies */
	struct fr_buf body; /* put: body bytes on their way to the file;
			       get/stat: scratch for hashing */

	/* the request being served */
	struct fr_request req;
	const struct op *op;
	int64_t t_start;
	uint64_t bytes;     /* body bytes moved, for the log */
	uint64_t bytes_counted; /* of them, already added to the metrics */
	bool peer_closed;   /* the peer sent close_notify during this request */
	uint64_t body_left; /* raw body bytes still to move on the wire (a
			       chunked body: nonzero until its end) */
	uint64_t discard_left; /* CS_DISCARD: bytes still to drop */
	bool raw_out;       /* raw body bytes were queued: only closing
			       can end this request now */
	char sha256[FR_SHA256_HEX]; /* for the log, "" if none */
	const char *sha_from; /* get, stat: "cache" or "file" (the log) */
	const char *err_msg; /* an op's static detail for its error, or NULL */
	struct fr_sha256 *sha;
	struct op_state os;
};

/* The reactor's ops for connections (open: a new connection on an
 * accepted socket; free: conn_free). */
extern const struct reactor_ops conn_reactor_ops;

/* Pool work function: run c until it would block, then park, re-queue or
 * close it. */
void conn_work(struct pool_item *it);

/* Close and free a connection the caller owns (unregisters it). */
void conn_free(struct conn *c);

/* The connection a pool item belongs to. */
static inline struct conn *conn_of_item(struct pool_item *it)
{
	return (struct conn *)((char *)it - offsetof(struct conn, w.item));
}

/* Read at most n bytes from the peer into b.  FR_OK (something read),
 * FR_TLS_WANT_*, or a negative error (FR_E_CLOSED, FR_E_TRUNCATED ...). */
int conn_read(struct conn *c, struct fr_buf *b, size_t n);

/* Does path p pass every path rule of this connection (the protocol's,
 * --max-path-depth, reserved names, the root only when root_ok)?  FR_OK,
 * or FR_E_INVALID_PATH with a static *why.  For paths beyond "path" (a
 * rename's "to"). */
int conn_path_ok(const struct conn *c, const char *p, bool root_ok,
		 const char **why);

/* True when this turn has moved FR_STEP_QUANTUM bytes: a step should
 * return FR_AGAIN so the connection goes to the back of the queue. */
bool conn_quantum_spent(const struct conn *c);

/* ---- between conn.c and conn_req.c (the request cycle) -------------- */

/* CS_READ_REQUEST: frame, parse, check and dispatch the next request.
 * FR_OK (the next state is set), FR_TLS_WANT_*, or an error that drops
 * the connection. */
int conn_read_request(struct conn *c);

/* CS_BODY_IN / CS_BODY_OUT: one step of the op's body. */
int conn_body_step(struct conn *c);

/* CS_DISCARD: drop what is left of a refused body. */
int conn_discard(struct conn *c);

/* A request failed with err: answer it by the protocol's rules (see
 * conn_req.c).  FR_OK to go on, or an error that drops the connection. */
int conn_request_fail(struct conn *c, int err, const char *why);

/* The one log line of a request (and its metrics), and the end of its
 * operation state. */
void conn_request_finish(struct conn *c, int err, const char *why);

/* Body bytes moved since the last call, into the metrics. */
void conn_count_bytes(struct conn *c);

#endif
