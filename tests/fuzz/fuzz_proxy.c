/*
 * fuzz_proxy.c - libFuzzer entry for the PROXY protocol parser (proxy.c).
 *
 * Checks the parser's contract on every input: a complete header lies
 * inside the input and within FR_PROXY_MAX, every shorter prefix of it is
 * "incomplete" (never invalid, never complete), "incomplete" asks for more
 * than it got, and the address text of any result fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fr_proxy px, again;
	const char *why = NULL;
	char txt[64];
	size_t len = 0, k, l2;
	int r;

	r = fr_proxy_parse(data, size, &px, &len, &why);
	if (r == FR_OK) {
		if (len == 0 || len > size || len > FR_PROXY_MAX)
			abort();
		/* the header alone parses the same */
		if (fr_proxy_parse(data, len, &again, &l2, &why) != FR_OK ||
		    l2 != len || memcmp(&px, &again, sizeof(px)) != 0)
			abort();
		for (k = 0; k < len; k++)
			if (fr_proxy_parse(data, k, &again, &l2, &why) !=
				    FR_AGAIN ||
			    l2 <= k)
				abort();
		fr_proxy_src_text(&px, txt, sizeof(txt));
		if (strlen(txt) >= sizeof(txt))
			abort();
	} else if (r == FR_AGAIN) {
		if (len <= size || len > FR_PROXY_MAX || size >= FR_PROXY_MAX)
			abort();
	} else if (r != FR_E_PROTOCOL || !why) {
		abort();
	}
	return 0;
}
