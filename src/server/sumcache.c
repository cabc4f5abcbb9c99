/*
 * sumcache.c - ferryd's SHA-256 cache in an extended attribute
 * (sumcache.h says what an entry means and when it is trusted).
 *
 * The value is one line of text, so an operator can read it with
 * getfattr:
 *
 *   f1 HEX SIZE INODE MTIME_S.NS CTIME_LO_S.NS CTIME_HI_S.NS MAC
 *
 * MAC = HMAC-SHA256, under the server's key, of everything before the
 * space that precedes it.  Writing an xattr moves the file's ctime, so an
 * entry cannot name the ctime it leaves behind; it is written in two
 * steps instead: a placeholder (whose write sets the ctime, on the file
 * system's own clock), then the entry, which accepts ctimes from that
 * one up to FR_SUMCACHE_CTIME_SLACK_NS later (its own write lands there).
 * A change behind our back after that moves the ctime past the window
 * (and usually the mtime or the size too).
 *
 * Does not: hash files, or retry anything: every failure means "not
 * cached".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "sumcache.h"

#define TAG "f1 "

/* Set once at start-up (sumcache_init), before any thread; read-only
 * afterwards. */
static unsigned char mac_key[32];
static bool enabled;

void sumcache_init(const unsigned char key[32])
{
	memcpy(mac_key, key, sizeof(mac_key));
	enabled = true;
}

bool sumcache_on(void)
{
	return enabled;
}

void sumcache_stamp_of(const struct stat *st, struct sumcache_stamp *out)
{
	out->size = (uint64_t)st->st_size;
	out->ino = (uint64_t)st->st_ino;
	out->mtime_s = (int64_t)st->st_mtim.tv_sec;
	out->mtime_ns = st->st_mtim.tv_nsec;
	out->ctime_s = (int64_t)st->st_ctim.tv_sec;
	out->ctime_ns = st->st_ctim.tv_nsec;
}

size_t sumcache_encode(const unsigned char key[32], const char *hex,
		       const struct sumcache_stamp *st, int64_t lo_s,
		       long lo_ns, int64_t hi_s, long hi_ns, char *out,
		       size_t n)
{
	char mac[FR_SHA256_HEX];
	int w, m;

	w = snprintf(out, n, TAG "%s %llu %llu %lld.%09ld %lld.%09ld %lld.%09ld",
		     hex, (unsigned long long)st->size,
		     (unsigned long long)st->ino, (long long)st->mtime_s,
		     st->mtime_ns, (long long)lo_s, lo_ns, (long long)hi_s,
		     hi_ns);
	if (w < 0 || (size_t)w >= n)
		return 0;
	fr_hmac_sha256_hex(key, 32, out, (size_t)w, mac);
	m = snprintf(out + w, n - (size_t)w, " %s", mac);
	if (m < 0 || (size_t)m >= n - (size_t)w)
		return 0;
	return (size_t)w + (size_t)m;
}

/* ---- parsing: every value is hostile until the MAC says otherwise ---- */

struct cur {
	const char *p, *end;
};

/* An unsigned decimal of 1..20 digits that fits 64 bits. */
static bool get_u64(struct cur *c, uint64_t *v)
{
	const char *s = c->p;
	uint64_t x = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		c->p++;
	}
	*v = x;
	return c->p > s && c->p - s <= 20;
}

/* SECONDS.NANOSECONDS: an optional '-', then exactly 9 digits after '.' */
static bool get_time(struct cur *c, int64_t *s, long *ns)
{
	bool neg = c->p < c->end && *c->p == '-';
	uint64_t a, b;
	const char *f;

	c->p += neg;
	if (!get_u64(c, &a) || a > (uint64_t)INT64_MAX || c->p >= c->end ||
	    *c->p != '.')
		return false;
	c->p++;
	f = c->p;
	if (!get_u64(c, &b) || c->p - f != 9)
		return false;
	*s = neg ? -(int64_t)a : (int64_t)a;
	*ns = (long)b;
	return true;
}

static bool get_space(struct cur *c)
{
	if (c->p >= c->end || *c->p != ' ')
		return false;
	c->p++;
	return true;
}

/* a <= b for (seconds, nanoseconds) pairs */
static bool ts_le(int64_t as, long ans, int64_t bs, long bns)
{
	return as < bs || (as == bs && ans <= bns);
}

