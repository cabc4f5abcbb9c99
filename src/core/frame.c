/*
 * frame.c - length-prefixed frame codec (see frame.h).
 *
 * SECURITY: the length is checked against the caller's maximum as soon as
 * its four bytes are present, before waiting for (or allocating) the body.
 */
#include <string.h>

#include "ferry/frame.h"
#include "ferry/err.h"
#include "ferry/limits.h"

int fr_frame_peek_mem(const uint8_t *p, size_t n, size_t max,
		      const uint8_t **body, size_t *body_len)
{
	*body = NULL;
	*body_len = 0;
	if (n < FR_FRAME_HDR)
		return FR_AGAIN;
	uint32_t l = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		     (uint32_t)p[2] << 8 | (uint32_t)p[3];
	if (l == 0 || l > max)
		return FR_E_BAD_REQUEST;
	if (n - FR_FRAME_HDR < l)
		return FR_AGAIN;
	*body = p + FR_FRAME_HDR;
	*body_len = l;
	return FR_OK;
}

int fr_frame_peek(const struct fr_buf *in, size_t max, const uint8_t **body,
		  size_t *body_len)
{
	return fr_frame_peek_mem(fr_buf_data(in), fr_buf_len(in), max, body,
				 body_len);
}

int fr_frame_put(struct fr_buf *out, const void *payload, size_t len,
		 size_t max)
{
	uint8_t *dst;
	if (len == 0 || len > max || len > UINT32_MAX)
		return FR_E_TOO_LARGE;
	int rc = fr_buf_reserve(out, FR_FRAME_HDR + len, &dst);
	if (rc != FR_OK)
		return rc;
	dst[0] = (uint8_t)(len >> 24);
	dst[1] = (uint8_t)(len >> 16);
	dst[2] = (uint8_t)(len >> 8);
	dst[3] = (uint8_t)len;
	memcpy(dst + FR_FRAME_HDR, payload, len);
	fr_buf_commit(out, FR_FRAME_HDR + len);
	return FR_OK;
}
