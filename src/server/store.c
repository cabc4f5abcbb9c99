/*
 * store.c - the confined storage layer: every file-system call of ferryd.
 *
 * Does: walk paths component by component from the root directory fd with
 * openat(O_DIRECTORY | O_NOFOLLOW), uploads through a reserved temporary
 * name plus fsync + rename, listings, stat and delete.
 * Does not: check path syntax (callers run fr_path_check and
 * fr_path_is_reserved first), talk to the network, or know about JSON.
 *
 * SECURITY: no call here ever resolves a multi-component path or follows a
 * symlink: each directory is opened relative to its parent with O_NOFOLLOW,
 * and final components are opened or inspected with O_NOFOLLOW /
 * AT_SYMLINK_NOFOLLOW.  Clients cannot create symlinks, and the reserved
 * prefix keeps our temporary files out of their reach.
 */
#define _GNU_SOURCE /* renameat2, reallocarray */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/path.h"
#include "store.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Why could name in dirfd not be opened as a directory or file? */
static int classify(int dirfd, const char *name, int errnum)
{
	struct stat st;

	if (errnum == ELOOP || errnum == ENOTDIR) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISLNK(st.st_mode))
				return FR_E_FORBIDDEN;
			if (!S_ISDIR(st.st_mode))
				return FR_E_NOT_DIRECTORY;
		}
	}
	return fr_err_from_errno(errnum);
}

/* Open directory name below dirfd, creating it when asked. */
static int open_dir(int dirfd, const char *name, bool create, int *out)
{
	int fd;

	*out = -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0755) == 0) {
			/* the new entry must survive a crash before we
			 * promise anything stored below it */
			if (fsync(dirfd) != 0)
				return fr_err_from_errno(errno);
		} else if (errno != EEXIST) {
			return fr_err_from_errno(errno);
		}
		fd = openat(dirfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return classify(dirfd, name, errno);
	*out = fd;
	return FR_OK;
}

/*
 * Walk path from root.  With to_parent, open every component but the last
 * and point *last at it; otherwise open every component (*last == "").
 * *out receives a new directory fd owned by the caller.
 */
static int walk(int root, const char *path, bool to_parent, bool create,
		int *out, const char **last)
{
	char name[FR_NAME_MAX + 1];
	const char *p = path;
	int dfd, nfd, r;

	*out = -1;
	*last = "";
	/* a new open file description, not a dup: readdir offsets must not
	 * be shared with the root fd */
	dfd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fr_err_from_errno(errno);
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!slash && to_parent)
			break;
		if (n == 0 || n > FR_NAME_MAX) {
			r = FR_E_INVALID_PATH; /* callers checked; belt and braces */
			goto out;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		r = open_dir(dfd, name, create, &nfd);
		if (r != FR_OK)
			goto out;
		close(dfd);
		dfd = nfd;
		p = slash ? slash + 1 : p + n;
	}
	*last = p;
	*out = dfd;
	dfd = -1;
	r = FR_OK;
out:
	close_fd(&dfd);
	return r;
}

void store_upload_init(struct store_upload *u)
{
	memset(u, 0, sizeof(*u));
	u->dirfd = -1;
	u->fd = -1;
	u->mode = 0644;
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

	r = walk(root, path, true, true, &u->dirfd, &last);
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
	 * file nobody else has open: this cannot fail) */
	(void)flock(u->fd, LOCK_EX | LOCK_NB);
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
		close_fd(&u->dirfd);
		u->tmp[0] = '\0';
	}
	return r;
}

