/*
 * local.c - upload sources and download sinks of the client (local.h).
 *
 * Does: open files to send with a size snapshot; receive downloads into a
 * temporary file in the target's directory (an O_TMPFILE where the file
 * system and /proc allow it, so nothing is ever visible before commit,
 * else an O_EXCL file with a random reserved name), commit it with one
 * link or rename relative to the directory's descriptor, and remove named
 * temporary files before their descriptor is closed, and on SIGINT,
 * SIGTERM and SIGHUP.
 * Does not: talk to the network or print.
 *
 * SECURITY: temporary names are random (getrandom) and created with
 * O_EXCL | O_NOFOLLOW, so another local user can neither predict nor
 * pre-create them; the one predictable name, the --resume partial
 * ".NAME.ferry-partial", is only reused when it is a regular file of ours
 * with a single link: a partial left as a second link of a committed
 * file (a crash between link and unlink) is removed, never written into.
 * Where RENAME_NOREPLACE is missing the link() fallback checks that the
 * new name is our inode before removing the temporary one.
 */
#define _GNU_SOURCE /* O_TMPFILE, renameat2, AT_EMPTY_PATH */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"

/* ---- removal on signals --------------------------------------------- */

#define SLOTS 64

static struct {
	volatile sig_atomic_t used;
	volatile sig_atomic_t keep;
	int dirfd;
	char name[FR_NAME_MAX + 32];
} g_slot[SLOTS];

static void on_signal(int sig)
{
	int i;

	/* only async-signal-safe calls: unlinkat, then die of the same
	 * signal (SA_RESETHAND restored the default action) */
	for (i = 0; i < SLOTS; i++)
		if (g_slot[i].used && !g_slot[i].keep)
			(void)unlinkat(g_slot[i].dirfd, g_slot[i].name, 0);
	(void)raise(sig);
}

int local_signals_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	if (sigemptyset(&sa.sa_mask) < 0)
		return errno;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigaction(sigs[i], NULL, &old) < 0)
			return errno;
		/* nohup: leave it ignored; ferry shell's own SIGINT
		 * handler stops the transfer (and so removes its files)
		 * without ending the process */
		if (old.sa_handler != SIG_DFL && old.sa_handler != on_signal)
			continue;
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return errno;
	}
	return 0;
}

static void block(bool on, sigset_t *old)
{
	sigset_t set;

	if (!on) {
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

/* Register dirfd/name for removal on a signal: the slot, or -1 when all
 * are taken (the file is then only removed on the normal paths). */
static int slot_take(int dirfd, const char *name, bool keep)
{
	sigset_t old;
	int i, got = -1;

	block(true, &old);
	for (i = 0; i < SLOTS && got < 0; i++) {
		if (g_slot[i].used)
			continue;
		g_slot[i].dirfd = dirfd;
		snprintf(g_slot[i].name, sizeof g_slot[i].name, "%s", name);
		g_slot[i].keep = keep;
		g_slot[i].used = 1;
		got = i;
	}
	block(false, &old);
	return got;
}

static void slot_free(int *slot)
{
	sigset_t old;

	if (*slot < 0)
		return;
	block(true, &old);
	g_slot[*slot].used = 0;
	block(false, &old);
	*slot = -1;
}

/* ---- sources -------------------------------------------------------- */

static int src_fill(struct src *s, int fd, bool allow_stream,
		    const char **what)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return errno;
	s->fd = fd;
	s->mtime = (int64_t)st.st_mtime;
	s->mode = (unsigned)st.st_mode & 0777;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (S_ISREG(st.st_mode)) {
		s->size = (uint64_t)st.st_size;
		/* opened O_NONBLOCK (a FIFO must not hang us): not needed */
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		return 0;
	}
	if (allow_stream) {
		s->stream = true;
		return 0;
	}
	*what = S_ISLNK(st.st_mode)	  ? "a symlink"
		: S_ISFIFO(st.st_mode) ? "a FIFO"
		: S_ISSOCK(st.st_mode) ? "a socket"
				       : "a device";
	return EINVAL;
}

int src_open(struct src *s, const char *path, const char **what)
{
	int fd, e;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	*what = NULL;
	if (strcmp(path, "-") == 0) {
		e = src_fill(s, STDIN_FILENO, true, what);
		if (e == 0 && !s->stream && lseek(s->fd, 0, SEEK_SET) < 0)
			e = errno;
		if (e != 0)
			s->fd = -1; /* never close stdin */
		return e;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	e = src_fill(s, fd, false, what);
	if (e != 0)
		src_close(s);
	return e;
}

int src_open_below(struct src *s, int top_fd, const char *rel,
		   const char **what)
{
	char dir[FR_PATH_MAX + 1];
	const char *slash = strrchr(rel, '/'), *base = slash ? slash + 1 : rel;
	int dfd, fd, e;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	*what = NULL;
	if ((size_t)(slash ? slash - rel : 0) >= sizeof(dir))
		return ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - rel) : 0,
		 rel);
	e = local_open_below(top_fd, dir, false, &dfd);
	if (e != 0)
		return e;
	fd = openat(dfd, base,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	e = fd < 0 ? errno : 0;
	close(dfd);
	if (e != 0)
		return e;
	e = src_fill(s, fd, false, what);
	if (e != 0)
		src_close(s);
	return e;
}

int src_read(struct src *s, void *p, size_t n, size_t *got)
{
	ssize_t r;

	*got = 0;
	do
		r = read(s->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno;
	*got = (size_t)r;
	return 0;
}

int src_check_end(struct src *s)
{
	unsigned char c;
	size_t got;
	int e = src_read(s, &c, 1, &got);

	return e ? e : got ? EFBIG : 0;
}

int src_seek(struct src *s, uint64_t off)
{
	return lseek(s->fd, (off_t)off, SEEK_SET) < 0 ? errno : 0;
}

void src_close(struct src *s)
{
	if (s->fd > STDIN_FILENO)
		close(s->fd);
	s->fd = -1;
}

/* ---- directories ---------------------------------------------------- */

int local_open_parent(const char *path, int *dirfd, char *name, size_t n)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	*dirfd = -1;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	path = slash ? slash + 1 : path;
	if (!*path)
		return EISDIR;
	if (strlen(path) >= n)
		return ENAMETOOLONG;
	snprintf(name, n, "%s", path);
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *dirfd < 0 ? errno : 0;
}

int local_open_below(int top_fd, const char *rel, bool create, int *dirfd)
{
	char comp[FR_NAME_MAX + 1];
	const char *p = rel, *slash;
	int dfd, nfd, e = 0;
	size_t n;

	*dirfd = -1;
	dfd = openat(top_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno;
	while (*p) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n > FR_NAME_MAX) {
			e = EINVAL;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = openat(dfd, comp,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(dfd, comp, 0777) < 0 && errno != EEXIST) {
				e = errno;
				break;
			}
			nfd = openat(dfd, comp,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);
		}
		if (nfd < 0) {
			e = errno;
			break;
		}
		close(dfd);
		dfd = nfd;
		p = slash ? slash + 1 : p + n;
	}
	if (e != 0) {
		close(dfd);
		return e;
	}
	*dirfd = dfd;
	return 0;
}

