/*
 * test_proto.c - unit tests of src/core/proto.c (requests and responses).
 *
 * Request parsing as the server sees it (every op, wrong types, missing
 * fields, sizes around 2^53, sha256 forms) and every permissive corner of
 * cJSON 1.7.15 the parser must close itself (escaped NULs, duplicate keys,
 * trailing bytes, invalid UTF-8, raw control characters, lone surrogates,
 * deep nesting, valueint saturation).  Response parsing as the client
 * sees a hostile server, and builders round-tripped through frame and
 * parser.  Every payload is parsed from guarded memory (guard.h).
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

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* ---- helpers ----------------------------------------------------------- */

static int req_n(const void *s, size_t n, struct fr_request *r)
{
	struct guard g;
	const char *why = "stale";
	const uint8_t *p = guard_put(&g, s, n);
	memset(r, 0xA5, sizeof(*r)); /* the parser must zero it */
	int rc = fr_request_parse(p, n, r, &why);
	if (rc == FR_OK)
		assert_null(why);
	else
		assert_true(why != NULL && strlen(why) > 0);
	guard_free(&g);
	return rc;
}

static int req(const char *s, struct fr_request *r)
{
	return req_n(s, strlen(s), r);
}

/* Parse and require rc, with a message naming the input. */
static void expect_req(const char *s, int want)
{
	struct fr_request r;
	int rc = req(s, &r);
	if (rc != want)
		fail_msg("%s: got %d want %d", s, rc, want);
}

static void expect_req_n(const char *s, size_t n, int want)
{
	struct fr_request r;
	int rc = req_n(s, n, &r);
	if (rc != want)
		fail_msg("%.*s: got %d want %d", (int)n, s, rc, want);
}

static int resp_n(const void *s, size_t n, struct fr_response *r)
{
	struct guard g;
	const char *why = "stale";
	const uint8_t *p = guard_put(&g, s, n);
	int rc = fr_response_parse(p, n, r, &why);
	if (rc == FR_OK)
		assert_null(why);
	else
		assert_true(why != NULL && strlen(why) > 0);
	guard_free(&g);
	return rc;
}

static int resp(const char *s, struct fr_response *r)
{
	return resp_n(s, strlen(s), r);
}

static void expect_resp(const char *s, int want)
{
	struct fr_response r;
	int rc = resp(s, &r);
	if (rc != want)
		fail_msg("%s: got %d want %d", s, rc, want);
	if (rc != FR_OK) {
		assert_null(r.entries);
		assert_int_equal(r.n_entries, 0);
	}
	fr_response_cleanup(&r);
}

/* The one frame in out must be the whole buffer; return its payload. */
static const uint8_t *only_frame(const struct fr_buf *out, size_t max, size_t *len)
{
	const uint8_t *body;
	assert_int_equal(fr_frame_peek(out, max, &body, len), FR_OK);
	assert_int_equal(fr_buf_len(out), FR_FRAME_HDR + *len);
	return body;
}

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
	assert_int_equal(req("{\"op\":\"mkdir\",\"path\":\"../x\",\"size\":-1}", &r), FR_OK);
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

/* ---- requests: the cJSON gaps ------------------------------------------- */

static void test_req_escaped_nul(void **state)
{
	(void)state;
	/* in "path": invalid_path, never a truncated "a" */
	expect_req("{\"op\":\"get\",\"path\":\"a\\u0000b\"}", FR_E_INVALID_PATH);
	expect_req("{\"op\":\"get\",\"path\":\"a\\u0000\"}", FR_E_INVALID_PATH);
	expect_req("{\"op\":\"get\",\"path\":\"\\u0000\"}", FR_E_INVALID_PATH);
	expect_req("{\"op\":\"put\",\"path\":\"a\\u0000/../../etc/passwd\",\"size\":1}", FR_E_INVALID_PATH);
	expect_req("{\"op\":\"list\",\"path\":\"\\u0000\"}", FR_E_INVALID_PATH);
	/* in "op" and other values: bad_request */
	expect_req("{\"op\":\"get\\u0000\",\"path\":\"a\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\\u0000x\",\"path\":\"a\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"sha256\":\"\\u0000\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"hello\",\"client\":\"ferry\\u0000evil\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"x\":\"\\u0000\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"x\":[\"\\u0000\"]}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"x\":{\"path\":\"\\u0000\"}}", FR_E_BAD_REQUEST);
	/* in keys: "path\u0000" would otherwise read as "path" */
	expect_req("{\"op\":\"get\",\"path\\u0000\":\"a\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\\u0000x\":\"get\",\"path\":\"a\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"x\\u0000\":1}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\"path\":\"a\",\"x\":{\"\\u0000\":1}}", FR_E_BAD_REQUEST);
	/* other escapes near zero are fine where allowed */
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"a\\u0020b\"}", &r), FR_OK);
	assert_string_equal(r.path, "a b");
}

