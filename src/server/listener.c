/*
 * listener.c - bind, listen and accept.
 *
 * Does: turn a --listen value into a bound, non-blocking socket, take over
 * the sockets systemd passes (socket activation), and accept connections.
 * Does not: register anything with epoll, count connections, or touch TLS.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* A positive decimal number without sign or junk, or 0. */
static unsigned long env_number(const char *name)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	return errno || *end ? 0 : n;
}

/* fd is a listening TCP socket (IPv4 or IPv6); its port in *port. */
static int inherited_ok(int fd, uint16_t *port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int v = 0, fl;
	socklen_t vl = sizeof(v);
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "socket activation: fd %d is not a "
			 "socket: check the .socket unit", fd);
		return FR_E_USAGE;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) != 0 ||
	    v != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) != 0 || !v ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		snprintf(err, errlen, "socket activation: fd %d is not a "
			 "listening TCP socket: use ListenStream= with an "
			 "address and Accept=no", fd);
		return FR_E_USAGE;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		snprintf(err, errlen, "socket activation: fd %d: %s", fd,
			 strerror(errno));
		return FR_E_USAGE;
	}
	*port = ntohs(ss.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	return FR_OK;
}

int listener_inherited(int *fds, size_t max, size_t *n, uint16_t *port,
		       char *err, size_t errlen)
{
	unsigned long pid = env_number("LISTEN_PID");
	unsigned long count = env_number("LISTEN_FDS");
	uint16_t p;
	unsigned long i;

	*n = 0;
	*port = 0;
	/* SD_LISTEN_FDS_START is 3; the variables are for this process only
	 * (a child would take them for its own) */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (pid == 0 || pid != (unsigned long)getpid() || count == 0)
		return FR_OK;
	if (count > max || count > (unsigned long)(INT_MAX - 3)) {
		snprintf(err, errlen, "socket activation: %lu sockets passed, "
			 "at most %zu", count, max);
		return FR_E_USAGE;
	}
	for (i = 0; i < count; i++) {
		if (inherited_ok((int)(3 + i), &p, err, errlen) != FR_OK)
			return FR_E_USAGE;
		if (i == 0)
			*port = p;
		fds[i] = (int)(3 + i);
	}
	*n = (size_t)count;
	return FR_OK;
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
