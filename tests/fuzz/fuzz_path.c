/*
 * fuzz_path.c - libFuzzer entry for the path validator (path.c).
 *
 * An accepted path must obey every rule on its own terms, checked here by
 * a second, naive implementation: no NUL, control byte, backslash, leading
 * '/', empty, "." or ".." component, and within the length caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t i, start = 0;

	if (fr_path_check(p, size, NULL) != FR_OK)
		return 0;
	if (size > FR_PATH_MAX || !fr_utf8_valid(p, size))
		abort();
	if (size == 0)
		return 0;
	if (p[0] == '/' || p[size - 1] == '/')
		abort();
	for (i = 0; i <= size; i++) {
		if (i < size) {
			unsigned char c = data[i];

			if (c < 0x20 || c == 0x7f || c == '\\')
				abort();
			if (c != '/')
				continue;
		}
		/* component [start, i) */
		if (i == start || i - start > FR_NAME_MAX)
			abort();
		if ((i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			abort();
		start = i + 1;
	}
	{
		/* the reserved-name test and basename only read inside */
		char *z = malloc(size + 1);

		if (!z)
			return 0;
		memcpy(z, p, size);
		z[size] = '\0';
		(void)fr_path_is_reserved(z);
		if (strlen(fr_path_basename(z)) > FR_NAME_MAX)
			abort();
		free(z);
	}
	return 0;
}
