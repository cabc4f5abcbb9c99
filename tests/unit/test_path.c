/*
 * test_path.c - unit tests of src/core/path.c (protocol v1 path rules).
 *
 * A table of good and bad paths (each checked from guarded memory so an
 * over-read crashes), the length limits at their boundaries, UTF-8
 * validation, reserved names and basenames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"

#include "guard.h"

struct pcase {
	const char *p;
	size_t len;
};
#define P(s) {s, sizeof(s) - 1}

static const struct pcase good[] = {
	P(""), /* the root */
	P("a"),
	P("a/b"),
	P("a/b/c/d/e/f"),
	P("file.txt"),
	P("releases/app.tar.gz"),
	P("..."),
	P("..a"),
	P("a.."),
	P(".a"),
	P(".hidden/.x"),
	P("a/.../b"),
	P("a b"),         /* space is fine */
	P(" "),
	P("~"),
	P("-rf"),
	P("a:b"),
	P("a*b?c"),
	P("\"quoted\""),
	P("it's"),
	P("a%00b"),      /* percent is just a byte */
	P("x/.ferry-part.y"), /* reserved, but a valid path */
	P("\xc3\xa9t\xc3\xa9"),              /* été */
	P("\xe6\x97\xa5\xe6\x9c\xac/\xe8\xaa\x9e"), /* 日本/語 */
	P("\xf0\x9f\x98\x80.txt"),           /* U+1F600 */
	P("\xc2\x80"),                       /* U+0080, smallest 2-byte */
	P("\xdf\xbf"),                       /* U+07FF */
	P("\xe0\xa0\x80"),                   /* U+0800, smallest 3-byte */
	P("\xed\x9f\xbf"),                   /* U+D7FF, before surrogates */
	P("\xee\x80\x80"),                   /* U+E000, after surrogates */
	P("\xef\xbf\xbd"),                   /* U+FFFD */
	P("\xef\xbf\xbf"),                   /* U+FFFF */
	P("\xf0\x90\x80\x80"),               /* U+10000, smallest 4-byte */
	P("\xf4\x8f\xbf\xbf"),               /* U+10FFFF, the last */
	P("\xc2\xa0"),                       /* NBSP is not a control byte */
	P("a/b.c/d-e_f"),
	P("0"),
	P("a/b/c/"
	  "0123456789012345678901234567890123456789"),
	P("dir.d/x"),
	P("UPPER/lower"),
	P("a\x7e"),                          /* 0x7e '~' is fine, 0x7f is not */
	P("\x20/\x21"),
};

static const struct pcase bad[] = {
	P("/"),
	P("/a"),
	P("//a"),
	P("a/"),
	P("a//b"),
	P("a/b/"),
	P("."),
	P(".."),
	P("./a"),
	P("../a"),
	P("a/."),
	P("a/.."),
	P("a/./b"),
	P("a/../b"),
	P("../../etc/passwd"),
	P("a\\b"),
	P("\\"),
	P("..\\a"),
	P("a\0b"),          /* raw NUL inside */
	P("\0"),
	P("a\0"),
	P("a\x01"),
	P("\x1f"),
	P("a\x7f"),
	P("a\tb"),
	P("a\nb"),
	P("a\rb"),
	P("\x1b[31m"),      /* terminal escape */
	P("\xff"),           /* never valid in UTF-8 */
	P("\xfe"),
	P("a\x80"),          /* lone continuation byte */
	P("\xc3"),           /* truncated 2-byte */
	P("\xe6\x97"),       /* truncated 3-byte */
	P("\xf0\x9f\x98"),   /* truncated 4-byte */
	P("\xc3/a"),         /* truncated, followed by '/' */
	P("\xc0\xaf"),       /* overlong '/' */
	P("\xc1\xbf"),       /* overlong 0x7f */
	P("\xe0\x80\xaf"),   /* overlong 3-byte '/' */
	P("\xe0\x9f\xbf"),   /* overlong U+07FF */
	P("\xf0\x80\x80\xaf"), /* overlong 4-byte '/' */
	P("\xf0\x8f\xbf\xbf"), /* overlong U+FFFF */
	P("\xc0\x80"),       /* overlong NUL (modified UTF-8) */
	P("\xed\xa0\x80"),   /* U+D800 surrogate */
	P("\xed\xbf\xbf"),   /* U+DFFF surrogate */
	P("\xed\xa0\xbd\xed\xb8\x80"), /* CESU-8 pair */
	P("\xf4\x90\x80\x80"), /* U+110000 */
	P("\xf5\x80\x80\x80"),
	P("\xf8\x88\x80\x80\x80"), /* 5-byte form */
	P("\xfc\x84\x80\x80\x80\x80"), /* 6-byte form */
	P("\xe6\x41\xa5"),   /* ASCII in the middle of a sequence */
};

