/*
 * tls.c - mutual TLS contexts and connections over OpenSSL 3 (see tls.h).
 *
 * Policy lives here and nowhere else: protocol versions, cipher suites,
 * verification, ALPN, renegotiation, sessions.  This file also turns
 * OpenSSL's error queue, verify results and received alerts into one line a
 * person can act on.  It never touches the socket except through the SSL
 * object and never logs.
 */
#include <arpa/inet.h>
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

static int ex_index = -1; /* SSL ex_data slot pointing back to fr_tls */

/* ---- helpers ------------------------------------------------------------ */

/* The reason of the newest queued OpenSSL error, or a fallback. */
static const char *queued_reason(const char *fallback)
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
			 queued_reason("unknown error"));
	else
		snprintf(err, errlen, "%s: %s", what, queued_reason("unknown error"));
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
	struct fr_tls *t = SSL_get_ex_data(ssl, ex_index);
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
		struct fr_tls *t = SSL_get_ex_data(ssl, ex_index);
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
	struct fr_tls *t = ssl ? SSL_get_ex_data(ssl, ex_index) : NULL;
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

static int ctx_new(const struct fr_tls_conf *conf, bool server,
		   struct fr_tls_ctx **out, char *err, size_t errlen)
{
	int rc;
	struct fr_tls_ctx *c = NULL;
	*out = NULL;
	err[0] = '\0';
	if (ex_index < 0) { /* first context is created before any thread */
		ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
		if (ex_index < 0)
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

static bool is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int fr_tls_new(struct fr_tls_ctx *ctx, int fd, const char *host,
	       struct fr_tls **out)
{
	int rc = FR_E_TLS;
	struct fr_tls *t = calloc(1, sizeof(*t));
	*out = NULL;
	if (t == NULL)
		return FR_E_NOMEM;
	t->server = ctx->server;
	atomic_fetch_add(&ctx->refs, 1);
	t->ctx = ctx;
	t->alert = -1;
	t->ssl = SSL_new(ctx->ctx);
	if (t->ssl == NULL || !SSL_set_fd(t->ssl, fd) ||
	    !SSL_set_ex_data(t->ssl, ex_index, t))
		goto out;
	if (ctx->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		snprintf(t->host, sizeof(t->host), "%s", host ? host : "");
		if (host == NULL || *host == '\0')
			goto out;
		if (is_ip_literal(host)) {
			X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
			if (!X509_VERIFY_PARAM_set1_ip_asc(vp, host))
				goto out;
		} else if (!SSL_set1_host(t->ssl, host) ||
			   !SSL_set_tlsext_host_name(t->ssl, host)) {
			goto out;
		}
		SSL_set_connect_state(t->ssl);
	}
	*out = t;
	t = NULL;
	rc = FR_OK;
out:
	fr_tls_free(t);
	ERR_clear_error();
	return rc;
}

void fr_tls_free(struct fr_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	fr_tls_ctx_free(t->ctx);
	free(t);
}

static const char *verify_text(long v)
{
	return X509_verify_cert_error_string(v);
}

/* Fill t->err for a failed call that returned SSL_get_error() == e. */
static void describe_failure(struct fr_tls *t, int e, int saved_errno)
{
	unsigned long q = ERR_peek_last_error();
	int reason = q ? ERR_GET_REASON(q) : 0;
	long v = SSL_get_verify_result(t->ssl);
	const char *alert = t->alert >= 0 ? SSL_alert_desc_string_long(t->alert) : NULL;

	if (t->err[0] != '\0')
		return; /* a callback already said something more precise */
	if (!t->server) {
		if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
			snprintf(t->err, sizeof(t->err),
				 "server certificate does not match '%s' (%s): check -s "
				 "or the server certificate's subjectAltName",
				 t->host, verify_text(v));
		} else if (v != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
			const char *hint = "check --ca";
			if (v == X509_V_ERR_CERT_REVOKED ||
			    v == X509_V_ERR_UNABLE_TO_GET_CRL ||
			    v == X509_V_ERR_CRL_HAS_EXPIRED ||
			    v == X509_V_ERR_CRL_NOT_YET_VALID ||
			    v == X509_V_ERR_CRL_SIGNATURE_FAILURE)
				hint = "check --crl";
			else if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
				hint = "check the server certificate's validity and this machine's clock";
			snprintf(t->err, sizeof(t->err),
				 "server certificate not trusted (%s): %s",
				 verify_text(v), hint);
		} else if (alert && t->alert == SSL_AD_CERTIFICATE_REQUIRED) {
			snprintf(t->err, sizeof(t->err),
				 "the server requires a client certificate (%s): "
				 "check --cert and --key", alert);
		} else if (alert && (t->alert == SSL_AD_UNKNOWN_CA ||
				     t->alert == SSL_AD_BAD_CERTIFICATE ||
				     t->alert == SSL_AD_CERTIFICATE_EXPIRED ||
				     t->alert == SSL_AD_CERTIFICATE_REVOKED ||
				     t->alert == SSL_AD_UNSUPPORTED_CERTIFICATE ||
				     t->alert == SSL_AD_CERTIFICATE_UNKNOWN ||
				     t->alert == SSL_AD_ACCESS_DENIED ||
				     t->alert == SSL_AD_DECRYPT_ERROR)) {
			snprintf(t->err, sizeof(t->err),
				 "the server rejected our certificate (%s): check --cert",
				 alert);
		} else if (alert && t->alert == SSL_AD_NO_APPLICATION_PROTOCOL) {
			snprintf(t->err, sizeof(t->err),
				 "the server does not speak %s (%s): check -s", FR_ALPN, alert);
		} else if (alert) {
			snprintf(t->err, sizeof(t->err),
				 "TLS handshake failed: the server sent alert '%s'", alert);
		}
	} else {
		if (v != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
			snprintf(t->err, sizeof(t->err),
				 "client certificate verify failed (%s)", verify_text(v));
			t->kind = v == X509_V_ERR_CERT_REVOKED ? "revoked"
				  : (v == X509_V_ERR_CERT_HAS_EXPIRED ||
				     v == X509_V_ERR_CERT_NOT_YET_VALID) ? "expired"
				  : "untrusted";
		} else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
			snprintf(t->err, sizeof(t->err), "client sent no certificate");
			t->kind = "no_certificate";
		} else if (reason == SSL_R_HTTP_REQUEST || reason == SSL_R_WRONG_VERSION_NUMBER ||
			   reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_HTTPS_PROXY_REQUEST) {
			snprintf(t->err, sizeof(t->err), "peer does not speak TLS (%s)",
				 queued_reason("?"));
			t->kind = "not_tls";
		} else if (reason == SSL_R_UNSUPPORTED_PROTOCOL) {
			snprintf(t->err, sizeof(t->err),
				 "client TLS version too old (%s)", queued_reason("?"));
			t->kind = "version";
		} else if (alert) {
			snprintf(t->err, sizeof(t->err), "client sent alert '%s'", alert);
			t->kind = "client_alert";
		}
	}
	if (t->err[0] != '\0')
		return;
	t->kind = e == SSL_ERROR_SYSCALL ||
			  reason == SSL_R_UNEXPECTED_EOF_WHILE_READING
		  ? "closed" : "other";
	if (e == SSL_ERROR_SYSCALL || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		if (saved_errno && saved_errno != EAGAIN)
			snprintf(t->err, sizeof(t->err), "connection failed: %s",
				 strerror(saved_errno));
		else
			snprintf(t->err, sizeof(t->err),
				 "connection closed by peer without close_notify");
	} else {
		snprintf(t->err, sizeof(t->err), "TLS failure: %s",
			 queued_reason("unknown error"));
	}
}

