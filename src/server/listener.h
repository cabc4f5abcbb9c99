/*
 * listener.h - listening sockets of ferryd.
 *
 * Does: resolve "ADDR:PORT", bind, listen, report the bound port, accept;
 * take over listening sockets a service manager passed (socket activation).
 * Does not: speak TLS or decide whether a connection is served.
 */
#ifndef FERRYD_LISTENER_H
#define FERRYD_LISTENER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Open a non-blocking listening socket on spec ("1.2.3.4:9533",
 * "[::1]:0").  IPv6 sockets are IPV6_V6ONLY.  On success *fd is the socket
 * and *port the bound port; on failure FR_E_USAGE with one line in err.
 * *unsupported is set when the address family is not available here. */
int listener_open(const char *spec, int *fd, uint16_t *port, int *unsupported,
		  char *err, size_t errlen);

/* Sockets passed by a service manager (systemd socket activation: the
 * LISTEN_PID and LISTEN_FDS variables, fds 3, 4, ...): *n of them into fds
 * (at most max), made non-blocking and close-on-exec, the first one's port
 * in *port, LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES removed from the
 * environment.  *n is 0 when
 * none were passed to this process.  FR_E_USAGE with one line in err when
 * a passed fd is not a listening TCP stream socket, or there are too many. */
int listener_inherited(int *fds, size_t max, size_t *n, uint16_t *port,
		       char *err, size_t errlen);

/* Accept one connection: FR_OK with *cfd (non-blocking, close-on-exec,
 * TCP_NODELAY), the peer's address in *ss and as "addr:port" / "[v6]:port"
 * text; FR_AGAIN when none is waiting; FR_E_INTERNAL on other failures
 * (errno kept). */
int listener_accept(int lfd, int *cfd, struct sockaddr_storage *ss,
		    char *peer, size_t peerlen);

#endif
