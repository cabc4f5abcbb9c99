/*
 * buf.c - bounded byte buffer (see buf.h for the contract).
 *
 * All size arithmetic is checked against the per-buffer maximum before any
 * memory is touched, so a peer can never make a buffer exceed its cap.
 */
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/err.h"

static void buf_check(const struct fr_buf *b)
{
	if (b->cap > b->max || b->off > b->cap || b->len > b->cap - b->off ||
	    (b->data == NULL && b->cap != 0))
		abort(); /* a broken invariant is a bug, never input */
}

void fr_buf_init(struct fr_buf *b, size_t max)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
	b->max = max;
}

void fr_buf_cleanup(struct fr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void fr_buf_reset(struct fr_buf *b)
{
	b->off = b->len = 0;
}

void fr_buf_shrink(struct fr_buf *b)
{
	if (b->len == 0)
		fr_buf_cleanup(b);
}

int fr_buf_reserve(struct fr_buf *b, size_t n, uint8_t **out)
{
	buf_check(b);
	*out = NULL;
	if (n > b->max || b->len > b->max - n)
		return FR_E_TOO_LARGE;
	if (b->cap - b->off - b->len >= n) {
		*out = b->data + b->off + b->len;
		return FR_OK;
	}
	if (b->off > 0) { /* compact before growing */
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	if (b->cap - b->len < n) {
		size_t want = b->len + n;
		size_t cap = b->cap ? b->cap : 256;
		while (cap < want)
			cap = cap > b->max / 2 ? b->max : cap * 2;
		if (cap > b->max)
			cap = b->max;
		uint8_t *p = realloc(b->data, cap);
		if (p == NULL)
			return FR_E_NOMEM;
		b->data = p;
		b->cap = cap;
	}
	*out = b->data + b->len;
	return FR_OK;
}

void fr_buf_commit(struct fr_buf *b, size_t n)
{
	buf_check(b);
	if (n > b->cap - b->off - b->len)
		abort();
	b->len += n;
}

int fr_buf_append(struct fr_buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int rc = fr_buf_reserve(b, n, &dst);
	if (rc != FR_OK)
		return rc;
	if (n)
		memcpy(dst, p, n);
	fr_buf_commit(b, n);
	return FR_OK;
}

void fr_buf_consume(struct fr_buf *b, size_t n)
{
	buf_check(b);
	if (n > b->len)
		abort();
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

int fr_buf_get(struct fr_buf *b, void *out, size_t n)
{
	if (b->len < n)
		return FR_AGAIN;
	if (n)
		memcpy(out, b->data + b->off, n);
	fr_buf_consume(b, n);
	return FR_OK;
}

int fr_buf_put_u32(struct fr_buf *b, uint32_t v)
{
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v};
	return fr_buf_append(b, be, sizeof(be));
}

int fr_buf_peek_u32(const struct fr_buf *b, uint32_t *v)
{
	if (b->len < 4)
		return FR_AGAIN;
	const uint8_t *p = b->data + b->off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	     (uint32_t)p[3];
	return FR_OK;
}