/* Map the outcome of an SSL_* call (ok != 1) to our return values. */
static int tls_result(struct fr_tls *t, int ok)
{
	int saved_errno = errno;
	if (ok == 1)
		return FR_OK;
	int e = SSL_get_error(t->ssl, ok);
	int rc;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return FR_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return FR_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(t->err, sizeof(t->err), "peer closed the connection");
		rc = FR_E_CLOSED;
		break;
	case SSL_ERROR_SYSCALL:
	case SSL_ERROR_SSL:
	default: {
		unsigned long q = ERR_peek_last_error();
		bool eof = (e == SSL_ERROR_SYSCALL && (saved_errno == 0 ||
						       saved_errno == ECONNRESET ||
						       saved_errno == EPIPE)) ||
			   (q && ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
		describe_failure(t, e, e == SSL_ERROR_SYSCALL ? saved_errno : 0);
		/* SECURITY: EOF without close_notify is truncation, never EOF.
		 * (Not SSL_is_init_finished: after the fatal unexpected-EOF
		 * error OpenSSL 3 says the handshake is not finished.) */
		rc = (eof && t->established && t->alert < 0)
			     ? FR_E_TRUNCATED
			     : FR_E_TLS;
		break;
	}
	}
	ERR_clear_error();
	return rc;
}