static void test_req_duplicates(void **state)
{
	(void)state;
	static const char *const t[] = {
		"{\"op\":\"get\",\"op\":\"delete\",\"path\":\"a\"}",
		"{\"op\":\"get\",\"path\":\"a\",\"op\":\"get\"}",
		"{\"op\":\"get\",\"path\":\"a\",\"path\":\"b\"}",
		"{\"op\":\"get\",\"path\":\"a\",\"path\":\"../../etc/passwd\"}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"size\":99}",
		"{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"overwrite\":false,\"overwrite\":true}",
		"{\"op\":\"get\",\"path\":\"a\",\"x\":1,\"x\":1}",  /* even unknown ones */
		"{\"op\":\"get\",\"\\u006fp\":\"delete\",\"path\":\"a\"}", /* escaped spelling */
		"{\"op\":\"get\",\"path\":\"a\",\"p\\u0061th\":\"b\"}",
		"{\"op\":\"frob\",\"op\":\"frob\"}",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_req(t[i], FR_E_BAD_REQUEST);
}

static void test_req_trailing(void **state)
{
	(void)state;
	static const char *const t[] = {
		"{\"op\":\"get\",\"path\":\"a\"} x",
		"{\"op\":\"get\",\"path\":\"a\"}{\"op\":\"delete\",\"path\":\"a\"}",
		"{\"op\":\"get\",\"path\":\"a\"}}",
		"{\"op\":\"get\",\"path\":\"a\"},",
		"{\"op\":\"get\",\"path\":\"a\"} 1",
		"{\"op\":\"get\",\"path\":\"a\"}\"\"",
		"x{\"op\":\"get\",\"path\":\"a\"}",
		"{\"op\":\"get\",\"path\":\"a\"}//",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_req(t[i], FR_E_BAD_REQUEST);
	/* a raw NUL after the object is a trailing byte too */
	const char nul[] = "{\"op\":\"get\",\"path\":\"a\"}\0";
	expect_req_n(nul, sizeof(nul) - 1, FR_E_BAD_REQUEST);
	/* the payload ends where its length says: what follows is not read */
	const char more[] = "{\"op\":\"get\",\"path\":\"a\"}GARBAGE";
	expect_req_n(more, sizeof(more) - 1 - 7, FR_OK);
	/* trailing JSON whitespace is fine */
	expect_req("{\"op\":\"get\",\"path\":\"a\"} \r\n\t", FR_OK);
}

static void test_req_invalid_utf8(void **state)
{
	(void)state;
	static const char *const bytes[] = {
		"\xff", "\xfe", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
		"\xf0\x80\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xc3", "\xe6\x97",
		"\xf0\x9f\x98", "\x80", "\xe6\x41\xa5",
	};
	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		char s[256];
		/* in the path, in op, in an unknown value and in a key */
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a%sb\"}", bytes[i]);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a%s\"}", bytes[i]);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get%s\",\"path\":\"a\"}", bytes[i]);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a\",\"x\":\"%s\"}", bytes[i]);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a\",\"%s\":1}", bytes[i]);
		expect_req(s, FR_E_BAD_REQUEST);
		/* and outside any string */
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a\"%s}", bytes[i]);
		expect_req(s, FR_E_BAD_REQUEST);
	}
	/* a multi-byte character whose bytes straddle an escape */
	expect_req("{\"op\":\"get\",\"path\":\"\xc3\\n\xa9\"}", FR_E_BAD_REQUEST);
	/* valid UTF-8 of every length passes */
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\"}", &r), FR_OK);
	assert_string_equal(r.path, "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80");
}

static void test_req_raw_controls(void **state)
{
	(void)state;
	for (int c = 1; c < 0x20; c++) {
		char s[128];
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a%cb\"}", c);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get%c\",\"path\":\"a\"}", c);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a\",\"x%c\":1}", c);
		expect_req(s, FR_E_BAD_REQUEST);
	}
	/* a raw NUL inside a string */
	const char nul[] = "{\"op\":\"get\",\"path\":\"a\0b\"}";
	expect_req_n(nul, sizeof(nul) - 1, FR_E_BAD_REQUEST);
	/* JSON allows a raw DEL in a string; the path rules do not */
	expect_req("{\"op\":\"get\",\"path\":\"a\x7f\"}", FR_E_INVALID_PATH);
	/* whitespace between tokens is not a control character problem */
	expect_req("{\t\"op\"\n:\r\"get\" ,\"path\":\"a\"}", FR_OK);
	/* but other control bytes between tokens are */
	expect_req("{\"op\":\"get\",\x0b\"path\":\"a\"}", FR_E_BAD_REQUEST);
	expect_req("{\"op\":\"get\",\x0c\"path\":\"a\"}", FR_E_BAD_REQUEST);
}

static void test_req_surrogates(void **state)
{
	(void)state;
	static const char *const t[] = {
		"\\ud800",          /* lone high at the end */
		"\\ud800x",         /* high then a plain char */
		"\\ud800\\u0041",   /* high then a non-surrogate escape */
		"\\ud800\\ud800",   /* high then high */
		"\\udc00",          /* lone low */
		"\\udfff",
		"x\\udc00\\ud800",  /* reversed pair */
		"\\ud800\\n",       /* high then another escape */
		"\\uDBFF",
		"\\ud800\\u",       /* truncated escapes */
		"\\u12",
		"\\u12g4",
		"\\x41",            /* not a JSON escape */
		"\\a",
		"\\'",
		"\\U0041",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char s[128];
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"%s\"}", t[i]);
		expect_req(s, FR_E_BAD_REQUEST);
		snprintf(s, sizeof(s), "{\"op\":\"get\",\"path\":\"a\",\"x\":\"%s\"}", t[i]);
		expect_req(s, FR_E_BAD_REQUEST);
	}
	/* the highest pair, U+10FFFF */
	struct fr_request r;
	assert_int_equal(req("{\"op\":\"get\",\"path\":\"\\udbff\\udfff\"}", &r), FR_OK);
	assert_string_equal(r.path, "\xf4\x8f\xbf\xbf");
}

static char *nested(int levels, const char *open, const char *close)
{
	/* {"op":"list","path":"","x": <levels of open> 1 <close> } */
	size_t cap = 64 + (size_t)levels * 8;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t k = (size_t)snprintf(s, cap, "{\"op\":\"list\",\"path\":\"\",\"x\":");
	for (int i = 0; i < levels; i++)
		k += (size_t)snprintf(s + k, cap - k, "%s", open);
	s[k++] = '1';
	for (int i = 0; i < levels; i++)
		k += (size_t)snprintf(s + k, cap - k, "%s", close);
	snprintf(s + k, cap - k, "}");
	return s;
}

