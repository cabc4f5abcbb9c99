/*
 * tls_int.h - what tls.c (contexts) and tls_conn.c (connections) share.
 * Private to src/core: everything else goes through ferry/tls.h.
 */
#ifndef FERRY_TLS_INT_H
#define FERRY_TLS_INT_H

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdbool.h>

#define PIN_LEN 32 /* SHA-256 */

struct fr_tls_ctx {
	SSL_CTX *ctx;
	atomic_uint refs; /* the creator's and one per fr_tls made from it */
	bool server;
	bool has_pin;
	unsigned char pin[PIN_LEN]; /* client: SHA-256 of the server SPKI */
};

struct fr_tls {
	SSL *ssl;
	struct fr_tls_ctx *ctx; /* a reference, dropped by fr_tls_free */
	bool server;
	bool closed;
	bool established; /* the handshake completed */
	int alert;           /* last fatal alert received, -1 if none */
	const char *kind;    /* server: class of the last failure (metrics) */
	char host[256];      /* client: the name we verify */
	char identity[256];  /* server: peer CN */
	char err[640];       /* last failure, one line */
};

/* SSL ex_data slot pointing back to the fr_tls, set with the first context
 * (before any thread starts). */
extern int fr_tls_ex_index;

/* The reason of the newest queued OpenSSL error, or a fallback. */
const char *fr_tls_queued_reason(const char *fallback);

#endif
