/*
 * test_json.c - unit tests of src/core/json.c, the strict scanner in front of
 * cJSON 1.7.15: every permissive corner the parser must close itself
 * (escaped NULs, duplicate keys, trailing bytes, invalid UTF-8, raw control
 * characters, lone surrogates, deep nesting, non-objects), seen through
 * fr_request_parse, the scanner's first user.
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


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_escaped_nul),
		cmocka_unit_test(test_req_duplicates),
		cmocka_unit_test(test_req_trailing),
		cmocka_unit_test(test_req_invalid_utf8),
		cmocka_unit_test(test_req_raw_controls),
		cmocka_unit_test(test_req_surrogates),
		cmocka_unit_test(test_req_depth),
		cmocka_unit_test(test_req_not_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
