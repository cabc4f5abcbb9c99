/*
 * test_request.c - unit tests of src/core/request.c: request parsing as the
 * server sees it (every op, wrong types, missing fields, sizes around 2^53,
 * sha256 forms, paths) and the request builders.  Every payload is parsed
 * from guarded memory (guard.h).
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
#include "ferry/path.h"
#include "ferry/proto.h"

#include "guard.h"
#include "msg.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* ---- requests: valid ops ---------------------------------------------- */

static void test_req_hello(void **state)
{
	(void)state;
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"hello\",\"version\":1,\"client\":\"ferry/0.1\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_HELLO);
	assert_string_equal(r.op_name, "hello");
	assert_true(r.has_version);
	assert_int_equal(r.version, 1);
	assert_false(r.has_path);
	assert_false(r.has_size);
	assert_false(r.has_offset);
	assert_false(r.has_sha256);
	assert_false(r.overwrite);

	assert_int_equal(req("{\"op\":\"hello\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_HELLO);
	assert_false(r.has_version);
	assert_int_equal(r.version, 0);
	/* hello needs no path; a path it carries is not read */
	assert_int_equal(req("{\"op\":\"hello\",\"path\":\"a\"}", &r), FR_OK);
	assert_false(r.has_path);
}

static void test_req_put(void **state)
{
	(void)state;
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"put\",\"path\":\"releases/app.tar.gz\",\"size\":12345,"
			     "\"sha256\":\"" HEX64 "\",\"overwrite\":true}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_PUT);
	assert_string_equal(r.op_name, "put");
	assert_true(r.has_path);
	assert_string_equal(r.path, "releases/app.tar.gz");
	assert_true(r.has_size);
	assert_int_equal(r.size, 12345);
	assert_true(r.has_sha256);
	assert_string_equal(r.sha256, HEX64);
	assert_true(r.overwrite);
	assert_false(r.resume);
	assert_false(r.has_offset);
	assert_false(r.want_sha256);

	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"size\":0}", &r), FR_OK);
	assert_int_equal(r.size, 0);
	assert_true(r.has_size);
	assert_false(r.has_sha256);
	assert_int_equal(r.sha256[0], '\0');
	assert_false(r.overwrite);

	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"overwrite\":false,"
			     "\"resume\":true,\"offset\":0}", &r), FR_OK);
	assert_false(r.overwrite);
	assert_true(r.resume);
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 0);
	/* members in any order, with JSON whitespace */
	assert_int_equal(req(" \t\r\n{ \"size\" : 7 ,\n\"path\":\"x/y\" , \"op\" : \"put\" }\n ", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_PUT);
	assert_int_equal(r.size, 7);
	assert_string_equal(r.path, "x/y");
}

static void test_req_get(void **state)
{
	(void)state;
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a/b\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_GET);
	assert_string_equal(r.path, "a/b");
	assert_false(r.has_offset);
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a/b\",\"offset\":4096}", &r), FR_OK);
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 4096);
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a\",\"offset\":9007199254740991}", &r), FR_OK);
	assert_int_equal(r.offset, FR_SIZE_MAX);
	/* header contract: an integral offset above 2^53-1 is too_large */
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"offset\":9007199254740992}", FR_E_TOO_LARGE);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"offset\":1e300}", FR_E_TOO_LARGE);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"offset\":1e300}", FR_E_TOO_LARGE);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"offset\":-1}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"offset\":0.5}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"offset\":1e400}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"offset\":\"1\"}", FR_E_BAD_REQUEST);
	/* get of the root parses (the server answers invalid_path) */
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"\"}", &r), FR_OK);
	assert_string_equal(r.path, "");
	assert_true(r.has_path);
}

