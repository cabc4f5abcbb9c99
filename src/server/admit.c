/*
 * admit.c - a connection's way in, before its first request (admit.h):
 * the PROXY header of a trusted balancer, the per-address count, the TLS
 * handshake and the admission of the identity.
 *
 * How "exactly the header's bytes" is done: MSG_PEEK what the socket has
 * (at most FR_PROXY_MAX minus what we hold), let the parser say where the
 * header ends, then recv exactly the bytes up to that end.  While the
 * header is incomplete every peeked byte belongs to it (the parser's
 * contract), so consuming them all keeps the ClientHello untouched and
 * leaves nothing in the socket for epoll to spin on.
 *
 * SECURITY: at most FR_PROXY_MAX bytes are held, the stage runs under the
 * handshake deadline, and only peers in --proxy-protocol-from get here:
 * anyone else's header is refused like any bad handshake.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ferry/err.h"
#include "ferry/log.h"
#include "ferry/proxy.h"
#include "ferry/tls.h"
#include "acl.h"
#include "admit.h"
#include "metrics.h"
#include "config.h"
#include "conn.h"
#include "server.h"

bool admit_trusted(const struct config *cfg,
		   const struct sockaddr_storage *ss)
{
	const uint8_t *a;
	size_t i;
	int fam = ss->ss_family;

	if (cfg->n_proxy_from == 0)
		return false;
	if (fam == AF_INET)
		a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	else if (fam == AF_INET6)
		a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		return false;
	for (i = 0; i < cfg->n_proxy_from; i++)
		if (fr_cidr_match(&cfg->proxy_from[i], fam, a))
			return true;
	return false;
}

/* recv with flags, EINTR retried: bytes, 0 at EOF, -1 with errno. */
static ssize_t recv_some(int fd, void *p, size_t n, int flags)
{
	ssize_t k;

	do
		k = recv(fd, p, n, flags);
	while (k < 0 && errno == EINTR);
	return k;
}

int admit_proxy_read(struct conn *c)
{
	size_t have = fr_buf_len(&c->in), len = 0, take, got;
	const char *why = NULL;
	struct fr_proxy px;
	uint8_t *p;
	ssize_t k;
	int r;

	if (fr_buf_reserve(&c->in, FR_PROXY_MAX - have, &p) != FR_OK)
		return FR_E_INTERNAL;
	k = recv_some(c->w.fd, p, FR_PROXY_MAX - have, MSG_PEEK);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return FR_TLS_WANT_READ;
	if (k <= 0) {
		/* a balancer's health check that connects and closes is
		 * routine, not a failed handshake: no line for it */
		if (have > 0 || k < 0)
			fr_log(FR_LOG_WARN, "PROXY header: balancer=%s: %s "
			       "after %zu byte(s) of the header", c->peer,
			       k < 0 ? strerror(errno) : "closed", have);
		return FR_E_CLOSED;
	}
	r = fr_proxy_parse(fr_buf_data(&c->in), have + (size_t)k, &px, &len,
			   &why);
	if (r != FR_OK && r != FR_AGAIN) {
		fr_log(FR_LOG_WARN, "PROXY header refused: balancer=%s: %s",
		       c->peer, why ? why : "invalid");
		return FR_E_PROTOCOL;
	}
	take = (r == FR_OK ? len : have + (size_t)k) - have;
	for (got = 0; got < take; got += (size_t)k) {
		k = recv_some(c->w.fd, p + got, take - got, 0);
		if (k <= 0)
			return FR_E_CLOSED; /* peeked bytes vanished: broken */
	}
	fr_buf_commit(&c->in, take);
	if (r == FR_AGAIN)
		return FR_TLS_WANT_READ;
	fr_buf_reset(&c->in);
	if (px.cmd == FR_PROXY_ADDR) {
		fr_proxy_src_text(&px, c->peer, sizeof(c->peer));
		struct addrkey key;

		addrkey_make(&key, px.family, px.src);
		if (!admit_count_address(c, &key))
			return FR_E_CLOSED;
	}
	c->balancer_check = px.cmd == FR_PROXY_LOCAL;
	c->peeked = !c->balancer_check; /* LOCAL: see balancer_gone */
	c->state = CS_HANDSHAKE;
	return FR_OK;
}

/* For an untrusted peer, while --proxy-protocol-from is set: FR_OK when
 * its first bytes are not a PROXY header (or not there yet), else log why
 * it is refused and return FR_E_PROTOCOL. */