bool sumcache_decode(const unsigned char key[32], const char *v, size_t n,
		     const struct sumcache_stamp *now,
		     char hex[FR_SHA256_HEX])
{
	struct cur c = {v, v + n};
	char mac[FR_SHA256_HEX];
	const char *h;
	uint64_t size, ino;
	int64_t m_s, lo_s, hi_s;
	long m_ns, lo_ns, hi_ns;
	size_t body;

	hex[0] = '\0';
	/* the MAC first: nothing unauthenticated is interpreted */
	if (n <= sizeof(TAG) - 1 + FR_SHA256_HEX || n > FR_SUMCACHE_VALUE_MAX ||
	    memcmp(v, TAG, sizeof(TAG) - 1) != 0)
		return false;
	body = n - FR_SHA256_HEX; /* where " MAC" starts */
	if (v[body] != ' ')
		return false;
	fr_hmac_sha256_hex(key, 32, v, body, mac);
	if (!fr_ct_equal(mac, v + body + 1, FR_SHA256_HEX - 1))
		return false;
	c.end = v + body;
	c.p += sizeof(TAG) - 1;
	h = c.p;
	if (c.end - c.p < FR_SHA256_HEX - 1 ||
	    !fr_sha256_hex_valid(h, FR_SHA256_HEX - 1))
		return false;
	c.p += FR_SHA256_HEX - 1;
	if (!get_space(&c) || !get_u64(&c, &size) || !get_space(&c) ||
	    !get_u64(&c, &ino) || !get_space(&c) ||
	    !get_time(&c, &m_s, &m_ns) || !get_space(&c) ||
	    !get_time(&c, &lo_s, &lo_ns) || !get_space(&c) ||
	    !get_time(&c, &hi_s, &hi_ns) || c.p != c.end)
		return false;
	/* the file as it is now must be the file the entry describes */
	if (size != now->size || ino != now->ino || m_s != now->mtime_s ||
	    m_ns != now->mtime_ns ||
	    !ts_le(lo_s, lo_ns, now->ctime_s, now->ctime_ns) ||
	    !ts_le(now->ctime_s, now->ctime_ns, hi_s, hi_ns))
		return false;
	memcpy(hex, h, FR_SHA256_HEX - 1);
	hex[FR_SHA256_HEX - 1] = '\0';
	return true;
}

int sumcache_get(int fd, struct sumcache_stamp *now, char hex[FR_SHA256_HEX])
{
	char v[FR_SUMCACHE_VALUE_MAX + 1];
	struct stat st;
	ssize_t n;

	hex[0] = '\0';
	if (fstat(fd, &st) != 0)
		return fr_err_from_errno(errno);
	sumcache_stamp_of(&st, now);
	if (!enabled || !S_ISREG(st.st_mode))
		return FR_E_NOT_FOUND;
	n = fgetxattr(fd, FR_SUMCACHE_XATTR, v, sizeof(v));
	if (n <= 0 || !sumcache_decode(mac_key, v, (size_t)n, now, hex))
		return FR_E_NOT_FOUND;
	return FR_OK;
}

static bool same(const struct sumcache_stamp *a, const struct sumcache_stamp *b,
		 bool with_ctime)
{
	return a->size == b->size && a->ino == b->ino &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       (!with_ctime ||
		(a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns));
}

void sumcache_put(int fd, const struct sumcache_stamp *before,
		  const char hex[FR_SHA256_HEX])
{
	static const char pending[] = TAG "pending";
	char v[FR_SUMCACHE_VALUE_MAX + 1];
	struct sumcache_stamp s0, s1;
	struct stat st;
	int64_t hi_s;
	long hi_ns;
	size_t n;

	if (!enabled || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	sumcache_stamp_of(&st, &s0);
	/* changed while it was hashed: what we hashed is not the file */
	if (before && !same(before, &s0, true))
		return;
	/* step 1: the placeholder's write sets the ctime the entry starts
	 * from (a reader meanwhile finds no valid entry and hashes) */
	if (fsetxattr(fd, FR_SUMCACHE_XATTR, pending, sizeof(pending) - 1, 0) !=
	    0)
		return;
	if (fstat(fd, &st) != 0)
		goto drop;
	sumcache_stamp_of(&st, &s1);
	if (!same(&s0, &s1, false))
		goto drop; /* written to between our two looks */
	hi_s = s1.ctime_s + (s1.ctime_ns + FR_SUMCACHE_CTIME_SLACK_NS) /
				    1000000000L;
	hi_ns = (long)((s1.ctime_ns + FR_SUMCACHE_CTIME_SLACK_NS) %
		       1000000000L);
	n = sumcache_encode(mac_key, hex, &s1, s1.ctime_s, s1.ctime_ns, hi_s,
			    hi_ns, v, sizeof(v));
	/* step 2: the entry; its own write moves the ctime into the window */
	if (n > 0 &&
	    fsetxattr(fd, FR_SUMCACHE_XATTR, v, n, XATTR_REPLACE) == 0)
		return;
drop:
	(void)fremovexattr(fd, FR_SUMCACHE_XATTR);
}
