/*
 * fr_fakesrv.c - a scripted TLS server for the end-to-end tests: a hostile
 * or old server that the real ferryd would never be.
 *
 * It serves mutual TLS with ferry's own context set-up (tls.h) on
 * 127.0.0.1 (an ephemeral port, written to --port-file), and runs the
 * script on each accepted connection, one at a time:
 *
 *   fr_fakesrv --cert F --key F --ca F --port-file F --script F
 *              [--conns N] [--log F]
 *
 * Script lines ('#' comments):
 *   read          read one request frame; its payload goes to --log
 *   skip N        read and drop N raw bytes (a put body)
 *   send JSON     send one frame with the rest of the line as payload
 *   sendhex HEX   send one frame whose payload is the decoded HEX
 *   raw N         send N raw body bytes ('x')
 *   hello V       read the hello and answer it as a server of version V
 *   repeat N      run the lines after it, up to "end", N times
 *   end
 *   close         close_notify and close the connection
 * After the last line (or --conns connections) it closes and exits 0.
 * It is a test tool: it trusts its script and aborts on its own
 * mistakes; every wait is bounded (10 s), and it exits by itself after
 * 60 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/tls.h"

#define MAX_LINES 4096

static FILE *g_log;
static char *g_lines[MAX_LINES];
static int g_n;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("fr_fakesrv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void wait_fd(int fd, int want)
{
	struct pollfd p = {.fd = fd, .events = want == FR_TLS_WANT_WRITE ? POLLOUT : POLLIN};

	if (poll(&p, 1, 10000) <= 0)
		die("peer silent for 10 s");
}

static bool io(struct fr_tls *t, int fd, bool wr, void *buf, size_t n)
{
	uint8_t *b = buf;
	size_t k;
	int r;

	while (n > 0) {
		r = wr ? fr_tls_write(t, b, n, &k) : fr_tls_read(t, b, n, &k);
		if (r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE) {
			wait_fd(fd, r);
			continue;
		}
		if (r != FR_OK)
			return false; /* the client went away: fine for us */
		b += k;
		n -= k;
	}
	return true;
}

static bool send_frame(struct fr_tls *t, int fd, const void *p, size_t n)
{
	uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};

	return io(t, fd, true, hdr, 4) && io(t, fd, true, (void *)p, n);
}

