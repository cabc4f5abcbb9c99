/*
 * tls.c - mutual TLS contexts over OpenSSL 3 (see tls.h); the connections
 * made from them are in tls_conn.c.
 *
 * Policy lives here and nowhere else: protocol versions, cipher suites,
 * verification, ALPN, renegotiation, sessions, pinning, CRLs.  Failures to
 * build a context become one line naming the file and the reason.  Never
 * touches a socket and never logs.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/tls.h"
#include "tls_int.h"

/* AES-128-GCM first: fastest here and Mozilla "modern". */
#define TLS13_SUITES                                                           \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"                       \
	"TLS_CHACHA20_POLY1305_SHA256"
/* TLS 1.2 (only with --tls-min 1.2): ECDHE key exchange + AEAD only. */
#define TLS12_CIPHERS                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
/* No SHA-1 (or MD5) signatures anywhere. */
#define SIGALGS                                                                \
	"ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448:"                \
	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"         \
	"rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"            \
	"RSA+SHA256:RSA+SHA384:RSA+SHA512"

static const unsigned char alpn_wire[] = "\x07" FR_ALPN;

int fr_tls_ex_index = -1;

/* ---- helpers ------------------------------------------------------------ */

/* The reason of the newest queued OpenSSL error, or a fallback. */
const char *fr_tls_queued_reason(const char *fallback)
{
	unsigned long e = ERR_peek_error(); /* the root cause, not the wrapper */
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : fallback;
}

static int ctx_fail(char *err, size_t errlen, int rc, const char *what,
		    const char *file)
{
	if (file)
		snprintf(err, errlen, "%s %s: %s", what, file,
			 fr_tls_queued_reason("unknown error"));
	else
		snprintf(err, errlen, "%s: %s", what, fr_tls_queued_reason("unknown error"));
	ERR_clear_error();
	return rc;
}

/* Name an unreadable file with the system's reason: OpenSSL only says
 * "system lib".  0 if readable. */
static int file_unreadable(char *err, size_t errlen, const char *what,
			   const char *file)
{
	FILE *f = fopen(file, "r");
	if (f != NULL) {
		fclose(f);
		return 0;
	}
	snprintf(err, errlen, "cannot read %s %s: %s", what, file, strerror(errno));
	return -1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	/* SSL_CB_READ_ALERT and SSL_CB_WRITE_ALERT share the ALERT bit: only
	 * alerts the peer sent us count. */
	if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT)
		return;
	struct fr_tls *t = SSL_get_ex_data(ssl, fr_tls_ex_index);
	/* Fatal alerts and anything but close_notify are worth reporting. */
	if (t && ((ret >> 8) == SSL3_AL_FATAL || (ret & 0xff) != SSL_AD_CLOSE_NOTIFY))
		t->alert = ret & 0xff;
}

