/*
 * notify_sink.c - a stand-in for systemd's notification socket, for tests.
 *
 *   notify_sink --socket PATH --out FILE [--max-seconds N]
 *
 * Binds an AF_UNIX datagram socket at PATH (what a test then puts in
 * $NOTIFY_SOCKET) and appends every datagram it receives to FILE as one
 * line, its newlines turned into spaces ("READY=1 STATUS=serving ..."),
 * followed by " @MONO=USEC", CLOCK_MONOTONIC when it arrived.
 * Exits by itself after N seconds (default 120), or on SIGTERM; removes
 * PATH on the way out.  A test tool, not part of ferry.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *out = NULL;
	struct sockaddr_un sa;
	char buf[4097];
	long max = 120;
	time_t end;
	FILE *f;
	int fd, i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--out") == 0)
			out = argv[i + 1];
		else if (strcmp(argv[i], "--max-seconds") == 0)
			max = strtol(argv[i + 1], NULL, 10);
	}
	if (!path || !out || strlen(path) >= sizeof(sa.sun_path) || max <= 0) {
		fprintf(stderr, "usage: notify_sink --socket PATH --out FILE "
				"[--max-seconds N]\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	f = fopen(out, "a");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (!f || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("notify_sink");
		return 1;
	}
	end = time(NULL) + max;
	while (!stop && time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		struct timespec now;
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		buf[n] = '\0';
		clock_gettime(CLOCK_MONOTONIC, &now);
		fprintf(f, "%s @MONO=%lld\n", buf,
			(long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
		fflush(f);
	}
	unlink(path);
	fclose(f);
	return 0;
}