bool local_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- sinks ---------------------------------------------------------- */

static bool nameless_ok(void)
{
	static int ok = -1;

	/* linking an O_TMPFILE needs /proc (or CAP_DAC_READ_SEARCH) */
	if (ok < 0)
		ok = access("/proc/self/fd", X_OK) == 0;
	return ok == 1;
}

static int random_name(char *out, size_t n, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	char h[17];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return EIO;
	for (i = 0; i < sizeof(r); i++) {
		h[2 * i] = hex[r[i] >> 4];
		h[2 * i + 1] = hex[r[i] & 15];
	}
	h[16] = '\0';
	snprintf(out, n, ".%.200s.%s.ferry-tmp", name, h);
	return 0;
}

static int open_partial(struct sink *k)
{
	struct stat st;
	int tries, fd;

	snprintf(k->tmp, sizeof(k->tmp), ".%.200s.ferry-partial", k->name);
	for (tries = 0; tries < 2; tries++) {
		fd = openat(k->dirfd, k->tmp,
			    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
				    (tries ? O_EXCL : 0),
			    0600);
		if (fd < 0)
			return errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0) {
			int e = errno;

			close(fd);
			return e;
		}
		if (S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    st.st_nlink == 1) {
			k->fd = fd;
			k->have = (uint64_t)st.st_size;
			k->partial = true;
			return lseek(fd, 0, SEEK_END) < 0 ? errno : 0;
		}
		/* SECURITY: not ours alone (a second link of a committed
		 * file, or someone else's): remove the name, never write
		 * into it */
		close(fd);
		if (unlinkat(k->dirfd, k->tmp, 0) < 0)
			return errno;
	}
	return EEXIST;
}

int sink_open(struct sink *k, int dirfd, const char *name, bool resume)
{
	int e = 0, tries;

	memset(k, 0, sizeof(*k));
	k->fd = -1;
	k->slot = -1;
	k->dirfd = dirfd;
	snprintf(k->name, sizeof(k->name), "%s", name);
	if (resume) {
		e = open_partial(k);
		if (e == 0)
			k->slot = slot_take(dirfd, k->tmp, true);
		return e;
	}
	if (nameless_ok()) {
		k->fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (k->fd >= 0) {
			k->nameless = true;
			return 0;
		}
	}
	for (tries = 0; tries < 8; tries++) {
		e = random_name(k->tmp, sizeof(k->tmp), name);
		if (e != 0)
			break;
		k->fd = openat(dirfd, k->tmp,
			       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       0600);
		e = k->fd < 0 ? errno : 0;
		if (e != EEXIST)
			break;
	}
	if (e == 0)
		k->slot = slot_take(dirfd, k->tmp, false);
	else
		k->tmp[0] = '\0';
	return e;
}

