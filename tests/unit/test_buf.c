/*
 * test_buf.c - unit tests of src/core/buf.c (the bounded byte buffer).
 *
 * reserve / commit / consume, compaction before growth, the hard cap
 * (FR_E_TOO_LARGE and nothing changed), all-or-nothing reads, u32 helpers.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/err.h"

static void test_init_empty(void **state)
{
	(void)state;
	struct fr_buf b;
	fr_buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_int_equal(fr_buf_len(&b), 0);
	uint8_t x;
	assert_int_equal(fr_buf_get(&b, &x, 1), FR_AGAIN);
	assert_int_equal(fr_buf_get(&b, &x, 0), FR_OK);
	fr_buf_cleanup(&b);
	fr_buf_cleanup(&b); /* twice is harmless */
	assert_null(b.data);
}

static void test_reserve_commit(void **state)
{
	(void)state;
	struct fr_buf b;
	uint8_t *p;
	fr_buf_init(&b, 1000);
	assert_int_equal(fr_buf_reserve(&b, 10, &p), FR_OK);
	assert_non_null(p);
	assert_true(b.cap >= 10 && b.cap <= 1000);
	memcpy(p, "0123456789", 10);
	fr_buf_commit(&b, 4); /* only part of the reserved room */
	assert_int_equal(fr_buf_len(&b), 4);
	assert_memory_equal(fr_buf_data(&b), "0123", 4);
	assert_int_equal(fr_buf_reserve(&b, 3, &p), FR_OK);
	assert_ptr_equal(p, fr_buf_data(&b) + 4);
	memcpy(p, "abc", 3);
	fr_buf_commit(&b, 3);
	assert_int_equal(fr_buf_len(&b), 7);
	assert_memory_equal(fr_buf_data(&b), "0123abc", 7);
	fr_buf_commit(&b, 0);
	assert_int_equal(fr_buf_len(&b), 7);
	fr_buf_cleanup(&b);
}

static void test_consume_and_get(void **state)
{
	(void)state;
	struct fr_buf b;
	char out[16];
	fr_buf_init(&b, 64);
	assert_int_equal(fr_buf_append(&b, "hello world", 11), FR_OK);
	fr_buf_consume(&b, 6);
	assert_int_equal(fr_buf_len(&b), 5);
	assert_memory_equal(fr_buf_data(&b), "world", 5);

	/* all or nothing: asking for more than is there consumes nothing */
	memset(out, '#', sizeof(out));
	assert_int_equal(fr_buf_get(&b, out, 6), FR_AGAIN);
	assert_int_equal(fr_buf_len(&b), 5);
	assert_memory_equal(fr_buf_data(&b), "world", 5);
	assert_int_equal(out[0], '#');

	assert_int_equal(fr_buf_get(&b, out, 3), FR_OK);
	assert_memory_equal(out, "wor", 3);
	assert_int_equal(fr_buf_len(&b), 2);
	assert_int_equal(fr_buf_get(&b, out, 2), FR_OK);
	assert_memory_equal(out, "ld", 2);
	assert_int_equal(fr_buf_len(&b), 0);
	assert_int_equal(b.off, 0); /* an emptied buffer rewinds */
	assert_int_equal(fr_buf_get(&b, out, 1), FR_AGAIN);
	fr_buf_cleanup(&b);
}

/* Space at the head left by consume is reclaimed by moving the data down
 * before the block grows. */
static void test_compaction(void **state)
{
	(void)state;
	struct fr_buf b;
	uint8_t *p;
	uint8_t data[200];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	fr_buf_init(&b, 256);
	assert_int_equal(fr_buf_append(&b, data, 200), FR_OK);
	assert_int_equal(b.cap, 256);
	fr_buf_consume(&b, 150);
	assert_int_equal(b.off, 150);
	/* 6 bytes free at the tail: fits without moving */
	assert_int_equal(fr_buf_reserve(&b, 6, &p), FR_OK);
	assert_int_equal(b.off, 150);
	assert_ptr_equal(p, b.data + 200);
	/* 100 more do not fit at the tail but do after compaction */
	assert_int_equal(fr_buf_reserve(&b, 100, &p), FR_OK);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.cap, 256);
	assert_ptr_equal(p, b.data + 50);
	assert_memory_equal(fr_buf_data(&b), data + 150, 50);
	memset(p, 0xAA, 100);
	fr_buf_commit(&b, 100);
	assert_int_equal(fr_buf_len(&b), 150);
	assert_memory_equal(fr_buf_data(&b), data + 150, 50);
	assert_int_equal(fr_buf_data(&b)[149], 0xAA);
	fr_buf_cleanup(&b);
}

