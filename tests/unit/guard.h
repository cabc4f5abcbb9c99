/*
 * guard.h - test helper: place bytes right before an unreadable page.
 *
 * guard_put() copies n bytes so that the last one is the final byte of a
 * readable page and the next page is PROT_NONE: a parser that reads even
 * one byte past its input crashes the test instead of passing by luck
 * (the picohttpparser trick).  Header-only so every unit test stays one
 * file linked only against ferrycore.
 */
#ifndef FERRY_TEST_GUARD_H
#define FERRY_TEST_GUARD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
	uint8_t *map;
	size_t maplen;
};

/* Returns a pointer p such that p[0..n) holds src and p[n] faults. */
static inline uint8_t *guard_put(struct guard *g, const void *src, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + pg - 1) / pg;
	if (data_pages == 0)
		data_pages = 1;
	g->maplen = (data_pages + 1) * pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		abort();
	uint8_t *guard_page = g->map + data_pages * pg;
	if (mprotect(guard_page, pg, PROT_NONE) != 0)
		abort();
	uint8_t *p = guard_page - n;
	if (n)
		memcpy(p, src, n);
	return p;
}

static inline void guard_free(struct guard *g)
{
	munmap(g->map, g->maplen);
	g->map = NULL;
}

#endif
