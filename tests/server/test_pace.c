/*
 * test_pace.c - unit tests of src/server/pace.c (request deadlines),
 * linking only that module: the clock is the test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pace.h"

static const struct pace_limits L = {
	.stall_ms = 30000, .frame_ms = 20000, .window_ms = 10000, .min_rate = 100
};

static void test_inactive(void **state)
{
	struct pace p;
	uint64_t lim;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_null(pace_check(&p, &L, 1000000, &lim));
	assert_true(pace_deadline(&p, &L) == INT64_MAX);
	pace_moved(&p, 5, 10); /* nothing counts while inactive */
	assert_int_equal(p.win_bytes, 0);
}

/* One byte per second: every byte is progress (no stall), yet the first
 * window fails the rate. */
static void test_trickle_cut_by_rate(void **state)
{
	struct pace p;
	uint64_t lim;
	int64_t t;

	(void)state;
	pace_start(&p, 0);
	assert_true(pace_deadline(&p, &L) == 10000);
	for (t = 1000; t < 10000; t += 1000) {
		pace_moved(&p, 1, t);
		assert_null(pace_check(&p, &L, t, &lim));
	}
	assert_non_null(strstr(pace_check(&p, &L, 10000, &lim), "--min-rate"));
	assert_int_equal(lim, 10);
}

/* A window that met the rate starts the next one. */
static void test_window_rolls(void **state)
{
	struct pace p;
	uint64_t lim;

	(void)state;
	pace_start(&p, 0);
	pace_frame_done(&p);
	pace_moved(&p, 1000, 5000); /* exactly 100 B/s over 10 s */
	assert_null(pace_check(&p, &L, 10000, &lim));
	assert_int_equal(p.win_ms, 10000);
	assert_int_equal(p.win_bytes, 0);
	assert_true(pace_deadline(&p, &L) == 20000);
	pace_moved(&p, 999, 15000);
	assert_non_null(pace_check(&p, &L, 20000, &lim));
}

static void test_frame_deadline(void **state)
{
	struct pace p;
	const char *why;
	uint64_t lim;
	int64_t t;

	(void)state;
	pace_start(&p, 0);
	/* fast enough for the rate, but the frame never ends */
	for (t = 500; t < 20000; t += 500) {
		pace_moved(&p, 1000, t);
		assert_null(pace_check(&p, &L, t, &lim));
	}
	assert_true(pace_deadline(&p, &L) <= 20000);
	why = pace_check(&p, &L, 20000, &lim);
	assert_non_null(why);
	assert_non_null(strstr(why, "--request-timeout"));
	assert_int_equal(lim, 20);
	/* a completed frame is no longer timed as a frame */
	pace_start(&p, 0);
	pace_frame_done(&p);
	for (t = 500; t <= 25000; t += 500) {
		pace_moved(&p, 1000, t);
		assert_null(pace_check(&p, &L, t, &lim));
	}
}

static void test_stall(void **state)
{
	struct pace_limits l = L;
	struct pace p;
	uint64_t lim;

	(void)state;
	l.min_rate = 0; /* the rate check off: only the stall and frame */
	l.frame_ms = 1000000;
	pace_start(&p, 0);
	pace_moved(&p, 10, 29999);
	assert_null(pace_check(&p, &l, 59998, &lim));
	assert_true(pace_deadline(&p, &l) == 59999);
	assert_non_null(strstr(pace_check(&p, &l, 59999, &lim), "--stall-timeout"));
	pace_stop(&p);
	assert_null(pace_check(&p, &l, 1000000, &lim));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inactive),
		cmocka_unit_test(test_trickle_cut_by_rate),
		cmocka_unit_test(test_window_rolls),
		cmocka_unit_test(test_frame_deadline),
		cmocka_unit_test(test_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
