/*
 * session.h - one client connection to ferryd: resolve and connect, TLS
 * handshake, hello, request frames out, response frames and raw body bytes
 * in, and the mapping of every failure to an exit status and one line on
 * stderr.
 *
 * A session is used by one command for all of its files.  It knows nothing
 * about local files; the commands do.  Blocking sockets throughout.
 */
#ifndef FERRY_CLIENT_SESSION_H
#define FERRY_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/proto.h"
#include "ferry/tls.h"

#include "cli.h"

struct session {
	const struct cli *cli; /* borrowed */
	char host[256];        /* name or IP literal, no brackets */
	uint16_t port;
	char where[300]; /* "host:port" / "[v6]:port" for messages */
	int fd;
	struct fr_tls_ctx *ctx;
	struct fr_tls *tls;
	struct fr_buf out; /* one request frame at a time */
	struct fr_buf in;  /* one response frame body at a time */
	const char *why;   /* detail of the last FR_E_PROTOCOL */
	bool dead;         /* the connection cannot carry another request */
	struct fr_response hello; /* the server's answer to hello */
};

/*
 * Connect to cli->server, handshake and exchange hello (version 1).  On
 * failure prints one line and returns FX_USAGE (bad -s/--ca/... ), FX_CONN
 * (cannot connect, TLS refused either way, wrong protocol version) or
 * FX_REFUSED (the server answered hello with an error); the session is then
 * already cleaned up.  On FX_OK, sess_close must be called.
 */
int sess_open(struct session *s, const struct cli *cli);

/* Send close_notify (if the connection is still healthy) and free
 * everything.  Safe to call twice. */
void sess_close(struct session *s);

/* Drop the connection without close_notify, so the server sees a
 * truncation and discards an upload in progress.  The session stays
 * allocated until sess_close. */
void sess_abort(struct session *s);

/* The request buffer, emptied, for one fr_req_* builder call. */
struct fr_buf *sess_req(struct session *s);

/*
 * Send the frame built into sess_req(s).  build_rc is what the builder
 * returned: on failure the request is not sent and FX_USAGE is returned
 * ("request too large" for a path that cannot fit).  Transport failures
 * print one line and return FX_CONN.
 */
int sess_send(struct session *s, int build_rc, const char *cmd,
              const char *what);

/*
 * Read one response frame into *r (cleared first; release with
 * fr_response_cleanup, also after failures).  FX_OK for any well-formed
 * frame, whatever its status; an error status that makes the server close
 * (bad_request, busy, timeout) marks the session dead.  A length outside
 * 1..FR_MAX_RESPONSE, bad JSON, a cut connection: one line, FX_CONN.
 */
int sess_recv(struct session *s, struct fr_response *r);

/* The same without the message: FR_OK or an enum fr_err (s->why for
 * FR_E_PROTOCOL).  For callers that try a read after a failure. */
int sess_recv_raw(struct session *s, struct fr_response *r);

/* Read 1..n raw body bytes: FR_OK with *got > 0, or an enum fr_err (a
 * close in the middle of a body is FR_E_TRUNCATED or FR_E_CLOSED; both are
 * failures here).  No message. */
int sess_read_body(struct session *s, void *p, size_t n, size_t *got);

/* Write all n bytes: FR_OK or an enum fr_err.  No message. */
int sess_write_body(struct session *s, const void *p, size_t n);

/* Print the one line for a transport failure err that happened while
 * "doing" (e.g. "receiving releases/a"), mark the session dead, return
 * FX_CONN. */
int sess_lost(struct session *s, int err, const char *doing);

/*
 * Print the line for an error response: "ferry: CMD PATH: CODE: MESSAGE
 * (HINT)", with a hint that says what to do (hint may be NULL to use the
 * default one for the code).  Returns the exit status: FX_CHECKSUM for
 * checksum_mismatch, FX_CONN for timeout (the server closed) and for a code
 * outside the contract, FX_REFUSED otherwise.
 */
int sess_refused(struct session *s, const struct fr_response *r,
                 const char *cmd, const char *path, const char *hint);

/* Complain about an answer of the wrong kind (e.g. "ready" to a stat) and
 * drop the connection: FX_CONN. */
int sess_unexpected(struct session *s, const struct fr_response *r,
                    const char *what);

/* Read the final answer of a put or get (cmd) into r: FX_OK only for an
 * "ok" that carries a sha256.  A refusal, an answer of the wrong kind or a
 * missing hash is reported in one line (doing: "finishing the upload")
 * and mapped to its exit status. */
int sess_recv_final(struct session *s, struct fr_response *r,
                    const char *cmd, const char *path, const char *doing);

#endif