static void check_one(const char *p, size_t len, int want, size_t idx)
{
	struct guard g;
	const char *why = "stale";
	const char *q = (const char *)guard_put(&g, p, len);
	int rc = fr_path_check(q, len, &why);
	if (rc != want)
		fail_msg("path #%zu (len %zu): got %d want %d (%s)", idx, len, rc,
			 want, why ? why : "-");
	if (want == FR_OK)
		assert_null(why);
	else
		assert_true(why != NULL && strlen(why) > 0);
	/* without a why pointer too */
	assert_int_equal(fr_path_check(q, len, NULL), want);
	guard_free(&g);
}

static void test_table_good(void **state)
{
	(void)state;
	size_t n = sizeof(good) / sizeof(good[0]);
	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++)
		check_one(good[i].p, good[i].len, FR_OK, i);
}

static void test_table_bad(void **state)
{
	(void)state;
	size_t n = sizeof(bad) / sizeof(bad[0]);
	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++)
		check_one(bad[i].p, bad[i].len, FR_E_INVALID_PATH, i);
}

/* Every byte value alone as a one-byte path. */
static void test_every_byte(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		char s[1] = {(char)c};
		int want = (c < 0x20 || c == 0x7f || c == '\\' || c == '/' ||
			    c == '.' || c >= 0x80)
				   ? FR_E_INVALID_PATH
				   : FR_OK;
		check_one(s, 1, want, (size_t)c);
		/* the same byte inside a longer name */
		char t[3] = {'a', (char)c, 'b'};
		want = (c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80) ? FR_E_INVALID_PATH
									 : FR_OK;
		if (c == '/')
			want = FR_OK; /* "a/b" */
		check_one(t, 3, want, (size_t)c);
	}
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_component_length(void **state)
{
	(void)state;
	char *s = repeat('n', 256);
	check_one(s, 255, FR_OK, 255);
	check_one(s, 256, FR_E_INVALID_PATH, 256);
	/* as a middle and a last component */
	char buf[600];
	snprintf(buf, sizeof(buf), "a/%.*s/b", 255, s);
	check_one(buf, strlen(buf), FR_OK, 1);
	snprintf(buf, sizeof(buf), "a/%.*s/b", 256, s);
	check_one(buf, strlen(buf), FR_E_INVALID_PATH, 2);
	snprintf(buf, sizeof(buf), "a/%.*s", 256, s);
	check_one(buf, strlen(buf), FR_E_INVALID_PATH, 3);
	/* the limit is in bytes, not characters: 127 x 2-byte + 1 = 255 */
	char u[600];
	size_t k = 0;
	for (int i = 0; i < 127; i++) {
		u[k++] = (char)0xc3;
		u[k++] = (char)0xa9;
	}
	u[k++] = 'x';
	check_one(u, k, FR_OK, 4);
	u[k - 1] = (char)0xc3;
	u[k++] = (char)0xa9; /* 128 x 2 bytes = 256 */
	check_one(u, k, FR_E_INVALID_PATH, 5);
	free(s);
}

/* "n/n/.../nnn" of exactly total bytes with components <= 255. */
static char *long_path(size_t total)
{
	char *s = repeat('n', total);
	for (size_t i = 200; i < total; i += 201)
		s[i] = '/';
	if (s[total - 1] == '/')
		s[total - 2] = '/', s[total - 1] = 'n';
	return s;
}

