/*
 * fuzz_sumfile.c - libFuzzer entry for the checksum-file parser and the
 * name printing of `ferry check` (src/client/sumfile.c).
 *
 * The input is a checksum file: split into lines as getline would, each
 * parsed with one state for the run (from standard input on odd-sized
 * inputs).  An entry must carry 64 lowercase hex digits and a name that
 * lies inside its line; every name shown or quoted must come out
 * NUL-terminated, within its buffer, and the quoted form must hold no
 * control byte (they are escaped).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sumfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap, bool no_controls)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		abort();
	for (size_t i = 0; no_controls && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sumfile_state st;
	struct sumfile_entry e;
	char shown[64], quoted[4 * 64];
	size_t at = 0;

	sumfile_init(&st);
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) + 1 : size - at;
		char *line = malloc(len + 1);

		if (!line)
			return 0;
		memcpy(line, data + at, len);
		line[len] = 'Z';
		if (sumfile_parse(&st, line, len, size % 2, &e) ==
		    SUMFILE_ENTRY) {
			if (strlen(e.hex) != 64 || strspn(e.hex, "0123456789abcdef") != 64)
				abort();
			if (e.name < line || e.name > line + len ||
			    e.name + strlen(e.name) > line + len)
				abort();
			check_text(sumfile_show(e.name, shown, sizeof(shown)),
				   sizeof(shown), false);
			check_text(sumfile_quote(e.name, quoted, sizeof(quoted)),
				   sizeof(quoted), true);
		}
		free(line);
		at += len;
	}
	return 0;
}
