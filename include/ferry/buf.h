/*
 * buf.h - the bounded byte buffer every byte off the wire goes through.
 *
 * A buffer is created with a hard maximum; it grows on demand up to that
 * maximum and never beyond.  Reads either succeed whole or consume nothing.
 * Data lives in [off, off+len) of a heap block of cap bytes; space is made by
 * compacting before growing.  Broken invariants abort (they are bugs, not
 * input).
 */
#ifndef FERRY_BUF_H
#define FERRY_BUF_H

#include <stddef.h>
#include <stdint.h>

struct fr_buf {
	uint8_t *data;
	size_t off; /* start of unread bytes */
	size_t len; /* number of unread bytes */
	size_t cap; /* allocated bytes */
	size_t max; /* hard limit on cap */
};

/* Initialise an empty buffer that may grow to max bytes (nothing is
 * allocated until first use).  Cannot fail. */
void fr_buf_init(struct fr_buf *b, size_t max);

/* Free the storage; the buffer is left empty and reusable. */
void fr_buf_cleanup(struct fr_buf *b);

/* Drop the contents, keep the storage. */
void fr_buf_reset(struct fr_buf *b);

/* Release the storage if the buffer is empty (idle connections stay small). */
void fr_buf_shrink(struct fr_buf *b);

static inline size_t fr_buf_len(const struct fr_buf *b) { return b->len; }
static inline const uint8_t *fr_buf_data(const struct fr_buf *b)
{
	return b->data + b->off;
}

/* Make room for n more bytes at the tail and return a pointer to it in *out.
 * FR_E_TOO_LARGE when len + n would exceed max, FR_E_NOMEM on allocation
 * failure; nothing changes on error. */
int fr_buf_reserve(struct fr_buf *b, size_t n, uint8_t **out);

/* Account n bytes written into space obtained from fr_buf_reserve. */
void fr_buf_commit(struct fr_buf *b, size_t n);

/* Append n bytes (reserve + copy + commit). */
int fr_buf_append(struct fr_buf *b, const void *p, size_t n);

/* Drop n bytes from the head; n must be <= len. */
void fr_buf_consume(struct fr_buf *b, size_t n);

/* Copy n bytes from the head into out and consume them, or return FR_AGAIN
 * and consume nothing when fewer are buffered. */
int fr_buf_get(struct fr_buf *b, void *out, size_t n);

/* Big-endian 32-bit helpers. */
int fr_buf_put_u32(struct fr_buf *b, uint32_t v);
int fr_buf_peek_u32(const struct fr_buf *b, uint32_t *v); /* FR_AGAIN if < 4 */

#endif
