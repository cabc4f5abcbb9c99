/*
 * fsprobe.h - what the file system under --root can do, probed once.
 *
 * Does: at start-up, in a private reserved directory under the root, try
 * renameat2(RENAME_NOREPLACE), a hard link, two OFD locks on one file
 * through two open files, a user xattr and a directory fsync; fill struct
 * store_caps (store.h) and one log line saying what is supported and what
 * that means for the guarantees.  Does not: change anything outside its
 * own directory (removed again), or run later (the result is kept).
 */
#ifndef FERRYD_FSPROBE_H
#define FERRYD_FSPROBE_H

#include <stddef.h>

#include "store.h"

/* Probe the file system of directory fd root.  FR_OK with *caps and the
 * log line in line; an error (the root is not writable, ...) with line
 * saying why.  caps stays at the defaults for what could not be tried. */
int fsprobe_run(int root, struct store_caps *caps, char *line, size_t n);

#endif
