/*
 * test_response.c - unit tests of src/core/response.c: response parsing as the
 * client sees a hostile server, and the builders round-tripped through
 * frame and parser.
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
	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "a/b", .size = 10, .overwrite = true,
							       .resume = true}),
			 FR_OK);
	assert_int_equal(req_n((const char *)fr_buf_data(&out) + FR_FRAME_HDR,
			       fr_buf_len(&out) - FR_FRAME_HDR, &q),
			 FR_OK);
	assert_true(q.resume);
	assert_true(q.overwrite);
	fr_buf_reset(&out);
	assert_int_equal(fr_req_put(&out, &(struct fr_put_req){.path = "a/b", .size = 10}), FR_OK);
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

	/* mkdir (v2) says whether it made the directory */
	assert_int_equal(fr_resp_mkdir_ok(&out, false), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_OK);
	assert_true(r.has_created);
	assert_false(r.created);
	fr_response_cleanup(&r);
	assert_int_equal(fr_resp_mkdir_ok(&out, true), FR_OK);
	parse_out(&out, &r);
	assert_true(r.has_created && r.created);
	fr_response_cleanup(&r);
	assert_int_equal(fr_resp_ok(&out), FR_OK);
	parse_out(&out, &r);
	assert_false(r.has_created);
	fr_response_cleanup(&r);
	expect_resp("{\"status\":\"ok\",\"created\":1}", FR_E_PROTOCOL);
	expect_resp("{\"status\":\"ok\",\"created\":\"yes\"}", FR_E_PROTOCOL);

	assert_int_equal(fr_resp_get_ready(&out, 0, 0, 5, -1), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_READY);
	assert_true(r.has_size);
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 0);
	assert_false(r.has_mtime); /* protocol 1: no mtime, no mode */
	assert_false(r.has_mode);
	assert_int_equal(fr_resp_get_ready(&out, FR_SIZE_MAX, 3000000000ull, -7, 04755), FR_OK);
	parse_out(&out, &r);
	assert_true(r.has_size);
	assert_int_equal(r.size, FR_SIZE_MAX);
	assert_int_equal(r.offset, 3000000000ull);
	assert_true(r.has_mtime);
	assert_int_equal(r.mtime, -7);
	assert_true(r.has_mode);
	assert_int_equal(r.mode, 0755);
	expect_resp("{\"status\":\"ready\",\"size\":1,\"offset\":0,\"mode\":512}", FR_E_PROTOCOL);
	expect_resp("{\"status\":\"ready\",\"size\":1,\"offset\":0,\"mode\":\"x\"}", FR_E_PROTOCOL);

	assert_int_equal(fr_resp_hello(&out, 1, "CN with \"quotes\" \xc3\xa9", "rwld"), FR_OK);
	parse_out(&out, &r);
	assert_int_equal(r.status, FR_ST_OK);
	assert_int_equal(r.version, 1);
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

	assert_int_equal(fr_resp_stat_ok(&out, false, 3000000000ull, -86400, HEX_ABC, 0640), FR_OK);
	parse_out(&out, &r);
	assert_true(r.has_type);
	assert_false(r.is_dir);
	assert_int_equal(r.size, 3000000000ull);
	assert_int_equal(r.mtime, -86400);
	assert_string_equal(r.sha256, HEX_ABC);
	assert_true(r.has_mode);
	assert_int_equal(r.mode, 0640);
	assert_int_equal(fr_resp_stat_ok(&out, true, 4096, 1700000000, NULL, -1), FR_OK);
	parse_out(&out, &r);
	assert_false(r.has_mode);
	assert_true(r.is_dir);
	assert_false(r.has_sha256);
	assert_int_equal(r.mtime, 1700000000);

	assert_int_equal(fr_resp_ok(&out), FR_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp_statuses),
		cmocka_unit_test(test_resp_errors),
		cmocka_unit_test(test_resp_bad_fields),
		cmocka_unit_test(test_resp_entries),
		cmocka_unit_test(test_resp_entry_duplicates),
		cmocka_unit_test(test_resp_truncated),
		cmocka_unit_test(test_resume_fields),
		cmocka_unit_test(test_resp_builders),
		cmocka_unit_test(test_list_round_trip),
		cmocka_unit_test(test_list_worst_case_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