static int alpn_select_cb(SSL *ssl, const unsigned char **out,
			  unsigned char *outlen, const unsigned char *in,
			  unsigned int inlen, void *arg)
{
	unsigned char *sel;
	unsigned char sel_len;
	if (SSL_select_next_proto(&sel, &sel_len, alpn_wire, sizeof(alpn_wire) - 1,
				  in, inlen) != OPENSSL_NPN_NEGOTIATED) {
		struct fr_tls *t = SSL_get_ex_data(ssl, fr_tls_ex_index);
		if (t) {
			snprintf(t->err, sizeof(t->err),
				 "client offered ALPN without %s", FR_ALPN);
			t->kind = "alpn";
		}
		/* SECURITY: a client that asks for another protocol is not ours. */
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	*out = sel;
	*outlen = sel_len;
	return SSL_TLSEXT_ERR_OK;
}

/* SECURITY: like ssh, refuse a private key others can read (or write),
 * unless the operator said otherwise. */
static int check_key_mode(const char *key, bool allow_open, char *err,
			  size_t errlen)
{
	struct stat st;

	if (stat(key, &st) != 0) {
		snprintf(err, errlen, "cannot load private key %s: %s", key,
			 strerror(errno));
		return FR_E_USAGE;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && !allow_open) {
		snprintf(err, errlen,
			 "private key %s is accessible by group or others "
			 "(mode %04o): chmod 600 it, or give --allow-open-key",
			 key, (unsigned)(st.st_mode & 07777));
		return FR_E_USAGE;
	}
	return FR_OK;
}

/* base64 of exactly 32 bytes (44 characters, one '=') into pin. */
static int decode_pin(const char *b64, unsigned char *pin)
{
	unsigned char raw[PIN_LEN + 3];

	if (strlen(b64) != 44 || b64[43] != '=' || b64[42] == '=')
		return -1;
	if (EVP_DecodeBlock(raw, (const unsigned char *)b64, 44) != PIN_LEN + 1)
		return -1;
	memcpy(pin, raw, PIN_LEN);
	return 0;
}

/* SHA-256 of cert's SubjectPublicKeyInfo (DER), as curl --pinnedpubkey. */
static int spki_sha256(X509 *cert, unsigned char *out)
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
	int ok = len > 0 && EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(),
				       NULL) == 1 && n == PIN_LEN;
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

/* Client verify callback: the chain and name checks of OpenSSL first, then
 * the pin on the leaf, before our certificate is ever sent. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct fr_tls *t = ssl ? SSL_get_ex_data(ssl, fr_tls_ex_index) : NULL;
	unsigned char h[PIN_LEN];
	unsigned char b64[64];

	if (!ok || t == NULL || !t->ctx->has_pin ||
	    X509_STORE_CTX_get_error_depth(x) != 0)
		return ok;
	if (spki_sha256(X509_STORE_CTX_get_current_cert(x), h) != 0 ||
	    CRYPTO_memcmp(h, t->ctx->pin, PIN_LEN) != 0) {
		EVP_EncodeBlock(b64, h, PIN_LEN);
		/* SECURITY: a valid chain is not enough: the key is pinned */
		snprintf(t->err, sizeof(t->err),
			 "server key does not match the pinned key (the "
			 "server's is %s): check --pin-sha256", (char *)b64);
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