static void test_req_list_stat_delete(void **state)
{
	(void)state;
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"list\",\"path\":\"\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_LIST);
	assert_true(r.has_path);
	assert_string_equal(r.path, "");
	assert_int_equal(req("{\"op\":\"list\",\"path\":\"releases\"}", &r), FR_OK);
	assert_string_equal(r.path, "releases");

	assert_int_equal(req("{\"op\":\"stat\",\"path\":\"f\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_STAT);
	assert_false(r.want_sha256);
	assert_false(r.has_sha256);
	assert_int_equal(req("{\"op\":\"stat\",\"path\":\"f\",\"sha256\":true}", &r), FR_OK);
	assert_true(r.want_sha256);
	assert_false(r.has_sha256);
	assert_int_equal(req("{\"op\":\"stat\",\"path\":\"f\",\"sha256\":false}", &r), FR_OK);
	assert_false(r.want_sha256);

	assert_int_equal(req("{\"op\":\"delete\",\"path\":\"a/b/c\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_DELETE);
	assert_string_equal(r.path, "a/b/c");
	assert_string_equal(r.op_name, "delete");
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(fr_op_name(FR_OP_HELLO), "hello");
	assert_string_equal(fr_op_name(FR_OP_PUT), "put");
	assert_string_equal(fr_op_name(FR_OP_GET), "get");
	assert_string_equal(fr_op_name(FR_OP_LIST), "list");
	assert_string_equal(fr_op_name(FR_OP_STAT), "stat");
	assert_string_equal(fr_op_name(FR_OP_DELETE), "delete");
	assert_string_equal(fr_op_name(FR_OP_UNKNOWN), "?");
	assert_string_equal(fr_op_name((enum fr_op)99), "?");
}

/* ---- requests: unknown op and unknown fields ------------------------ */

static void test_req_unknown(void **state)
{
	(void)state;
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"frobnicate\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_UNKNOWN);
	assert_string_equal(r.op_name, "frobnicate");
	assert_false(r.has_path);
	/* the other fields of an unknown op mean nothing, even broken ones */
	assert_int_equal(req("{\"op\":\"rmtree\",\"path\":\"../x\",\"size\":-1}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_UNKNOWN);
	/* ops are case-sensitive */
	assert_int_equal(req("{\"op\":\"PUT\",\"path\":\"a\",\"size\":1}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_UNKNOWN);
	assert_int_equal(req("{\"op\":\"\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_UNKNOWN);
	assert_string_equal(r.op_name, "");
	/* a long op name is kept truncated for the log */
	assert_int_equal(req("{\"op\":\"0123456789012345678901234567890123456789\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_UNKNOWN);
	assert_int_equal(strlen(r.op_name), sizeof(r.op_name) - 1);
	assert_memory_equal(r.op_name, "0123456789012345678901234567890", 31);

	/* unknown fields of any type are ignored */
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a\",\"x\":1,\"y\":[1,{\"z\":null}],"
			     "\"client\":{},\"OP\":\"put\",\"Path\":7,\"future\":\"\\u00e9\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_GET);
	assert_string_equal(r.path, "a");
	/* fields of other ops are ignored too (get carries no size) */
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a\",\"size\":\"x\",\"overwrite\":1}", &r), FR_OK);
	assert_false(r.has_size);
	assert_false(r.overwrite);
}

/* ---- requests: wrong types and missing fields ------------------------ */

static void test_req_wrong_types(void **state)
{
	(void)state;
	static const char *const t[] = {
		/* op */
		"{\"op\":1}", "{\"op\":null}", "{\"op\":true}", "{\"op\":[\"get\"]}",
		"{\"op\":{\"get\":1}}", "{\"op\":1.5}",
		/* path, for every op that reads it */
		"{\"op\":\"get\",\"path\":1}", "{\"op\":\"get\",\"path\":null}",
		"{\"op\":\"get\",\"path\":true}", "{\"op\":\"get\",\"path\":[\"a\"]}",
		"{\"op\":\"get\",\"path\":{}}", "{\"op\":\"put\",\"path\":5,\"size\":1}",
		"{\"op\":\"list\",\"path\":false}", "{\"op\":\"stat\",\"path\":0}",
		"{\"op\":\"delete\",\"path\":[]}",
		/* size */
		"{\"op\":\"put\",\"path\":\"a\",\"size\":\"5\"}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":true}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":false}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":null}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":[5]}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":{}}",
		/* sha256 (put: hex string) */
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"sha256\":true}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"sha256\":1}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"sha256\":null}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"sha256\":[\"" HEX64 "\"]}",
		/* sha256 (stat: bool) */
		"{\"op\":\"stat\",\"path\":\"a\",\"sha256\":\"" HEX64 "\"}",
		"{\"op\":\"stat\",\"path\":\"a\",\"sha256\":1}",
		"{\"op\":\"stat\",\"path\":\"a\",\"sha256\":null}",
		"{\"op\":\"stat\",\"path\":\"a\",\"sha256\":\"true\"}",
		/* overwrite, resume */
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"overwrite\":1}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"overwrite\":\"true\"}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"overwrite\":null}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"resume\":0}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"resume\":\"no\"}",
		/* offset */
		"{\"op\":\"get\",\"path\":\"a\",\"offset\":\"0\"}",
		"{\"op\":\"get\",\"path\":\"a\",\"offset\":true}",
		"{\"op\":\"get\",\"path\":\"a\",\"offset\":null}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"offset\":[]}",
		/* hello */
		"{\"op\":\"hello\",\"version\":\"1\"}",
		"{\"op\":\"hello\",\"version\":-1}",
		"{\"op\":\"hello\",\"version\":1.5}",
		"{\"op\":\"hello\",\"version\":null}",
		"{\"op\":\"hello\",\"client\":1}",
		"{\"op\":\"hello\",\"client\":null}",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_req(t[i], FR_E_BAD_REQUEST);
}

static void test_req_missing(void **state)
{
	(void)state;
	static const char *const t[] = {
		"{}",
		"{\"path\":\"a\"}",
		"{\"Op\":\"get\",\"path\":\"a\"}",
		"{\"op \":\"get\",\"path\":\"a\"}",
		"{\"x\":{\"op\":\"get\"},\"path\":\"a\"}", /* nested op does not count */
		"{\"op\":\"put\",\"size\":1}",
		"{\"op\":\"put\",\"path\":\"a\"}",
		"{\"op\":\"put\"}",
		"{\"op\":\"get\"}",
		"{\"op\":\"list\"}",
		"{\"op\":\"stat\",\"sha256\":true}",
		"{\"op\":\"delete\"}",
		"{\"op\":\"get\",\"Path\":\"a\"}",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_req(t[i], FR_E_BAD_REQUEST);
}

/* ---- requests: sizes --------------------------------------------------- */

static void test_req_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *lit;
		int rc;
		uint64_t size;
	} t[] = {
		{"0", FR_OK, 0},
		{"1", FR_OK, 1},
		{"9007199254740991", FR_OK, 9007199254740991ull}, /* 2^53-1 */
		{"9007199254740990", FR_OK, 9007199254740990ull},
		{"3000000000", FR_OK, 3000000000ull},   /* valueint saturates here */
		{"2147483647", FR_OK, 2147483647ull},
		{"2147483648", FR_OK, 2147483648ull},
		{"4294967296", FR_OK, 4294967296ull},
		{"-0", FR_OK, 0},   /* minus zero is zero: neither negative nor fractional */
		{"1.0", FR_OK, 1},  /* integral value in fraction syntax */
		{"1e3", FR_OK, 1000},
		{"1E3", FR_OK, 1000},
		{"2.5e1", FR_OK, 25},
		{"9007199254740992", FR_E_TOO_LARGE, 0}, /* 2^53 */
		{"9007199254740993", FR_E_TOO_LARGE, 0},
		{"18446744073709551616", FR_E_TOO_LARGE, 0}, /* 2^64 */
		{"1e300", FR_E_TOO_LARGE, 0},
		{"1.7976931348623157e308", FR_E_TOO_LARGE, 0},
		{"1e400", FR_E_BAD_REQUEST, 0},  /* inf */
		{"-1e400", FR_E_BAD_REQUEST, 0}, /* -inf */
		{"-1", FR_E_BAD_REQUEST, 0},
		{"-9007199254740991", FR_E_BAD_REQUEST, 0},
		{"-1e300", FR_E_BAD_REQUEST, 0},
		{"1.5", FR_E_BAD_REQUEST, 0},
		{"0.5", FR_E_BAD_REQUEST, 0},
		{"1e-1", FR_E_BAD_REQUEST, 0},
		{"4503599627370495.5", FR_E_BAD_REQUEST, 0}, /* 2^52-0.5, exact */
		{"\"5\"", FR_E_BAD_REQUEST, 0},
		{"true", FR_E_BAD_REQUEST, 0},
		{"null", FR_E_BAD_REQUEST, 0},
		/* not JSON numbers at all */
		{"NaN", FR_E_BAD_REQUEST, 0},
		{"Infinity", FR_E_BAD_REQUEST, 0},
		{"+1", FR_E_BAD_REQUEST, 0},
		{"01", FR_E_BAD_REQUEST, 0},
		{".5", FR_E_BAD_REQUEST, 0},
		{"1.", FR_E_BAD_REQUEST, 0},
		{"1e", FR_E_BAD_REQUEST, 0},
		{"0x10", FR_E_BAD_REQUEST, 0},
		{"-", FR_E_BAD_REQUEST, 0},
		{"1 2", FR_E_BAD_REQUEST, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char s[256];
		struct fr_request r;
		snprintf(s, sizeof(s), "{\"op\":\"put\",\"path\":\"a\",\"size\":%s}", t[i].lit);
		int rc = req(s, &r);
		if (rc != t[i].rc)
			fail_msg("size %s: got %d want %d", t[i].lit, rc, t[i].rc);
		if (rc == FR_OK) {
			assert_true(r.has_size);
			if (r.size != t[i].size)
				fail_msg("size %s: got %llu", t[i].lit, (unsigned long long)r.size);
		} else {
			assert_false(r.has_size);
			assert_int_equal(r.size, 0);
		}
	}
}

/* ---- requests: sha256 -------------------------------------------------- */

static void test_req_sha256(void **state)
{
	(void)state;
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"size\":3,\"sha256\":\"" HEX_ABC "\"}", &r), FR_OK);
	assert_true(r.has_sha256);
	assert_string_equal(r.sha256, HEX_ABC);
	static const char *const bad[] = {
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", /* upper */
		"Ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", /* one upper */
		"a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",  /* 63 */
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", /* 65 */
		"ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", /* non-hex */
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a ",
		" a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"",
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char s[256];
		snprintf(s, sizeof(s), "{\"op\":\"put\",\"path\":\"a\",\"size\":3,\"sha256\":\"%s\"}", bad[i]);
		expect_req(s, FR_E_BAD_REQUEST);
	}
	/* a NUL after 64 good digits must not pass as the 64 digits */
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":3,\"sha256\":\"" HEX_ABC "\\u0000\"}",
		   FR_E_BAD_REQUEST);
	/* put wants hex, stat wants a bool: each refuses the other's form */
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":3,\"sha256\":true}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"stat\",\"path\":\"a\",\"sha256\":\"" HEX_ABC "\"}", FR_E_BAD_REQUEST);
	assert_int_equal(req("{\"op\":\"stat\",\"path\":\"a\",\"sha256\":true}", &r), FR_OK);
	assert_true(r.want_sha256);
}

/* ---- requests: paths --------------------------------------------------- */

static void test_req_paths(void **state)
{
	(void)state;
	struct fr_request r;
	static const char *const bad[] = {
		"/a", "a/", "a//b", ".", "..", "a/../b", "../x", "a\\\\b",
		"a\\tb", "a\\nb", "a\\u0001b", "a\\u007fb", "a\x7f" "b",
		"\\ud800\\udc00\\u002f..", /* U+10000 then "/..": the '..' rule */
		"\\u002fetc", /* escaped '/' at the start */
		"a\\/..",     /* JSON \/ is '/' */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char s[256];
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"%s\"}", bad[i]);
		expect_req(s, FR_E_INVALID_PATH);
	}
	/* escapes decode before the path rules apply */
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a\\/b\"}", &r), FR_OK);
	assert_string_equal(r.path, "a/b");
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"\\u00e9t\\u00E9\"}", &r), FR_OK);
	assert_string_equal(r.path, "\xc3\xa9t\xc3\xa9");
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"\\ud83d\\ude00\"}", &r), FR_OK);
	assert_string_equal(r.path, "\xf0\x9f\x98\x80");
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"\xe6\x97\xa5/\\\"q\\\"\"}", &r), FR_OK);
	assert_string_equal(r.path, "\xe6\x97\xa5/\"q\"");

	/* 4095 bytes fit, 4096 do not (also when the field itself overflows) */
	char *s = malloc(5000);
	assert_non_null(s);
	for (int longer = 0; longer <= 1; longer++) {
		size_t plen = FR_PATH_MAX + (size_t)longer;
		size_t k = (size_t)snprintf(s, 5000, "{\"op\":\"get\",\"path\":\"");
		for (size_t i = 0; i < plen; i++)
			s[k++] = (i % 100 == 99) ? '/' : 'p';
		k += (size_t)snprintf(s + k, 5000 - k, "\"}");
		int rc = req_n(s, k, &r);
		if (!longer) {
			assert_int_equal(rc, FR_OK);
			assert_int_equal(strlen(r.path), FR_PATH_MAX);
		} else {
			assert_int_equal(rc, FR_E_INVALID_PATH);
			assert_false(r.has_path);
		}
	}
	free(s);
}

