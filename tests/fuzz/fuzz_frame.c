/*
 * fuzz_frame.c - libFuzzer entry for the frame decoder (frame.c, buf.c).
 *
 * Feeds the input both as plain memory and through an fr_buf in chunks
 * whose sizes come from the first byte, and checks the decoder's contract:
 * a frame it accepts lies inside the input and respects the maximum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/buf.h"
#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body = NULL;
	size_t blen = 0, off = 0, step;
	struct fr_buf b;
	uint8_t *p;
	int r;

	r = fr_frame_peek_mem(data, size, FR_MAX_REQUEST, &body, &blen);
	if (r == FR_OK &&
	    (blen == 0 || blen > FR_MAX_REQUEST || body != data + FR_FRAME_HDR ||
	     FR_FRAME_HDR + blen > size))
		abort();
	if (size == 0)
		return 0;
	/* the same bytes through a bounded buffer, in chunks */
	step = (size_t)data[0] % 17 + 1;
	fr_buf_init(&b, FR_FRAME_HDR + FR_MAX_REQUEST);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		if (fr_buf_reserve(&b, n, &p) != FR_OK)
			break; /* full: the cap held */
		memcpy(p, data + off, n);
		fr_buf_commit(&b, n);
		off += n;
		for (;;) {
			r = fr_frame_peek(&b, FR_MAX_REQUEST, &body, &blen);
			if (r != FR_OK)
				break;
			if (blen == 0 || blen > FR_MAX_REQUEST)
				abort();
			fr_buf_consume(&b, FR_FRAME_HDR + blen);
		}
		if (r != FR_AGAIN)
			break; /* invalid: a server would close */
	}
	fr_buf_cleanup(&b);
	return 0;
}
