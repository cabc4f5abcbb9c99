/*
 * msg.h - helpers shared by the unit tests of the message modules: parse a
 * request or response from guarded memory, check the outcome, take the one
 * frame out of a buffer.  Header-only (static inline), test code only.
 */
#ifndef FERRY_TEST_MSG_H
#define FERRY_TEST_MSG_H

#include "ferry/frame.h"
#include "ferry/proto.h"
#include "guard.h"

/* ---- helpers ----------------------------------------------------------- */

static inline int req_n(const void *s, size_t n, struct fr_request *r)
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

static inline int req(const char *s, struct fr_request *r)
{
	return req_n(s, strlen(s), r);
}

/* Parse and require rc, with a message naming the input. */
static inline void expect_req(const char *s, int want)
{
	struct fr_request r;
	int rc = req(s, &r);
	if (rc != want)
		fail_msg("%s: got %d want %d", s, rc, want);
}

static inline void expect_req_n(const char *s, size_t n, int want)
{
	struct fr_request r;
	int rc = req_n(s, n, &r);
	if (rc != want)
		fail_msg("%.*s: got %d want %d", (int)n, s, rc, want);
}

static inline int resp_n(const void *s, size_t n, struct fr_response *r)
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

static inline int resp(const char *s, struct fr_response *r)
{
	return resp_n(s, strlen(s), r);
}

static inline void expect_resp(const char *s, int want)
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
static inline const uint8_t *only_frame(const struct fr_buf *out, size_t max, size_t *len)
{
	const uint8_t *body;
	assert_int_equal(fr_frame_peek(out, max, &body, len), FR_OK);
	assert_int_equal(fr_buf_len(out), FR_FRAME_HDR + *len);
	return body;
}

static inline void parse_out(struct fr_buf *out, struct fr_response *r)
{
	size_t len;
	const uint8_t *body = only_frame(out, FR_MAX_RESPONSE, &len);
	assert_int_equal(resp_n(body, len, r), FR_OK);
	fr_buf_reset(out);
}


#endif