static void test_req_depth(void **state)
{
	(void)state;
	/* the request object is level 1, so 15 more make 16 */
	char *s = nested(FR_JSON_DEPTH_MAX - 1, "[", "]");
	expect_req(s, FR_OK);
	free(s);
	s = nested(FR_JSON_DEPTH_MAX, "[", "]");
	expect_req(s, FR_E_BAD_REQUEST);
	free(s);
	s = nested(FR_JSON_DEPTH_MAX - 1, "{\"a\":", "}");
	expect_req(s, FR_OK);
	free(s);
	s = nested(FR_JSON_DEPTH_MAX, "{\"a\":", "}");
	expect_req(s, FR_E_BAD_REQUEST);
	free(s);
	/* far too deep: refused without exhausting the stack */
	s = nested(100000, "[", "]");
	expect_req(s, FR_E_BAD_REQUEST);
	free(s);
	/* unbalanced deep opening only */
	size_t n = 60000;
	char *o = malloc(n + 2);
	assert_non_null(o);
	o[0] = '{';
	memset(o + 1, '[', n);
	o[n + 1] = '\0';
	expect_req(o, FR_E_BAD_REQUEST);
	free(o);
}

static void test_req_not_object(void **state)
{
	(void)state;
	static const char *const t[] = {
		"[]", "[{\"op\":\"get\",\"path\":\"a\"}]", "\"op\"", "1", "0", "-1",
		"true", "false", "null", " ", "\n", "{", "}", "{\"op\"}",
		"{\"op\":}", "{\"op\":\"get\",}", "{,\"op\":\"get\"}",
		"{'op':'get','path':'a'}", "{op:\"get\"}", "{\"op\":\"get\" \"path\":\"a\"}",
		"{\"op\":\"get\",\"path\":\"a\"", "{\"op\":\"get\",\"path\":\"a",
		"{\"op\":\"get\",\"path\":tru}", "{\"op\":\"get\",\"path\":nul}",
		"{\"op\":\"get\",\"path\":True}", "{\"op\":\"get\",\"path\":\"a\"/*c*/}",
		"\xef\xbb\xbf{\"op\":\"hello\"}", /* BOM */
		"{\"op\":\"get\";\"path\":\"a\"}", "{\"op\"=\"get\"}",
		"{\"op\":\"list\",\"path\":\"\",\"x\":[1,]}", "{\"op\":\"list\",\"path\":\"\",\"x\":[,1]}",
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_req(t[i], FR_E_BAD_REQUEST);
	/* empty payload */
	expect_req_n("", 0, FR_E_BAD_REQUEST);
	struct fr_request r;
	const char *why = NULL;
	assert_int_equal(fr_request_parse("", 0, &r, &why), FR_E_BAD_REQUEST);
	assert_non_null(why);
	/* why may be NULL */
	assert_int_equal(fr_request_parse("[]", 2, &r, NULL), FR_E_BAD_REQUEST);
	assert_int_equal(fr_request_parse("{\"op\":\"hello\"}", 14, &r, NULL), FR_OK);
}

/* Every proper prefix of a valid request is refused, never over-read. */
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
	assert_int_equal(fr_req_put(&out, "d/\"q\"\\x", 1, NULL, false), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_E_INVALID_PATH);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_put(&out, "d/\"q\"/\xc3\xa9", FR_SIZE_MAX, HEX_ABC, true), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_string_equal(r.path, "d/\"q\"/\xc3\xa9");
	assert_int_equal(r.size, FR_SIZE_MAX);
	assert_string_equal(r.sha256, HEX_ABC);
	assert_true(r.overwrite);
	fr_buf_reset(&out);

	assert_int_equal(fr_req_put(&out, "a", 3000000000ull, NULL, false), FR_OK);
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

	assert_int_equal(fr_req_list(&out, ""), FR_OK);
	body = only_frame(&out, FR_MAX_REQUEST, &len);
	assert_int_equal(req_n(body, len, &r), FR_OK);
	assert_int_equal(r.op, FR_OP_LIST);
	assert_string_equal(r.path, "");
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

/* ---- responses ---------------------------------------------------------- */

static void test_resp_statuses(void **state)
{
	(void)state;
	struct fr_response r;
	assert_int_equal(resp("{\"status\":\"ready\",\"offset\":0}", &r), FR_OK);
	assert_int_equal(r.status, FR_ST_READY);
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 0);
	assert_false(r.has_size);
	fr_response_cleanup(&r);

	assert_int_equal(resp("{\"status\":\"ready\",\"size\":3000000000,\"offset\":7}", &r), FR_OK);
	assert_true(r.has_size);
	assert_int_equal(r.size, 3000000000ull);
	assert_int_equal(r.offset, 7);
	fr_response_cleanup(&r);

	assert_int_equal(resp("{\"status\":\"ok\"}", &r), FR_OK);
	assert_int_equal(r.status, FR_ST_OK);
	assert_false(r.has_entries);
	assert_false(r.more);
	fr_response_cleanup(&r);

	assert_int_equal(resp("{\"status\":\"ok\",\"path\":\"a/b\",\"size\":3,\"sha256\":\"" HEX_ABC "\"}", &r), FR_OK);
	assert_true(r.has_path);
	assert_string_equal(r.path, "a/b");
	assert_true(r.has_sha256);
	assert_string_equal(r.sha256, HEX_ABC);
	assert_int_equal(r.size, 3);
	fr_response_cleanup(&r);

	assert_int_equal(resp("{\"status\":\"ok\",\"type\":\"dir\",\"size\":0,\"mtime\":-5}", &r), FR_OK);
	assert_true(r.has_type);
	assert_true(r.is_dir);
	assert_true(r.has_mtime);
	assert_int_equal(r.mtime, -5);
	fr_response_cleanup(&r);

	assert_int_equal(resp("{\"status\":\"ok\",\"version\":1,\"server\":\"ferryd/0.1\","
			      "\"identity\":\"alice\\u0007\",\"perms\":\"rwld\"}", &r), FR_OK);
	assert_int_equal(r.version, 1);
	assert_string_equal(r.server, "ferryd/0.1");
	assert_string_equal(r.identity, "alice?"); /* control characters masked */
	assert_string_equal(r.perms, "rwld");
	fr_response_cleanup(&r);

	static const char *const bad[] = {
		"{}", "{\"status\":\"OK\"}", "{\"status\":\"done\"}", "{\"status\":1}",
		"{\"status\":null}", "{\"status\":[\"ok\"]}", "[\"ok\"]", "\"ok\"", "",
		"{\"status\":\"ok\",\"status\":\"error\"}",
		"{\"status\":\"ok\"} x", "{\"status\":\"ok\\u0000\"}",
		"{\"status\":\"ok\",\"x\":\"\\u0000\"}",
		"{\"status\":\"ok\",\"x\":\"\xff\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_resp(bad[i], FR_E_PROTOCOL);
}

static void test_resp_errors(void **state)
{
	(void)state;
	struct fr_response r;
	for (int e = FR_E_BAD_REQUEST; e >= FR_E_INTERNAL; e--) {
		char s[256];
		snprintf(s, sizeof(s), "{\"status\":\"error\",\"code\":\"%s\",\"message\":\"m\"}",
			 fr_err_code(e));
		assert_int_equal(resp(s, &r), FR_OK);
		assert_int_equal(r.status, FR_ST_ERROR);
		assert_int_equal(r.err, e);
		assert_string_equal(r.code, fr_err_code(e));
		assert_string_equal(r.message, "m");
		fr_response_cleanup(&r);
	}
	/* an unknown code is still an error response, mapped to protocol */
	assert_int_equal(resp("{\"status\":\"error\",\"code\":\"teapot\",\"message\":\"short and stout\"}", &r), FR_OK);
	assert_int_equal(r.status, FR_ST_ERROR);
	assert_int_equal(r.err, FR_E_PROTOCOL);
	assert_string_equal(r.code, "teapot");
	assert_string_equal(r.message, "short and stout");
	fr_response_cleanup(&r);
	/* no message is fine; control characters in it are masked */
	assert_int_equal(resp("{\"status\":\"error\",\"code\":\"busy\"}", &r), FR_OK);
	assert_int_equal(r.err, FR_E_BUSY);
	assert_string_equal(r.message, "");
	fr_response_cleanup(&r);
	assert_int_equal(resp("{\"status\":\"error\",\"code\":\"io_error\",\"message\":\"a\\nb\\u001b[31mc\x7f\"}", &r), FR_OK);
	assert_string_equal(r.message, "a?b?[31mc?");
	fr_response_cleanup(&r);
	/* a message longer than the field is truncated, not refused */
	char *big = malloc(4096);
	assert_non_null(big);
	int k = snprintf(big, 4096, "{\"status\":\"error\",\"code\":\"internal\",\"message\":\"");
	memset(big + k, 'm', 2000);
	snprintf(big + k + 2000, 4096 - (size_t)k - 2000, "\"}");
	assert_int_equal(resp(big, &r), FR_OK);
	assert_int_equal(strlen(r.message), sizeof(r.message) - 1);
	fr_response_cleanup(&r);
	free(big);

	static const char *const bad[] = {
		"{\"status\":\"error\"}",
		"{\"status\":\"error\",\"code\":1}",
		"{\"status\":\"error\",\"code\":null}",
		"{\"status\":\"error\",\"code\":\"0123456789012345678901234567890123456789\"}",
		"{\"status\":\"error\",\"code\":\"busy\",\"code\":\"exists\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_resp(bad[i], FR_E_PROTOCOL);
}

static void test_resp_bad_fields(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{\"status\":\"ok\",\"size\":-1}",
		"{\"status\":\"ok\",\"size\":1.5}",
		"{\"status\":\"ok\",\"size\":\"1\"}",
		"{\"status\":\"ok\",\"size\":9007199254740992}",
		"{\"status\":\"ok\",\"size\":1e400}",
		"{\"status\":\"ready\",\"offset\":-1}",
		"{\"status\":\"ready\",\"offset\":null}",
		"{\"status\":\"ok\",\"sha256\":\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\"}",
		"{\"status\":\"ok\",\"sha256\":\"abc\"}",
		"{\"status\":\"ok\",\"sha256\":true}",
		"{\"status\":\"ok\",\"path\":\"../x\"}",
		"{\"status\":\"ok\",\"path\":\"/etc/passwd\"}",
		"{\"status\":\"ok\",\"path\":1}",
		"{\"status\":\"ok\",\"version\":-1}",
		"{\"status\":\"ok\",\"version\":\"1\"}",
		"{\"status\":\"ok\",\"server\":1}",
		"{\"status\":\"ok\",\"perms\":\"rwldrwldrwld\"}", /* longer than the field */
		"{\"status\":\"ok\",\"type\":\"link\"}",
		"{\"status\":\"ok\",\"type\":1}",
		"{\"status\":\"ok\",\"mtime\":1.5}",
		"{\"status\":\"ok\",\"mtime\":\"0\"}",
		"{\"status\":\"ok\",\"more\":1}",
		"{\"status\":\"ok\",\"more\":\"false\"}",
		"{\"status\":\"ok\",\"entries\":{}}",
		"{\"status\":\"ok\",\"entries\":\"a\"}",
		"{\"status\":\"ok\",\"entries\":null}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_resp(bad[i], FR_E_PROTOCOL);
}

static void test_resp_entries(void **state)
{
	(void)state;
	struct fr_response r;
	assert_int_equal(resp("{\"status\":\"ok\",\"entries\":[{\"name\":\"a\",\"type\":\"file\",\"size\":3000000000,\"mtime\":1700000000},"
			      "{\"name\":\"\\u00e9\",\"type\":\"dir\",\"size\":0,\"mtime\":-1},"
			      "{\"name\":\"...\",\"type\":\"file\",\"size\":1,\"mtime\":0}],\"more\":true}", &r), FR_OK);
	assert_true(r.has_entries);
	assert_int_equal(r.n_entries, 3);
	assert_non_null(r.entries);
	assert_string_equal(r.entries[0].name, "a");
	assert_false(r.entries[0].is_dir);
	assert_int_equal(r.entries[0].size, 3000000000ull);
	assert_int_equal(r.entries[0].mtime, 1700000000);
	assert_string_equal(r.entries[1].name, "\xc3\xa9");
	assert_true(r.entries[1].is_dir);
	assert_int_equal(r.entries[1].mtime, -1);
	assert_string_equal(r.entries[2].name, "...");
	assert_true(r.more);
	fr_response_cleanup(&r);
	assert_null(r.entries);
	assert_int_equal(r.n_entries, 0);
	fr_response_cleanup(&r); /* twice is harmless */

	assert_int_equal(resp("{\"status\":\"ok\",\"entries\":[],\"more\":false}", &r), FR_OK);
	assert_true(r.has_entries);
	assert_int_equal(r.n_entries, 0);
	assert_false(r.more);
	fr_response_cleanup(&r);

#define E1(name, rest) "{\"status\":\"ok\",\"entries\":[{\"name\":\"a\",\"type\":\"file\",\"size\":1,\"mtime\":1}," \
		       "{\"name\":" name rest "}],\"more\":false}"
#define OKREST ",\"type\":\"file\",\"size\":1,\"mtime\":1"
	static const char *const bad[] = {
		E1("\"a/b\"", OKREST),   /* a path, not a name */
		E1("\"/\"", OKREST),
		E1("\"..\"", OKREST),
		E1("\".\"", OKREST),
		E1("\"\"", OKREST),
		E1("\"a\\\\b\"", OKREST),
		E1("\"a\\nb\"", OKREST),
		E1("\"\\u0000\"", OKREST),
		E1("\"a\\u002fb\"", OKREST),
		E1("1", OKREST),
		E1("null", OKREST),
		E1("\"x\"", ",\"type\":\"link\",\"size\":1,\"mtime\":1"),
		E1("\"x\"", ",\"type\":1,\"size\":1,\"mtime\":1"),
		E1("\"x\"", ",\"size\":1,\"mtime\":1"),
		E1("\"x\"", ",\"type\":\"file\",\"size\":-1,\"mtime\":1"),
		E1("\"x\"", ",\"type\":\"file\",\"size\":\"1\",\"mtime\":1"),
		E1("\"x\"", ",\"type\":\"file\",\"mtime\":1"),
		E1("\"x\"", ",\"type\":\"file\",\"size\":1"),
		E1("\"x\"", ",\"type\":\"file\",\"size\":1,\"mtime\":0.5"),
		"{\"status\":\"ok\",\"entries\":[1]}",
		"{\"status\":\"ok\",\"entries\":[\"a\"]}",
		"{\"status\":\"ok\",\"entries\":[[]]}",
		"{\"status\":\"ok\",\"entries\":[null]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_resp(bad[i], FR_E_PROTOCOL);

	/* a 255-byte name is fine, 256 is not */
	char s[1024];
	char name[300];
	memset(name, 'n', sizeof(name));
	snprintf(s, sizeof(s), "{\"status\":\"ok\",\"entries\":[{\"name\":\"%.*s\"" OKREST "}]}", 255, name);
	assert_int_equal(resp(s, &r), FR_OK);
	assert_int_equal(strlen(r.entries[0].name), 255);
	fr_response_cleanup(&r);
	snprintf(s, sizeof(s), "{\"status\":\"ok\",\"entries\":[{\"name\":\"%.*s\"" OKREST "}]}", 256, name);
	expect_resp(s, FR_E_PROTOCOL);
}

/* A hostile server may repeat a key inside an entry: the copy that was
 * validated must be the only one. */
static void test_resp_entry_duplicates(void **state)
{
	(void)state;
	expect_resp("{\"status\":\"ok\",\"entries\":[{\"name\":\"ok\",\"name\":\"../x\"" OKREST "}]}",
		    FR_E_PROTOCOL);
	expect_resp("{\"status\":\"ok\",\"entries\":[{\"name\":\"ok\"" OKREST ",\"size\":5}]}",
		    FR_E_PROTOCOL);
}

/* Every proper prefix of a valid response is refused, never over-read. */
static void test_resp_truncated(void **state)
{
	(void)state;
	const char *s = "{\"status\":\"ok\",\"entries\":[{\"name\":\"\xc3\xa9\\\"\",\"type\":\"dir\","
			"\"size\":0,\"mtime\":-1e3}],\"more\":false,\"sha256\":\"" HEX_ABC "\"}";
	size_t n = strlen(s);
	struct fr_response r;
	assert_int_equal(resp_n(s, n, &r), FR_OK);
	assert_int_equal(r.entries[0].mtime, -1000);
	fr_response_cleanup(&r);
	for (size_t i = 0; i < n; i++) {
		int rc = resp_n(s, i, &r);
		if (rc != FR_E_PROTOCOL)
			fail_msg("prefix %zu: got %d", i, rc);
		assert_null(r.entries);
	}
}

/* ---- response builders round trip -------------------------------------- */

static void parse_out(struct fr_buf *out, struct fr_response *r)
{
	size_t len;
	const uint8_t *body = only_frame(out, FR_MAX_RESPONSE, &len);
	assert_int_equal(resp_n(body, len, r), FR_OK);
	fr_buf_reset(out);
}

/* Resumed puts: the ready with prefix_sha256, and put requests with
 * "resume". */
static void test_resume_fields(void **state)
{
	(void)state;
	static const char h0[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	struct fr_buf out;
	struct fr_response r;
	struct fr_request q;
	fr_buf_init(&out, FR_FRAME_HDR + FR_MAX_RESPONSE);

	assert_int_equal(fr_resp_put_ready(&out, 400, h0), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_READY);
	assert_int_equal(r.offset, 400);
	assert_true(r.has_prefix_sha256);
	assert_string_equal(r.prefix_sha256, h0);
	assert_int_equal(fr_resp_put_ready(&out, 0, NULL), FR_OK);
	parse_out(&out, &r);
	assert_false(r.has_prefix_sha256);

	expect_resp("{\"status\":\"ready\",\"offset\":1,\"prefix_sha256\":\"abc\"}", FR_E_PROTOCOL);
	expect_resp("{\"status\":\"ready\",\"offset\":1,\"prefix_sha256\":7}", FR_E_PROTOCOL);
	expect_resp("{\"status\":\"ready\",\"offset\":1,\"prefix_sha256\":"
		    "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}",
		    FR_E_PROTOCOL);

	fr_buf_reset(&out);
	assert_int_equal(fr_req_put_resume(&out, "a/b", 10, NULL, true, true), FR_OK);
	assert_int_equal(req_n((const char *)fr_buf_data(&out) + FR_FRAME_HDR,
			       fr_buf_len(&out) - FR_FRAME_HDR, &q),
			 FR_OK);
	assert_true(q.resume);
	assert_true(q.overwrite);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_put(&out, "a/b", 10, NULL, false), FR_OK);
	assert_int_equal(req_n((const char *)fr_buf_data(&out) + FR_FRAME_HDR,
			       fr_buf_len(&out) - FR_FRAME_HDR, &q),
			 FR_OK);
	assert_false(q.resume);
	expect_req("{\"op\":\"put\",\"path\":\"a\",\"size\":1,\"resume\":1}", FR_E_BAD_REQUEST);
	fr_buf_cleanup(&out);
}

static void test_resp_builders(void **state)
{
	(void)state;
	struct fr_buf out;
	struct fr_response r;
	fr_buf_init(&out, FR_FRAME_HDR + FR_MAX_RESPONSE);

	for (int e = FR_E_BAD_REQUEST; e >= FR_E_INTERNAL; e--) {
		assert_int_equal(fr_resp_error(&out, e, "why \"it\" failed\n"), FR_OK);
		parse_out(&out, &r);
		assert_int_equal(r.status, FR_ST_ERROR);
		assert_int_equal(r.err, e);
		assert_string_equal(r.code, fr_err_code(e));
		assert_string_equal(r.message, "why \"it\" failed?");
		fr_response_cleanup(&r);
	}
	/* default message; a local error goes out as internal */
	assert_int_equal(fr_resp_error(&out, FR_E_NOT_FOUND, NULL), FR_OK);
	parse_out(&out, &r);
	assert_string_equal(r.message, fr_err_str(FR_E_NOT_FOUND));
	fr_response_cleanup(&r);
	assert_int_equal(fr_resp_error(&out, FR_E_NOMEM, NULL), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.err, FR_E_INTERNAL);
	assert_string_equal(r.code, "internal");
	fr_response_cleanup(&r);

	assert_int_equal(fr_resp_ready(&out, false, 0, 0), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_READY);
	assert_false(r.has_size);
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 0);
	assert_int_equal(fr_resp_ready(&out, true, FR_SIZE_MAX, 3000000000ull), FR_OK);
	parse_out(&out, &r);
	assert_true(r.has_size);
	assert_int_equal(r.size, FR_SIZE_MAX);
	assert_int_equal(r.offset, 3000000000ull);

	assert_int_equal(fr_resp_hello(&out, "CN with \"quotes\" \xc3\xa9", "rwld"), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_OK);
	assert_int_equal(r.version, FR_PROTO_VERSION);
	assert_string_equal(r.server, FR_SERVER_ID);
	assert_string_equal(r.identity, "CN with \"quotes\" \xc3\xa9");
	assert_string_equal(r.perms, "rwld");

	assert_int_equal(fr_resp_put_ok(&out, "releases/app.tar.gz", 1048576, HEX_ABC), FR_OK);
	parse_out(&out, &r);
	assert_string_equal(r.path, "releases/app.tar.gz");
	assert_int_equal(r.size, 1048576);
	assert_string_equal(r.sha256, HEX_ABC);

	assert_int_equal(fr_resp_get_ok(&out, HEX64), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_OK);
	assert_true(r.has_sha256);
	assert_string_equal(r.sha256, HEX64);
	assert_false(r.has_size);

	assert_int_equal(fr_resp_stat_ok(&out, false, 3000000000ull, -86400, HEX_ABC), FR_OK);
	parse_out(&out, &r);
	assert_true(r.has_type);
	assert_false(r.is_dir);
	assert_int_equal(r.size, 3000000000ull);
	assert_int_equal(r.mtime, -86400);
	assert_string_equal(r.sha256, HEX_ABC);
	assert_int_equal(fr_resp_stat_ok(&out, true, 4096, 1700000000, NULL), FR_OK);
	parse_out(&out, &r);
	assert_true(r.is_dir);
	assert_false(r.has_sha256);
	assert_int_equal(r.mtime, 1700000000);

	assert_int_equal(fr_resp_delete_ok(&out), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_OK);
	assert_false(r.has_entries);
	fr_buf_cleanup(&out);
}

/* Names of exactly 255 bytes that escape worst among legal names: quotes
 * double, UTF-8 stays as is. */
static void make_name(char *name, size_t i)
{
	/* a unique 5-digit tag first, then the filling */
	size_t k = (size_t)snprintf(name, FR_NAME_MAX + 1, "%05zu", i);
	switch (i % 3) {
	case 0: /* quotes and apostrophes (a backslash is not a legal name) */
		for (; k < FR_NAME_MAX; k++)
			name[k] = (k % 2) ? '"' : '\'';
		break;
	case 1: /* 83 x 3-byte UTF-8 and one ASCII byte */
		for (; k + 3 <= FR_NAME_MAX; k += 3)
			memcpy(name + k, "\xe6\x97\xa5", 3);
		while (k < FR_NAME_MAX)
			name[k++] = 'x';
		break;
	default: /* short, mixed */
		memcpy(name + k, "f\xc3\xa9\"", 4);
		k += 4;
		break;
	}
	name[k] = '\0';
	if (i % 3 != 2)
		assert_int_equal(k, FR_NAME_MAX);
}

static void test_list_round_trip(void **state)
{
	(void)state;
	const size_t total = 2500;
	struct fr_list_builder *lb = fr_list_new();
	struct fr_buf out;
	assert_non_null(lb);
	fr_buf_init(&out, 4 * (FR_FRAME_HDR + FR_MAX_RESPONSE));

	size_t frames = 0;
	for (size_t i = 0; i < total; i++) {
		struct fr_entry e;
		memset(&e, 0, sizeof(e));
		make_name(e.name, i);
		e.is_dir = i % 7 == 0;
		e.size = (i % 2) ? FR_SIZE_MAX - i : i * 1000003ull;
		e.mtime = (i % 5 == 0) ? -(int64_t)i : 1700000000 + (int64_t)i;
		int rc = fr_list_add(lb, &e);
		if (rc == FR_AGAIN) {
			assert_int_equal(i % FR_LIST_ENTRIES_PER_FRAME, 0);
			assert_int_equal(fr_list_flush(lb, &out, true), FR_OK);
			frames++;
			rc = fr_list_add(lb, &e);
		}
		assert_int_equal(rc, FR_OK);
	}
	assert_int_equal(fr_list_flush(lb, &out, false), FR_OK);
	frames++;
	assert_int_equal(frames, (total + FR_LIST_ENTRIES_PER_FRAME - 1) / FR_LIST_ENTRIES_PER_FRAME);

	/* read the frames back, as the client does */
	size_t seen = 0;
	for (size_t f = 0; f < frames; f++) {
		const uint8_t *body;
		size_t len;
		struct fr_response r;
		assert_int_equal(fr_frame_peek_mem(fr_buf_data(&out), fr_buf_len(&out),
						   FR_MAX_RESPONSE, &body, &len), FR_OK);
		assert_true(len <= FR_MAX_RESPONSE);
		assert_int_equal(resp_n(body, len, &r), FR_OK);
		assert_int_equal(r.status, FR_ST_OK);
		assert_true(r.has_entries);
		assert_int_equal(r.more, f + 1 < frames);
		size_t want = total - seen < FR_LIST_ENTRIES_PER_FRAME ? total - seen
								       : FR_LIST_ENTRIES_PER_FRAME;
		assert_int_equal(r.n_entries, want);
		for (size_t j = 0; j < r.n_entries; j++, seen++) {
			char name[FR_NAME_MAX + 1];
			make_name(name, seen);
			assert_string_equal(r.entries[j].name, name);
			assert_int_equal(r.entries[j].is_dir, seen % 7 == 0);
			assert_int_equal(r.entries[j].size,
					 (seen % 2) ? FR_SIZE_MAX - seen : seen * 1000003ull);
			assert_int_equal(r.entries[j].mtime,
					 (seen % 5 == 0) ? -(int64_t)seen : 1700000000 + (int64_t)seen);
		}
		fr_response_cleanup(&r);
		fr_buf_consume(&out, FR_FRAME_HDR + len);
	}
	assert_int_equal(seen, total);
	assert_int_equal(fr_buf_len(&out), 0);

	/* an empty listing is one frame with no entries and more=false */
	assert_int_equal(fr_list_flush(lb, &out, false), FR_OK);
	struct fr_response r;
	parse_out(&out, &r);
	assert_true(r.has_entries);
	assert_int_equal(r.n_entries, 0);
	assert_false(r.more);
	fr_response_cleanup(&r);
	fr_list_free(lb);
	fr_list_free(NULL);
	fr_buf_cleanup(&out);
}

/* The worst case the builder promises: a full frame of 255-byte names
 * that all escape to twice their size still fits one response. */
static void test_list_worst_case_fits(void **state)
{
	(void)state;
	struct fr_list_builder *lb = fr_list_new();
	struct fr_buf out;
	assert_non_null(lb);
	fr_buf_init(&out, FR_FRAME_HDR + FR_MAX_RESPONSE);
	for (size_t i = 0; i < FR_LIST_ENTRIES_PER_FRAME; i++) {
		struct fr_entry e;
		memset(e.name, '"', FR_NAME_MAX);
		e.name[FR_NAME_MAX] = '\0';
		e.is_dir = false;
		e.size = FR_SIZE_MAX;
		e.mtime = -(int64_t)FR_SIZE_MAX;
		assert_int_equal(fr_list_add(lb, &e), FR_OK);
	}
	struct fr_entry extra = {.name = "x"};
	assert_int_equal(fr_list_add(lb, &extra), FR_AGAIN);
	assert_int_equal(fr_list_flush(lb, &out, true), FR_OK);
	struct fr_response r;
	size_t len;
	const uint8_t *body = only_frame(&out, FR_MAX_RESPONSE, &len);
	assert_true(len <= FR_MAX_RESPONSE);
	assert_int_equal(resp_n(body, len, &r), FR_OK);
	assert_int_equal(r.n_entries, FR_LIST_ENTRIES_PER_FRAME);
	assert_true(r.more);
	assert_int_equal(r.entries[999].mtime, -(int64_t)FR_SIZE_MAX);
	fr_response_cleanup(&r);
	/* after a flush the builder takes entries again */
	assert_int_equal(fr_list_add(lb, &extra), FR_OK);
	fr_list_free(lb);

	/* backslashes escape as badly as quotes; the client would refuse such
	 * names (path rules) but the builder must still frame them */
	lb = fr_list_new();
	assert_non_null(lb);
	fr_buf_reset(&out);
	for (size_t i = 0; i < FR_LIST_ENTRIES_PER_FRAME; i++) {
		struct fr_entry e;
		for (size_t k = 0; k < FR_NAME_MAX; k++)
			e.name[k] = (k % 2) ? '"' : '\\';
		e.name[FR_NAME_MAX] = '\0';
		e.is_dir = true;
		e.size = FR_SIZE_MAX;
		e.mtime = -(int64_t)FR_SIZE_MAX;
		assert_int_equal(fr_list_add(lb, &e), FR_OK);
	}
	assert_int_equal(fr_list_flush(lb, &out, false), FR_OK);
	body = only_frame(&out, FR_MAX_RESPONSE, &len);
	assert_true(len > FR_LIST_ENTRIES_PER_FRAME * 2 * FR_NAME_MAX);
	assert_true(len <= FR_MAX_RESPONSE);
	fr_list_free(lb);
	fr_buf_cleanup(&out);
}

/* ---- ACL file ------------------------------------------------------------ */

static void test_acl_good(void **state)
{
	static const char text[] =
		"{\"identities\": {\n"
		"  \"alice\": {\"root\": \"home/alice\", \"perms\": \"rwld\"},\n"
		"  \"ci-bot\": {\"perms\": \"wr\", \"root\": \"artifacts\"},\n"
		"  \"../../etc\": {\"root\": \"\", \"perms\": \"\"}\n"
		"}}";
	struct fr_acl_file f;
	const struct fr_acl_ident *e;
	char err[256];

	(void)state;
	assert_int_equal(fr_acl_parse(text, strlen(text), &f, err, sizeof(err)),
			 FR_OK);
	assert_int_equal(f.n, 3);
	e = fr_acl_find(&f, "alice");
	assert_non_null(e);
	assert_string_equal(e->root, "home/alice");
	assert_int_equal(e->perms, FR_PERM_R | FR_PERM_W | FR_PERM_L | FR_PERM_D);
	e = fr_acl_find(&f, "ci-bot");
	assert_non_null(e);
	assert_int_equal(e->perms, FR_PERM_R | FR_PERM_W);
	e = fr_acl_find(&f, "../../etc");
	assert_non_null(e);
	assert_string_equal(e->root, "");
	assert_int_equal(e->perms, 0);
	assert_null(fr_acl_find(&f, "bob"));
	assert_null(fr_acl_find(&f, "alic"));
	assert_null(fr_acl_find(&f, "ALICE"));
	fr_acl_file_cleanup(&f);
	fr_acl_file_cleanup(&f); /* idempotent */
}

static void test_acl_bad(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* substring of the error */
	} cases[] = {
		{ "", "line 1" },
		{ "{\n\"identities\": {\n\"a\": {\"root\": \"x\",}\n}}", "line 3" },
		{ "{\"identities\":{}} x", "line 1" },
		{ "{\"identities\":{}}\n\n{}", "line 3" },
		{ "[]", "line 1" },
		{ "{\"identities\":[]}", "identities" },
		{ "{}", "identities" },
		{ "{\"identities\":{},\"identities\":{}}", "twice" },
		{ "{\"identities\":{},\"x\":1}", "unknown top-level" },
		{ "{\"identities\":{\"a\":1}}", "\"a\": not an object" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"rwx\"}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"rr\"}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":1}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\"}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"../x\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"/x\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"x/\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\".ferry-part.1\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"r\",\"root\":\"y\"}}}", "twice" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"r\",\"admin\":true}}}", "unknown field" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"r\"},\"a\":{\"root\":\"y\",\"perms\":\"r\"}}}", "twice" },
		{ "{\"identities\":{\"\":{\"root\":\"x\",\"perms\":\"r\"}}}", "identities[0]" },
		{ "{\"identities\":{\"a\\u0001\":{\"root\":\"x\",\"perms\":\"r\"}}}", "control" },
		{ "{\"identities\":{\"a\\u0000b\":{\"root\":\"x\",\"perms\":\"r\"}}}", "NUL" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\\u0000\",\"perms\":\"r\"}}}", "NUL" },
		{ "{\"identities\":{\"\xff\":{\"root\":\"x\",\"perms\":\"r\"}}}", "line 1" },
	};
	struct fr_acl_file f;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = fr_acl_parse(cases[i].text, strlen(cases[i].text), &f,
				     err, sizeof(err));

		if (r == FR_OK || strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu (%s): r=%d err='%s', wanted '%s'", i,
				 cases[i].text, r, err, cases[i].want);
		assert_null(f.v);
		assert_int_equal(f.n, 0);
	}
}

