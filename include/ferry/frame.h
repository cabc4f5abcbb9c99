/*
 * frame.h - the length-prefixed frame codec.
 *
 * A frame is a 4-byte unsigned big-endian length L followed by L bytes of
 * one UTF-8 JSON object.  Requests allow 1 <= L <= FR_MAX_REQUEST, responses
 * 1 <= L <= FR_MAX_RESPONSE.  The codec only frames bytes; proto.h gives
 * them meaning.
 */
#ifndef FERRY_FRAME_H
#define FERRY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"

/*
 * Look for one complete frame at the head of in (at most max body bytes).
 * FR_OK: *body points into in's storage at *body_len bytes of payload; the
 *        caller consumes FR_FRAME_HDR + *body_len bytes when done with it.
 * FR_AGAIN: not complete yet (the length is checked as soon as its 4 bytes
 *        are in, so an oversized frame is refused before its body arrives).
 * FR_E_BAD_REQUEST: L == 0 or L > max.
 */
int fr_frame_peek(const struct fr_buf *in, size_t max, const uint8_t **body,
		  size_t *body_len);

/* The same over plain memory (for parsers and fuzzers). */
int fr_frame_peek_mem(const uint8_t *p, size_t n, size_t max,
		      const uint8_t **body, size_t *body_len);

/* Append one frame with the given payload to out.  FR_E_TOO_LARGE when
 * len == 0 or len > max, or out cannot hold it. */
int fr_frame_put(struct fr_buf *out, const void *payload, size_t len,
		 size_t max);

#endif
