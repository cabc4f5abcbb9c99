/*
 * fr_delay.c - a TCP proxy that adds a fixed one-way delay, for latency
 * benchmarks on loopback (this kernel has no netem, so no `tc ... delay`).
 *
 *   fr_delay --listen 127.0.0.1:PORT --to 127.0.0.1:PORT --delay-ms MS
 *
 * Every byte read from one side is written to the other MS milliseconds
 * later (both directions, so the round trip grows by 2 x MS); bandwidth is
 * not limited, each direction buffers at most QUEUE_MAX bytes.  End of
 * stream is forwarded (after the same delay) as a half-close.  Two threads
 * per direction: one reads and stamps, one waits and writes.  It is a test
 * tool, not part of ferry: IPv4 literals only, it trusts its command line
 * and never exits by itself (stop it with a signal).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define QUEUE_MAX (16u * 1024u * 1024u)

struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t len; /* 0: end of stream */
	unsigned char data[];
};

struct dir {
	int from, to;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk *head, *tail;
	size_t queued;
	bool dead; /* the writer gave up: the reader stops too */
	struct link *link;
};

struct link {
	struct dir d[2];
	pthread_mutex_t mu;
	int refs; /* threads still running */
};

static int64_t delay_ns;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void link_unref(struct link *l)
{
	int left;

	pthread_mutex_lock(&l->mu);
	left = --l->refs;
	pthread_mutex_unlock(&l->mu);
	if (left > 0)
		return;
	close(l->d[0].from);
	close(l->d[0].to);
	for (int i = 0; i < 2; i++) {
		struct chunk *c = l->d[i].head, *n;

		for (; c; c = n) {
			n = c->next;
			free(c);
		}
	}
	free(l);
}

static void push(struct dir *d, struct chunk *c)
{
	pthread_mutex_lock(&d->mu);
	while (d->queued >= QUEUE_MAX && !d->dead)
		pthread_cond_wait(&d->cv, &d->mu);
	c->due_ns = now_ns() + delay_ns;
	if (d->tail)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += c->len;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void *reader(void *arg)
{
	struct dir *d = arg;
	struct chunk *c;
	ssize_t n;

	for (;;) {
		c = malloc(sizeof(*c) + CHUNK);
		if (!c)
			abort();
		c->next = NULL;
		do
			n = read(d->from, c->data, CHUNK);
		while (n < 0 && errno == EINTR);
		c->len = n > 0 ? (size_t)n : 0;
		push(d, c);
		if (n <= 0)
			break;
	}
	link_unref(d->link);
	return NULL;
}

static void *writer(void *arg)
{
	struct dir *d = arg;
	struct chunk *c;
	bool eof = false;

	while (!eof) {
		pthread_mutex_lock(&d->mu);
		while (!d->head)
			pthread_cond_wait(&d->cv, &d->mu);
		c = d->head;
		pthread_mutex_unlock(&d->mu);

		int64_t wait = c->due_ns - now_ns();
		if (wait > 0) {
			struct timespec ts = {(time_t)(wait / 1000000000),
					      (long)(wait % 1000000000)};
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
		size_t off = 0;
		while (off < c->len && !d->dead) {
			ssize_t w = write(d->to, c->data + off, c->len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				d->dead = true;
				break;
			}
			off += (size_t)w;
		}
		eof = c->len == 0 || d->dead;
		pthread_mutex_lock(&d->mu);
		d->head = c->next;
		if (!d->head)
			d->tail = NULL;
		d->queued -= c->len;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
		free(c);
	}
	if (d->dead) {
		/* wake the reader on both ends of this direction */
		shutdown(d->from, SHUT_RDWR);
		shutdown(d->to, SHUT_RDWR);
		pthread_mutex_lock(&d->mu);
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
	} else {
		shutdown(d->to, SHUT_WR);
	}
	link_unref(d->link);
	return NULL;
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void start(int a, const struct sockaddr_in *to)
{
	struct link *l;
	pthread_t t;
	int b, one = 1;

	b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b < 0 || connect(b, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		perror("fr_delay: connect");
		if (b >= 0)
			close(b);
		close(a);
		return;
	}
	setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	l = calloc(1, sizeof(*l));
	if (!l)
		abort();
	pthread_mutex_init(&l->mu, NULL);
	l->refs = 4;
	for (int i = 0; i < 2; i++) {
		l->d[i].from = i ? b : a;
		l->d[i].to = i ? a : b;
		l->d[i].link = l;
		pthread_mutex_init(&l->d[i].mu, NULL);
		pthread_cond_init(&l->d[i].cv, NULL);
	}
	for (int i = 0; i < 2; i++) {
		if (pthread_create(&t, NULL, reader, &l->d[i]) != 0 ||
		    pthread_detach(t) != 0 ||
		    pthread_create(&t, NULL, writer, &l->d[i]) != 0 ||
		    pthread_detach(t) != 0)
			abort();
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in lsa, to;
	const char *listen_s = NULL, *to_s = NULL;
	long ms = -1;
	int ls, one = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--listen") == 0)
			listen_s = argv[i + 1];
		else if (strcmp(argv[i], "--to") == 0)
			to_s = argv[i + 1];
		else if (strcmp(argv[i], "--delay-ms") == 0)
			ms = strtol(argv[i + 1], NULL, 10);
	}
	if (!listen_s || !to_s || ms < 0 || parse_addr(listen_s, &lsa) < 0 ||
	    parse_addr(to_s, &to) < 0) {
		fprintf(stderr, "usage: fr_delay --listen IP:PORT --to IP:PORT "
				"--delay-ms MS\n");
		return 2;
	}
	delay_ns = ms * 1000000;
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&lsa, sizeof(lsa)) < 0 ||
	    listen(ls, 128) < 0) {
		perror("fr_delay: listen");
		return 1;
	}
	for (;;) {
		int a = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

		if (a < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("fr_delay: accept");
			return 1;
		}
		start(a, &to);
	}
}
