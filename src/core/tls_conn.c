/*
 * tls_conn.c - one TLS connection over a context from tls.c (see tls.h):
 * creation with the name to verify, the handshake, reads and writes, close,
 * and the one-line account of a failure built from OpenSSL's error queue,
 * the verify result and the alert the peer sent.  Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/tls.h"
#include "tls_int.h"

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
	    !SSL_set_ex_data(t->ssl, fr_tls_ex_index, t))
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
				 fr_tls_queued_reason("?"));
			t->kind = "not_tls";
		} else if (reason == SSL_R_UNSUPPORTED_PROTOCOL) {
			snprintf(t->err, sizeof(t->err),
				 "client TLS version too old (%s)", fr_tls_queued_reason("?"));
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
			 fr_tls_queued_reason("unknown error"));
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
		if (n != sizeof(FR_ALPN) - 1 || memcmp(p, FR_ALPN, n) != 0) {
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
