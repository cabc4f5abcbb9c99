/*
 * test_sumcache.c - unit tests of src/server/sumcache.c (ferryd's SHA-256
 * cache in an extended attribute), linking only that module and the
 * core: the codec against hostile values (forged, flipped, truncated,
 * malformed under a valid MAC, another key), the stamp rules (size,
 * inode, mtime, the ctime window), and the real xattr on a file of the
 * test's own (where the file system has user xattrs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "sumcache.h"

static const unsigned char K1[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const unsigned char K2[32] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
static const char HEX[] =
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

static const struct sumcache_stamp ST = {
	.size = 4, .ino = 1234, .mtime_s = 1700000000, .mtime_ns = 5,
	.ctime_s = 1700000001, .ctime_ns = 999999999,
};

/* An entry for ST whose ctime window is [ST.ctime, +100 ms]. */
static size_t entry(const unsigned char *key, char *v)
{
	return sumcache_encode(key, HEX, &ST, ST.ctime_s, ST.ctime_ns,
			       ST.ctime_s + 1, 99999999, v,
			       FR_SUMCACHE_VALUE_MAX + 1);
}

static void test_roundtrip(void **state)
{
	char v[FR_SUMCACHE_VALUE_MAX + 1], hex[FR_SHA256_HEX];
	size_t n = entry(K1, v);

	(void)state;
	assert_true(n > 0 && n <= FR_SUMCACHE_VALUE_MAX);
	assert_true(sumcache_decode(K1, v, n, &ST, hex));
	assert_string_equal(hex, HEX);
	assert_int_equal(strncmp(v, "f1 ", 3), 0);
}

static void test_stamp_rules(void **state)
{
	char v[FR_SUMCACHE_VALUE_MAX + 1], hex[FR_SHA256_HEX];
	size_t n = entry(K1, v);
	struct sumcache_stamp s;

	(void)state;
#define TRY(field, val, want)                                                  \
	do {                                                                   \
		s = ST;                                                        \
		s.field = (val);                                               \
		assert_int_equal(sumcache_decode(K1, v, n, &s, hex), (want));  \
	} while (0)
	TRY(size, 5, false);          /* appended */
	TRY(ino, 1235, false);        /* replaced by another file */
	TRY(mtime_s, 1700000001, false); /* touched */
	TRY(mtime_ns, 6, false);      /* edited in place, same second */
	TRY(ctime_ns, 999999998, false); /* before the window */
	TRY(ctime_s, 1700000002, false); /* a second later */
	s = ST;
	s.ctime_s = ST.ctime_s + 1;
	s.ctime_ns = 50000000; /* inside the window (it wraps a second) */
	assert_true(sumcache_decode(K1, v, n, &s, hex));
	s = ST;
	s.ctime_s = ST.ctime_s + 1;
	s.ctime_ns = 99999999; /* the window's end */
	assert_true(sumcache_decode(K1, v, n, &s, hex));
	s.ctime_ns = 100000000; /* past it: changed behind our back */
	assert_false(sumcache_decode(K1, v, n, &s, hex));
	assert_string_equal(hex, "");
#undef TRY
}

static void test_forged(void **state)
{
	char v[FR_SUMCACHE_VALUE_MAX + 1], w[FR_SUMCACHE_VALUE_MAX + 1];
	char hex[FR_SHA256_HEX];
	size_t n = entry(K1, v), i, k;

	(void)state;
	/* another server's key: not ours */
	assert_false(sumcache_decode(K2, v, n, &ST, hex));
	/* any one byte changed, the hash or the stamp or the MAC */
	for (i = 0; i < n; i++) {
		memcpy(w, v, n);
		w[i] = (char)(w[i] == '0' ? '1' : '0');
		assert_false(sumcache_decode(K1, w, n, &ST, hex));
	}
	/* cut anywhere, or grown */
	for (k = 0; k < n; k++)
		assert_false(sumcache_decode(K1, v, k, &ST, hex));
	memcpy(w, v, n);
	w[n] = ' ';
	assert_false(sumcache_decode(K1, w, n + 1, &ST, hex));
	assert_false(sumcache_decode(K1, "f1 pending", 10, &ST, hex));
	assert_false(sumcache_decode(K1, "", 0, &ST, hex));
}

/* Values with a valid MAC but a body the parser must refuse: the MAC
 * alone is not trusted to make a body well formed. */