static void test_path_length(void **state)
{
	(void)state;
	char *s = long_path(FR_PATH_MAX);
	assert_int_equal(strlen(s), 4095);
	check_one(s, 4095, FR_OK, 4095);
	free(s);
	s = long_path(FR_PATH_MAX + 1);
	check_one(s, 4096, FR_E_INVALID_PATH, 4096);
	free(s);
	s = long_path(100000);
	check_one(s, 100000, FR_E_INVALID_PATH, 100000);
	free(s);
}

/* The rules cap bytes, not components: the deepest legal path, 2048
 * one-byte components in 4095 bytes, is valid; one more byte is not. */
static void test_depth(void **state)
{
	(void)state;
	char buf[4097];
	size_t k = 0;
	for (unsigned i = 0; i < 2048; i++) {
		buf[k++] = 'd';
		buf[k++] = '/';
	}
	check_one(buf, k - 1, FR_OK, 2048);
	buf[k - 1] = 'd';
	check_one(buf, k, FR_E_INVALID_PATH, 2049);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(fr_utf8_valid("", 0));
	assert_true(fr_utf8_valid("plain ascii \x01\x7f", 13));
	assert_true(fr_utf8_valid("a\0b", 3)); /* NUL is valid UTF-8; paths refuse it elsewhere */
	assert_true(fr_utf8_valid("\xf4\x8f\xbf\xbf", 4));
	assert_false(fr_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(fr_utf8_valid("\xed\xa0\x80", 3));
	assert_false(fr_utf8_valid("\xc0\xaf", 2));
	assert_false(fr_utf8_valid("\xff", 1));
	/* a valid sequence cut by the length at every point */
	const char *e = "\xf0\x9f\x98\x80";
	for (size_t n = 1; n < 4; n++) {
		struct guard g;
		const char *q = (const char *)guard_put(&g, e, n);
		assert_false(fr_utf8_valid(q, n));
		guard_free(&g);
	}
	/* the length is respected: the invalid byte after it is not read */
	assert_true(fr_utf8_valid("ab\xff", 2));
}

static void test_reserved(void **state)
{
	(void)state;
	assert_string_equal(FR_RESERVED_PREFIX, ".ferry-part.");
	assert_true(fr_name_is_reserved(".ferry-part."));
	assert_true(fr_name_is_reserved(".ferry-part.x"));
	assert_true(fr_name_is_reserved(".ferry-part.abc123"));
	assert_false(fr_name_is_reserved(".ferry-part"));
	assert_false(fr_name_is_reserved("ferry-part.x"));
	assert_false(fr_name_is_reserved("x.ferry-part.x"));
	assert_false(fr_name_is_reserved(".Ferry-part.x"));
	assert_false(fr_name_is_reserved(""));
	assert_false(fr_name_is_reserved("."));

	assert_true(fr_path_is_reserved(".ferry-part.x"));
	assert_true(fr_path_is_reserved("a/.ferry-part.x"));
	assert_true(fr_path_is_reserved("a/.ferry-part.x/b"));
	assert_true(fr_path_is_reserved("a/b/c/.ferry-part.1"));
	assert_true(fr_path_is_reserved(".ferry-part.x/b"));
	assert_false(fr_path_is_reserved(""));
	assert_false(fr_path_is_reserved("a"));
	assert_false(fr_path_is_reserved("a/b.ferry-part.x"));
	assert_false(fr_path_is_reserved("a.ferry-part.x/b"));
	assert_false(fr_path_is_reserved("a/.ferry-part"));
	assert_false(fr_path_is_reserved("a/ .ferry-part.x"));
}

static void test_basename(void **state)
{
	(void)state;
	const char *p = "";
	assert_ptr_equal(fr_path_basename(p), p);
	assert_string_equal(fr_path_basename(""), "");
	p = "a";
	assert_ptr_equal(fr_path_basename(p), p);
	p = "a/b";
	assert_ptr_equal(fr_path_basename(p), p + 2);
	assert_string_equal(fr_path_basename("releases/app.tar.gz"), "app.tar.gz");
	assert_string_equal(fr_path_basename("x/y/z/\xc3\xa9"), "\xc3\xa9");
	assert_string_equal(fr_path_basename("..."), "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_good),
		cmocka_unit_test(test_table_bad),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_component_length),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_basename),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