static void load_identity(struct fr_tls *t)
{
	X509 *peer = SSL_get0_peer_certificate(t->ssl);
	t->identity[0] = '\0';
	if (peer == NULL)
		return;
	X509_NAME *name = X509_get_subject_name(peer);
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0)
		return;
	ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, d);
	/* SECURITY: an identity with an embedded NUL or too long is no
	 * identity at all. */
	if (n > 0 && (size_t)n < sizeof(t->identity) &&
	    memchr(utf8, '\0', (size_t)n) == NULL) {
		memcpy(t->identity, utf8, (size_t)n);
		t->identity[n] = '\0';
	}
	OPENSSL_free(utf8);
}

int fr_tls_handshake(struct fr_tls *t)
{
	ERR_clear_error();
	errno = 0;
	int rc = tls_result(t, SSL_do_handshake(t->ssl));
	if (rc != FR_OK)
		return rc == FR_E_TRUNCATED ? FR_E_TLS : rc;
	t->established = true;
	if (t->server) {
		load_identity(t);
	} else {
		const unsigned char *p;
		unsigned int n;
		SSL_get0_alpn_selected(t->ssl, &p, &n);
		if (n != sizeof(alpn_wire) - 2 || memcmp(p, FR_ALPN, n) != 0) {
			snprintf(t->err, sizeof(t->err),
				 "the server did not agree to %s (not a ferry server?): check -s",
				 FR_ALPN);
			return FR_E_TLS;
		}
	}
	return FR_OK;
}

int fr_tls_read(struct fr_tls *t, void *p, size_t n, size_t *got)
{
	*got = 0;
	ERR_clear_error();
	errno = 0;
	int rc = tls_result(t, SSL_read_ex(t->ssl, p, n, got));
	if (rc != FR_OK)
		*got = 0;
	return rc;
}

int fr_tls_write(struct fr_tls *t, const void *p, size_t n, size_t *wrote)
{
	*wrote = 0;
	ERR_clear_error();
	errno = 0;
	int rc = tls_result(t, SSL_write_ex(t->ssl, p, n, wrote));
	if (rc != FR_OK)
		*wrote = 0;
	return rc;
}

void fr_tls_close(struct fr_tls *t)
{
	if (t == NULL || t->closed)
		return;
	t->closed = true;
	ERR_clear_error();
	if (SSL_is_init_finished(t->ssl))
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

const char *fr_tls_peer_identity(const struct fr_tls *t)
{
	return t->identity;
}

const char *fr_tls_describe(const struct fr_tls *t, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s", SSL_get_version(t->ssl),
		 SSL_get_cipher_name(t->ssl));
	return buf;
}

const char *fr_tls_error_kind(const struct fr_tls *t)
{
	return t->kind ? t->kind : "other";
}

const char *fr_tls_error(const struct fr_tls *t)
{
	return t->err[0] ? t->err : "unknown TLS failure";
}
