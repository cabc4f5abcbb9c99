/*
 * json.h - the strict JSON layer under the message modules (private to
 * src/core: request.c, response.c and aclfile.c include it; nothing else
 * sees cJSON).
 *
 * json_scan_at() is a strict RFC 8259 validator that closes the permissive
 * corners of cJSON 1.7.15 (escaped NULs that silently truncate strings,
 * trailing bytes, invalid UTF-8, raw control characters, unbounded
 * nesting); json_parse_object() runs it before cJSON builds a tree.  The
 * json_obj builder collects cJSON allocation failures in one flag and
 * prints integers exactly (cJSON prints doubles with 15 digits).
 */
#ifndef FERRY_CORE_JSON_H
#define FERRY_CORE_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"

/* Which top-level string values hold an escaped NUL (\u0000). */
enum {
	NUL_IN_KEY = 1 << 0,
	NUL_IN_PATH = 1 << 1,
	NUL_ELSEWHERE = 1 << 2, /* in a top-level value other than "path" */
};

/* Validate payload as exactly one JSON object of at most max_depth levels.
 * 0 or -1; *nul receives the NUL_* flags; *at (may be NULL) the offset
 * where scanning stopped (for error messages). */
int json_scan_at(const void *payload, size_t len, int max_depth,
		 unsigned *nul, size_t *at);

/* Scan with FR_JSON_DEPTH_MAX, then parse; NULL when the payload is not
 * one clean JSON object.  Free with cJSON_Delete. */
cJSON *json_parse_object(const void *payload, size_t len, unsigned *nul);

/* True if obj has two members with the same name (or memory ran out:
 * refuse rather than guess). */
bool json_has_duplicate_keys(const cJSON *obj);

enum int_check { INT_OK, INT_NOT_INTEGER, INT_TOO_LARGE };

/* SECURITY: an integral, finite number in [min, FR_SIZE_MAX] (cJSON's
 * valueint saturates; the double is what was sent). */
enum int_check json_get_int(const cJSON *item, double min, int64_t *out);

/* Copy src into dst of cap bytes; -1 (dst untouched) if it does not fit. */
int json_copy_str(char *dst, size_t cap, const char *src);

/* cJSON_Add* return NULL on allocation failure; one flag collects them. */
struct json_obj {
	cJSON *o;
	bool fail;
};

struct json_obj json_obj_new(void);
void json_add_str(struct json_obj *b, const char *k, const char *v);
void json_add_raw(struct json_obj *b, const char *k, const char *num);
void json_add_int(struct json_obj *b, const char *k, int64_t v);
void json_add_uint(struct json_obj *b, const char *k, uint64_t v);
void json_add_bool(struct json_obj *b, const char *k, bool v);

/* Append b as one frame of at most max payload bytes to out and free it:
 * FR_OK, FR_E_NOMEM (an allocation failed while building) or
 * FR_E_TOO_LARGE. */
int json_obj_emit(struct fr_buf *out, struct json_obj *b, size_t max);

#endif
