/*
 * proxy_stage.c - read the PROXY header of a trusted balancer's
 * connection (see proxy_stage.h).
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
#include "config.h"
#include "conn.h"
#include "proxy_stage.h"

bool proxy_stage_trusted(const struct config *cfg,
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

int proxy_stage_read(struct conn *c)
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
		if (!conn_count_address(c, &key))
			return FR_E_CLOSED;
	}
	c->balancer_check = px.cmd == FR_PROXY_LOCAL;
	c->peeked = !c->balancer_check; /* LOCAL: see balancer_gone */
	c->state = CS_HANDSHAKE;
	return FR_OK;
}

int proxy_stage_refuse_untrusted(struct conn *c)
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
	return FR_E_PROTOCOL;
}

int proxy_stage_balancer_gone(struct conn *c)
{
	uint8_t b;
	ssize_t k = recv_some(c->w.fd, &b, 1, MSG_PEEK);

	if (k > 0)
		return FR_OK;
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return FR_TLS_WANT_READ;
	return FR_E_CLOSED; /* a health check: done, nothing to log */
}
