/*
 * store.c - the confined storage layer: every file-system call of ferryd.
 *
 * Does: walk paths component by component from the root directory fd with
 * openat(O_DIRECTORY | O_NOFOLLOW), listings, stat, mkdir, rename and
 * delete, and keep what the start-up probe found the file system can do
 * (store_caps).
 * Uploads and the expiry sweep are in store_put.c, on the walk below.
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
#include "ferry/log.h"
#include "ferry/path.h"
#include "store.h"
#include "store_int.h"

/* What the root's file system can do: set once at start-up by
 * store_set_caps (fsprobe.c), before any thread; read-only afterwards. */
static struct store_caps caps = { true, true, true, true, true };

void store_set_caps(const struct store_caps *c)
{
	caps = *c;
}

const struct store_caps *store_get_caps(void)
{
	return &caps;
}

int store_dir_sync(int dfd)
{
	/* some network file systems fail it with EINVAL: they make names
	 * durable on their own terms (the probe said so at start-up) */
	if (!caps.dir_fsync || fsync(dfd) == 0 || errno == EINVAL ||
	    errno == ENOTSUP || errno == EROFS)
		return FR_OK;
	return fr_err_from_errno(errno);
}

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

/* Open directory name below dirfd, creating it when asked.  Instances on
 * one shared file system may create the same directory at once: one mkdir
 * wins, the other sees EEXIST, and GlusterFS has answered the open right
 * after that with ENOENT (t_gluster, two mounts).  So an ENOENT after a
 * create is retried, OPEN_DIR_RETRIES times, 5 ms apart and doubling
 * (~155 ms at most, in this rare race only). */
#define OPEN_DIR_RETRIES 5
static int open_dir(int dirfd, const char *name, bool create, int *out)
{
	int fd, tries;

	*out = -1;
	for (tries = 0;; tries++) {
		fd = openat(dirfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || !create ||
		    tries > OPEN_DIR_RETRIES)
			break;
		if (tries > 0) {
			struct timespec ts = { 0, 5000000L << (tries - 1) };

			(void)nanosleep(&ts, NULL);
		}
		if (mkdirat(dirfd, name, 0755) == 0) {
			/* the new entry must survive a crash before we
			 * promise anything stored below it */
			int r = store_dir_sync(dirfd);

			if (r != FR_OK)
				return r;
		} else if (errno != EEXIST) {
			return fr_err_from_errno(errno);
		}
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
		int e = errno == EEXIST ? ENOTEMPTY : errno;

		/* interrupted uploads held in it go with the directory */
		if (e != ENOTEMPTY || !store_drop_parts(dfd, last) ||
		    unlinkat(dfd, last, AT_REMOVEDIR) != 0) {
			r = fr_err_from_errno(e);
			goto out;
		}
	}
	/* the name is gone: a failed directory fsync cannot undo that, so
	 * it is logged, not answered */
	if (store_dir_sync(dfd) != FR_OK)
		fr_log(FR_LOG_WARN, "delete %s: directory fsync failed after "
		       "the unlink: %s", path, strerror(errno));
out:
	close_fd(&dfd);
	return r;
}

int store_mkdir(int root, const char *path, bool parents, bool *created)
{
	const char *last;
	struct stat sb;
	int dfd = -1, r;

	*created = false;
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
	*created = true;
	if (fsync(dfd) != 0)
		r = fr_err_from_errno(errno);
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* Is b a (strict) descendant of directory path a? */
static bool below(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == 0 || (strncmp(a, b, n) == 0 && b[n] == '/');
}

/* The move of from (in sdfd) to the absent name to (in ddfd) without
 * replacing anything, where the probe found no RENAME_NOREPLACE.  A crash
 * between a file's link() and unlink() leaves it under both names. */
static int rename_noreplace_fallback(int sdfd, const char *from, int ddfd,
				     const char *to, bool is_dir)
{
	struct stat st;

	if (!is_dir) {
		/* link() refuses an existing name as atomically */
		if (linkat(sdfd, from, ddfd, to, 0) != 0)
			return fr_err_from_errno(errno);
		if (unlinkat(sdfd, from, 0) != 0) {
			int e = errno;

			(void)unlinkat(ddfd, to, 0);
			return fr_err_from_errno(e);
		}
		return FR_OK;
	}
	/* no links of directories: check, then rename(2) (which replaces
	 * at most an empty directory made in between) */
	if (fstatat(ddfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return FR_E_EXISTS;
	if (renameat(sdfd, from, ddfd, to) != 0)
		return fr_err_from_errno(errno);
	return FR_OK;
}

int store_rename(int root, const char *from, const char *to, bool overwrite)
{
	const char *sl, *dl;
	struct stat ss, ds;
	bool to_exists;
	int sdfd = -1, ddfd = -1, r;

	if (*from == '\0' || *to == '\0')
		return FR_E_INVALID_PATH; /* the root stays where it is */
	if (below(from, to))
		return FR_E_INVALID_PATH; /* into itself */
	r = walk(root, from, true, false, &sdfd, &sl);
	if (r == FR_OK)
		r = walk(root, to, true, false, &ddfd, &dl);
	if (r != FR_OK)
		goto out;
	if (fstatat(sdfd, sl, &ss, AT_SYMLINK_NOFOLLOW) != 0) {
		r = fr_err_from_errno(errno);
		goto out;
	}
	if (!S_ISREG(ss.st_mode) && !S_ISDIR(ss.st_mode)) {
		r = FR_E_FORBIDDEN; /* symlinks and special files */
		goto out;
	}
	to_exists = fstatat(ddfd, dl, &ds, AT_SYMLINK_NOFOLLOW) == 0;
	if (!to_exists && errno != ENOENT) {
		r = fr_err_from_errno(errno);
		goto out;
	}
	if (to_exists && ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino) {
		/* the same file (rename(2) would do nothing and succeed) */
		r = overwrite ? FR_OK : FR_E_EXISTS;
		goto out;
	}
	if (to_exists) {
		if (S_ISDIR(ds.st_mode))
			r = FR_E_IS_DIRECTORY;
		else if (!overwrite || S_ISDIR(ss.st_mode) ||
			 !S_ISREG(ds.st_mode))
			r = FR_E_EXISTS;
		else if (renameat(sdfd, sl, ddfd, dl) != 0)
			r = fr_err_from_errno(errno);
		goto synced;
	}
	if (caps.noreplace &&
	    renameat2(sdfd, sl, ddfd, dl, RENAME_NOREPLACE) == 0)
		goto synced;
	if (caps.noreplace && errno != EINVAL && errno != ENOSYS) {
		r = fr_err_from_errno(errno); /* EXDEV: forbidden */
		goto out;
	}
	r = rename_noreplace_fallback(sdfd, sl, ddfd, dl, S_ISDIR(ss.st_mode));
synced:
	if (r != FR_OK)
		goto out;
	/* the new name, and the old one gone, survive a crash before ok */
	r = store_dir_sync(ddfd);
	if (r == FR_OK)
		r = store_dir_sync(sdfd);
out:
	close_fd(&sdfd);
	close_fd(&ddfd);
	return r;
}

int store_open_dir(int root, const char *path, bool create, int *fd)
{
	const char *last;

	return walk(root, path, false, create, fd, &last);
}

int store_walk(int root, const char *path, bool to_parent, bool create,
	       int *out, const char **last)
{
	return walk(root, path, to_parent, create, out, last);
}

void store_close(int *fd)
{
	close_fd(fd);
}
