/*
 * test_frame.c - unit tests of src/core/frame.c (length-prefixed frames).
 *
 * Every length boundary of both directions, truncation at every byte
 * offset, oversized lengths refused from the header alone, and encode /
 * decode round trips.  Inputs sit right before a PROT_NONE page (guard.h)
 * so that any over-read crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/limits.h"

#include "guard.h"

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A frame of body length l (body bytes i & 0xff), total 4 + avail bytes
 * present (avail may be < l), placed before a guard page; peek it. */
static int peek_len(uint32_t l, size_t avail, size_t max, const uint8_t **base,
		    const uint8_t **body, size_t *body_len, struct guard *g)
{
	uint8_t *tmp = malloc(FR_FRAME_HDR + avail);
	assert_non_null(tmp);
	be32(tmp, l);
	for (size_t i = 0; i < avail; i++)
		tmp[FR_FRAME_HDR + i] = (uint8_t)i;
	uint8_t *p = guard_put(g, tmp, FR_FRAME_HDR + avail);
	free(tmp);
	*base = p;
	*body = (const uint8_t *)"sentinel";
	*body_len = 12345;
	return fr_frame_peek_mem(p, FR_FRAME_HDR + avail, max, body, body_len);
}

static void expect_ok(uint32_t l, size_t max)
{
	struct guard g;
	const uint8_t *base, *body;
	size_t blen;
	assert_int_equal(peek_len(l, l, max, &base, &body, &blen, &g), FR_OK);
	assert_ptr_equal(body, base + FR_FRAME_HDR);
	assert_int_equal(blen, l);
	assert_int_equal(body[l - 1], (uint8_t)(l - 1));
	guard_free(&g);
}

static void expect_refused_from_header(uint32_t l, size_t max)
{
	struct guard g;
	const uint8_t *base, *body;
	size_t blen;
	/* only the 4 header bytes are present: refused without waiting */
	assert_int_equal(peek_len(l, 0, max, &base, &body, &blen, &g),
			 FR_E_BAD_REQUEST);
	assert_null(body);
	assert_int_equal(blen, 0);
	guard_free(&g);
}

static void expect_again_header_only(uint32_t l, size_t max)
{
	struct guard g;
	const uint8_t *base, *body;
	size_t blen;
	assert_int_equal(peek_len(l, 0, max, &base, &body, &blen, &g), FR_AGAIN);
	assert_null(body);
	assert_int_equal(blen, 0);
	guard_free(&g);
}

static void test_len_zero(void **state)
{
	(void)state;
	expect_refused_from_header(0, FR_MAX_REQUEST);
	expect_refused_from_header(0, FR_MAX_RESPONSE);
}

static void test_len_one(void **state)
{
	(void)state;
	expect_ok(1, FR_MAX_REQUEST);
	expect_ok(1, FR_MAX_RESPONSE);
	expect_again_header_only(1, FR_MAX_REQUEST);
}

static void test_len_max_request(void **state)
{
	(void)state;
	expect_ok(FR_MAX_REQUEST, FR_MAX_REQUEST);
	expect_again_header_only(FR_MAX_REQUEST, FR_MAX_REQUEST);
	expect_refused_from_header(FR_MAX_REQUEST + 1, FR_MAX_REQUEST);
	/* a response may be larger than a request */
	expect_ok(FR_MAX_REQUEST + 1, FR_MAX_RESPONSE);
}

static void test_len_max_response(void **state)
{
	(void)state;
	expect_ok(FR_MAX_RESPONSE, FR_MAX_RESPONSE);
	expect_again_header_only(FR_MAX_RESPONSE, FR_MAX_RESPONSE);
	expect_refused_from_header(FR_MAX_RESPONSE + 1, FR_MAX_RESPONSE);
	expect_refused_from_header(FR_MAX_RESPONSE, FR_MAX_REQUEST);
}

static void test_len_u32_max(void **state)
{
	(void)state;
	expect_refused_from_header(UINT32_MAX, FR_MAX_REQUEST);
	expect_refused_from_header(UINT32_MAX, FR_MAX_RESPONSE);
	/* each header byte counts, big-endian */
	expect_refused_from_header(0x01000000u, FR_MAX_RESPONSE);
	expect_refused_from_header(0x00010001u, FR_MAX_REQUEST);
	expect_again_header_only(0x00010000u, FR_MAX_REQUEST);
	/* with a large enough max the length is just incomplete */
	expect_again_header_only(UINT32_MAX, (size_t)UINT32_MAX);
}

static void test_big_endian(void **state)
{
	(void)state;
	const uint8_t f[] = {0, 0, 1, 2};
	const uint8_t *body;
	size_t blen;
	uint8_t *full = calloc(1, 4 + 258);
	assert_non_null(full);
	memcpy(full, f, 4);
	assert_int_equal(fr_frame_peek_mem(full, 4 + 258, FR_MAX_REQUEST, &body, &blen), FR_OK);
	assert_int_equal(blen, 258);
	assert_int_equal(fr_frame_peek_mem(full, 4 + 257, FR_MAX_REQUEST, &body, &blen), FR_AGAIN);
	free(full);
}

