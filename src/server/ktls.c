/*
 * ktls.c - run-time probe for kernel TLS (see ktls.h).
 *
 * Does: open a loopback listener on an ephemeral port, connect to it, and
 * try setsockopt(TCP_ULP, "tls") on the connected socket: the one test that
 * also covers a module the kernel would load on demand.
 * Does not: enable kernel TLS on any real connection.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

bool ktls_probe(char *why, size_t n)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int l = -1, c = -1, a = -1, err = 0;
	bool ok = false;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) != 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		snprintf(why, n, "cannot probe: %s", strerror(errno));
		goto out;
	}
	if (setsockopt(a, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) == 0) {
		ok = true;
		snprintf(why, n, "the kernel offers the tls module");
	} else {
		err = errno;
		snprintf(why, n, "no tls module in this kernel (TCP_ULP: %s)",
			 strerror(err));
	}
out:
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return ok;
}
