/*
 * faultproxy.c - a fault-injecting TCP proxy for the end-to-end tests
 * (this kernel has no netem).
 *
 * It listens on 127.0.0.1 (ephemeral port, written to --port-file),
 * forwards each accepted connection to --to HOST:PORT, and on the first
 * --faults connections (default 1; later ones pass clean, so a client that
 * retries gets through) injects, counting bytes per direction (--dir up =
 * client to server, down, or both):
 *   --delay MS        wait MS milliseconds before forwarding each chunk
 *   --rate BYTES      forward at most BYTES per second
 *   --cut-after N     close both sides (RST) once N bytes went through
 *   --stall-after N --stall S   forward nothing for S seconds at byte N
 *   --flip-at N       flip the lowest bit of byte N
 *   --mute-down-after N  once N bytes went up, drop what the server sends
 *                     and cut both sides 2 s later (an answer lost with
 *                     the connection, after the server acted on it)
 * and on every connection, like a load balancer's send-proxy:
 *   --proxy v1|v2|v2-local|raw:HEX   first send a PROXY protocol header
 *                     (v2-local: the LOCAL command of health checks;
 *                     raw: these bytes as they are, for malformed ones)
 *   --proxy-src ADDR:PORT   the client address the header carries
 *                     (default: the real one; [v6]:port allowed)
 *   --bind IPV4       connect to --to from this source address (a trusted
 *                     balancer's, e.g. 127.0.0.2)
 * Bounded: it exits after --max-seconds (default 120) and every child dies
 * with it.  It is a test tool: it trusts its command line and aborts on
 * its own mistakes.  Each fault is logged on stderr ("cut conn 1 up at N").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 16384

static struct {
	const char *to_host, *to_port, *port_file;
	int dir; /* 1 up, 2 down, 3 both */
	long delay_ms, rate;
	long long cut_after, stall_after, flip_at, mute_after;
	long stall_s, max_s, faults;
	const char *proxy, *proxy_src, *bind_ip;
} o = {.dir = 3,
       .cut_after = -1,
       .stall_after = -1,
       .flip_at = -1,
       .mute_after = -1,
       .max_s = 120,
       .faults = 1};

