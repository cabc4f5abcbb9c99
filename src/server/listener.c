/*
 * listener.c - bind, listen and accept.
 *
 * Does: turn a --listen value into a bound, non-blocking socket and accept
 * connections from it.  Does not: register anything with epoll, count
 * connections, or touch TLS.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ferry/addr.h"
#include "ferry/err.h"
#include "ferry/limits.h"
#include "listener.h"

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, n, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, n, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		snprintf(out, n, "?");
	}
}

int listener_open(const char *spec, int *fd, uint16_t *port, int *unsupported,
		  char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *why = NULL;
	char host[256], serv[8];
	uint16_t p;
	int s = -1, one = 1, r = FR_E_USAGE, gai;

	*fd = -1;
	*port = 0;
	*unsupported = 0;
	if (fr_hostport_parse(spec, FR_DEFAULT_PORT, host, sizeof(host), &p,
			      &why) != FR_OK) {
		snprintf(err, errlen, "--listen '%s': %s", spec,
			 why ? why : "invalid address");
		goto out;
	}
	snprintf(serv, sizeof(serv), "%u", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(host[0] ? host : NULL, serv, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "--listen '%s': %s", spec,
			 gai_strerror(gai));
		goto out;
	}
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   0);
	if (s < 0) {
		*unsupported = errno == EAFNOSUPPORT;
		goto fail;
	}
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		goto fail;
	if (bind(s, ai->ai_addr, ai->ai_addrlen) != 0) {
		*unsupported = errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT;
		goto fail;
	}
	if (listen(s, SOMAXCONN) != 0 ||
	    getsockname(s, (struct sockaddr *)&ss, &sl) != 0)
		goto fail;
	*port = ntohs(ss.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	*fd = s;
	s = -1;
	r = FR_OK;
	goto out;
fail:
	snprintf(err, errlen, "--listen '%s': %s", spec, strerror(errno));
out:
	if (s >= 0)
		close(s);
	if (ai)
		freeaddrinfo(ai);
	return r;
}

int listener_accept(int lfd, int *cfd, struct sockaddr_storage *ss,
		    char *peer, size_t peerlen)
{
	socklen_t sl = sizeof(*ss);
	int fd, one = 1;

	*cfd = -1;
	memset(ss, 0, sizeof(*ss));
	fd = accept4(lfd, (struct sockaddr *)ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* a connection that died in the backlog is not our failure */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED || errno == EINTR || errno == EPROTO)
			return FR_AGAIN;
		return FR_E_INTERNAL;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	addr_text(ss, peer, peerlen);
	*cfd = fd;
	return FR_OK;
}