static int refuse_untrusted(struct conn *c)
{
	static const uint8_t v2[] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D };
	uint8_t b[6];
	ssize_t k = recv_some(c->w.fd, b, sizeof(b), MSG_PEEK);

	if (k < (ssize_t)sizeof(b) ||
	    (memcmp(b, "PROXY ", 6) != 0 && memcmp(b, v2, sizeof(v2)) != 0))
		return FR_OK; /* TLS judges the rest */
	fr_log(FR_LOG_WARN, "handshake failed: peer=%s: a PROXY protocol "
	       "header from an address not in --proxy-protocol-from",
	       c->peer);
	metrics_handshake_failed("proxy_header");
	return FR_E_PROTOCOL;
}

/* For a LOCAL connection (c->balancer_check) before its first TLS byte:
 * FR_OK when bytes are waiting (TLS goes on), FR_TLS_WANT_READ, or
 * FR_E_CLOSED when the balancer closed: a health check, worth no line. */
static int balancer_gone(struct conn *c)
{
	uint8_t b;
	ssize_t k = recv_some(c->w.fd, &b, 1, MSG_PEEK);

	if (k > 0)
		return FR_OK;
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return FR_TLS_WANT_READ;
	return FR_E_CLOSED; /* a health check: done, nothing to log */
}

bool admit_count_address(struct conn *c, const struct addrkey *k)
{
	if (!addrlimit_enter(c->srv->alim, k)) {
		fr_log(FR_LOG_WARN, "busy: peer=%s: over "
		       "--max-conns-per-address=%llu, closed before TLS",
		       c->peer,
		       (unsigned long long)c->srv->cfg->max_conns_per_address);
		return false;
	}
	c->akey = *k;
	return true;
}

int admit_handshake(struct conn *c)
{
	int r;

	if (!c->peeked) {
		/* before TLS reads a byte: a balancer's health check that
		 * just closes, or a PROXY header from an untrusted peer */
		r = c->balancer_check ? balancer_gone(c)
				      : refuse_untrusted(c);
		if (r != FR_OK)
			return r;
		c->peeked = true;
	}
	r = fr_tls_handshake(c->tls);
	if (r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE)
		return r;
	if (r != FR_OK) {
		fr_log(FR_LOG_WARN, "handshake failed: peer=%s: %s", c->peer,
		       fr_tls_error(c->tls));
		metrics_handshake_failed(fr_tls_error_kind(c->tls));
		return FR_E_TLS;
	}
	snprintf(c->identity, sizeof(c->identity), "%s",
		 fr_tls_peer_identity(c->tls));
	if (!c->w.busy &&
	    !acl_conn_enter(c->srv->acl, c->identity,
			    (unsigned long)c->srv->cfg->max_conns_per_identity)) {
		fr_log(FR_LOG_WARN, "busy: peer=%s identity=%s: over "
				    "--max-conns-per-identity=%llu", c->peer,
		       c->identity,
		       (unsigned long long)c->srv->cfg->max_conns_per_identity);
		if (fr_resp_error(&c->out, FR_E_BUSY,
				  "too many connections for this identity, "
				  "try again later") != FR_OK)
			return FR_E_INTERNAL;
		c->state = CS_CLOSING;
		return FR_OK;
	}
	c->counted = !c->w.busy;
	if (c->w.busy) {
		fr_log(FR_LOG_WARN, "busy: peer=%s identity=%s: over "
				    "--max-conns=%llu", c->peer, c->identity,
		       (unsigned long long)c->srv->cfg->max_conns);
		if (fr_resp_error(&c->out, FR_E_BUSY,
				  "too many connections, try again later") !=
		    FR_OK)
			return FR_E_INTERNAL;
		c->state = CS_CLOSING;
		return FR_OK;
	}
	c->deny = acl_resolve(c->srv->acl, c->srv->root_fd, c->identity,
			      &c->perms, &c->root_fd, &c->own_root,
			      &c->deny_why);
	if (c->deny != FR_OK)
		fr_log(FR_LOG_WARN, "acl: peer=%s identity='%s': %s (%s): "
				    "every request gets %s", c->peer,
		       c->identity, c->deny_why, fr_err_str(c->deny),
		       fr_err_code(c->deny) ? fr_err_code(c->deny)
					    : "internal");
	c->state = CS_READ_REQUEST;
	return FR_OK;
}