/*
 * Open and lock the part file u->tmp.  FR_OK with u->fd locked and still
 * linked under that name, FR_E_BUSY when another upload holds it.
 * The check after flock matters: between our open and our lock, the
 * holder may have renamed the part into place (commit) or the sweeper may
 * have removed it; writing into that inode would corrupt a finished file.
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
		if (flock(u->fd, LOCK_EX | LOCK_NB) != 0) {
			r = errno == EWOULDBLOCK ? FR_E_BUSY
						 : fr_err_from_errno(errno);
			close_fd(&u->fd);
			return r;
		}
		if (fstat(u->fd, &a) != 0)
			return fr_err_from_errno(errno);
		if (fstatat(u->dirfd, u->tmp, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			if (!S_ISREG(a.st_mode))
				return FR_E_FORBIDDEN;
			return FR_OK;
		}
		close_fd(&u->fd); /* lost a race: open the current one */
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
	memcpy(u->tmp, FR_RESERVED_PREFIX, plen);
	memcpy(u->tmp + plen, id, STORE_PART_ID_HEX + 1);
	r = lock_part(u);
	if (r == FR_E_BUSY && resume)
		goto out; /* the holder is still at it (or just lost its peer) */
	if (r == FR_E_BUSY) {
		/* another upload of the same key is running: ours gets a
		 * private file and the other keeps its part intact */
		close_fd(&u->fd);
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
		close_fd(&u->fd);
		close_fd(&u->dirfd);
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
	writeback(u->fd, total);
	return FR_OK;
}

int store_put_commit(struct store_upload *u)
{
	struct timespec ts[2];

	if (u->has_mtime) {
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT; /* atime: leave it */
		ts[1].tv_sec = (time_t)u->mtime;
		ts[1].tv_nsec = 0;
		if (futimens(u->fd, ts) != 0)
			return fr_err_from_errno(errno);
	}
	/* SECURITY: mode comes from the request masked to 0777 and to the
	 * executable bits by op_put.c: never setuid, setgid or sticky */
	if (fchmod(u->fd, u->mode & 0777) != 0 || fsync(u->fd) != 0)
		return fr_err_from_errno(errno);
	if (u->overwrite) {
		if (renameat(u->dirfd, u->tmp, u->dirfd, u->name) != 0)
			return fr_err_from_errno(errno);
	} else if (renameat2(u->dirfd, u->tmp, u->dirfd, u->name,
			     RENAME_NOREPLACE) != 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return fr_err_from_errno(errno);
		/* file systems without RENAME_NOREPLACE: link() refuses an
		 * existing name just as atomically */
		if (linkat(u->dirfd, u->tmp, u->dirfd, u->name, 0) != 0)
			return fr_err_from_errno(errno);
		(void)unlinkat(u->dirfd, u->tmp, 0);
	}
	u->tmp[0] = '\0'; /* nothing left to remove */
	if (fsync(u->dirfd) != 0) {
		int r = fr_err_from_errno(errno);

		store_put_abort(u);
		return r;
	}
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
	close_fd(&u->fd); /* releases the lock */
	close_fd(&u->dirfd);
}

static void fill_stat(const struct stat *st, struct store_stat *out)
{
	out->is_dir = S_ISDIR(st->st_mode);
	out->size = out->is_dir ? 0 : (uint64_t)st->st_size;
	out->mtime = (int64_t)st->st_mtime;
	out->mode = (unsigned)st->st_mode & 0777;
}

int store_open_read(int root, const char *path, int *fd,
		    struct store_stat *st)
{
	const char *last;
	struct stat sb;
	int dfd = -1, f = -1, r;