static int ctx_common(SSL_CTX *ctx, const struct fr_tls_conf *conf, bool server,
		      char *err, size_t errlen)
{
	int min = conf->min_version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	if (conf->min_version != 0 && conf->min_version != 12 && conf->min_version != 13) {
		snprintf(err, errlen, "TLS minimum must be 1.2 or 1.3");
		return FR_E_USAGE;
	}
	if (!server)
		min = TLS1_3_VERSION; /* our client always speaks 1.3 */
	if (!SSL_CTX_set_min_proto_version(ctx, min) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
	    !SSL_CTX_set1_sigalgs_list(ctx, SIGALGS))
		return ctx_fail(err, errlen, FR_E_TLS, "cannot set TLS policy", NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_TICKET |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
				      SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_AUTO_RETRY);
	/* Read ahead: one read(2) per record instead of two (header, then
	 * body).  The default one-record buffer on purpose: a larger one
	 * (several records per read) costs an extra copy of the data inside
	 * OpenSSL 3.0, more than the syscalls it saves (docs/PERFORMANCE.md). */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* No resumption in 0.1: every connection proves its certificate. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (server && !SSL_CTX_set_num_tickets(ctx, 0))
		return ctx_fail(err, errlen, FR_E_TLS, "cannot disable tickets", NULL);
	SSL_CTX_set_info_callback(ctx, info_cb);

	if ((conf->cert && file_unreadable(err, errlen, "certificate", conf->cert)) ||
	    (conf->key && file_unreadable(err, errlen, "private key", conf->key)) ||
	    (conf->ca && file_unreadable(err, errlen, "CA file", conf->ca)))
		return FR_E_USAGE;
	if (conf->cert && conf->key) {
		int rc = check_key_mode(conf->key, conf->allow_open_key, err,
					errlen);
		if (rc != FR_OK)
			return rc;
		if (SSL_CTX_use_certificate_chain_file(ctx, conf->cert) != 1)
			return ctx_fail(err, errlen, FR_E_USAGE,
					"cannot load certificate", conf->cert);
		if (SSL_CTX_use_PrivateKey_file(ctx, conf->key, SSL_FILETYPE_PEM) != 1) {
			if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
				snprintf(err, errlen, "private key %s does not match "
					 "certificate %s: give the key of that certificate",
					 conf->key, conf->cert);
				ERR_clear_error();
				return FR_E_USAGE;
			}
			return ctx_fail(err, errlen, FR_E_USAGE,
					"cannot use private key", conf->key);
		}
		if (SSL_CTX_check_private_key(ctx) != 1)
			return ctx_fail(err, errlen, FR_E_USAGE,
					"private key does not match certificate",
					conf->cert);
	} else if (server || conf->cert || conf->key) {
		snprintf(err, errlen, "%s",
			 conf->cert ? "a private key is required: give --key"
				    : "a certificate is required: give --cert");
		return FR_E_USAGE;
	}
	if (conf->ca == NULL) {
		snprintf(err, errlen, "a CA file is required: give --ca");
		return FR_E_USAGE;
	}
	if (SSL_CTX_load_verify_locations(ctx, conf->ca, NULL) != 1)
		return ctx_fail(err, errlen, FR_E_USAGE, "cannot load CA file", conf->ca);
	if (conf->crl) {
		X509_STORE *st = SSL_CTX_get_cert_store(ctx);
		X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());
		if (lu == NULL ||
		    X509_load_crl_file(lu, conf->crl, X509_FILETYPE_PEM) <= 0)
			return ctx_fail(err, errlen, FR_E_USAGE,
					"cannot load CRL file", conf->crl);
		/* the leaf must be checked against a CRL of its issuer */
		if (!X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK))
			return ctx_fail(err, errlen, FR_E_TLS, "cannot enable CRL checks",
					NULL);
	}
	return FR_OK;
}

/* OpenSSL fills a certificate's cached extensions (key identifiers,
 * purposes) on first use, and in 3.0 two threads verifying against the
 * same CA at once can both fill them, one writing while the other reads
 * (OpenSSL issues 25202 and 32609; TSan reports it in ferryd's workers).
 * Filled here, while one thread owns the new context, the handshakes
 * only read them. */
static void fill_cert_caches(SSL_CTX *ctx)
{
	STACK_OF(X509_OBJECT) *objs;
	STACK_OF(X509) *chain = NULL;
	X509 *x;
	int i;

	if ((x = SSL_CTX_get0_certificate(ctx)) != NULL)
		(void)X509_check_purpose(x, -1, 0);
	if (SSL_CTX_get0_chain_certs(ctx, &chain) == 1)
		for (i = 0; i < sk_X509_num(chain); i++)
			(void)X509_check_purpose(sk_X509_value(chain, i), -1, 0);
	objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		if (x != NULL) /* CRLs are filled when they are parsed */
			(void)X509_check_purpose(x, -1, 0);
	}
}