static void die(const char *what)
{
	fprintf(stderr, "faultproxy: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long long num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "faultproxy: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int dial(void)
{
	struct addrinfo hints, *res;
	int fd, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(o.to_host, o.to_port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && o.bind_ip) {
		struct sockaddr_in b;

		memset(&b, 0, sizeof b);
		b.sin_family = AF_INET;
		if (inet_pton(AF_INET, o.bind_ip, &b.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&b, sizeof b) != 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		                 sizeof one);
	return fd;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Close with a reset, as a dropped link looks to the peers. */
static void hard_close(int fd)
{
	struct linger l = {1, 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd);
}

/* The PROXY header --proxy asks for, in hdr; its length. */
static size_t proxy_header(int cfd, unsigned char *hdr, size_t cap)
{
	static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
	                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
	struct sockaddr_in peer, me;
	socklen_t l1 = sizeof peer, l2 = sizeof me;
	unsigned char src[16], dst[16];
	char ip[64], sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
	unsigned sport, dport;
	int fam = AF_INET;
	size_t n = 0, i;

	getpeername(cfd, (struct sockaddr *)&peer, &l1);
	getsockname(cfd, (struct sockaddr *)&me, &l2);
	memcpy(src, &peer.sin_addr, 4);
	memcpy(dst, &me.sin_addr, 4);
	sport = ntohs(peer.sin_port);
	dport = ntohs(me.sin_port);
	if (o.proxy_src) {
		const char *c = strrchr(o.proxy_src, ':');
		size_t k = c ? (size_t)(c - o.proxy_src) : 0;

		if (!c || k + 1 > sizeof ip)
			exit(2);
		memcpy(ip, o.proxy_src, k);
		ip[k] = '\0';
		if (ip[0] == '[') {
			memmove(ip, ip + 1, k);
			ip[k - 2] = '\0';
			fam = AF_INET6;
		}
		if (inet_pton(fam, ip, src) != 1) {
			fprintf(stderr, "faultproxy: bad --proxy-src\n");
			exit(2);
		}
		sport = (unsigned)strtoul(c + 1, NULL, 10);
		if (fam == AF_INET6) { /* dst as IPv4-mapped IPv6 */
			memset(dst + 12, 0, 4);
			memcpy(dst + 12, &me.sin_addr, 4);
			memset(dst, 0, 10);
			dst[10] = dst[11] = 0xff;
		}
	}
	if (!strncmp(o.proxy, "raw:", 4)) {
		for (i = 4; o.proxy[i] && o.proxy[i + 1] && n < cap; i += 2)
			sscanf(o.proxy + i, "%2hhx", &hdr[n++]);
		return n;
	}
	if (!strcmp(o.proxy, "v1")) {
		inet_ntop(fam, src, sip, sizeof sip);
		inet_ntop(fam, dst, dip, sizeof dip);
		return (size_t)snprintf((char *)hdr, cap, "PROXY %s %s %s %u %u\r\n",
		                        fam == AF_INET ? "TCP4" : "TCP6", sip, dip,
		                        sport, dport);
	}
	memcpy(hdr, sig, 12);
	if (!strcmp(o.proxy, "v2-local")) {
		hdr[12] = 0x20;
		hdr[13] = hdr[14] = hdr[15] = 0;
		return 16;
	}
	n = fam == AF_INET ? 4 : 16;
	hdr[12] = 0x21;
	hdr[13] = fam == AF_INET ? 0x11 : 0x21;
	hdr[14] = 0;
	hdr[15] = (unsigned char)(2 * n + 4);
	memcpy(hdr + 16, src, n);
	memcpy(hdr + 16 + n, dst, n);
	hdr[16 + 2 * n] = (unsigned char)(sport >> 8);
	hdr[17 + 2 * n] = (unsigned char)sport;
	hdr[18 + 2 * n] = (unsigned char)(dport >> 8);
	hdr[19 + 2 * n] = (unsigned char)dport;
	return 20 + 2 * n;
}

static void serve(int cfd, long id)
{
	static const char *dname[] = {"", "up", "down"};
	unsigned char buf[CHUNK];
	long long count[3] = {0, 0, 0};
	bool faulty = id <= o.faults, stalled[3] = {false, false, false};
	bool muted = false;
	struct timespec mute_t0 = {0, 0}, t;
	struct pollfd pf[2];
	int sfd = dial(), fds[3], i, d;
	ssize_t n;
	size_t want;

	if (sfd < 0) {
		fprintf(stderr, "faultproxy: conn %ld: cannot reach %s:%s\n",
		        id, o.to_host, o.to_port);
		close(cfd);
		return;
	}
	if (o.proxy) {
		size_t hl = proxy_header(cfd, buf, sizeof buf);

		if (write_all(sfd, buf, hl) < 0)
			goto out;
	}
	fds[1] = cfd; /* up: read the client, write the server */
	fds[2] = sfd;
	for (;;) {
		pf[0].fd = cfd;
		pf[1].fd = sfd;
		pf[0].events = pf[1].events = POLLIN;
		if (muted) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - mute_t0.tv_sec >= 2) {
				fprintf(stderr,
				        "faultproxy: muted conn %ld cut\n", id);
				hard_close(cfd);
				hard_close(sfd);
				return;
			}
		}
		if (poll(pf, 2, muted ? 100 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			d = i + 1;
			want = sizeof buf;
			if (faulty && (o.dir & d) && o.rate > 0 &&
			    want > (size_t)(o.rate / 20 + 1))
				want = (size_t)(o.rate / 20 + 1);
			n = read(fds[d], buf, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* one side closed: pass it on, then stop */
				shutdown(fds[d == 1 ? 2 : 1], SHUT_WR);
				goto drain;
			}
			if (faulty && (o.dir & d)) {
				long long a = count[d], b = a + n;

				if (o.flip_at >= a && o.flip_at < b) {
					buf[o.flip_at - a] ^= 1;
					fprintf(
					    stderr,
					    "faultproxy: flip conn %ld %s at "
					    "%lld\n",
					    id, dname[d], o.flip_at);
				}
				if (o.cut_after >= 0 && b > o.cut_after) {
					n = (ssize_t)(o.cut_after - a);
					if (n > 0)
						(void)write_all(
						    fds[d == 1 ? 2 : 1], buf,
						    (size_t)n);
					fprintf(
					    stderr,
					    "faultproxy: cut conn %ld %s at "
					    "%lld\n",
					    id, dname[d], o.cut_after);
					hard_close(cfd);
					hard_close(sfd);
					return;
				}
				if (o.stall_after >= 0 && !stalled[d] &&
				    b > o.stall_after) {
					stalled[d] = true;
					fprintf(
					    stderr,
					    "faultproxy: stall conn %ld %s at "
					    "%lld for %ld s\n",
					    id, dname[d], o.stall_after,
					    o.stall_s);
					sleep_ms(o.stall_s * 1000);
				}
				if (o.delay_ms > 0)
					sleep_ms(o.delay_ms);
				if (o.rate > 0)
					sleep_ms((long)(n * 1000 / o.rate));
			}
			count[d] += n;
			if (faulty && o.mute_after >= 0 && !muted &&
			    count[1] >= o.mute_after) {
				muted = true;
				clock_gettime(CLOCK_MONOTONIC, &mute_t0);
				fprintf(stderr,
				        "faultproxy: mute conn %ld down after "
				        "%lld up\n",
				        id, count[1]);
			}
			if (muted && d == 2)
				continue; /* the answer is lost */
			if (write_all(fds[d == 1 ? 2 : 1], buf, (size_t)n) < 0)
				goto out;
		}
	}
drain:
	/* forward the other direction until it ends too */
	for (;;) {
		d = 0;
		pf[0].fd = cfd;
		pf[1].fd = sfd;
		pf[0].events = pf[1].events = POLLIN;
		if (poll(pf, 2, 5000) <= 0)
			break;
		for (i = 0; i < 2; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pf[i].fd, buf, sizeof buf);
			if (n <= 0)
				goto out;
			if (write_all(pf[1 - i].fd, buf, (size_t)n) < 0)
				goto out;
			d = 1;
		}
		if (!d)
			break;
	}
out:
	close(cfd);
	close(sfd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},
	    {"port-file", required_argument, NULL, 'p'},
	    {"dir", required_argument, NULL, 'd'},
	    {"delay", required_argument, NULL, 'D'},
	    {"rate", required_argument, NULL, 'r'},
	    {"cut-after", required_argument, NULL, 'c'},
	    {"stall-after", required_argument, NULL, 'a'},
	    {"stall", required_argument, NULL, 's'},
	    {"flip-at", required_argument, NULL, 'f'},
	    {"faults", required_argument, NULL, 'F'},
	    {"max-seconds", required_argument, NULL, 'm'},
	    {"proxy", required_argument, NULL, 'P'},
	    {"proxy-src", required_argument, NULL, 'S'},
	    {"bind", required_argument, NULL, 'B'},
	    {"mute-down-after", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	char *colon;
	long id = 0;
	int c, lfd, cfd, one = 1;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.to_host = strdup(optarg);
			colon = strrchr(o.to_host, ':');
			if (!colon) {
				fprintf(stderr, "faultproxy: --to HOST:PORT\n");
				return 2;
			}
			*colon = '\0';
			o.to_port = colon + 1;
			break;
		case 'p':
			o.port_file = optarg;
			break;
		case 'd':
			o.dir = !strcmp(optarg, "up")     ? 1
			        : !strcmp(optarg, "down") ? 2
			                                  : 3;
			break;
		case 'D':
			o.delay_ms = (long)num(optarg);
			break;
		case 'r':
			o.rate = (long)num(optarg);
			break;
		case 'c':
			o.cut_after = num(optarg);
			break;
		case 'a':
			o.stall_after = num(optarg);
			break;
		case 's':
			o.stall_s = (long)num(optarg);
			break;
		case 'f':
			o.flip_at = num(optarg);
			break;
		case 'F':
			o.faults = (long)num(optarg);
			break;
		case 'm':
			o.max_s = (long)num(optarg);
			break;
		case 'P':
			o.proxy = optarg;
			break;
		case 'S':
			o.proxy_src = optarg;
			break;
		case 'B':
			o.bind_ip = optarg;
			break;
		case 'M':
			o.mute_after = num(optarg);
			break;
		default:
			fprintf(stderr, "faultproxy: bad option\n");
			return 2;
		}
	}
	if (!o.to_host || !o.port_file) {
		fprintf(stderr,
		        "faultproxy: --to and --port-file are needed\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	alarm((unsigned)o.max_s);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 64) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl))
		die("listen");
	f = fopen(o.port_file, "w");
	if (!f || fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(f))
		die("port file");
	for (;;) {
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
		                 sizeof one);
		id++;
		switch (fork()) {
		case -1:
			die("fork");
			break;
		case 0:
			close(lfd);
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			serve(cfd, id);
			_exit(0);
		default:
			close(cfd);
		}
	}
}