static void test_req_truncated(void **state)
{
	(void)state;
	const char *s = "{\"op\":\"put\",\"path\":\"\xc3\xa9/\\u00e9\\ud83d\\ude00\",\"size\":1.5e3,"
			"\"sha256\":\"" HEX64 "\",\"overwrite\":true,\"x\":[null,false,{}]}";
	size_t n = strlen(s);
	struct fr_request r;
	assert_int_equal(req_n(s, n, &r), FR_OK);
	assert_int_equal(r.size, 1500);
	for (size_t i = 0; i < n; i++) {
		int rc = req_n(s, i, &r);
		if (rc != FR_E_BAD_REQUEST)
			fail_msg("prefix %zu: got %d", i, rc);
	}
}

/* Request builders round-trip through the frame codec and the parser. */
static void test_req_builders(void **state)
{
	(void)state;
	struct fr_buf out;
	struct fr_request r;
	const uint8_t *body;
	size_t len;
	fr_buf_init(&out, FR_FRAME_HDR + FR_MAX_REQUEST);

	assert_int_equal(fr_req_hello(&out), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_HELLO);
	assert_true(r.has_version);
	assert_int_equal(r.version, FR_PROTO_VERSION);
	fr_buf_reset(&out);

	/* builders do not judge paths; the parser applies the rules */
	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "d/\"q\"\\x", .size = 1}), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_E_INVALID_PATH);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "d/\"q\"/\xc3\xa9", .size = FR_SIZE_MAX,
							       .sha256 = HEX_ABC, .overwrite = true}),
			 FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_string_equal(r.path, "d/\"q\"/\xc3\xa9");
	assert_int_equal(r.size, FR_SIZE_MAX);
	assert_string_equal(r.sha256, HEX_ABC);
	assert_true(r.overwrite);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "a", .size = 3000000000ull}), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.size, 3000000000ull);
	assert_false(r.has_sha256);
	assert_false(r.overwrite);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_get(&out, "x/y", 0), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_GET);
	assert_false(r.has_offset);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_get(&out, "x/y", 123456789012ull), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 123456789012ull);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_list(&out, "", false), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_LIST);
	assert_string_equal(r.path, "");
	assert_false(r.recursive);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_list(&out, "t", true), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_true(r.recursive);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_mkdir(&out, "a/b", true), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_MKDIR);
	assert_string_equal(r.path, "a/b");
	assert_true(r.parents);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_stat(&out, "f", true), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_STAT);
	assert_true(r.want_sha256);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_stat(&out, "f", false), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_false(r.want_sha256);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_delete(&out, "gone"), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_DELETE);
	assert_string_equal(r.path, "gone");
	fr_buf_cleanup(&out);
}