static void test_acl_truncated(void **state)
{
	static const char text[] =
		"{\"identities\":{\"alice\":{\"root\":\"a\",\"perms\":\"rw\"}}}";
	struct fr_acl_file f;
	char err[256];
	size_t n;

	(void)state;
	/* every proper prefix is refused, without reading past it */
	for (n = 0; n < sizeof(text) - 1; n++) {
		char *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, text, n);
		assert_int_not_equal(fr_acl_parse(copy, n, &f, err, sizeof(err)),
				     FR_OK);
		free(copy);
	}
	assert_int_equal(fr_acl_parse(text, n, &f, err, sizeof(err)), FR_OK);
	fr_acl_file_cleanup(&f);
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
		cmocka_unit_test(test_req_escaped_nul),
		cmocka_unit_test(test_req_duplicates),
		cmocka_unit_test(test_req_trailing),
		cmocka_unit_test(test_req_invalid_utf8),
		cmocka_unit_test(test_req_raw_controls),
		cmocka_unit_test(test_req_surrogates),
		cmocka_unit_test(test_req_depth),
		cmocka_unit_test(test_req_not_object),
		cmocka_unit_test(test_req_truncated),
		cmocka_unit_test(test_req_builders),
		cmocka_unit_test(test_resp_statuses),
		cmocka_unit_test(test_resp_errors),
		cmocka_unit_test(test_resp_bad_fields),
		cmocka_unit_test(test_resp_entries),
		cmocka_unit_test(test_resp_entry_duplicates),
		cmocka_unit_test(test_resp_truncated),
		cmocka_unit_test(test_resp_builders),
		cmocka_unit_test(test_resume_fields),
		cmocka_unit_test(test_list_round_trip),
		cmocka_unit_test(test_list_worst_case_fits),
		cmocka_unit_test(test_acl_good),
		cmocka_unit_test(test_acl_bad),
		cmocka_unit_test(test_acl_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
