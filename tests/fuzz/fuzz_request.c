/*
 * fuzz_request.c - libFuzzer entry for the request parser (request.c over
 * cJSON): JSON payload -> struct fr_request.
 *
 * Checks the parser's contract on every input: an accepted request has a
 * known result code, a NUL-terminated path that passes the path rules (and
 * a rename's "to" too), and sizes within FR_SIZE_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"
#include "ferry/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fr_request req;
	const char *why = NULL;
	int r;

	if (size > FR_MAX_REQUEST)
		return 0; /* the frame layer refuses these first */
	fr_request_cleanup(&req);
	r = fr_request_parse(data, size, &req, &why);
	if (r != FR_OK && r != FR_E_BAD_REQUEST && r != FR_E_INVALID_PATH &&
	    r != FR_E_TOO_LARGE && r != FR_E_INTERNAL)
		abort();
	if (r != FR_OK && req.to)
		abort(); /* a refused request owns nothing */
	if (r != FR_OK) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (req.has_path &&
	    (memchr(req.path, '\0', sizeof(req.path)) == NULL ||
	     fr_path_check(req.path, strlen(req.path), NULL) != FR_OK))
		abort();
	/* every op but hello names a valid path when accepted; rename's
	 * "to" obeys the same rules */
	if (req.op != FR_OP_HELLO && req.op != FR_OP_UNKNOWN && !req.has_path)
		abort();
	if (req.op == FR_OP_RENAME &&
	    (!req.to || strlen(req.to) > FR_PATH_MAX ||
	     fr_path_check(req.to, strlen(req.to), NULL) != FR_OK))
		abort();
	if ((req.has_size && req.size > FR_SIZE_MAX) ||
	    (req.has_offset && req.offset > FR_SIZE_MAX))
		abort();
	return 0;
}