/* Protocol 2: put bodies that need no "ready", mtime and mode, recursive
 * list, mkdir; and a refused path still yields the put's size (the
 * server needs it to skip the body that follows). */
static void test_req_v2(void **state)
{
	(void)state;
	struct fr_request r;
	struct fr_buf out;
	const uint8_t *body;
	size_t len;

	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"size\":5,\"body\":\"follows\"}", &r), FR_OK);
	assert_int_equal(r.body, FR_BODY_FOLLOWS);
	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"body\":\"chunked\"}", &r), FR_OK);
	assert_int_equal(r.body, FR_BODY_CHUNKED);
	assert_false(r.has_size);
	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"size\":5}", &r), FR_OK);
	assert_int_equal(r.body, FR_BODY_READY);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":5,\"body\":\"now\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":5,\"body\":true}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"body\":\"follows\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":5,\"body\":\"chunked\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":5,\"body\":\"follows\",\"resume\":true}",
		   FR_E_BAD_REQUEST);

	assert_int_equal(req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"mtime\":-5,\"mode\":493}", &r), FR_OK);
	assert_true(r.has_mtime);
	assert_int_equal(r.mtime, -5);
	assert_true(r.has_mode);
	assert_int_equal(r.mode, 0755);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"mode\":512}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"mode\":-1}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"mode\":\"755\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"mtime\":1.5}", FR_E_BAD_REQUEST);

	/* a bad path is reported after the fields that say how long the
	 * body is; a bad field still wins (it closes the connection) */
	assert_int_equal(req("{\"op\":\"put\",\"path\":\"../x\",\"size\":7,\"body\":\"follows\"}", &r),
			 FR_E_INVALID_PATH);
	assert_int_equal(r.body, FR_BODY_FOLLOWS);
	assert_true(r.has_size);
	assert_int_equal(r.size, 7);
	assert_false(r.has_path);
	expect_req("{\"op\":\"put\",\"path\":\"../x\",\"size\":\"7\"}", FR_E_BAD_REQUEST);

	assert_int_equal(req("{\"op\":\"list\",\"path\":\"\",\"recursive\":true}", &r), FR_OK);
	assert_true(r.recursive);
	expect_req("{\"op\":\"list\",\"path\":\"\",\"recursive\":1}", FR_E_BAD_REQUEST);
	assert_int_equal(req("{\"op\":\"mkdir\",\"path\":\"d\"}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_MKDIR);
	assert_false(r.parents);
	expect_req("{\"op\":\"mkdir\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"mkdir\",\"path\":\"d\",\"parents\":\"yes\"}", FR_E_BAD_REQUEST);

	/* rename: "to" is required, a string, and obeys every path rule */
	assert_int_equal(req("{\"op\":\"rename\",\"path\":\"a/b\",\"to\":\"c/d\",\"overwrite\":true}", &r), FR_OK);
	assert_int_equal(r.op, FR_OP_RENAME);
	assert_string_equal(r.path, "a/b");
	assert_non_null(r.to);
	assert_string_equal(r.to, "c/d");
	assert_true(r.overwrite);
	fr_request_cleanup(&r);
	assert_null(r.to);
	fr_request_cleanup(&r); /* twice is fine */
	assert_int_equal(req("{\"op\":\"rename\",\"path\":\"a\",\"to\":\"b\"}", &r), FR_OK);
	assert_false(r.overwrite);
	fr_request_cleanup(&r);
	expect_req("{\"op\":\"rename\",\"path\":\"a\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"rename\",\"path\":\"a\",\"to\":null}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"rename\",\"path\":\"a\",\"to\":[\"b\"]}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"rename\",\"path\":\"a\",\"to\":\"b\",\"overwrite\":1}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"rename\",\"path\":\"a\",\"to\":\"b\\u0000c\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"rename\",\"to\":\"b\"}", FR_E_BAD_REQUEST);
	{
		static const char *const bad_to[] = {
			"../x", "/abs", "a//b", "a/", ".", "a/../b", "a\\\\b",
			"a\\u0001b", "\\ud800", "\xff",
		};
		char q[128];

		for (size_t i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
			snprintf(q, sizeof(q), "{\"op\":\"rename\",\"path\":\"a\",\"to\":\"%s\"}", bad_to[i]);
			int rc = req(q, &r);
			if (rc != FR_E_INVALID_PATH && rc != FR_E_BAD_REQUEST)
				fail_msg("%s: got %d", q, rc);
			assert_null(r.to);
		}
	}
	/* a bad path is invalid_path, whatever "to" is */
	expect_req("{\"op\":\"rename\",\"path\":\"../a\",\"to\":\"b\"}", FR_E_INVALID_PATH);

	/* the builder: every field round trips; chunked leaves size out */
	fr_buf_init(&out, FR_FRAME_HDR + FR_MAX_REQUEST);
	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "p", .size = 9, .body = FR_BODY_FOLLOWS,
							       .has_mtime = true, .mtime = 1700000000,
							       .has_mode = true, .mode = 07755}),
			 FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.body, FR_BODY_FOLLOWS);
	assert_int_equal(r.size, 9);
	assert_int_equal(r.mtime, 1700000000);
	assert_int_equal(r.mode, 0755); /* never more than 0777 */
	fr_buf_reset(&out);
	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "p", .size = 9, .body = FR_BODY_CHUNKED}),
			 FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.body, FR_BODY_CHUNKED);
	assert_false(r.has_size);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_rename(&out, "from/x", "to/y", true), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_RENAME);
	assert_string_equal(r.path, "from/x");
	assert_string_equal(r.to, "to/y");
	assert_true(r.overwrite);
	fr_request_cleanup(&r);
	fr_buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_hello),
		cmocka_unit_test(test_req_put),
		cmocka_unit_test(test_req_get),
		cmocka_unit_test(test_req_list_stat_delete),
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_req_unknown),
		cmocka_unit_test(test_req_wrong_types),
		cmocka_unit_test(test_req_missing),
		cmocka_unit_test(test_req_sizes),
		cmocka_unit_test(test_req_sha256),
		cmocka_unit_test(test_req_paths),
		cmocka_unit_test(test_req_truncated),
		cmocka_unit_test(test_req_builders),
		cmocka_unit_test(test_req_v2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
