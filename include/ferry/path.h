/*
 * path.h - the path rules of protocol v1.
 *
 * Paths are relative to the server root: UTF-8, '/'-separated, no empty
 * component, no "." or "..", no leading '/', no NUL, no byte < 0x20 or
 * 0x7F, no backslash, <= FR_PATH_MAX bytes, components <= FR_NAME_MAX
 * bytes.  "" names the root.  This module is pure string logic, shared by
 * server and client; it never touches the file system.
 */
#ifndef FERRY_PATH_H
#define FERRY_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* FR_OK when p[0..len) obeys every rule above (the root "" included),
 * FR_E_INVALID_PATH otherwise.  If why is not NULL it receives a static
 * one-line reason on failure. */
int fr_path_check(const char *p, size_t len, const char **why);

/* True if any component of the valid path p starts with FR_RESERVED_PREFIX
 * (the server's temporary files; never addressable). */
bool fr_path_is_reserved(const char *p);

/* True if name (one component) starts with FR_RESERVED_PREFIX. */
bool fr_name_is_reserved(const char *name);

/* True if p[0..len) is valid UTF-8 (shortest forms, no surrogates,
 * <= U+10FFFF). */
bool fr_utf8_valid(const char *p, size_t len);

/* Last component of a valid path ("" for the root); points into p. */
const char *fr_path_basename(const char *p);

#endif
