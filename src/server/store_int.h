/*
 * store_int.h - what store.c shares with store_put.c, and nothing else.
 *
 * Not an API: the storage layer's public contract is store.h.
 */
#ifndef FERRYD_STORE_INT_H
#define FERRYD_STORE_INT_H

#include <stdbool.h>

/* The no-symlink walk of path from root (see store.c): with to_parent,
 * every component but the last (*last points at it). */
int store_walk(int root, const char *path, bool to_parent, bool create,
	       int *out, const char **last);

/* Close *fd if open and set it to -1. */
void store_close(int *fd);

/* fsync directory dfd when the file system supports it: FR_OK (done, or
 * not supported: EINVAL, ENOTSUP, EROFS), else the error. */
int store_dir_sync(int dfd);

/* A directory name in dfd holds nothing but held parts nobody is
 * writing (interrupted uploads): remove them and say true, so that the
 * directory can be deleted; false (nothing or some removed) when it holds
 * anything else, or an upload in progress, or the file system has no
 * exclusive locks (then an upload in progress cannot be told apart). */
bool store_drop_parts(int dfd, const char *name);

#endif
