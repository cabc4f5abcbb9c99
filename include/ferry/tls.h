/*
 * tls.h - mutual TLS for ferry, the only module besides hash.c that sees
 * OpenSSL.
 *
 * Server contexts require and verify a client certificate against the CA
 * file, accept TLS 1.3 only unless min_version is 12 (then TLS 1.2 with
 * ECDHE + AEAD suites only), refuse renegotiation, select ALPN "ferry/1"
 * (a client offering ALPN without it fails the handshake; a client offering
 * none is accepted).  Client contexts verify the server chain against their
 * CA file and the host name or IP against subjectAltName, with no way to
 * skip verification, and offer ALPN "ferry/1".
 *
 * Every call works on blocking and non-blocking sockets alike; on a
 * non-blocking socket it may return FR_TLS_WANT_READ / FR_TLS_WANT_WRITE
 * and must be called again with the same arguments once the socket is ready.
 */
#ifndef FERRY_TLS_H
#define FERRY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	FR_TLS_WANT_READ = 2,
	FR_TLS_WANT_WRITE = 3,
};

struct fr_tls_ctx; /* opaque: one per process and role */
struct fr_tls;     /* opaque: one per connection */

struct fr_tls_conf {
	const char *cert; /* PEM certificate (chain) file */
	const char *key;  /* PEM private key file */
	const char *ca;   /* PEM CA file the peer is verified against */
	int min_version;  /* 12 or 13; 0 means 13 */
	const char *crl;  /* PEM CRL file(s) of the peer's CA, or NULL */
	const char *pin_sha256; /* client: base64 SHA-256 of the server's
				   SubjectPublicKeyInfo, or NULL */
	bool allow_open_key; /* accept a key file readable by group/others */
};

/* Build a context.  On failure returns FR_E_USAGE (a file is missing or
 * unusable, the key file is readable by group or others without
 * allow_open_key, the pin is not base64 of 32 bytes) or FR_E_TLS and
 * writes one line naming the file or flag and the reason into err.
 * With crl, every peer certificate is checked against it
 * (X509_V_FLAG_CRL_CHECK: a CRL of the issuing CA must be present).
 * With pin_sha256, a client refuses any server key whose SPKI hash differs,
 * even with a valid chain. */
int fr_tls_ctx_new_server(const struct fr_tls_conf *conf,
			  struct fr_tls_ctx **out, char *err, size_t errlen);
int fr_tls_ctx_new_client(const struct fr_tls_conf *conf,
			  struct fr_tls_ctx **out, char *err, size_t errlen);
/* Drop the caller's reference (NULL is a no-op).  A context is reference
 * counted, atomically: every fr_tls made from it holds one until
 * fr_tls_free, so a server may drop the context it replaced on SIGHUP
 * while connections made from it go on. */
void fr_tls_ctx_free(struct fr_tls_ctx *ctx);

/* The notAfter of the context's own certificate, as Unix time.  FR_OK or
 * FR_E_TLS (no certificate). */
int fr_tls_ctx_not_after(const struct fr_tls_ctx *ctx, int64_t *when);

/* A 32-byte secret for label, derived from the context's own private key
 * (SHA-256 of label, a NUL and the key's DER encoding; the key itself is
 * never exposed): what only this server can compute, stable across
 * restarts with the same key (ferryd's checksum cache MAC key).  FR_OK or
 * FR_E_TLS (no key).  The caller wipes out when done (explicit_bzero). */
int fr_tls_ctx_secret(const struct fr_tls_ctx *ctx, const char *label,
		      unsigned char out[32]);

/* Wrap a connected socket (takes a reference to ctx).  For a client, host
 * is the name or IP literal the server certificate must match (also sent
 * as SNI when it is a name).  The fd stays owned by the caller.  FR_OK or
 * FR_E_NOMEM / FR_E_TLS. */
int fr_tls_new(struct fr_tls_ctx *ctx, int fd, const char *host,
	       struct fr_tls **out);
void fr_tls_free(struct fr_tls *t); /* NULL is a no-op; does not close fd */

/* Drive the handshake: FR_OK when done, FR_TLS_WANT_*, or FR_E_TLS (see
 * fr_tls_error). */
int fr_tls_handshake(struct fr_tls *t);

/* Read up to n bytes.  FR_OK with *got > 0; FR_TLS_WANT_*; FR_E_CLOSED on
 * close_notify; FR_E_TRUNCATED when the peer closed the socket without
 * close_notify; FR_E_TLS on any other failure. */
int fr_tls_read(struct fr_tls *t, void *p, size_t n, size_t *got);

/* Write up to n bytes (partial writes allowed).  FR_OK with *wrote > 0;
 * FR_TLS_WANT_*; FR_E_TLS. */
int fr_tls_write(struct fr_tls *t, const void *p, size_t n, size_t *wrote);

/* Send close_notify once (best effort, never blocks on a non-blocking
 * socket). */
void fr_tls_close(struct fr_tls *t);

/* Subject CN of the verified peer certificate (server side), "" if none. */
const char *fr_tls_peer_identity(const struct fr_tls *t);

/* Negotiated protocol and cipher, e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256". */
const char *fr_tls_describe(const struct fr_tls *t, char *buf, size_t n);

/*
 * One line describing the last failure on this connection, phrased for the
 * side that holds it.  On the client it names the cause and the flag to
 * check, e.g. "server certificate not trusted (unable to get local issuer
 * certificate): check --ca" or "the server rejected our certificate
 * (unknown ca): check --cert".  Never NULL.
 */
const char *fr_tls_error(const struct fr_tls *t);

/* Server side: the class of the last failure, one of a fixed set (a metric
 * label): "no_certificate", "untrusted", "expired", "revoked", "not_tls",
 * "version", "alpn", "client_alert", "closed" (the peer went away),
 * "other".  Never NULL. */
const char *fr_tls_error_kind(const struct fr_tls *t);

#endif
