/*
 * notify.c - the sd_notify datagram protocol, without libsystemd (see
 * notify.h).
 *
 * The protocol (sd_notify(3), systemd's "notify socket"): the service
 * manager passes the address of an AF_UNIX datagram socket in
 * $NOTIFY_SOCKET; the service sends newline-separated KEY=VALUE
 * assignments, one datagram per message.  A leading '@' means the
 * abstract namespace.  Sending is best effort: a failure is not a reason
 * to stop serving.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ferry/err.h"
#include "notify.h"

static _Atomic int notify_fd = -1;

int notify_init(char *msg, size_t msglen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd;

	msg[0] = '\0';
	if (!path || !*path)
		return FR_AGAIN;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		snprintf(msg, msglen, "NOTIFY_SOCKET '%s': not an absolute "
			 "path or @abstract name; no notifications", path);
		unsetenv("NOTIFY_SOCKET");
		return FR_E_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			  (path[0] == '/' ? 1 : 0));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) != 0) {
		snprintf(msg, msglen, "NOTIFY_SOCKET '%s': %s; no "
			 "notifications", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unsetenv("NOTIFY_SOCKET");
		return FR_E_USAGE;
	}
	snprintf(msg, msglen, "systemd notifications to %s", path);
	unsetenv("NOTIFY_SOCKET"); /* not for anything we might start */
	atomic_store(&notify_fd, fd);
	return FR_OK;
}

static void send_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void send_msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n, fd = atomic_load(&notify_fd);

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	while (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

void notify_ready(const char *status)
{
	if (status)
		send_msg("READY=1\nSTATUS=%s", status);
	else
		send_msg("READY=1");
}

void notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	send_msg("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000ull);
}

void notify_stopping(const char *status)
{
	send_msg("STOPPING=1\nSTATUS=%s", status ? status : "stopping");
}

void notify_close(void)
{
	int fd = atomic_exchange(&notify_fd, -1);

	if (fd >= 0)
		close(fd);
}
