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

/* Hex digits of a part id (the name after FR_RESERVED_PREFIX). */
#define STORE_PART_ID_HEX 32

struct store_stat {
	bool is_dir;
	uint64_t size;
	int64_t mtime;
	unsigned mode; /* permission bits, 0777 */
};

/* An upload in progress: a temporary file next to its target. */
struct store_upload {
	int dirfd; /* -1 when no upload is active */
	int fd;
	bool overwrite;
	bool hold;     /* a locked part file: store_put_abort keeps it */
	unsigned mode; /* given to the file at commit (0644 by default) */
	bool has_mtime; /* set the modification time at commit */
	int64_t mtime;
	uint64_t have; /* bytes already held when the upload began */
	uint64_t wrote; /* bytes store_put_write added since */
	char tmp[sizeof(FR_RESERVED_PREFIX) + STORE_PART_ID_HEX];
	char name[FR_NAME_MAX + 1];
};

void store_upload_init(struct store_upload *u);

/*
 * What the file system under --root can do, found once at start-up by
 * fsprobe.c and then relied on (no per-call discovery):
 *   noreplace  renameat2(RENAME_NOREPLACE) works (else link() + unlink())
 *   hardlinks  linkat works
 *   locks      OFD byte-range locks exclude each other between open files
 *              (else every upload gets a private file: no resume)
 *   xattrs     user.* extended attributes work (the checksum cache,
 *              sumcache.h; without them every hash is computed)
 *   dir_fsync  fsync of a directory works (else it is skipped)
 * Defaults (all true) hold until store_set_caps; call it before any
 * thread starts.
 */
struct store_caps {
	bool noreplace, hardlinks, locks, xattrs, dir_fsync;
};
void store_set_caps(const struct store_caps *c);

/* The lock of part files: exclusive, on the whole file, owned by this open
 * file (OFD, fcntl F_OFD_SETLK): it excludes other open files even in this
 * process, and NFSv4, GlusterFS and CephFS carry it to the server; fd must
 * be open for writing.  0, or -1 with errno (EAGAIN or EACCES: someone
 * holds it).  Released when fd is closed. */
int store_lock(int fd);
const struct store_caps *store_get_caps(void);

/* Start an upload of path: create missing parents, refuse a directory
 * target (is_directory) or an existing file without overwrite (exists),
 * create the temporary file.  On error nothing is left behind. */
int store_put_begin(int root, const char *path, bool overwrite,
		    struct store_upload *u);

/*
 * Start a resumable upload of path: like store_put_begin, but the data goes
 * to the part file FR_RESERVED_PREFIX + id (id: STORE_PART_ID_HEX hex
 * digits naming the upload's key), locked (an OFD write lock, which NFSv4,
 * GlusterFS and CephFS carry to the server) so one upload at a time owns
 * it, across processes and instances sharing the file system.  A part that
 * is a second hard link of another file (a crash between the link and the
 * unlink of a commit) is never written to: its name is replaced first.  With resume, the bytes it already holds are fsync'ed and
 * kept (u->have, the write position is at their end); without, it is
 * emptied.  If another upload holds the lock: with resume FR_E_BUSY (the
 * holder may be an upload whose peer is gone but that has not noticed
 * yet; the client retries), without resume this one falls back to a
 * private temporary file (u->have == 0, u->hold false): it cannot corrupt
 * the other and is simply not resumable.  u->hold is true for a part file:
 * store_put_abort then fsyncs and keeps it (if not empty) unless
 * store_put_discard is called first.
 */
int store_put_begin_part(int root, const char *path, bool overwrite,
			 const char *id, bool resume, struct store_upload *u);

/* The next store_put_abort removes the file even if it is a part file
 * (a checksum mismatch, a full disk, an I/O error). */
void store_put_discard(struct store_upload *u);

/* What a sweep left held for a resume. */
struct store_held {
	uint64_t parts, bytes;
};

/*
 * Remove part files (names FR_RESERVED_PREFIX...) under the root whose
 * mtime is more than ttl seconds old and that no upload holds; count the
 * others nobody holds in *held.  Bounded: visits at most max_entries
 * directory entries, and every directory a path of STORE_SWEEP_DEPTH
 * components can have (the ceiling of --max-path-depth, so no held part
 * is out of its reach).  Returns how many it removed.
 */
#define STORE_SWEEP_DEPTH FR_MAX_PATH_DEPTH
size_t store_sweep_parts(int root, uint64_t ttl, size_t max_entries,
			 struct store_held *held);

/* Append n bytes to the temporary file (no_space, io_error ...). */
int store_put_write(struct store_upload *u, const void *p, size_t n);

/* fsync the data (after giving it u->mode and, with u->has_mtime,
 * u->mtime), move it under its final name (atomically refusing an
 * existing file without overwrite), fsync the directory, and record
 * sha256 (the hash of the bytes the upload wrote, NULL: none) in the
 * checksum cache (sumcache.h).  On success the upload is finished and
 * released; on error it is still active (call store_put_abort). */
int store_put_commit(struct store_upload *u, const char *sha256);

/* Remove the temporary file and release the upload; no-op when none.  A
 * part file (u->hold) is fsync'ed and kept for a later resume instead
 * (removed if the fsync fails). */
void store_put_abort(struct store_upload *u);

/* Open a regular file for reading (is_directory for a directory,
 * forbidden for a symlink or special file).  *fd is owned by the caller. */
int store_open_read(int root, const char *path, int *fd,
		    struct store_stat *st);

/* read(2) up to n bytes from fd; *got == 0 means end of file. */
int store_read(int fd, void *p, size_t n, size_t *got);

/* Type, size and mtime of path ("" is the root). */
int store_stat(int root, const char *path, struct store_stat *st);

/* Listings: see listing.h (they start from store_open_dir). */

/* Remove a file, or a directory if it is empty (not_empty). */
int store_delete(int root, const char *path);

/* Create directory path (mode 0755) and fsync its parent.  Without
 * parents, the parent must exist and path must not (exists); with
 * parents, missing parents are created and an existing directory is
 * fine (an existing file is still exists).  *created: path itself was
 * made (false: -p found it). */
int store_mkdir(int root, const char *path, bool parents, bool *created);

/*
 * Rename from to to, both below root (so never across identities' roots),
 * atomically: a file or a directory, to a name whose parent exists
 * (not_found otherwise).  An existing to is refused (exists) unless
 * overwrite, and then only a file replaces a file: a directory is never
 * replaced (is_directory) and never replaces a file (exists).  A
 * directory cannot move below itself (invalid_path); a rename across
 * file systems below the root is forbidden.  Both directories are
 * fsync'ed before FR_OK.  Where the file system lacks RENAME_NOREPLACE
 * (the probe), a file moves by link() + unlink() (as atomic a refusal)
 * and a directory by rename(2) after a check that to is absent.
 */
int store_rename(int root, const char *from, const char *to, bool overwrite);

/* Open directory path ("" is the root itself, as a new open file
 * description) with the same no-symlink walk, creating missing components
 * when create is set.  *fd is owned by the caller.  Used for the
 * per-identity roots of --acl. */
int store_open_dir(int root, const char *path, bool create, int *fd);

#endif
