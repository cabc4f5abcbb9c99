/*
 * prefix.h - the SHA-256 of the first K bytes of a local file, read in
 * FR_IO_CHUNK pieces and resumable: a put hashes its file ahead while it
 * waits (the server hashes the part it holds), and when K is known, the
 * hash must stand at exactly K bytes.  Snapshots every PREFIX_SNAP bytes
 * mean a K below what was hashed ahead costs no second pass from 0.
 * put --skip-same hashes a whole file with it too.
 *
 * Does not: open or close the file (the caller's fd), or own the hash
 * context (borrowed: the caller goes on hashing its body with it).
 * Functions return 0 or an errno value (EFBIG: the file is shorter than
 * asked).
 */
#ifndef FERRY_CLIENT_PREFIX_H
#define FERRY_CLIENT_PREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/hash.h"

#define PREFIX_SNAP (64u * 1024u * 1024u) /* a multiple of FR_IO_CHUNK */

struct prefix {
	struct fr_sha256 *h; /* borrowed: holds exactly bytes [0, pos) */
	uint64_t pos;
	struct fr_sha256 **snap; /* snap[i]: the hash of (i + 1) * SNAP bytes */
	size_t n_snap;
	unsigned char *buf; /* FR_IO_CHUNK, made on first use */
};

void prefix_init(struct prefix *p, struct fr_sha256 *h);

/* Back to 0 bytes (h reset, snapshots dropped). */
void prefix_reset(struct prefix *p);

/* Hash the next piece of fd, up to limit. */
int prefix_step(struct prefix *p, int fd, uint64_t limit);

/* Leave h at exactly the first k bytes of fd. */
int prefix_to(struct prefix *p, int fd, uint64_t k);

/* Drop the snapshots (h and pos stay). */
void prefix_drop_snaps(struct prefix *p);

/* Free the snapshots and the buffer (not h). */
void prefix_cleanup(struct prefix *p);

#endif
