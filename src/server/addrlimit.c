/*
 * addrlimit.c - connections per client address (see addrlimit.h).
 *
 * A fixed array of hash buckets, each a short list of live keys; a key is
 * freed when its last connection ends, so memory follows the connections
 * (at most one entry each), whatever addresses come and go.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ferry/err.h"
#include "addrlimit.h"

#define BUCKETS 4096u

struct entry {
	struct entry *next;
	struct addrkey k;
	uint64_t n;
};

struct addrlimit {
	uint64_t max;
	pthread_mutex_t mu; /* a leaf: guards the buckets */
	struct entry *b[BUCKETS];
};

int addrlimit_new(uint64_t max, struct addrlimit **out)
{
	struct addrlimit *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return FR_E_NOMEM;
	a->max = max;
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return FR_OK;
}

void addrlimit_free(struct addrlimit *a)
{
	struct entry *e, *next;
	size_t i;

	if (!a)
		return;
	for (i = 0; i < BUCKETS; i++)
		for (e = a->b[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&a->mu);
	free(a);
}

void addrkey_make(struct addrkey *k, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };

	memset(k, 0, sizeof(*k));
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET)
		memcpy(k->b, addr, 4);
	else if (family == AF_INET6)
		memcpy(k->b, addr, 8); /* the /64 */
	else
		return;
	k->family = family;
}

void addrkey_of_sockaddr(struct addrkey *k, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		addrkey_make(k, AF_INET, (const uint8_t *)&(
			(const struct sockaddr_in *)ss)->sin_addr);
	else if (ss->ss_family == AF_INET6)
		addrkey_make(k, AF_INET6,
			     ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr);
	else
		memset(k, 0, sizeof(*k));
}

static size_t bucket(const struct addrkey *k)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 1099511628211ull;
	return (size_t)((h ^ (uint64_t)k->family) % BUCKETS);
}

static bool same(const struct addrkey *x, const struct addrkey *y)
{
	return x->family == y->family && memcmp(x->b, y->b, sizeof(x->b)) == 0;
}

bool addrlimit_enter(struct addrlimit *a, const struct addrkey *k)
{
	struct entry *e;
	size_t h;
	bool ok = false;

	if (a->max == 0 || k->family == 0)
		return true;
	h = bucket(k);
	pthread_mutex_lock(&a->mu);
	for (e = a->b[h]; e && !same(&e->k, k); e = e->next)
		;
	if (e) {
		ok = e->n < a->max;
		e->n += ok;
	} else if ((e = calloc(1, sizeof(*e))) != NULL) {
		e->k = *k;
		e->n = 1;
		e->next = a->b[h];
		a->b[h] = e;
		ok = true;
	}
	pthread_mutex_unlock(&a->mu);
	return ok;
}

void addrlimit_leave(struct addrlimit *a, const struct addrkey *k)
{
	struct entry **pe, *e;

	if (a->max == 0 || k->family == 0)
		return;
	pthread_mutex_lock(&a->mu);
	for (pe = &a->b[bucket(k)]; (e = *pe) != NULL; pe = &e->next) {
		if (!same(&e->k, k))
			continue;
		if (--e->n == 0) {
			*pe = e->next;
			free(e);
		}
		break;
	}
	pthread_mutex_unlock(&a->mu);
}
