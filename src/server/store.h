/*
 * store.h - the confined storage layer of ferryd.
 *
 * The only code that touches the file system below --root.  Every function
 * takes the root directory fd and a path that already passed fr_path_check
 * and fr_path_is_reserved; it walks the path one component at a time with
 * O_NOFOLLOW, so no symlink is ever followed (a symlink is `forbidden`).
 * Functions return FR_OK or a negative wire error (enum fr_err).
 * It knows nothing about connections, TLS or JSON.
 */
#ifndef FERRYD_STORE_H
#define FERRYD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/limits.h"

struct store_stat {
	bool is_dir;
	uint64_t size;
	int64_t mtime;
};

/* One listing entry; name is heap memory owned by the array. */
struct store_entry {
	char *name;
	bool is_dir;
	uint64_t size;
	int64_t mtime;
};

/* An upload in progress: a temporary file next to its target. */
struct store_upload {
	int dirfd; /* -1 when no upload is active */
	int fd;
	bool overwrite;
	char tmp[sizeof(FR_RESERVED_PREFIX) + 16];
	char name[FR_NAME_MAX + 1];
};

void store_upload_init(struct store_upload *u);

/* Start an upload of path: create missing parents, refuse a directory
 * target (is_directory) or an existing file without overwrite (exists),
 * create the temporary file.  On error nothing is left behind. */
int store_put_begin(int root, const char *path, bool overwrite,
		    struct store_upload *u);

/* Append n bytes to the temporary file (no_space, io_error ...). */
int store_put_write(struct store_upload *u, const void *p, size_t n);

/* fsync the data, move it under its final name (atomically refusing an
 * existing file without overwrite), fsync the directory.  On success the
 * upload is finished and released; on error it is still active (call
 * store_put_abort). */
int store_put_commit(struct store_upload *u);

/* Remove the temporary file and release the upload; no-op when none. */
void store_put_abort(struct store_upload *u);

/* Open a regular file for reading (is_directory for a directory,
 * forbidden for a symlink or special file).  *fd is owned by the caller. */
int store_open_read(int root, const char *path, int *fd,
		    struct store_stat *st);

/* read(2) up to n bytes from fd; *got == 0 means end of file. */
int store_read(int fd, void *p, size_t n, size_t *got);

/* Type, size and mtime of path ("" is the root). */
int store_stat(int root, const char *path, struct store_stat *st);

/* The regular files and directories in directory path ("" is the root),
 * sorted bytewise by name, without reserved names, symlinks, special
 * files and names that are not valid path components.  Free with
 * store_entries_free. */
int store_list(int root, const char *path, struct store_entry **out,
	       size_t *n);
void store_entries_free(struct store_entry *e, size_t n);

/* Remove a file, or a directory if it is empty (not_empty). */
int store_delete(int root, const char *path);

/* Open directory path ("" is the root itself, as a new open file
 * description) with the same no-symlink walk, creating missing components
 * when create is set.  *fd is owned by the caller.  Used for the
 * per-identity roots of --acl. */
int store_open_dir(int root, const char *path, bool create, int *fd);

#endif
