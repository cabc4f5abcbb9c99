/*
 * test_hash.c - unit tests of src/core/hash.c (streaming SHA-256).
 *
 * Known vectors, streaming in pieces equals one-shot, reset, and the
 * lowercase-hex validator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/hash.h"

#define H_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define H_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2 two-block vector */
#define M_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define H_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
/* one million 'a' */
#define H_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void digest(const void *p, size_t n, char hex[FR_SHA256_HEX])
{
	struct fr_sha256 *h = fr_sha256_new();
	assert_non_null(h);
	fr_sha256_update(h, p, n);
	fr_sha256_final_hex(h, hex);
	fr_sha256_free(h);
}

static void test_vectors(void **state)
{
	(void)state;
	char hex[FR_SHA256_HEX];
	memset(hex, 'X', sizeof(hex));
	digest("", 0, hex);
	assert_string_equal(hex, H_EMPTY);
	assert_int_equal(hex[64], '\0');
	digest("abc", 3, hex);
	assert_string_equal(hex, H_ABC);
	digest(M_448, strlen(M_448), hex);
	assert_string_equal(hex, H_448);
	/* no update at all is the empty message too */
	struct fr_sha256 *h = fr_sha256_new();
	assert_non_null(h);
	fr_sha256_final_hex(h, hex);
	assert_string_equal(hex, H_EMPTY);
	fr_sha256_free(h);
}

static void test_streaming(void **state)
{
	(void)state;
	char one[FR_SHA256_HEX], many[FR_SHA256_HEX];
	size_t n = 1000000;
	char *a = malloc(n);
	assert_non_null(a);
	memset(a, 'a', n);
	digest(a, n, one);
	assert_string_equal(one, H_MILLION_A);

	/* pieces of awkward sizes, including empty ones */
	const size_t steps[] = {0, 1, 63, 64, 65, 0, 127, 4096, 100003};
	struct fr_sha256 *h = fr_sha256_new();
	assert_non_null(h);
	size_t off = 0, k = 0;
	while (off < n) {
		size_t s = steps[k++ % (sizeof(steps) / sizeof(steps[0]))];
		if (s > n - off)
			s = n - off;
		fr_sha256_update(h, a + off, s);
		off += s;
	}
	fr_sha256_final_hex(h, many);
	assert_string_equal(many, one);

	/* byte by byte */
	fr_sha256_reset(h);
	for (size_t i = 0; i < 3; i++)
		fr_sha256_update(h, "abc" + i, 1);
	fr_sha256_final_hex(h, many);
	assert_string_equal(many, H_ABC);
	fr_sha256_free(h);
	free(a);
}

static void test_reset(void **state)
{
	(void)state;
	char hex[FR_SHA256_HEX];
	struct fr_sha256 *h = fr_sha256_new();
	assert_non_null(h);
	fr_sha256_update(h, "garbage", 7);
	fr_sha256_reset(h); /* discards what was hashed */
	fr_sha256_update(h, "abc", 3);
	fr_sha256_final_hex(h, hex);
	assert_string_equal(hex, H_ABC);
	fr_sha256_reset(h); /* reuse after final */
	fr_sha256_final_hex(h, hex);
	assert_string_equal(hex, H_EMPTY);
	fr_sha256_reset(h);
	fr_sha256_update(h, "ab", 2);
	fr_sha256_update(h, "c", 1);
	fr_sha256_final_hex(h, hex);
	assert_string_equal(hex, H_ABC);
	fr_sha256_free(h);
	fr_sha256_free(NULL); /* no-op */
}

static void test_hex_valid(void **state)
{
	(void)state;
	char s[80];
	assert_true(fr_sha256_hex_valid(H_EMPTY, 64));
	assert_true(fr_sha256_hex_valid(H_ABC, strlen(H_ABC)));
	assert_true(fr_sha256_hex_valid(
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64));
	/* length: 63, 65, 0 */
	assert_false(fr_sha256_hex_valid(H_ABC, 63));
	snprintf(s, sizeof(s), "%s0", H_ABC);
	assert_false(fr_sha256_hex_valid(s, 65));
	assert_false(fr_sha256_hex_valid("", 0));
	/* uppercase */
	snprintf(s, sizeof(s), "%s", H_ABC);
	s[0] = 'B';
	assert_false(fr_sha256_hex_valid(s, 64));
	/* every non-hex character at the last position */
	for (int c = 0; c < 256; c++) {
		snprintf(s, sizeof(s), "%s", H_ABC);
		s[63] = (char)c;
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		assert_int_equal(fr_sha256_hex_valid(s, 64), hex);
	}
	/* a NUL inside the 64 bytes */
	memcpy(s, H_ABC, 65);
	s[10] = '\0';
	assert_false(fr_sha256_hex_valid(s, 64));
}

/* peek and copy: the digest so far without disturbing the stream, and a
 * second context that continues from the same point (resumed transfers). */
static void test_peek_copy(void **state)
{
	(void)state;
	struct fr_sha256 *h = fr_sha256_new(), *c = fr_sha256_new();
	char a[FR_SHA256_HEX], b[FR_SHA256_HEX];

	assert_non_null(h);
	assert_non_null(c);
	fr_sha256_update(h, "abc", 3);
	fr_sha256_peek_hex(h, a);
	assert_string_equal(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(fr_sha256_copy(c, h), 0);
	fr_sha256_update(h, "def", 3);
	fr_sha256_update(c, "def", 3);
	fr_sha256_final_hex(h, a);
	fr_sha256_final_hex(c, b);
	assert_string_equal(a, b);
	assert_string_equal(a, "bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721");
	fr_sha256_free(h);
	fr_sha256_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_hex_valid),
		cmocka_unit_test(test_peek_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
