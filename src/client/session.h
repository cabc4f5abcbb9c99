/*
 * session.h - one client connection to ferryd: resolve and connect, TLS
 * handshake and hello (blocking, bounded by timeouts), then non-blocking
 * reads and writes for the lane that owns it (lane.c), and the mapping of
 * every failure to an exit status and one line on stderr.
 *
 * A session knows nothing about requests beyond hello, nor about local
 * files.
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
	struct fr_tls *tls;
	const char *why; /* detail of the last FR_E_PROTOCOL */
	bool dead;       /* the connection cannot carry another request */
	unsigned proto;  /* the version hello settled on (1 or 2) */
	struct fr_response hello; /* the server's answer to hello */
};

/* The client TLS context of cli (--ca, --cert, --key, --crl, --pin-sha256)
 * into *out.  FX_OK, or FX_USAGE / FX_CONN after printing one line (a
 * missing server, CA, or half a client certificate included). */
int sess_ctx_new(const struct cli *cli, struct fr_tls_ctx **out);

/*
 * Connect to cli->server with ctx (borrowed; must outlive the session),
 * handshake and exchange hello.  On failure prints one line and returns
 * FX_USAGE (bad -s), FX_CONN (cannot connect, TLS refused either way, a
 * server answering a version we do not speak) or FX_REFUSED (the server
 * answered hello with an error); the session is then cleaned up.  On
 * FX_OK, sess_close must be called.
 */
int sess_open(struct session *s, const struct cli *cli,
	      struct fr_tls_ctx *ctx);

/* Send close_notify (if the connection is still healthy) and free
 * everything.  Safe to call twice. */
void sess_close(struct session *s);

/* Drop the connection without close_notify, so the server sees a
 * truncation (an upload in progress is held, never stored). */
void sess_abort(struct session *s);

/* Non-blocking I/O for the lane: FR_OK with *n > 0, FR_TLS_WANT_*, or an
 * enum fr_err (FR_E_CLOSED, FR_E_TRUNCATED, FR_E_TLS).  No message. */
int sess_read(struct session *s, void *p, size_t n, size_t *got);
int sess_write(struct session *s, const void *p, size_t n, size_t *wrote);

/* Print the one line for a transport failure err that happened while
 * "doing" (e.g. "receiving releases/a"), mark the session dead, return
 * FX_CONN. */
int sess_lost(struct session *s, int err, const char *doing);

/*
 * Print the line for an error response: "ferry: CMD PATH: CODE: MESSAGE
 * (HINT)", with a hint that says what to do (hint may be NULL to use the
 * default one for the code, "" for none).  Returns the exit status: FX_CHECKSUM for
 * checksum_mismatch, FX_CONN for timeout (the server closed) and for a code
 * outside the contract, FX_REFUSED otherwise.
 */
int sess_refused(struct session *s, const struct fr_response *r,
		 const char *cmd, const char *path, const char *hint);

/* The same line without a session (for refusals a command reports from
 * a job's callback). */
int cli_refused(const struct fr_response *r, const char *cmd,
		const char *path, const char *hint);

/* Complain about an answer of the wrong kind (e.g. "ready" to a stat):
 * one line, the session is dead, FR_E_PROTOCOL for the handler to
 * return. */
int sess_unexpected(struct session *s, const struct fr_response *r,
		    const char *what);

/* A protocol failure described by why: one line, FR_E_PROTOCOL. */
int sess_protocol(struct session *s, const char *why, const char *doing);

#endif