static void test_growth(void **state)
{
	(void)state;
	struct fr_buf b;
	uint8_t *big = malloc(100000);
	assert_non_null(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	fr_buf_init(&b, 100000);
	for (size_t i = 0; i < 100000; i += 1000)
		assert_int_equal(fr_buf_append(&b, big + i, 1000), FR_OK);
	assert_int_equal(fr_buf_len(&b), 100000);
	assert_int_equal(b.cap, 100000); /* clamped to max, never beyond */
	assert_memory_equal(fr_buf_data(&b), big, 100000);
	fr_buf_cleanup(&b);
	free(big);
}

/* The cap: FR_E_TOO_LARGE and the buffer untouched. */
static void test_cap_enforced(void **state)
{
	(void)state;
	struct fr_buf b;
	uint8_t *p = (uint8_t *)&b;
	fr_buf_init(&b, 10);
	assert_int_equal(fr_buf_reserve(&b, 11, &p), FR_E_TOO_LARGE);
	assert_null(p);
	assert_null(b.data);
	assert_int_equal(fr_buf_len(&b), 0);
	assert_int_equal(fr_buf_append(&b, "0123456789", 10), FR_OK);
	assert_int_equal(b.cap, 10);

	struct fr_buf before = b;
	assert_int_equal(fr_buf_append(&b, "x", 1), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_reserve(&b, 1, &p), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_reserve(&b, SIZE_MAX, &p), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_put_u32(&b, 1), FR_E_TOO_LARGE);
	assert_memory_equal(&b, &before, sizeof(b));
	assert_memory_equal(fr_buf_data(&b), "0123456789", 10);
	assert_int_equal(fr_buf_reserve(&b, 0, &p), FR_OK);

	/* consumed bytes free room again: the cap counts unread bytes */
	fr_buf_consume(&b, 4);
	assert_int_equal(fr_buf_append(&b, "abcd", 4), FR_OK);
	assert_int_equal(fr_buf_len(&b), 10);
	assert_memory_equal(fr_buf_data(&b), "456789abcd", 10);
	assert_int_equal(fr_buf_append(&b, "e", 1), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 10);
	fr_buf_cleanup(&b);

	/* SIZE_MAX request against an empty huge-cap buffer does not wrap */
	fr_buf_init(&b, SIZE_MAX / 2);
	assert_int_equal(fr_buf_append(&b, "ab", 2), FR_OK);
	assert_int_equal(fr_buf_reserve(&b, SIZE_MAX / 2 - 1, &p), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_reserve(&b, SIZE_MAX, &p), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 2);
	fr_buf_cleanup(&b);
}

static void test_small_max(void **state)
{
	(void)state;
	struct fr_buf b;
	fr_buf_init(&b, 3); /* below the 256-byte first allocation */
	assert_int_equal(fr_buf_append(&b, "abc", 3), FR_OK);
	assert_int_equal(b.cap, 3);
	assert_int_equal(fr_buf_append(&b, "d", 1), FR_E_TOO_LARGE);
	fr_buf_cleanup(&b);

	fr_buf_init(&b, 0);
	assert_int_equal(fr_buf_append(&b, "d", 1), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 0);
	fr_buf_cleanup(&b);
}

static void test_reset_shrink(void **state)
{
	(void)state;
	struct fr_buf b;
	fr_buf_init(&b, 1024);
	assert_int_equal(fr_buf_append(&b, "abcdef", 6), FR_OK);
	fr_buf_shrink(&b); /* not empty: keeps its storage */
	assert_non_null(b.data);
	assert_int_equal(fr_buf_len(&b), 6);
	fr_buf_reset(&b);
	assert_int_equal(fr_buf_len(&b), 0);
	assert_non_null(b.data); /* reset keeps the storage */
	fr_buf_shrink(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 1024);
	assert_int_equal(fr_buf_append(&b, "xy", 2), FR_OK); /* reusable */
	assert_memory_equal(fr_buf_data(&b), "xy", 2);
	fr_buf_cleanup(&b);
}

static void test_u32(void **state)
{
	(void)state;
	struct fr_buf b;
	uint32_t v = 7;
	fr_buf_init(&b, 64);
	assert_int_equal(fr_buf_peek_u32(&b, &v), FR_AGAIN);
	assert_int_equal(v, 7);
	assert_int_equal(fr_buf_put_u32(&b, 0x01020304u), FR_OK);
	assert_memory_equal(fr_buf_data(&b), "\x01\x02\x03\x04", 4);
	assert_int_equal(fr_buf_put_u32(&b, 0xFFFFFFFFu), FR_OK);
	assert_int_equal(fr_buf_peek_u32(&b, &v), FR_OK);
	assert_int_equal(v, 0x01020304u);
	assert_int_equal(fr_buf_len(&b), 8); /* peek consumes nothing */
	fr_buf_consume(&b, 4);
	assert_int_equal(fr_buf_peek_u32(&b, &v), FR_OK);
	assert_int_equal(v, 0xFFFFFFFFu);
	fr_buf_consume(&b, 1);
	assert_int_equal(fr_buf_peek_u32(&b, &v), FR_AGAIN);
	fr_buf_cleanup(&b);
}

/* Run fn in a child; true if it died of SIGABRT. */
static bool dies_of_abort(void (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void over_commit(void)
{
	struct fr_buf b;
	uint8_t *p;
	fr_buf_init(&b, 16);
	if (fr_buf_reserve(&b, 4, &p) != FR_OK)
		_exit(2);
	fr_buf_commit(&b, 17);
}

static void over_consume(void)
{
	struct fr_buf b;
	fr_buf_init(&b, 16);
	if (fr_buf_append(&b, "abc", 3) != FR_OK)
		_exit(2);
	fr_buf_consume(&b, 4);
}

static void broken_invariant(void)
{
	struct fr_buf b;
	uint8_t *p;
	fr_buf_init(&b, 16);
	b.len = 5; /* len > cap */
	(void)fr_buf_reserve(&b, 1, &p);
}

static void fine(void)
{
	struct fr_buf b;
	fr_buf_init(&b, 16);
	if (fr_buf_append(&b, "abc", 3) != FR_OK)
		_exit(2);
	fr_buf_consume(&b, 3);
	fr_buf_cleanup(&b);
}

/* Misuse is a bug, not input: committing more than reserved, consuming
 * more than buffered or a corrupted struct abort. */
static void test_invariants_abort(void **state)
{
	(void)state;
	assert_true(dies_of_abort(over_commit));
	assert_true(dies_of_abort(over_consume));
	assert_true(dies_of_abort(broken_invariant));
	assert_false(dies_of_abort(fine));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_reserve_commit),
		cmocka_unit_test(test_consume_and_get),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_cap_enforced),
		cmocka_unit_test(test_small_max),
		cmocka_unit_test(test_reset_shrink),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_invariants_abort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