static int ctx_new(const struct fr_tls_conf *conf, bool server,
		   struct fr_tls_ctx **out, char *err, size_t errlen)
{
	int rc;
	struct fr_tls_ctx *c = NULL;
	*out = NULL;
	err[0] = '\0';
	if (fr_tls_ex_index < 0) { /* first context is created before any thread */
		fr_tls_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
		if (fr_tls_ex_index < 0)
			return ctx_fail(err, errlen, FR_E_TLS, "OpenSSL init", NULL);
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FR_E_NOMEM;
	c->server = server;
	atomic_init(&c->refs, 1);
	c->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (c->ctx == NULL) {
		rc = ctx_fail(err, errlen, FR_E_TLS, "cannot create TLS context", NULL);
		goto out;
	}
	rc = ctx_common(c->ctx, conf, server, err, errlen);
	if (rc != FR_OK)
		goto out;
	if (server) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(conf->ca);
		if (names == NULL) {
			rc = ctx_fail(err, errlen, FR_E_USAGE,
				      "no CA certificate in", conf->ca);
			goto out;
		}
		SSL_CTX_set_client_CA_list(c->ctx, names);
		/* SECURITY: a client certificate is mandatory. */
		SSL_CTX_set_verify(c->ctx,
				   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
		static const unsigned char sid_ctx[] = "ferryd";
		SSL_CTX_set_session_id_context(c->ctx, sid_ctx, sizeof(sid_ctx) - 1);
		SSL_CTX_set_alpn_select_cb(c->ctx, alpn_select_cb, NULL);
		SSL_CTX_set_read_ahead(c->ctx, 1);
	} else {
		if (conf->pin_sha256) {
			if (decode_pin(conf->pin_sha256, c->pin) != 0) {
				snprintf(err, errlen,
					 "--pin-sha256 '%s': not the base64 of a "
					 "SHA-256 (44 characters ending in '=')",
					 conf->pin_sha256);
				rc = FR_E_USAGE;
				goto out;
			}
			c->has_pin = true;
		}
		/* SECURITY: verification cannot be turned off. */
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, verify_cb);
		if (SSL_CTX_set_alpn_protos(c->ctx, alpn_wire, sizeof(alpn_wire) - 1)) {
			rc = ctx_fail(err, errlen, FR_E_TLS, "cannot set ALPN", NULL);
			goto out;
		}
	}
	fill_cert_caches(c->ctx);
	*out = c;
	c = NULL;
	rc = FR_OK;
out:
	fr_tls_ctx_free(c);
	return rc;
}

int fr_tls_ctx_new_server(const struct fr_tls_conf *conf,
			  struct fr_tls_ctx **out, char *err, size_t errlen)
{
	return ctx_new(conf, true, out, err, errlen);
}

int fr_tls_ctx_new_client(const struct fr_tls_conf *conf,
			  struct fr_tls_ctx **out, char *err, size_t errlen)
{
	return ctx_new(conf, false, out, err, errlen);
}

void fr_tls_ctx_free(struct fr_tls_ctx *c)
{
	/* the last reference frees it (a worker may drop it while the
	 * reactor drops its own after a reload) */
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

int fr_tls_ctx_not_after(const struct fr_tls_ctx *c, int64_t *when)
{
	X509 *x = c ? SSL_CTX_get0_certificate(c->ctx) : NULL;
	struct tm tm;

	*when = 0;
	if (x == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return FR_E_TLS;
	*when = (int64_t)timegm(&tm);
	return FR_OK;
}

/* ---- connections -------------------------------------------------------- */

int fr_tls_ctx_secret(const struct fr_tls_ctx *c, const char *label,
		      unsigned char out[32])
{
	EVP_PKEY *k = c ? SSL_CTX_get0_privatekey(c->ctx) : NULL;
	unsigned char *der = NULL;
	unsigned int n = 0;
	EVP_MD_CTX *md = NULL;
	int len, rc = FR_E_TLS;

	memset(out, 0, 32);
	if (k == NULL || (len = i2d_PrivateKey(k, &der)) <= 0)
		return FR_E_TLS;
	md = EVP_MD_CTX_new();
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, label, strlen(label) + 1) == 1 &&
	    EVP_DigestUpdate(md, der, (size_t)len) == 1 &&
	    EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32)
		rc = FR_OK;
	EVP_MD_CTX_free(md);
	OPENSSL_clear_free(der, (size_t)len);
	if (rc != FR_OK)
		OPENSSL_cleanse(out, 32);
	return rc;
}

