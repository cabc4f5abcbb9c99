/*
 * walk.h - the local tree walk of put -r, which never follows a symlink.
 *
 * walk_next returns one item at a time, depth first, names of each
 * directory in byte order; rel (borrowed until the next call) is the path
 * below the top directory.  0 with an item, 1 at the end.
 */
#ifndef FERRY_CLIENT_WALK_H
#define FERRY_CLIENT_WALK_H

#include <stdint.h>

#include "ferry/limits.h"

#define WALK_DEPTH_MAX 256u     /* directory levels (open descriptors) */
#define WALK_PATH_MAX FR_PATH_MAX

enum walk_kind {
	WALK_FILE,      /* a regular file: upload it */
	WALK_EMPTY_DIR, /* a directory that gave nothing else ("" = the top) */
	WALK_SKIP,      /* not a file nor a directory: what says which */
	WALK_TOO_DEEP,  /* a directory below WALK_DEPTH_MAX levels */
	WALK_TOO_LONG,  /* a path longer than WALK_PATH_MAX: rel = the name */
	WALK_ERROR,     /* a name that could not be looked at or opened */
};

struct walk_item {
	enum walk_kind kind;
	const char *rel;
	const char *what; /* WALK_SKIP: "symlink", "FIFO", ... */
	uint64_t size;    /* WALK_FILE */
	int err;          /* WALK_ERROR: errno */
};

struct walk;

/* Walk the directory top_fd (borrowed).  0 or errno. */
int walk_open(int top_fd, struct walk **out);
int walk_next(struct walk *w, struct walk_item *it);
void walk_free(struct walk *w); /* NULL is a no-op */

#endif
