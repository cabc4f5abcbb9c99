/*
 * hash.h - streaming SHA-256.
 *
 * A thin wrapper so that only this module and tls.c include OpenSSL.
 */
#ifndef FERRY_HASH_H
#define FERRY_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define FR_SHA256_LEN 32
#define FR_SHA256_HEX 65 /* 64 hex digits and a NUL */

struct fr_sha256; /* opaque */

/* Allocate a fresh context; NULL on allocation failure. */
struct fr_sha256 *fr_sha256_new(void);
void fr_sha256_free(struct fr_sha256 *h); /* NULL is a no-op */

/* Restart the context (after a final, or to discard what was hashed). */
void fr_sha256_reset(struct fr_sha256 *h);
void fr_sha256_update(struct fr_sha256 *h, const void *p, size_t n);

/* Finish and write 64 lowercase hex digits and a NUL into hex.  The
 * context must be reset before it is used again. */
void fr_sha256_final_hex(struct fr_sha256 *h, char hex[FR_SHA256_HEX]);

/* The hex digest of what h has hashed so far, leaving h untouched (it
 * can go on hashing): for prefixes of a resumed transfer. */
void fr_sha256_peek_hex(const struct fr_sha256 *h, char hex[FR_SHA256_HEX]);

/* Make dst continue exactly where src is (both must exist): 0, or -1 when
 * out of memory. */
int fr_sha256_copy(struct fr_sha256 *dst, const struct fr_sha256 *src);

/* True if s is exactly 64 lowercase hex digits. */
bool fr_sha256_hex_valid(const char *s, size_t len);

/* HMAC-SHA256 of msg under key, as 64 lowercase hex digits and a NUL
 * (ferryd's checksum cache authenticates its entries with it).  Aborts
 * only when OpenSSL cannot run at all. */
void fr_hmac_sha256_hex(const void *key, size_t klen, const void *msg,
			size_t n, char hex[FR_SHA256_HEX]);

/* a == b for n bytes, in time that does not depend on where they differ
 * (comparing a MAC). */
bool fr_ct_equal(const void *a, const void *b, size_t n);

#endif
