/*
 * path.c - the path rules of protocol v1 (see path.h).
 *
 * Pure string checks: no file-system access, no allocation.  The server's
 * store layer adds the second line of defence (no symlink is ever followed).
 */
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"

bool fr_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned min, cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static int path_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return FR_E_INVALID_PATH;
}

int fr_path_check(const char *p, size_t len, const char **why)
{
	if (why)
		*why = NULL;
	if (len == 0)
		return FR_OK; /* the root */
	if (len > FR_PATH_MAX)
		return path_fail(why, "path longer than 4095 bytes");
	if (p[0] == '/')
		return path_fail(why, "path must be relative (leading '/')");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0)
			return path_fail(why, "path contains a NUL byte");
		if (c < 0x20 || c == 0x7F)
			return path_fail(why, "path contains a control character");
		if (c == '\\')
			return path_fail(why, "path contains a backslash");
	}
	if (!fr_utf8_valid(p, len))
		return path_fail(why, "path is not valid UTF-8");
	for (size_t start = 0; start <= len;) {
		const char *slash = memchr(p + start, '/', len - start);
		size_t end = slash ? (size_t)(slash - p) : len;
		size_t n = end - start;
		if (n == 0)
			return path_fail(why, "path has an empty component");
		if (n > FR_NAME_MAX)
			return path_fail(why, "path component longer than 255 bytes");
		if ((n == 1 && p[start] == '.') ||
		    (n == 2 && p[start] == '.' && p[start + 1] == '.'))
			return path_fail(why, "path has a '.' or '..' component");
		start = end + 1;
	}
	return FR_OK;
}

bool fr_name_is_reserved(const char *name)
{
	return strncmp(name, FR_RESERVED_PREFIX, strlen(FR_RESERVED_PREFIX)) == 0;
}

bool fr_path_is_reserved(const char *p)
{
	for (const char *c = p; c;) {
		if (fr_name_is_reserved(c))
			return true;
		c = strchr(c, '/');
		if (c)
			c++;
	}
	return false;
}

const char *fr_path_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}