/* Truncated at every byte offset: FR_AGAIN, no body, and (through a
 * buffer) nothing consumed. */
static void test_truncated_every_offset(void **state)
{
	(void)state;
	const char *json = "{\"op\":\"get\",\"path\":\"a/b\"}";
	size_t l = strlen(json);
	uint8_t frame[64];
	be32(frame, (uint32_t)l);
	memcpy(frame + 4, json, l);
	for (size_t n = 0; n < 4 + l; n++) {
		struct guard g;
		const uint8_t *body = (const uint8_t *)"x";
		size_t blen = 99;
		uint8_t *p = guard_put(&g, frame, n);
		assert_int_equal(fr_frame_peek_mem(p, n, FR_MAX_REQUEST, &body, &blen), FR_AGAIN);
		assert_null(body);
		assert_int_equal(blen, 0);
		guard_free(&g);

		struct fr_buf b;
		fr_buf_init(&b, FR_FRAME_HDR + FR_MAX_REQUEST);
		assert_int_equal(fr_buf_append(&b, frame, n), FR_OK);
		assert_int_equal(fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen), FR_AGAIN);
		assert_int_equal(fr_buf_len(&b), n);
		assert_memory_equal(fr_buf_data(&b), frame, n);
		fr_buf_cleanup(&b);
	}
	/* and the whole frame, exactly, before the guard page */
	struct guard g;
	const uint8_t *body;
	size_t blen;
	uint8_t *p = guard_put(&g, frame, 4 + l);
	assert_int_equal(fr_frame_peek_mem(p, 4 + l, FR_MAX_REQUEST, &body, &blen), FR_OK);
	assert_int_equal(blen, l);
	assert_memory_equal(body, json, l);
	guard_free(&g);
}

/* The same for a maximal response frame, at the offsets around the
 * header and the end. */
static void test_truncated_big(void **state)
{
	(void)state;
	size_t total = FR_FRAME_HDR + FR_MAX_RESPONSE;
	uint8_t *frame = malloc(total);
	assert_non_null(frame);
	be32(frame, FR_MAX_RESPONSE);
	memset(frame + 4, 'x', FR_MAX_RESPONSE);
	const size_t cuts[] = {0, 1, 2, 3, 4, 5, 4096, total - 2, total - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct guard g;
		const uint8_t *body;
		size_t blen;
		uint8_t *p = guard_put(&g, frame, cuts[i]);
		assert_int_equal(fr_frame_peek_mem(p, cuts[i], FR_MAX_RESPONSE, &body, &blen), FR_AGAIN);
		assert_null(body);
		guard_free(&g);
	}
	free(frame);
}

/* Extra bytes after a frame belong to the next one. */
static void test_two_frames(void **state)
{
	(void)state;
	struct fr_buf b;
	const uint8_t *body;
	size_t blen;
	fr_buf_init(&b, 1024);
	assert_int_equal(fr_frame_put(&b, "{\"a\":1}", 7, FR_MAX_REQUEST), FR_OK);
	assert_int_equal(fr_frame_put(&b, "{}", 2, FR_MAX_REQUEST), FR_OK);
	assert_int_equal(fr_buf_len(&b), 4 + 7 + 4 + 2);
	assert_int_equal(fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen), FR_OK);
	assert_int_equal(blen, 7);
	assert_memory_equal(body, "{\"a\":1}", 7);
	fr_buf_consume(&b, FR_FRAME_HDR + blen);
	assert_int_equal(fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen), FR_OK);
	assert_int_equal(blen, 2);
	assert_memory_equal(body, "{}", 2);
	fr_buf_consume(&b, FR_FRAME_HDR + blen);
	assert_int_equal(fr_buf_len(&b), 0);
	assert_int_equal(fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen), FR_AGAIN);
	fr_buf_cleanup(&b);
}

/* A buffer holding only an oversized header is refused at once. */
static void test_oversized_in_buf(void **state)
{
	(void)state;
	struct fr_buf b;
	const uint8_t *body;
	size_t blen;
	fr_buf_init(&b, FR_FRAME_HDR + FR_MAX_REQUEST);
	assert_int_equal(fr_buf_put_u32(&b, FR_MAX_REQUEST + 1), FR_OK);
	assert_int_equal(fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen), FR_E_BAD_REQUEST);
	assert_null(body);
	assert_int_equal(blen, 0);
	assert_int_equal(fr_buf_len(&b), 4);
	fr_buf_cleanup(&b);
}

