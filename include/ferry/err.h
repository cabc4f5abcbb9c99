/*
 * err.h - the one error type of ferry.
 *
 * Every fallible function returns an int: FR_OK (0), a positive "not yet"
 * status (FR_AGAIN and the TLS wants), or a negative enum fr_err.  The
 * first block of negative values are the wire error codes of
 * docs/PROTOCOL.md, in that order; the rest are local failures that never
 * travel on the wire.
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stdbool.h>

enum fr_err {
	FR_OK = 0,
	FR_AGAIN = 1, /* incomplete input: read more, nothing consumed */

	/* wire codes, in the order of docs/PROTOCOL.md */
	FR_E_BAD_REQUEST = -1,
	FR_E_UNSUPPORTED = -2,
	FR_E_INVALID_PATH = -3,
	FR_E_FORBIDDEN = -4,
	FR_E_NOT_FOUND = -5,
	FR_E_EXISTS = -6,
	FR_E_IS_DIRECTORY = -7,
	FR_E_NOT_DIRECTORY = -8,
	FR_E_NOT_EMPTY = -9,
	FR_E_TOO_LARGE = -10,
	FR_E_NO_SPACE = -11,
	FR_E_CHECKSUM_MISMATCH = -12,
	FR_E_BUSY = -13,
	FR_E_TIMEOUT = -14,
	FR_E_IO_ERROR = -15,
	FR_E_INTERNAL = -16,

	/* local only */
	FR_E_NOMEM = -100,
	FR_E_TLS = -101,       /* handshake or record layer failure */
	FR_E_TRUNCATED = -102, /* peer closed without close_notify */
	FR_E_CLOSED = -103,    /* peer closed cleanly (close_notify / EOF) */
	FR_E_CONNECT = -104,   /* could not reach the peer */
	FR_E_PROTOCOL = -105,  /* the peer broke the protocol */
	FR_E_USAGE = -106,     /* bad configuration or command line */
	FR_E_LOCAL_IO = -107,  /* a local file operation failed */
	FR_E_INTERRUPTED = -108, /* the user interrupted (Ctrl-C in ferry shell) */
};

/* Wire name of an error ("bad_request"), or NULL for local-only errors. */
const char *fr_err_code(int err);

/* Inverse of fr_err_code; FR_E_PROTOCOL for a name not in the contract. */
int fr_err_from_code(const char *code);

/* Short English description of any error value, never NULL. */
const char *fr_err_str(int err);

/* Wire error for a failed file-system call's errno (ENOENT -> not_found,
 * ENOSPC/EDQUOT -> no_space, ELOOP -> forbidden, ...). */
int fr_err_from_errno(int errnum);

/* True when the server must close the connection after sending this error
 * outside a body (bad_request, busy, timeout). */
bool fr_err_closes(int err);

#endif