	*fd = -1;
	memset(st, 0, sizeof(*st));
	r = walk(root, path, true, false, &dfd, &last);
	if (r != FR_OK)
		goto out;
	/* O_NONBLOCK: opening a FIFO must not hang the worker */
	f = openat(dfd, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (f < 0) {
		r = classify(dfd, last, errno);
		goto out;
	}
	if (fstat(f, &sb) != 0) {
		r = fr_err_from_errno(errno);
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		r = FR_E_IS_DIRECTORY;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		r = FR_E_FORBIDDEN;
		goto out;
	}
	(void)posix_fadvise(f, 0, 0, POSIX_FADV_SEQUENTIAL);
	fill_stat(&sb, st);
	*fd = f;
	f = -1;
out:
	close_fd(&f);
	close_fd(&dfd);
	return r;
}

int store_read(int fd, void *p, size_t n, size_t *got)
{
	ssize_t k;

	*got = 0;
	do
		k = read(fd, p, n);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return fr_err_from_errno(errno);
	*got = (size_t)k;
	return FR_OK;
}

int store_stat(int root, const char *path, struct store_stat *st)
{
	const char *last;
	struct stat sb;
	int dfd = -1, r;

	memset(st, 0, sizeof(*st));
	r = walk(root, path, true, false, &dfd, &last);
	if (r != FR_OK)
		goto out;
	if (*last == '\0' ? fstat(dfd, &sb) != 0
			  : fstatat(dfd, last, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		r = fr_err_from_errno(errno);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
		r = FR_E_FORBIDDEN; /* symlinks and special files */
		goto out;
	}
	fill_stat(&sb, st);
out:
	close_fd(&dfd);
	return r;
}

int store_delete(int root, const char *path)
{
	const char *last;
	struct stat sb;
	int dfd = -1, r;

	r = walk(root, path, true, false, &dfd, &last);
	if (r != FR_OK)
		goto out;
	if (*last == '\0') {
		r = FR_E_INVALID_PATH;
		goto out;
	}
	if (fstatat(dfd, last, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		r = fr_err_from_errno(errno);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
		r = FR_E_FORBIDDEN;
		goto out;
	}
	if (unlinkat(dfd, last, S_ISDIR(sb.st_mode) ? AT_REMOVEDIR : 0) != 0) {
		r = errno == EEXIST ? FR_E_NOT_EMPTY : fr_err_from_errno(errno);
		goto out;
	}
	if (fsync(dfd) != 0)
		r = fr_err_from_errno(errno);
out:
	close_fd(&dfd);
	return r;
}

int store_mkdir(int root, const char *path, bool parents)
{
	const char *last;
	struct stat sb;
	int dfd = -1, r;

	r = walk(root, path, true, parents, &dfd, &last);
	if (r != FR_OK)
		goto out;
	if (*last == '\0') {
		r = FR_E_INVALID_PATH;
		goto out;
	}
	if (mkdirat(dfd, last, 0755) != 0) {
		r = fr_err_from_errno(errno);
		if (errno == EEXIST && parents &&
		    fstatat(dfd, last, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode))
			r = FR_OK;
		else if (errno == EEXIST)
			r = FR_E_EXISTS;
		goto out;
	}
	if (fsync(dfd) != 0)
		r = fr_err_from_errno(errno);
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

int store_open_dir(int root, const char *path, bool create, int *fd)
{
	const char *last;

	return walk(root, path, false, create, fd, &last);
}

/* Remove name in dfd if it is an expired part file that nobody holds. */
static bool sweep_one(int dfd, const char *name, time_t cutoff)
{
	struct stat a, b;
	bool gone = false;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
	    S_ISREG(a.st_mode) && a.st_mtime < cutoff &&
	    fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		gone = unlinkat(dfd, name, 0) == 0;
	close(fd);
	return gone;
}

static size_t sweep_dir(int dfd, time_t cutoff, unsigned depth,
			size_t *budget)
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
			removed += sweep_one(dirfd(d), de->d_name, cutoff);
			continue;
		}
		if (depth >= STORE_SWEEP_DEPTH ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		nfd = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd >= 0)
			removed += sweep_dir(nfd, cutoff, depth + 1, budget);
	}
	closedir(d);
	return removed;
}

size_t store_sweep_parts(int root, uint64_t ttl, size_t max_entries)
{
	time_t now = time(NULL);
	time_t cutoff = ttl > (uint64_t)now ? 0 : now - (time_t)ttl;
	int dfd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return 0;
	return sweep_dir(dfd, cutoff, 0, &max_entries);
}