static void test_malformed_with_mac(void **state)
{
	/* tag, then what follows the hash */
	static const char *const bodies[][2] = {
		{"f1 ", " 4 1234 1700000000.000000005 1.000000000 2.000000000"},
		{"f1 ", " +4 1234 1700000000.000000005 1700000001.999999999 1700000002.099999999"},
		{"f1 ", " 4 1234 1700000000.5 1700000001.999999999 1700000002.099999999"},
		{"f1 ", " 4 1234 1700000000.0000000050 1700000001.999999999 1700000002.099999999"},
		{"f1 ", " 4  1234 1700000000.000000005 1700000001.999999999 1700000002.099999999"},
		{"f1 ", " 4 1234 1700000000.000000005 1700000001.999999999"},
		{"f1 ", " 4 123456789012345678901 1700000000.000000005 1700000001.999999999 1700000002.099999999"},
		{"f1 ", " 4 1234 1700000000.000000005 1700000001.999999999 1700000002.099999999 x"},
		{"f1 ", " -4 1234 1700000000.000000005 1700000001.999999999 1700000002.099999999"},
		{"f2 ", " 4 1234 1700000000.000000005 1700000001.999999999 1700000002.099999999"},
		{"f1  ", " 4 1234 1700000000.000000005 1700000001.999999999 1700000002.099999999"},
	};
	char body[300], v[400], mac[FR_SHA256_HEX], hex[FR_SHA256_HEX];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(body, sizeof(body), "%s%s%s", bodies[i][0], HEX,
			 bodies[i][1]);
		fr_hmac_sha256_hex(K1, 32, body, strlen(body), mac);
		n = snprintf(v, sizeof(v), "%s %s", body, mac);
		assert_false(sumcache_decode(K1, v, (size_t)n, &ST, hex));
	}
	/* the same body well formed is accepted (the cases above are not
	 * refused for their MAC) */
	snprintf(body, sizeof(body),
		 "f1 %s 4 1234 1700000000.000000005 1700000001.999999999 "
		 "1700000002.099999999",
		 HEX);
	fr_hmac_sha256_hex(K1, 32, body, strlen(body), mac);
	n = snprintf(v, sizeof(v), "%s %s", body, mac);
	assert_true(sumcache_decode(K1, v, (size_t)n, &ST, hex));
	/* an uppercase hash is not ours either */
	snprintf(body, sizeof(body),
		 "f1 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
		 " 4 1234 1700000000.000000005 1700000001.999999999 "
		 "1700000002.099999999");
	fr_hmac_sha256_hex(K1, 32, body, strlen(body), mac);
	n = snprintf(v, sizeof(v), "%s %s", body, mac);
	assert_false(sumcache_decode(K1, v, (size_t)n, &ST, hex));
}

static void test_negative_mtime(void **state)
{
	char v[FR_SUMCACHE_VALUE_MAX + 1], hex[FR_SHA256_HEX];
	struct sumcache_stamp s = ST;
	size_t n;

	(void)state;
	s.mtime_s = -315619200; /* 1960 */
	s.mtime_ns = 0;
	n = sumcache_encode(K1, HEX, &s, s.ctime_s, s.ctime_ns, s.ctime_s + 1,
			    0, v, sizeof(v));
	assert_true(n > 0);
	assert_true(sumcache_decode(K1, v, n, &s, hex));
	s.mtime_s = 315619200;
	assert_false(sumcache_decode(K1, v, n, &s, hex));
}

/* The real attribute on a file of ours: written, trusted, and distrusted
 * after an append, a same-size edit that keeps the mtime, and a stale
 * before-stamp. */
static void test_file(void **state)
{
	char path[] = "/tmp/ferry-sumcache.XXXXXX", hex[FR_SHA256_HEX];
	struct sumcache_stamp now, old;
	struct timespec keep[2];
	struct stat st;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "test", 4), 4);
	if (fsetxattr(fd, "user.ferry.probe", "1", 1, 0) != 0) {
		close(fd);
		unlink(path);
		skip(); /* no user xattrs here: the codec tests still ran */
	}
	(void)fremovexattr(fd, "user.ferry.probe");
	assert_int_equal(sumcache_get(fd, &now, hex), FR_E_NOT_FOUND);
	sumcache_init(K1);
	assert_int_equal(sumcache_get(fd, &now, hex), FR_E_NOT_FOUND);
	sumcache_put(fd, NULL, HEX);
	assert_int_equal(sumcache_get(fd, &now, hex), FR_OK);
	assert_string_equal(hex, HEX);

	/* an edit in place that keeps size and mtime: only the ctime
	 * tells, and it does */
	assert_int_equal(fstat(fd, &st), 0);
	keep[0] = st.st_atim;
	keep[1] = st.st_mtim;
	usleep(150000); /* past the window, whatever the clock's grain */
	assert_int_equal(pwrite(fd, "TEST", 4, 0), 4);
	assert_int_equal(futimens(fd, keep), 0);
	assert_int_equal(sumcache_get(fd, &now, hex), FR_E_NOT_FOUND);

	/* a before-stamp of another content writes nothing */
	old = now;
	old.mtime_ns ^= 1;
	sumcache_put(fd, &old, HEX);
	assert_int_equal(sumcache_get(fd, &now, hex), FR_E_NOT_FOUND);
	sumcache_put(fd, &now, HEX); /* the right one does */
	assert_int_equal(sumcache_get(fd, &now, hex), FR_OK);

	/* appended */
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(sumcache_get(fd, &now, hex), FR_E_NOT_FOUND);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_stamp_rules),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_malformed_with_mac),
		cmocka_unit_test(test_negative_mtime),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