void sink_stdout(struct sink *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = STDOUT_FILENO;
	k->dirfd = -1;
	k->slot = -1;
	k->to_stdout = true;
}

int sink_write(struct sink *k, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(k->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		c += w;
		n -= (size_t)w;
		k->have += (uint64_t)w;
	}
	return 0;
}

int sink_restart(struct sink *k)
{
	if (k->to_stdout)
		return EINVAL;
	if (ftruncate(k->fd, 0) < 0 || lseek(k->fd, 0, SEEK_SET) < 0)
		return errno;
	k->have = 0;
	return 0;
}

int sink_hash_prefix(struct sink *k, uint64_t to, void *buf, size_t n,
		     void (*fn)(void *arg, const void *p, size_t len),
		     void *arg)
{
	uint64_t pos = 0;
	ssize_t r;

	while (pos < to) {
		r = pread(k->fd, buf, to - pos < n ? (size_t)(to - pos) : n,
			  (off_t)pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : EIO;
		fn(arg, buf, (size_t)r);
		pos += (uint64_t)r;
	}
	return 0;
}

/* Link our open file under target (an O_TMPFILE has no other name). */
static int link_nameless(struct sink *k, const char *target)
{
	char proc[64];

	if (linkat(k->fd, "", k->dirfd, target, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno == EEXIST)
		return EEXIST;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", k->fd);
	return linkat(AT_FDCWD, proc, k->dirfd, target, AT_SYMLINK_FOLLOW) == 0
		       ? 0
		       : errno;
}

/* The no-replace move of a named temporary file. */
static int move_noreplace(struct sink *k)
{
	struct stat a, b;

	if (renameat2(k->dirfd, k->tmp, k->dirfd, k->name,
		      RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	/* no RENAME_NOREPLACE here (NFS, FUSE): link(2) refuses an
	 * existing name just as atomically */
	if (linkat(k->dirfd, k->tmp, k->dirfd, k->name, 0) < 0)
		return errno;
	if (fstat(k->fd, &a) < 0 ||
	    fstatat(k->dirfd, k->name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return EEXIST; /* cannot happen: link() would have failed */
	return unlinkat(k->dirfd, k->tmp, 0) < 0 ? errno : 0;
}

static int move_into_place(struct sink *k, bool overwrite)
{
	char tmp[FR_NAME_MAX + 32];
	int e;

	if (!k->nameless)
		return overwrite ? (renameat(k->dirfd, k->tmp, k->dirfd,
					     k->name) < 0
					    ? errno
					    : 0)
				 : move_noreplace(k);
	if (!overwrite)
		return link_nameless(k, k->name);
	/* replacing: link under a random name, then rename over */
	e = random_name(tmp, sizeof(tmp), k->name);
	if (e == 0)
		e = link_nameless(k, tmp);
	if (e == 0 && renameat(k->dirfd, tmp, k->dirfd, k->name) < 0) {
		e = errno;
		(void)unlinkat(k->dirfd, tmp, 0);
	}
	return e;
}

int sink_commit(struct sink *k, bool overwrite, mode_t mode, bool has_mtime,
		int64_t mtime)
{
	struct timespec ts[2];
	int e;

	if (has_mtime) {
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1].tv_sec = (time_t)mtime;
		ts[1].tv_nsec = 0;
		if (futimens(k->fd, ts) < 0)
			return errno;
	}
	/* SECURITY: permission bits only, never setuid, setgid or sticky */
	if (fchmod(k->fd, mode & 0777) < 0 || fsync(k->fd) < 0)
		return errno;
	e = move_into_place(k, overwrite);
	if (e != 0)
		return e;
	k->tmp[0] = '\0'; /* nothing left to remove */
	slot_free(&k->slot);
	if (fsync(k->dirfd) < 0 && errno != EINVAL)
		return errno;
	sink_close(k, false);
	return 0;
}

void sink_close(struct sink *k, bool keep)
{
	if (k->to_stdout) {
		k->fd = -1;
		return;
	}
	if (k->tmp[0] && k->dirfd >= 0 && !(keep && k->partial && k->have))
		(void)unlinkat(k->dirfd, k->tmp, 0); /* before the close */
	k->tmp[0] = '\0';
	slot_free(&k->slot);
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	if (k->dirfd >= 0)
		close(k->dirfd);
	k->dirfd = -1;
}
