/*
 * sumcache.h - the SHA-256 of a stored file, kept with the file in the
 * extended attribute user.ferry.sha256 (FR_SUMCACHE_XATTR), so that stat
 * with "sha256" (ferry sum, stat --sha256, check, put --skip-same)
 * answers without reading the file.
 *
 * An entry holds the hash, a stamp of the file as it was when the entry
 * was written (size, inode, mtime with nanoseconds, and the window of
 * ctimes that writing the entry itself leaves: an xattr write moves the
 * ctime), and an HMAC-SHA256 over all of it under a key only this server
 * can compute (derived from its TLS private key).  An entry is trusted
 * only when its MAC is ours and its stamp matches the file as it is now;
 * anything else (no entry, another format, an entry forged by whoever can
 * write the file, one copied from another file, a file changed behind our
 * back: appended, edited in place, touched, replaced) means "hash the
 * file".  SECURITY: so no xattr can make ferryd report a hash that is not
 * the file's, short of someone who holds the server's private key.
 *
 * Does not: hash (op_stat.c does), choose when to (the ops), or anything
 * at all where the root's file system has no user xattrs (the start-up
 * probe logs it once; every hash is then computed).
 */
#ifndef FERRYD_SUMCACHE_H
#define FERRYD_SUMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ferry/hash.h"

/* What the entry binds the hash to. */
struct sumcache_stamp {
	uint64_t size, ino;
	int64_t mtime_s, ctime_s;
	long mtime_ns, ctime_ns;
};

void sumcache_stamp_of(const struct stat *st, struct sumcache_stamp *out);

/* Switch the cache on with its MAC key (copied).  Call once at start-up,
 * before any thread, and only where the probe found user xattrs; without
 * it every lookup misses and nothing is written. */
void sumcache_init(const unsigned char key[32]);
bool sumcache_on(void);

/*
 * The cached hash of the open regular file fd.  *now receives the file's
 * stamp (fstat) either way.  FR_OK with hex when a trusted entry matches
 * the file as it is; FR_E_NOT_FOUND when the file must be hashed (then
 * pass *now to sumcache_put as before); another error when fstat failed.
 */
int sumcache_get(int fd, struct sumcache_stamp *now,
		 char hex[FR_SHA256_HEX]);

/*
 * Record hex as the SHA-256 of fd's content.  before: the stamp taken
 * before the content was hashed; if the file is not exactly that now, it
 * changed while it was read and nothing is written.  NULL: the caller
 * knows the content (an upload it has just written and committed).  Best
 * effort and silent: a file system or owner that refuses the attribute
 * just means the next call hashes again.
 */
void sumcache_put(int fd, const struct sumcache_stamp *before,
		  const char hex[FR_SHA256_HEX]);

/* ---- the pure codec (for the unit test) -------------------------------- */

/* The entry for hex and st whose ctime may lie in [lo, hi] (s, ns), MAC'd
 * under key, into out (FR_SUMCACHE_VALUE_MAX + 1 bytes).  Its length, or
 * 0 if it does not fit. */
size_t sumcache_encode(const unsigned char key[32], const char *hex,
		       const struct sumcache_stamp *st, int64_t lo_s,
		       long lo_ns, int64_t hi_s, long hi_ns, char *out,
		       size_t n);

/* Is the n-byte value v an entry of ours (MAC under key) whose stamp
 * matches now?  true with hex; false for anything else, however
 * malformed. */
bool sumcache_decode(const unsigned char key[32], const char *v, size_t n,
		     const struct sumcache_stamp *now,
		     char hex[FR_SHA256_HEX]);

#endif