static void test_put_bounds(void **state)
{
	(void)state;
	struct fr_buf b;
	uint8_t *payload = malloc(FR_MAX_RESPONSE + 1);
	assert_non_null(payload);
	memset(payload, 'p', FR_MAX_RESPONSE + 1);
	fr_buf_init(&b, 2 * (FR_FRAME_HDR + FR_MAX_RESPONSE));

	assert_int_equal(fr_frame_put(&b, payload, 0, FR_MAX_REQUEST), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 0);
	assert_int_equal(fr_frame_put(&b, payload, FR_MAX_REQUEST + 1, FR_MAX_REQUEST), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 0);
	assert_int_equal(fr_frame_put(&b, payload, FR_MAX_RESPONSE + 1, FR_MAX_RESPONSE), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 0);

	assert_int_equal(fr_frame_put(&b, payload, 1, FR_MAX_REQUEST), FR_OK);
	assert_int_equal(fr_buf_len(&b), 5);
	assert_memory_equal(fr_buf_data(&b), "\0\0\0\1p", 5);
	fr_buf_reset(&b);

	assert_int_equal(fr_frame_put(&b, payload, FR_MAX_REQUEST, FR_MAX_REQUEST), FR_OK);
	assert_int_equal(fr_buf_len(&b), 4 + FR_MAX_REQUEST);
	assert_memory_equal(fr_buf_data(&b), "\0\1\0\0", 4);
	fr_buf_reset(&b);

	assert_int_equal(fr_frame_put(&b, payload, FR_MAX_RESPONSE, FR_MAX_RESPONSE), FR_OK);
	assert_int_equal(fr_buf_len(&b), 4 + FR_MAX_RESPONSE);
	assert_memory_equal(fr_buf_data(&b), "\0\x10\0\0", 4);
	fr_buf_cleanup(&b);

	/* the output buffer's own cap: refused, nothing written */
	fr_buf_init(&b, 10);
	assert_int_equal(fr_frame_put(&b, payload, 6, FR_MAX_REQUEST), FR_OK);
	assert_int_equal(fr_frame_put(&b, payload, 1, FR_MAX_REQUEST), FR_E_TOO_LARGE);
	assert_int_equal(fr_buf_len(&b), 10);
	fr_buf_cleanup(&b);
	free(payload);
}

static void test_round_trip(void **state)
{
	(void)state;
	const size_t lens[] = {1, 2, 3, 4, 5, 255, 256, 257, 4096, 65535, FR_MAX_REQUEST};
	uint8_t *payload = malloc(FR_MAX_REQUEST);
	assert_non_null(payload);
	for (size_t i = 0; i < FR_MAX_REQUEST; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct fr_buf b;
		const uint8_t *body;
		size_t blen;
		fr_buf_init(&b, FR_FRAME_HDR + FR_MAX_REQUEST);
		assert_int_equal(fr_frame_put(&b, payload, lens[i], FR_MAX_REQUEST), FR_OK);
		/* decode from guarded memory too */
		struct guard g;
		uint8_t *p = guard_put(&g, fr_buf_data(&b), fr_buf_len(&b));
		assert_int_equal(fr_frame_peek_mem(p, fr_buf_len(&b), FR_MAX_REQUEST, &body, &blen), FR_OK);
		assert_int_equal(blen, lens[i]);
		assert_memory_equal(body, payload, lens[i]);
		guard_free(&g);
		assert_int_equal(fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen), FR_OK);
		assert_int_equal(blen, lens[i]);
		assert_memory_equal(body, payload, lens[i]);
		fr_buf_cleanup(&b);
	}
	free(payload);
}

/* Bytes arriving one at a time into a receive buffer. */
static void test_byte_by_byte(void **state)
{
	(void)state;
	struct fr_buf src, in;
	const uint8_t *body;
	size_t blen;
	const char *json = "{\"status\":\"ok\"}";
	fr_buf_init(&src, 256);
	fr_buf_init(&in, 256);
	assert_int_equal(fr_frame_put(&src, json, strlen(json), FR_MAX_RESPONSE), FR_OK);
	size_t total = fr_buf_len(&src);
	for (size_t i = 0; i < total; i++) {
		assert_int_equal(fr_frame_peek(&in, FR_MAX_RESPONSE, &body, &blen), FR_AGAIN);
		assert_int_equal(fr_buf_append(&in, fr_buf_data(&src) + i, 1), FR_OK);
	}
	assert_int_equal(fr_frame_peek(&in, FR_MAX_RESPONSE, &body, &blen), FR_OK);
	assert_int_equal(blen, strlen(json));
	assert_memory_equal(body, json, blen);
	fr_buf_cleanup(&src);
	fr_buf_cleanup(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_len_zero),
		cmocka_unit_test(test_len_one),
		cmocka_unit_test(test_len_max_request),
		cmocka_unit_test(test_len_max_response),
		cmocka_unit_test(test_len_u32_max),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_truncated_big),
		cmocka_unit_test(test_two_frames),
		cmocka_unit_test(test_oversized_in_buf),
		cmocka_unit_test(test_put_bounds),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_byte_by_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
