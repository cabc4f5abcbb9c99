/*
 * store_put.c - uploads and the expiry of held ones: the write side of the
 * storage layer (store.h).
 *
 * Does: a part file next to the target (reserved name, mode 0600), locked
 * by an OFD write lock; data written in order, writeback started every
 * FR_WRITEBACK_WINDOW; commit = fsync, rename (no-replace: renameat2, or
 * link() + unlink() where the file system lacks the flag), directory fsync;
 * abort keeps or removes the part; the sweep removes expired parts; a
 * committed file gets its hash in the checksum cache (sumcache.c).
 * Does not: walk paths itself (store.c's walk), know connections, or
 * compute hashes.
 *
 * SECURITY: safe on shared file systems with several ferryd instances:
 * one writer per part (the lock, re-checked against the linked name after
 * every lock), never a write into a file that has a second name, and a
 * size check at commit behind the lock.  What each file system must
 * provide for that is in docs/SCALING.md.
 */
#define _GNU_SOURCE /* renameat2, F_OFD_SETLK, sync_file_range */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/log.h"
#include "ferry/path.h"
#include "store.h"
#include "store_int.h"
#include "sumcache.h"

void store_upload_init(struct store_upload *u)
{
	memset(u, 0, sizeof(*u));
	u->dirfd = -1;
	u->fd = -1;
	u->mode = 0644;
}

int store_lock(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

static int random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[16];
	size_t i;

	if (nbytes > sizeof(rnd) ||
	    getrandom(rnd, nbytes, 0) != (ssize_t)nbytes)
		return FR_E_INTERNAL;
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return FR_OK;
}

/* Walk to the parent of path (creating it) and check the target name. */
static int put_target(int root, const char *path, bool overwrite,
		      struct store_upload *u)
{
	const char *last;
	struct stat st;
	int r;

	r = store_walk(root, path, true, true, &u->dirfd, &last);
	if (r != FR_OK)
		return r;
	if (*last == '\0' || strlen(last) > FR_NAME_MAX)
		return FR_E_INVALID_PATH;
	memcpy(u->name, last, strlen(last) + 1);
	u->overwrite = overwrite;
	if (fstatat(u->dirfd, u->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return FR_E_IS_DIRECTORY;
		if (!overwrite)
			return FR_E_EXISTS;
		if (!S_ISREG(st.st_mode))
			return FR_E_FORBIDDEN;
	} else if (errno != ENOENT) {
		return fr_err_from_errno(errno);
	}
	return FR_OK;
}

/* A new private temporary file with a random reserved name. */
static int put_tmp(struct store_upload *u)
{
	size_t plen = sizeof(FR_RESERVED_PREFIX) - 1;
	int r, tries;

	memcpy(u->tmp, FR_RESERVED_PREFIX, plen);
	for (tries = 0; tries < 8; tries++) {
		r = random_hex(u->tmp + plen, STORE_PART_ID_HEX / 2);
		if (r != FR_OK)
			return r;
		u->fd = openat(u->dirfd, u->tmp,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       0600);
		if (u->fd >= 0 || errno != EEXIST)
			break;
	}
	if (u->fd < 0)
		return fr_err_from_errno(errno);
	/* locked like a part, so the expiry sweep leaves it alone (a new
	 * file nobody else has open: this cannot fail where locks work) */
	(void)store_lock(u->fd);
	return FR_OK;
}

int store_put_begin(int root, const char *path, bool overwrite,
		    struct store_upload *u)
{
	int r;

