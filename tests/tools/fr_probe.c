/*
 * fr_probe.c - a raw protocol client for the end-to-end tests.
 *
 * It speaks TLS with ferry's own context set-up (tls.h) but builds frames
 * by hand, so scripts can send what ferry never would: bad lengths, bad
 * JSON, hostile paths, short bodies, connections dropped mid-body.  It is a
 * test tool, not part of ferry: it trusts its command line and aborts on
 * its own mistakes.
 *
 *   fr_probe -s HOST:PORT --ca FILE [--cert FILE --key FILE]
 *            [--servername NAME] [--timeout SECS] [--rcvbuf BYTES] < script
 *   fr_probe ... --hold N --seconds S [--no-hello]
 *
 * Script lines (stdin, one command per line; '#' comments):
 *   send TEXT        one frame whose payload is TEXT (the rest of the line)
 *   sendhex HEX      one frame whose payload is the decoded HEX
 *   raw HEX          the decoded bytes as they are, no framing
 *   body N [zero|random]   N body bytes (default zero)
 *   bodyfile PATH    the bytes of PATH
 *   recv             read one response frame, print its payload as a line;
 *                    or EOF (close_notify), TRUNCATED (closed without it),
 *                    TIMEOUT, BADFRAME L, ERROR text
 *   recvbody N       read N raw bytes and print "BODY N SHA256" (or the
 *                    same words as recv when it ends early: "EOF after K")
 *   trickle SECS TEXT  the frame of TEXT one byte per TLS record, SECS
 *                    apart (a slow-loris client); prints "TRICKLED N" or
 *                    the failure word
 *   sleep SECS       pause (fractions allowed)
 *   close            send close_notify and close the socket
 *   abort            close the socket without close_notify
 * Output lines go to stdout, flushed after each; problems with the probe
 * itself go to stderr with exit 2.  A failed connection or handshake prints
 * "CONNECT-FAILED text" / "HANDSHAKE-FAILED text" and exits 3.
 *
 * --hold N opens N connections, completes every handshake (and a hello
 * round trip unless --no-hello), prints "held N", keeps them idle for
 * --seconds S, then closes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ferry/addr.h"
#include "ferry/err.h"
#include "ferry/hash.h"
#include "ferry/limits.h"
#include "ferry/tls.h"

#define FR_E_PROBE_TIMEOUT (-999)

struct probe {
	int fd;
	struct fr_tls *tls;
};

static double g_timeout = 10.0;
static int g_rcvbuf; /* SO_RCVBUF before connecting, 0: the default */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("fr_probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Wait until fd is ready for what the TLS layer wants, or the deadline. */
static int wait_fd(int fd, int want, double deadline)
{
	struct pollfd pfd = { .fd = fd };
	double left;
	int r;

	pfd.events = want == FR_TLS_WANT_WRITE ? POLLOUT : POLLIN;
	for (;;) {
		left = deadline - now();
		if (left <= 0)
			return FR_E_PROBE_TIMEOUT;
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return FR_OK;
		if (r < 0 && errno != EINTR)
			return FR_E_TLS;
	}
}

static int tcp_connect(const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	char portstr[8];
	int fd = -1;

	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (g_rcvbuf)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &g_rcvbuf,
				   sizeof g_rcvbuf);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int probe_handshake(struct probe *p)
{
	double deadline = now() + g_timeout;
	int r;

	for (;;) {
		r = fr_tls_handshake(p->tls);
		if (r == FR_OK)
			return FR_OK;
		if (r != FR_TLS_WANT_READ && r != FR_TLS_WANT_WRITE)
			return r;
		r = wait_fd(p->fd, r, deadline);
		if (r != FR_OK)
			return r;
	}
}

static int write_all(struct probe *p, const void *buf, size_t n)
{
	const uint8_t *b = buf;
	double deadline = now() + g_timeout;
	size_t wrote;
	int r;

	while (n > 0) {
		r = fr_tls_write(p->tls, b, n, &wrote);
		if (r == FR_OK) {
			b += wrote;
			n -= wrote;
			deadline = now() + g_timeout;
			continue;
		}
		if (r != FR_TLS_WANT_READ && r != FR_TLS_WANT_WRITE)
			return r;
		r = wait_fd(p->fd, r, deadline);
		if (r != FR_OK)
			return r;
	}
	return FR_OK;
}

/* Read exactly n bytes; *got says how many arrived before a failure. */
static int read_exact(struct probe *p, void *buf, size_t n, size_t *got)
{
	uint8_t *b = buf;
	double deadline = now() + g_timeout;
	size_t k;
	int r;

	*got = 0;
	while (*got < n) {
		r = fr_tls_read(p->tls, b + *got, n - *got, &k);
		if (r == FR_OK) {
			*got += k;
			continue;
		}
		if (r != FR_TLS_WANT_READ && r != FR_TLS_WANT_WRITE)
			return r;
		r = wait_fd(p->fd, r, deadline);
		if (r != FR_OK)
			return r;
	}
	return FR_OK;
}

static const char *fail_word(int r)
{
	switch (r) {
	case FR_E_CLOSED:
		return "EOF";
	case FR_E_TRUNCATED:
		return "TRUNCATED";
	case FR_E_PROBE_TIMEOUT:
		return "TIMEOUT";
	default:
		return "ERROR";
	}
}

static void report_fail(struct probe *p, const char *what, int r, size_t got)
{
	if (r == FR_E_CLOSED || r == FR_E_TRUNCATED || r == FR_E_PROBE_TIMEOUT)
		out("%s%s", fail_word(r), got ? " (partial)" : "");
	else
		out("ERROR %s: %s", what, p->tls ? fr_tls_error(p->tls) : "?");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (spaces allowed between bytes) into a fresh buffer. */
static uint8_t *unhex(const char *s, size_t *n)
{
	uint8_t *b = malloc(strlen(s) / 2 + 1);
	size_t k = 0;
	int hi, lo;

	if (!b)
		die("out of memory");
	while (*s) {
		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0)
			die("bad hex near '%s'", s);
		b[k++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*n = k;
	return b;
}

static int send_frame(struct probe *p, const void *payload, size_t len)
{
	uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
			   (uint8_t)(len >> 8), (uint8_t)len };
	int r = write_all(p, hdr, sizeof hdr);

	return r == FR_OK ? write_all(p, payload, len) : r;
}

static void do_recv(struct probe *p)
{
	uint8_t hdr[4];
	uint8_t *body;
	size_t got;
	uint32_t len;
	int r;

	r = read_exact(p, hdr, sizeof hdr, &got);
	if (r != FR_OK) {
		report_fail(p, "recv", r, got);
		return;
	}
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	      (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > FR_MAX_RESPONSE) {
		out("BADFRAME %u", len);
		return;
	}
	body = malloc(len);
	if (!body)
		die("out of memory");
	r = read_exact(p, body, len, &got);
	if (r != FR_OK)
		report_fail(p, "recv", r, got);
	else
		out("%.*s", (int)len, (const char *)body);
	free(body);
}

static void do_recvbody(struct probe *p, unsigned long long n)
{
	struct fr_sha256 *h = fr_sha256_new();
	char hex[FR_SHA256_HEX];
	static uint8_t chunk[65536];
	unsigned long long total = 0;
	size_t want, got;
	int r = FR_OK;

	if (!h)
		die("out of memory");
	while (total < n) {
		want = n - total < sizeof chunk ? (size_t)(n - total) : sizeof chunk;
		r = read_exact(p, chunk, want, &got);
		fr_sha256_update(h, chunk, got);
		total += got;
		if (r != FR_OK)
			break;
	}
	if (r != FR_OK) {
		if (r == FR_E_CLOSED || r == FR_E_TRUNCATED || r == FR_E_PROBE_TIMEOUT)
			out("%s after %llu", fail_word(r), total);
		else
			out("ERROR recvbody after %llu: %s", total, fr_tls_error(p->tls));
	} else {
		fr_sha256_final_hex(h, hex);
		out("BODY %llu %s", n, hex);
	}
	fr_sha256_free(h);
}

static void do_body(struct probe *p, unsigned long long n, bool rnd)
{
	static uint8_t chunk[65536];
	size_t k, i;
	int r;

	memset(chunk, 0, sizeof chunk);
	while (n > 0) {
		k = n < sizeof chunk ? (size_t)n : sizeof chunk;
		if (rnd)
			for (i = 0; i < k; i++)
				chunk[i] = (uint8_t)random();
		r = write_all(p, chunk, k);
		if (r != FR_OK) {
			report_fail(p, "body", r, 0);
			return;
		}
		n -= k;
	}
}

static void do_bodyfile(struct probe *p, const char *path)
{
	static uint8_t chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t k;
	int r;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
		r = write_all(p, chunk, k);
		if (r != FR_OK) {
			report_fail(p, "bodyfile", r, 0);
			break;
		}
	}
	fclose(f);
}

static void probe_close(struct probe *p, bool notify)
{
	if (p->tls && notify)
		fr_tls_close(p->tls);
	fr_tls_free(p->tls);
	p->tls = NULL;
	if (p->fd >= 0) {
		if (!notify) {
			/* An abortive close: RST, like a killed client. */
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(p->fd);
	}
	p->fd = -1;
}

static unsigned long long parse_ull(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		die("bad number '%s'", s);
	return v;
}

static void run_script(struct probe *p)
{
	char *line = NULL, *arg;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		else
			arg = line + n;

		if (strcmp(line, "sleep") == 0) {
			double s = strtod(arg, NULL);
			struct timespec ts = { (time_t)s,
					       (long)((s - (double)(time_t)s) * 1e9) };
			nanosleep(&ts, NULL);
			continue;
		}
		if (p->fd < 0) {
			out("ERROR not connected: %s", line);
			continue;
		}
		if (strcmp(line, "send") == 0) {
			int r = send_frame(p, arg, strlen(arg));
			if (r != FR_OK)
				report_fail(p, "send", r, 0);
		} else if (strcmp(line, "sendhex") == 0 || strcmp(line, "raw") == 0) {
			size_t len;
			uint8_t *b = unhex(arg, &len);
			int r = line[0] == 's' ? send_frame(p, b, len)
					       : write_all(p, b, len);
			if (r != FR_OK)
				report_fail(p, line, r, 0);
			free(b);
		} else if (strcmp(line, "trickle") == 0) {
			char *text = strchr(arg, ' ');
			double s = strtod(arg, NULL);
			struct timespec ts = { (time_t)s,
					       (long)((s - (double)(time_t)s) * 1e9) };
			size_t len, i;
			uint8_t hdr[4];
			int r = FR_OK;

			text = text ? text + 1 : arg + strlen(arg);
			len = strlen(text);
			hdr[0] = (uint8_t)(len >> 24), hdr[1] = (uint8_t)(len >> 16);
			hdr[2] = (uint8_t)(len >> 8), hdr[3] = (uint8_t)len;
			for (i = 0; i < 4 + len && r == FR_OK; i++) {
				r = write_all(p, i < 4 ? &hdr[i] : (uint8_t *)&text[i - 4], 1);
				if (r == FR_OK && i + 1 < 4 + len)
					nanosleep(&ts, NULL);
			}
			if (r == FR_OK)
				out("TRICKLED %zu", i);
			else
				report_fail(p, "trickle", r, 0);
		} else if (strcmp(line, "body") == 0) {
			char *mode = strchr(arg, ' ');
			if (mode)
				*mode++ = '\0';
			do_body(p, parse_ull(arg), mode && strcmp(mode, "random") == 0);
		} else if (strcmp(line, "bodyfile") == 0) {
			do_bodyfile(p, arg);
		} else if (strcmp(line, "recv") == 0) {
			do_recv(p);
		} else if (strcmp(line, "recvbody") == 0) {
			do_recvbody(p, parse_ull(arg));
		} else if (strcmp(line, "close") == 0) {
			probe_close(p, true);
		} else if (strcmp(line, "abort") == 0) {
			probe_close(p, false);
		} else {
			die("unknown script command '%s'", line);
		}
	}
	free(line);
}

static void usage(void)
{
	fputs("usage: fr_probe -s HOST:PORT --ca FILE [--cert FILE --key FILE]\n"
	      "                [--servername NAME] [--timeout SECS] [--rcvbuf BYTES]\n"
	      "                [--hold N --seconds S [--no-hello]] < script\n",
	      stderr);
	exit(2);
}

static int open_probe(struct fr_tls_ctx *ctx, const char *host, uint16_t port,
		      const char *servername, struct probe *p)
{
	int r;

	p->tls = NULL;
	p->fd = tcp_connect(host, port);
	if (p->fd < 0) {
		out("CONNECT-FAILED %s:%u: %s", host, (unsigned)port, strerror(errno));
		return FR_E_CONNECT;
	}
	r = fr_tls_new(ctx, p->fd, servername, &p->tls);
	if (r != FR_OK)
		die("fr_tls_new failed: %s", fr_err_str(r));
	r = probe_handshake(p);
	if (r != FR_OK) {
		out("HANDSHAKE-FAILED %s",
		    r == FR_E_PROBE_TIMEOUT ? "timeout" : fr_tls_error(p->tls));
		return r;
	}
	return FR_OK;
}

int main(int argc, char **argv)
{
	struct fr_tls_conf conf = { 0 };
	struct fr_tls_ctx *ctx = NULL;
	const char *server = NULL, *servername = NULL, *why = NULL;
	char host[256], err[512];
	uint16_t port = 0;
	unsigned long hold = 0;
	double seconds = 0;
	bool hello = true;
	int i, r;

	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-hello") == 0) {
			hello = false;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(a, "-s") == 0)
			server = v;
		else if (strcmp(a, "--ca") == 0)
			conf.ca = v;
		else if (strcmp(a, "--cert") == 0)
			conf.cert = v;
		else if (strcmp(a, "--key") == 0)
			conf.key = v;
		else if (strcmp(a, "--servername") == 0)
			servername = v;
		else if (strcmp(a, "--timeout") == 0)
			g_timeout = strtod(v, NULL);
		else if (strcmp(a, "--rcvbuf") == 0)
			g_rcvbuf = (int)parse_ull(v);
		else if (strcmp(a, "--hold") == 0)
			hold = (unsigned long)parse_ull(v);
		else if (strcmp(a, "--seconds") == 0)
			seconds = strtod(v, NULL);
		else
			usage();
		i++;
	}
	if (!server || !conf.ca)
		usage();
	if (fr_hostport_parse(server, FR_DEFAULT_PORT, host, sizeof host, &port,
			      &why) != FR_OK)
		die("bad -s %s: %s", server, why ? why : "?");
	if (!servername)
		servername = host;
	r = fr_tls_ctx_new_client(&conf, &ctx, err, sizeof err);
	if (r != FR_OK)
		die("TLS set-up failed: %s", err);

	if (hold > 0) {
		struct probe *ps = calloc(hold, sizeof *ps);
		static const char hello_req[] =
			"{\"op\":\"hello\",\"version\":1,\"client\":\"fr_probe\"}";
		unsigned long k;
		int rc = 0;

		if (!ps)
			die("out of memory");
		for (k = 0; k < hold; k++)
			ps[k].fd = -1;
		for (k = 0; k < hold && rc == 0; k++) {
			if (open_probe(ctx, host, port, servername, &ps[k]) != FR_OK) {
				rc = 3;
				break;
			}
			if (hello) {
				uint8_t hdr[4] = { 0 };
				uint8_t buf[4096];
				size_t got;
				uint32_t len;

				r = send_frame(&ps[k], hello_req, sizeof hello_req - 1);
				if (r == FR_OK)
					r = read_exact(&ps[k], hdr, 4, &got);
				len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
				      (uint32_t)hdr[2] << 8 | hdr[3];
				if (r == FR_OK && (len == 0 || len > sizeof buf))
					r = FR_E_PROTOCOL;
				if (r == FR_OK)
					r = read_exact(&ps[k], buf, len, &got);
				if (r == FR_OK && !memmem(buf, len, "\"ok\"", 4)) {
					out("HELLO-REFUSED %lu %.*s", k, (int)len, (char *)buf);
					rc = 1;
				} else if (r != FR_OK) {
					out("HELLO-FAILED %lu %s", k, fail_word(r));
					rc = 1;
				}
			}
		}
		if (rc == 0) {
			struct timespec ts = { (time_t)seconds,
					       (long)((seconds - (double)(time_t)seconds) * 1e9) };
			out("held %lu", hold);
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
		for (k = 0; k < hold; k++)
			probe_close(&ps[k], true);
		free(ps);
		fr_tls_ctx_free(ctx);
		return rc;
	} else {
		struct probe p;

		r = open_probe(ctx, host, port, servername, &p);
		if (r != FR_OK) {
			probe_close(&p, false);
			fr_tls_ctx_free(ctx);
			return 3;
		}
		run_script(&p);
		probe_close(&p, true);
	}
	fr_tls_ctx_free(ctx);
	return 0;
}
