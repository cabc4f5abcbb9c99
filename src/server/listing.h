/*
 * listing.h - the streaming directory reader behind the list operation.
 *
 * Does: read one directory, or a whole subtree depth first (protocol 2's
 * recursive list), one entry at a time, with a small fixed buffer per open
 * level, so a listing costs the same memory whether the directory holds
 * ten entries or ten million, and a worker can stop after any entry and go
 * on later.  Entries come in directory order (no sorting: that would need
 * the whole listing in memory).  Only regular files and directories whose
 * names are valid, unreserved path components are returned.
 * Does not: follow symlinks (every directory is opened relative to its
 * parent with O_NOFOLLOW, the listed one through store_open_dir), hold
 * more than FR_LIST_TREE_DEPTH directories open, or know about frames.
 */
#ifndef FERRYD_LISTING_H
#define FERRYD_LISTING_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/limits.h"

struct listing; /* opaque */

struct listing_entry {
	char name[FR_NAME_MAX + 1];
	bool is_dir;
	uint64_t size; /* 0 for directories */
	int64_t mtime;
	unsigned mode;  /* permission bits, 0777 */
	unsigned depth; /* 0: in the listed directory */
	/* a directory whose contents were not listed: at the depth limit,
	 * or it could not be opened (the client lists it on its own and
	 * gets the reason) */
	bool truncated;
};

/* Open directory path below root ("" is the root itself) for a listing of
 * levels levels (1: the directory alone; FR_LIST_TREE_DEPTH at most).
 * FR_OK with *out owned by the caller, or a wire error (not_found,
 * not_directory, forbidden for a symlink on the way, ...). */
int listing_open(int root, const char *path, unsigned levels,
		 struct listing **out);

/*
 * The next entry into *e.  FR_OK with *end false: *e is filled; with *end
 * true: the listing is complete.  FR_AGAIN: budget directory entries were
 * looked at without one to return (the caller yields and calls again).
 * Or a wire error (io_error).  A subdirectory returned is descended into
 * by the next call unless e->truncated.
 */
int listing_next(struct listing *l, struct listing_entry *e,
		 unsigned budget, bool *end);

void listing_free(struct listing *l); /* NULL is a no-op */

#endif