	store_upload_init(u);
	r = put_target(root, path, overwrite, u);
	if (r == FR_OK)
		r = put_tmp(u);
	if (r != FR_OK) {
		store_close(&u->dirfd);
		u->tmp[0] = '\0';
	}
	return r;
}

/*
 * Open and lock the part file u->tmp.  FR_OK with u->fd locked, still
 * linked under that name and its only name; FR_E_BUSY when another upload
 * holds it.  The checks after the lock matter: between our open and our
 * lock, the holder may have committed the part (renamed it into place) or
 * the sweeper may have removed it; and a commit by link() that died before
 * its unlink leaves the part name as a second link of the committed file.
 * Writing into either inode would corrupt a finished file.
 */
static int lock_part(struct store_upload *u)
{
	struct stat a, b;
	int tries, r;

	for (tries = 0; tries < 4; tries++) {
		u->fd = openat(u->dirfd, u->tmp,
			       O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (u->fd < 0)
			return fr_err_from_errno(errno);
		if (store_lock(u->fd) != 0) {
			r = errno == EAGAIN || errno == EACCES
				    ? FR_E_BUSY
				    : fr_err_from_errno(errno);
			store_close(&u->fd);
			return r;
		}
		if (fstat(u->fd, &a) != 0)
			return fr_err_from_errno(errno);
		if (fstatat(u->dirfd, u->tmp, &b, AT_SYMLINK_NOFOLLOW) != 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			store_close(&u->fd); /* lost a race: open the current one */
			continue;
		}
		if (!S_ISREG(a.st_mode))
			return FR_E_FORBIDDEN;
		if (a.st_nlink == 1)
			return FR_OK;
		/* SECURITY: never write to a file with another name: drop
		 * our reserved name (the other one keeps the file) and start
		 * a fresh part under it */
		if (unlinkat(u->dirfd, u->tmp, 0) != 0 && errno != ENOENT)
			return fr_err_from_errno(errno);
		store_close(&u->fd);
	}
	return FR_E_BUSY;
}

int store_put_begin_part(int root, const char *path, bool overwrite,
			 const char *id, bool resume, struct store_upload *u)
{
	size_t plen = sizeof(FR_RESERVED_PREFIX) - 1;
	struct stat st;
	int r;

	store_upload_init(u);
	if (strlen(id) != STORE_PART_ID_HEX)
		return FR_E_INTERNAL;
	r = put_target(root, path, overwrite, u);
	if (r != FR_OK)
		goto out;
	if (!store_get_caps()->locks) {
		/* no exclusion on this file system: a shared part could be
		 * spliced by two writers, so every upload is private */
		r = put_tmp(u);
		goto out;
	}
	memcpy(u->tmp, FR_RESERVED_PREFIX, plen);
	memcpy(u->tmp + plen, id, STORE_PART_ID_HEX + 1);
	r = lock_part(u);
	if (r == FR_E_BUSY && resume)
		goto out; /* the holder is still at it (or just lost its peer) */
	if (r == FR_E_BUSY) {
		/* another upload of the same key is running: ours gets a
		 * private file and the other keeps its part intact */
		store_close(&u->fd);
		r = put_tmp(u);
		goto out;
	}
	if (r != FR_OK)
		goto out;
	u->hold = true;
	if (resume) {
		/* SECURITY: count only bytes that are on stable storage, so
		 * the offset we promise never exceeds what a crash keeps */
		if (fsync(u->fd) != 0 || fstat(u->fd, &st) != 0) {
			r = fr_err_from_errno(errno);
			goto out;
		}
		u->have = (uint64_t)st.st_size;
	}
	if (ftruncate(u->fd, (off_t)u->have) != 0 ||
	    lseek(u->fd, (off_t)u->have, SEEK_SET) < 0) {
		r = fr_err_from_errno(errno);
		goto out;
	}
out:
	if (r != FR_OK) {
		if (u->hold && u->fd >= 0)
			(void)unlinkat(u->dirfd, u->tmp, 0);
		u->hold = false;
		store_close(&u->fd);
		store_close(&u->dirfd);
		u->tmp[0] = '\0';
	}
	return r;
}

void store_put_discard(struct store_upload *u)
{
	u->hold = false;
}

/* After n more bytes reached fd: when a FR_WRITEBACK_WINDOW boundary was
 * crossed, start writeback of the window just filled and wait for the one
 * before it (a worker may wait on the disk, never on a peer).  Best effort:
 * the final fsync is what makes the data durable. */
static void writeback(int fd, size_t n)
{
	const off_t w = FR_WRITEBACK_WINDOW;
	off_t end = lseek(fd, 0, SEEK_CUR), cur;

	if (end < 0 || (end - (off_t)n) / w == end / w)
		return;
	cur = (end / w - 1) * w;
	(void)sync_file_range(fd, cur, w, SYNC_FILE_RANGE_WRITE);
	if (cur >= w)
		(void)sync_file_range(fd, cur - w, w,
				      SYNC_FILE_RANGE_WAIT_BEFORE |
					      SYNC_FILE_RANGE_WRITE |
					      SYNC_FILE_RANGE_WAIT_AFTER);
}

int store_put_write(struct store_upload *u, const void *p, size_t n)
{
	const char *b = p;
	size_t total = n;

	while (n > 0) {
		ssize_t w = write(u->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fr_err_from_errno(errno);
		if (w == 0)
			return FR_E_IO_ERROR;
		b += w;
		n -= (size_t)w;
	}
	u->wrote += total;
	writeback(u->fd, total);
	return FR_OK;
}

/*
 * Commit without replacing an existing name where RENAME_NOREPLACE is not
 * there (NFS, GlusterFS, CephFS): link() refuses an existing name just as
 * atomically.  A crash between the link and the unlink leaves the part
 * name as a second link of the committed file: lock_part replaces such a
 * name before anyone writes to it, and the sweep removes it.
 */
static int link_commit(struct store_upload *u)
{
	struct stat a, b;

	if (fstat(u->fd, &a) != 0)
		return fr_err_from_errno(errno);
	if (linkat(u->dirfd, u->tmp, u->dirfd, u->name, 0) != 0) {
		int e = errno;

		/* an NFS LINK retransmitted after it succeeded answers
		 * EEXIST: the name is ours if it is our inode */
		if (e != EEXIST ||
		    fstatat(u->dirfd, u->name, &b, AT_SYMLINK_NOFOLLOW) != 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			return fr_err_from_errno(e);
	}
	/* the file now has two names: from here on a crash is recovered
	 * by lock_part (nlink > 1), never by writing into it */
	if (unlinkat(u->dirfd, u->tmp, 0) != 0 && errno != ENOENT)
		fr_log(FR_LOG_WARN, "commit %s: could not remove the part "
		       "name %s: %s (the next upload of it replaces it)",
		       u->name, u->tmp, strerror(errno));
	return FR_OK;
}

int store_put_commit(struct store_upload *u, const char *sha256)
{
	struct timespec ts[2];
	struct stat st;
	int r;

	if (u->has_mtime) {
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT; /* atime: leave it */
		ts[1].tv_sec = (time_t)u->mtime;
		ts[1].tv_nsec = 0;
		if (futimens(u->fd, ts) != 0)
			return fr_err_from_errno(errno);
	}
	/* SECURITY: mode comes from the request masked to 0777 and to the
	 * executable bits by op_put.c: never setuid, setgid or sticky.  Set
	 * before the fsync, which makes them durable with the data. */
	if (fchmod(u->fd, u->mode & 0777) != 0 || fsync(u->fd) != 0 ||
	    fstat(u->fd, &st) != 0)
		return fr_err_from_errno(errno);
	/* SECURITY: belt and braces behind the lock: a part another writer
	 * appended to (a file system whose locks are not cluster-wide) is
	 * not the upload whose hash we are about to report */
	if ((uint64_t)st.st_size != u->have + u->wrote) {
		fr_log(FR_LOG_WARN, "commit %s: the part holds %llu bytes, not "
		       "%llu: another writer? (check the file system's locks, "
		       "docs/SCALING.md)", u->name,
		       (unsigned long long)st.st_size,
		       (unsigned long long)(u->have + u->wrote));
		return FR_E_IO_ERROR;
	}
	if (u->overwrite) {
		if (renameat(u->dirfd, u->tmp, u->dirfd, u->name) != 0)
			return fr_err_from_errno(errno);
	} else if (!store_get_caps()->noreplace ||
		   renameat2(u->dirfd, u->tmp, u->dirfd, u->name,
			     RENAME_NOREPLACE) != 0) {
		/* EINVAL: a mount below the root without the flag */
		if (store_get_caps()->noreplace && errno != EINVAL &&
		    errno != ENOSYS)
			return fr_err_from_errno(errno);
		r = link_commit(u);
		if (r != FR_OK)
			return r;
	}
	u->tmp[0] = '\0'; /* nothing left to remove */
	/* the hash the upload was verified with, bound to the file as it is
	 * now (after the rename moved its ctime) */
	if (sha256)
		sumcache_put(u->fd, NULL, sha256);
	/* committed: a directory fsync failing now cannot make it io_error
	 * (the client would retry into `exists`); say it in the log */
	if (store_dir_sync(u->dirfd) != FR_OK)
		fr_log(FR_LOG_WARN, "commit %s: directory fsync failed after "
		       "the rename: %s; the file is in place, its name may not "
		       "survive a power cut", u->name, strerror(errno));
	store_put_abort(u);
	return FR_OK;
}

void store_put_abort(struct store_upload *u)
{
	struct stat st;

	/* held for a resume when there is something to resume */
	if (u->hold && u->fd >= 0 && u->tmp[0] != '\0' &&
	    fstat(u->fd, &st) == 0 && st.st_size > 0 && fsync(u->fd) == 0)
		u->tmp[0] = '\0';
	if (u->dirfd >= 0 && u->tmp[0] != '\0')
		(void)unlinkat(u->dirfd, u->tmp, 0);
	u->tmp[0] = '\0';
	u->hold = false;
	store_close(&u->fd); /* releases the lock */
	store_close(&u->dirfd);
}


enum part_state { PART_REMOVED, PART_KEPT, PART_BUSY };

/* name in dfd, a reserved name: if it is a part file nobody holds (its
 * lock is free, it is still the linked regular file), remove it when its
 * mtime is before cutoff (PART_REMOVED), else keep it (PART_KEPT, its size
 * in *bytes); PART_BUSY when it is held, gone or not a part file. */
static enum part_state try_part(int dfd, const char *name, time_t cutoff,
				uint64_t *bytes)
{
	enum part_state res = PART_BUSY;
	struct stat a, b;
	int fd;

	/* O_RDWR: a write lock needs it, and NFS emulates locks that way */
	fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return PART_BUSY;
	/* without locks (the probe said so) only private files exist, and an
	 * upload idle for the whole ttl is dead: its mtime decides */
	if ((!store_get_caps()->locks || store_lock(fd) == 0) &&
	    fstat(fd, &a) == 0 && S_ISREG(a.st_mode) &&
	    fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		if (a.st_mtime < cutoff) {
			if (unlinkat(dfd, name, 0) == 0)
				res = PART_REMOVED;
		} else {
			res = PART_KEPT;
			*bytes = (uint64_t)a.st_size;
		}
	}
	close(fd);
	return res;
}

/* Remove name in dfd if it is an expired part file that nobody holds;
 * count it in *held when it is kept for a resume. */
static bool sweep_one(int dfd, const char *name, time_t cutoff,
		      struct store_held *held)
{
	uint64_t bytes = 0;

	switch (try_part(dfd, name, cutoff, &bytes)) {
	case PART_REMOVED:
		return true;
	case PART_KEPT:
		held->parts++;
		held->bytes += bytes;
		return false;
	case PART_BUSY:
	default:
		return false;
	}
}

bool store_drop_parts(int dfd, const char *name)
{
	time_t all = (time_t)((~(uint64_t)0) >> 1); /* every mtime */
	struct dirent *de;
	size_t budget = FR_SWEEP_MAX_ENTRIES;
	bool only = true;
	uint64_t bytes;
	DIR *d;
	int fd;

	/* without exclusive locks an upload in progress cannot be told
	 * from an interrupted one: keep them all */
	if (!store_get_caps()->locks)
		return false;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (only && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		only = --budget > 0 && fr_name_is_reserved(de->d_name) &&
		       try_part(dirfd(d), de->d_name, all, &bytes) ==
			       PART_REMOVED;
	}
	closedir(d);
	return only;
}

static size_t sweep_dir(int dfd, time_t cutoff, unsigned depth,
			size_t *budget, struct store_held *held)
{
	struct dirent *de;
	size_t removed = 0;
	DIR *d;
	int nfd;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (*budget > 0 && (de = readdir(d)) != NULL) {
		(*budget)--;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fr_name_is_reserved(de->d_name)) {
			removed += sweep_one(dirfd(d), de->d_name, cutoff, held);
			continue;
		}
		/* depth = components of this directory's path: a part of a
		 * path of STORE_SWEEP_DEPTH components lives in a directory
		 * of STORE_SWEEP_DEPTH - 1 */
		if (depth + 1 >= STORE_SWEEP_DEPTH ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		nfd = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd >= 0)
			removed += sweep_dir(nfd, cutoff, depth + 1, budget,
					     held);
	}
	closedir(d);
	return removed;
}

size_t store_sweep_parts(int root, uint64_t ttl, size_t max_entries,
			 struct store_held *held)
{
	time_t now = time(NULL);
	time_t cutoff = ttl > (uint64_t)now ? 0 : now - (time_t)ttl;
	int dfd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(held, 0, sizeof(*held));
	if (dfd < 0)
		return 0;
	return sweep_dir(dfd, cutoff, 0, &max_entries, held);
}