static bool read_frame(struct fr_tls *t, int fd)
{
	static uint8_t buf[FR_MAX_REQUEST + 1];
	uint8_t hdr[4];
	uint32_t n;

	if (!io(t, fd, false, hdr, 4))
		return false;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > FR_MAX_REQUEST)
		die("bad request frame length %u", n);
	if (!io(t, fd, false, buf, n))
		return false;
	buf[n] = '\0';
	if (g_log) {
		fprintf(g_log, "%s\n", (char *)buf);
		fflush(g_log);
	}
	return true;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < cap) {
		if (sscanf(s, "%2x", &v) != 1)
			die("bad hex '%s'", s);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Run lines [from, to); false when the client went away. */
static bool run(struct fr_tls *t, int fd, int from, int to)
{
	static uint8_t buf[FR_MAX_RESPONSE];
	char *l, *arg;
	long n;
	int i, j, depth;

	for (i = from; i < to; i++) {
		l = g_lines[i];
		arg = strchr(l, ' ');
		arg = arg ? arg + 1 : l + strlen(l);
		if (!strncmp(l, "read", 4) && l[4] == '\0') {
			if (!read_frame(t, fd))
				return false;
		} else if (!strncmp(l, "skip ", 5)) {
			for (n = strtol(arg, NULL, 10); n > 0;) {
				size_t k = n > (long)sizeof buf ? sizeof buf : (size_t)n;

				if (!io(t, fd, false, buf, k))
					return false;
				n -= (long)k;
			}
		} else if (!strncmp(l, "send ", 5)) {
			if (!send_frame(t, fd, arg, strlen(arg)))
				return false;
		} else if (!strncmp(l, "sendhex ", 8)) {
			n = (long)unhex(arg, buf, sizeof buf);
			if (!send_frame(t, fd, buf, (size_t)n))
				return false;
		} else if (!strncmp(l, "raw ", 4)) {
			n = strtol(arg, NULL, 10);
			if (n < 0 || n > (long)sizeof buf)
				die("raw %ld: too much", n);
			memset(buf, 'x', (size_t)n);
			if (!io(t, fd, true, buf, (size_t)n))
				return false;
		} else if (!strncmp(l, "hello ", 6)) {
			char h[256];

			if (!read_frame(t, fd))
				return false;
			snprintf(h, sizeof h,
				 "{\"status\":\"ok\",\"version\":%ld,\"server\":\"fakesrv/%ld\","
				 "\"identity\":\"alice\",\"perms\":\"rwld\"}",
				 strtol(arg, NULL, 10), strtol(arg, NULL, 10));
			if (!send_frame(t, fd, h, strlen(h)))
				return false;
		} else if (!strncmp(l, "repeat ", 7)) {
			for (j = i + 1, depth = 1; j < to && depth > 0; j++)
				depth += !strncmp(g_lines[j], "repeat ", 7) -
					 !strcmp(g_lines[j], "end");
			for (n = strtol(arg, NULL, 10); n > 0; n--)
				if (!run(t, fd, i + 1, j - 1))
					return false;
			i = j - 1;
		} else if (!strcmp(l, "end")) {
			continue;
		} else if (!strcmp(l, "close")) {
			fr_tls_close(t);
			return false;
		} else {
			die("unknown script line '%s'", l);
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cert", required_argument, NULL, 'c'}, {"key", required_argument, NULL, 'k'},
		{"ca", required_argument, NULL, 'a'},   {"port-file", required_argument, NULL, 'p'},
		{"script", required_argument, NULL, 's'}, {"conns", required_argument, NULL, 'n'},
		{"log", required_argument, NULL, 'l'},  {NULL, 0, NULL, 0},
	};
	struct fr_tls_conf conf = {0};
	struct fr_tls_ctx *ctx = NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof sa;
	const char *pf = NULL, *script = NULL;
	char err[512], line[FR_MAX_RESPONSE * 2 + 16];
	long conns = 1;
	FILE *f;
	int c, lfd, fd, r, one = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': conf.cert = optarg; break;
		case 'k': conf.key = optarg; break;
		case 'a': conf.ca = optarg; break;
		case 'p': pf = optarg; break;
		case 's': script = optarg; break;
		case 'n': conns = strtol(optarg, NULL, 10); break;
		case 'l':
			g_log = fopen(optarg, "w");
			if (!g_log)
				die("--log %s: %s", optarg, strerror(errno));
			break;
		default: die("usage: see the comment at the top of fr_fakesrv.c");
		}
	}
	if (!pf || !script || !conf.cert)
		die("--cert, --key, --ca, --port-file and --script are required");
	f = fopen(script, "r");
	if (!f)
		die("%s: %s", script, strerror(errno));
	while (g_n < MAX_LINES && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && line[0] != '#')
			g_lines[g_n++] = strdup(line);
	}
	fclose(f);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	if (fr_tls_ctx_new_server(&conf, &ctx, err, sizeof err) != FR_OK)
		die("%s", err);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl))
		die("listen: %s", strerror(errno));
	f = fopen(pf, "w");
	if (!f || fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(f))
		die("--port-file %s", pf);
	for (; conns > 0; conns--) {
		struct fr_tls *t = NULL;

		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			die("accept: %s", strerror(errno));
		if (fr_tls_new(ctx, fd, NULL, &t) != FR_OK)
			die("fr_tls_new");
		while ((r = fr_tls_handshake(t)) == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE)
			wait_fd(fd, r);
		if (r == FR_OK && run(t, fd, 0, g_n))
			fr_tls_close(t);
		fr_tls_free(t);
		close(fd);
	}
	fr_tls_ctx_free(ctx);
	return 0;
}
