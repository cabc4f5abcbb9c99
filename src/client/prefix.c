/*
 * prefix.c - a local file's prefix hashed in pieces, with snapshots
 * (prefix.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "ferry/limits.h"

#include "prefix.h"

void prefix_init(struct prefix *p, struct fr_sha256 *h)
{
	p->h = h;
	p->pos = 0;
	p->snap = NULL;
	p->n_snap = 0;
	p->buf = NULL;
}

void prefix_drop_snaps(struct prefix *p)
{
	size_t i;

	for (i = 0; i < p->n_snap; i++)
		fr_sha256_free(p->snap[i]);
	free(p->snap);
	p->snap = NULL;
	p->n_snap = 0;
}

void prefix_reset(struct prefix *p)
{
	prefix_drop_snaps(p);
	p->pos = 0;
	fr_sha256_reset(p->h);
}

void prefix_cleanup(struct prefix *p)
{
	prefix_drop_snaps(p);
	free(p->buf);
	p->buf = NULL;
}

int prefix_step(struct prefix *p, int fd, uint64_t limit)
{
	struct fr_sha256 **ns;
	uint64_t want = limit - p->pos;
	ssize_t n;

	if (!p->buf && !(p->buf = malloc(FR_IO_CHUNK)))
		return ENOMEM;
	if (want > FR_IO_CHUNK)
		want = FR_IO_CHUNK;
	if (want > PREFIX_SNAP - p->pos % PREFIX_SNAP)
		want = PREFIX_SNAP - p->pos % PREFIX_SNAP;
	do
		n = pread(fd, p->buf, (size_t)want, (off_t)p->pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? errno : EFBIG;
	fr_sha256_update(p->h, p->buf, (size_t)n);
	p->pos += (uint64_t)n;
	if (p->pos % PREFIX_SNAP == 0 && p->pos / PREFIX_SNAP == p->n_snap + 1) {
		ns = realloc(p->snap, (p->n_snap + 1) * sizeof(*ns));
		if (!ns)
			return ENOMEM;
		p->snap = ns;
		ns[p->n_snap] = fr_sha256_new();
		if (!ns[p->n_snap] || fr_sha256_copy(ns[p->n_snap], p->h)) {
			fr_sha256_free(ns[p->n_snap]);
			return ENOMEM;
		}
		p->n_snap++;
	}
	return 0;
}

int prefix_to(struct prefix *p, int fd, uint64_t k)
{
	uint64_t m;
	int e;

	if (p->pos > k) {
		m = k / PREFIX_SNAP; /* full snapshots at or below k */
		if (m == 0)
			fr_sha256_reset(p->h);
		else if (m > p->n_snap || fr_sha256_copy(p->h, p->snap[m - 1]))
			return ENOMEM; /* cannot happen: we passed m * SNAP */
		p->pos = m * PREFIX_SNAP;
	}
	while (p->pos < k)
		if ((e = prefix_step(p, fd, k)) != 0)
			return e;
	return 0;
}
