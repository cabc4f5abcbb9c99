/*
 * cmd_get.c - "ferry get": download remote files over one session.
 *
 * Per file: a temporary file is made next to the target, the body is
 * written to it and hashed, and only when our SHA-256 equals the server's
 * is it fsync'ed and renamed into place (RENAME_NOREPLACE unless
 * --overwrite), then the directory is fsync'ed.  On any failure, and on
 * SIGINT/SIGTERM/SIGHUP, the temporary file is removed: no partial file ever
 * carries the final name.  It does not download directories nor resume.
 */
#define _GNU_SOURCE /* mkostemp, renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/hash.h"
#include "ferry/limits.h"

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "session.h"

/* The temporary file in flight, for the signal handler. */
static char g_tmp[PATH_MAX];
static volatile sig_atomic_t g_tmp_live;
static volatile sig_atomic_t g_tmp_keep; /* --resume: keep it for later */

static void on_signal(int sig)
{
	/* Only async-signal-safe calls: unlink, then die of the same signal
	 * (SA_RESETHAND restored the default action). */
	if (g_tmp_live && !g_tmp_keep)
		(void)unlink(g_tmp);
	(void)raise(sig);
}

static int install_handlers(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	if (sigemptyset(&sa.sa_mask) < 0)
		return -1;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigaction(sigs[i], NULL, &old) < 0)
			return -1;
		if (old.sa_handler == SIG_IGN) /* nohup: leave it ignored */
			continue;
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Block the signals above around changes of g_tmp, so the handler never
 * sees a half-written name. */
static void block_signals(bool block, sigset_t *old)
{
	sigset_t set;

	if (!block) {
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

/* Open and lock ".NAME.ferry-partial" in dir (mode 0600), emptied unless
 * keep.  -1 with errno on failure (EWOULDBLOCK: another ferry holds it). */
static int make_temp(const char *dir, const char *name, bool keep)
{
	sigset_t old;
	int fd = -1, w, e;

	block_signals(true, &old);
	g_tmp_keep = keep;
	w = snprintf(g_tmp, sizeof g_tmp, "%s/.%.200s.ferry-partial", dir,
	             name);
	if (w < 0 || (size_t)w >= sizeof g_tmp) {
		errno = ENAMETOOLONG;
	} else {
		fd = open(g_tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		          0600);
		if (fd >= 0 && (flock(fd, LOCK_EX | LOCK_NB) < 0 ||
		                (!keep && ftruncate(fd, 0) < 0))) {
			e = errno;
			close(fd);
			fd = -1;
			errno = e;
		}
		if (fd >= 0)
			g_tmp_live = 1;
	}
	block_signals(false, &old);
	return fd;
}

/* Forget the temporary file; remove it unless it is kept for --resume and
 * holds something. */
static void drop_temp(bool keep)
{
	struct stat st;

	if (g_tmp_live && (!keep || lstat(g_tmp, &st) < 0 || st.st_size == 0))
		(void)unlink(g_tmp);
	g_tmp_live = 0;
}

struct get_ctx {
	const struct cli *cli;
	struct session *s;
	struct xfer_opts o;
	mode_t mode; /* 0666 & ~umask */
	unsigned char *buf;
	struct fr_sha256 *h;
	char hex[FR_SHA256_HEX]; /* of the last file written */
	uint64_t size;
};

/* Where a file goes: path (as printed), its directory and its name. */
struct dest {
	char path[PATH_MAX];
	char dir[PATH_MAX];
	char name[FR_NAME_MAX + 1];
};

static int write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Receive size body bytes into fd, hashing them. */
static int recv_body(struct get_ctx *c, int fd, const char *remote,
                     const struct dest *d, uint64_t size, uint64_t offset)
{
	struct progress pg;
	char doing[FR_PATH_MAX + 32];
	uint64_t left = size - offset;
	size_t got, want, n;
	int rc = FR_OK;

	progress_start(&pg, c->cli->progress, d->path, size);
	if (offset > 0)
		progress_resume(&pg, offset);
	while (left > 0) {
		/* fill the buffer: one file write per FR_IO_CHUNK, not one per
		 * TLS record */
		want = left < FR_IO_CHUNK ? (size_t)left : FR_IO_CHUNK;
		for (got = 0; got < want; got += n) {
			rc = sess_read_body(c->s, c->buf + got, want - got, &n);
			if (rc != FR_OK)
				break;
		}
		if (rc != FR_OK) {
			progress_end(&pg);
			snprintf(doing, sizeof doing, "receiving %s", remote);
			return sess_lost(c->s, rc, doing);
		}
		fr_sha256_update(c->h, c->buf, got);
		if (write_all(fd, c->buf, got) < 0) {
			progress_end(&pg);
			fprintf(stderr, "ferry: get %s: writing %s: %s\n",
			        remote, d->path, strerror(errno));
			/* The rest of the body is not worth fetching. */
			sess_abort(c->s);
			return FX_LOCAL;
		}
		left -= got;
		progress_add(&pg, got);
	}
	progress_end(&pg);
	return FX_OK;
}

/* fsync, rename into place, fsync the directory. */
static int commit(struct get_ctx *c, int *fd, const char *remote,
                  const struct dest *d)
{
	int dfd = -1, rc = FX_LOCAL, r;
	const char *step = "fsync";

	if (fchmod(*fd, c->mode) < 0 || fsync(*fd) < 0)
		goto fail;
	r = close(*fd);
	*fd = -1;
	if (r < 0)
		goto fail;
	step = "rename";
	if (c->o.overwrite) {
		r = rename(g_tmp, d->path);
	} else {
		r = renameat2(AT_FDCWD, g_tmp, AT_FDCWD, d->path,
		              RENAME_NOREPLACE);
		if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* A file system without RENAME_NOREPLACE: link(2)
			 * never replaces either. */
			r = link(g_tmp, d->path);
			if (r == 0)
				(void)unlink(g_tmp);
		}
	}
	if (r < 0) {
		if (errno == EEXIST) {
			fprintf(stderr,
			        "ferry: get %s: %s exists (use "
			        "--overwrite)\n",
			        remote, d->path);
			return FX_LOCAL;
		}
		goto fail;
	}
	g_tmp_live = 0;
	step = "fsync directory";
	dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		goto fail;
	rc = FX_OK;
	goto out;
fail:
	fprintf(stderr, "ferry: get %s: %s %s: %s\n", remote, step, d->path,
	        strerror(errno));
out:
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Hash the first k bytes of fd into c->h (reset first) and leave the
 * position at k.  0 or an errno value. */
static int hash_prefix(struct get_ctx *c, int fd, uint64_t k)
{
	uint64_t left = k;
	ssize_t n;

	fr_sha256_reset(c->h);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return errno;
	while (left > 0) {
		n = read(fd, c->buf, left < FR_IO_CHUNK ? left : FR_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		fr_sha256_update(c->h, c->buf, (size_t)n);
		left -= (uint64_t)n;
	}
	return 0;
}

/* The outcome of one attempt (as in cmd_put.c). */
struct attempt {
	int rc;
	bool retry;   /* reconnect and continue from what the file holds */
	bool restart; /* reconnect and start again from 0 */
};

static void get_try(struct get_ctx *c, const char *remote, const struct dest *d,
                    int *fd, struct attempt *a)
{
	struct fr_response r;
	struct stat st;
	char hex[FR_SHA256_HEX];
	uint64_t size, have;
	int rc, e = 0;

	memset(&r, 0, sizeof r);
	memset(a, 0, sizeof *a);
	if (fstat(*fd, &st) < 0 ||
	    (e = hash_prefix(c, *fd, (uint64_t)st.st_size))) {
		fprintf(stderr, "ferry: get %s: reading %s: %s\n", remote,
		        g_tmp, strerror(e ? e : errno));
		rc = FX_LOCAL;
		goto out;
	}
	have = (uint64_t)st.st_size;

	rc = sess_send(c->s, fr_req_get(sess_req(c->s), remote, have), "get",
	               remote);
	if (rc != FX_OK)
		goto out;
	rc = sess_recv(c->s, &r);
	if (rc != FX_OK)
		goto out;
	if (r.status == FR_ST_ERROR && have > 0 && r.err == FR_E_BAD_REQUEST) {
		/* our partial is longer than the file is now */
		fprintf(stderr,
		        "ferry: get %s: the partial download %s is longer "
		        "than the remote file; starting again from 0\n",
		        remote, g_tmp);
		a->restart = true;
		rc = FX_CONN;
		goto out;
	}
	if (r.status == FR_ST_ERROR) {
		rc = sess_refused(c->s, &r, "get", remote,
		                  r.err == FR_E_IS_DIRECTORY
		                      ? "ferry 0.1 downloads files, not "
		                        "directories"
		                      : NULL);
		goto out;
	}
	if (r.status != FR_ST_READY) {
		rc = sess_unexpected(c->s, &r, "get");
		goto out;
	}
	if (!r.has_size || (r.has_offset ? r.offset : 0) != have ||
	    r.size < have) {
		c->s->why = r.has_size ? "the server started at another offset"
		                       : "\"ready\" without a size";
		rc = sess_lost(c->s, FR_E_PROTOCOL, "starting the download");
		goto out;
	}
	size = r.size;

	rc = recv_body(c, *fd, remote, d, size, have);
	if (rc != FX_OK)
		goto out;
	fr_sha256_final_hex(c->h, hex);

	fr_response_cleanup(&r);
	rc = sess_recv_final(c->s, &r, "get", remote, "finishing the download");
	if (rc != FX_OK)
		goto out;
	if (strcmp(r.sha256, hex) != 0 && have > 0) {
		fprintf(stderr,
		        "ferry: get %s: the file changed on the server "
		        "since the partial download (SHA-256 %s, the "
		        "server has %s); discarding it and downloading "
		        "again from 0\n",
		        remote, hex, r.sha256);
		a->restart = true;
		rc = FX_CHECKSUM;
		goto out;
	}
	if (strcmp(r.sha256, hex) != 0) {
		fprintf(stderr,
		        "ferry: get %s: checksum mismatch: received %s, "
		        "the server has %s; %s was not written (try "
		        "again)\n",
		        remote, hex, r.sha256, d->path);
		rc = FX_CHECKSUM;
		if (ftruncate(*fd, 0) < 0)
			rc = FX_LOCAL;
		goto out;
	}
	rc = commit(c, fd, remote, d);
	if (rc == FX_OK)
		memcpy(c->hex, hex, sizeof hex);
	c->size = size;
out:
	if (rc == FX_CONN && c->s->dead && !a->restart)
		a->retry = true;
	a->rc = rc;
	fr_response_cleanup(&r);
}

static int get_one(struct get_ctx *c, const char *remote, const struct dest *d)
{
	struct attempt a;
	struct stat st;
	double t0 = cli_now();
	bool restarted = false;
	unsigned n = 0;
	int fd = -1, rc;

	if (!c->o.overwrite && lstat(d->path, &st) == 0) {
		fprintf(stderr, "ferry: get %s: %s exists (use --overwrite)\n",
		        remote, d->path);
		return FX_LOCAL;
	}
	/* The temporary file first: a local failure then costs no transfer. */
	fd = make_temp(d->dir, d->name, c->o.resume);
	if (fd < 0) {
		if (errno == EWOULDBLOCK)
			fprintf(stderr,
			        "ferry: get %s: another ferry is downloading "
			        "to %s (wait for it to finish)\n",
			        remote, d->path);
		else
			fprintf(stderr,
			        "ferry: get %s: cannot create a temporary "
			        "file in %s: %s\n",
			        remote, d->dir, strerror(errno));
		return FX_LOCAL;
	}

	for (;;) {
		get_try(c, remote, d, &fd, &a);
		rc = a.rc;
		if (a.restart && !restarted) {
			restarted = true;
			if (ftruncate(fd, 0) < 0) {
				fprintf(stderr, "ferry: get %s: %s: %s\n",
				        remote, g_tmp, strerror(errno));
				rc = FX_LOCAL;
				break;
			}
		} else if (a.retry && n < c->o.retries) {
			cli_backoff(c->cli, "get", remote, ++n, c->o.retries);
		} else {
			break;
		}
		sess_close(c->s);
		while (sess_open(c->s, c->cli) != FX_OK) {
			if (n >= c->o.retries) {
				rc = FX_CONN;
				goto out;
			}
			cli_backoff(c->cli, "get", remote, ++n, c->o.retries);
		}
	}
	if (rc == FX_OK)
		out_transfer(c->cli, "get", d->path, remote, c->size, c->hex,
		             cli_now() - t0);
out:
	if (fd >= 0)
		close(fd);
	/* keep what we have for a later --resume run, unless it is junk */
	drop_temp(c->o.resume && rc != FX_OK && rc != FX_CHECKSUM);
	return rc;
}

/* Fill d for remote path rpath; local is the LOCAL operand or NULL. */
static int plan(struct dest *d, const char *rpath, const char *local,
                bool local_is_dir)
{
	char base[FR_NAME_MAX + 1];
	const char *slash;
	size_t dl;

	memset(d, 0, sizeof *d);
	cli_basename(rpath, base, sizeof base);
	if (local_is_dir) {
		if (!base[0])
			return cli_usage("get",
			                 "'/' is the root directory, not "
			                 "a file");
		if (!cli_join(d->path, sizeof d->path, local ? local : "",
		              base))
			return cli_usage("get", "local path too long");
		snprintf(d->dir, sizeof d->dir, "%s",
		         local && *local ? local : ".");
		memcpy(d->name, base, sizeof base);
		return FX_OK;
	}
	if (snprintf(d->path, sizeof d->path, "%s", local) >=
	    (int)sizeof d->path)
		return cli_usage("get", "local path too long");
	slash = strrchr(local, '/');
	dl = slash ? (size_t)(slash - local) : 0;
	if (!slash)
		snprintf(d->dir, sizeof d->dir, ".");
	else if (dl == 0)
		snprintf(d->dir, sizeof d->dir, "/");
	else
		snprintf(d->dir, sizeof d->dir, "%.*s", (int)dl, local);
	snprintf(d->name, sizeof d->name, "%s", slash ? slash + 1 : local);
	return FX_OK;
}

int cmd_get(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	struct get_ctx c;
	struct dest d;
	struct stat st;
	char rpath[FR_PATH_MAX + 1];
	const char *local = NULL;
	bool help, local_is_dir = true;
	int first, nremote, i, rc, one;
	mode_t um;

	memset(&c, 0, sizeof c);
	rc = cli_xfer_opts(argc, argv, &c.o, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("get", "no file to download");
	nremote = argc - first == 1 ? 1 : argc - first - 1;
	if (argc - first > 1) {
		size_t ll;

		local = argv[argc - 1];
		ll = strlen(local);
		local_is_dir = (ll > 0 && local[ll - 1] == '/') ||
		               (stat(local, &st) == 0 && S_ISDIR(st.st_mode));
		if (!local_is_dir && nremote > 1)
			return cli_usage("get",
			                 "with several REMOTEs, LOCAL "
			                 "('%s') must be an existing "
			                 "directory",
			                 local);
		if (ll == 0)
			return cli_usage("get", "empty LOCAL");
	}
	um = umask(0);
	(void)umask(um);
	c.mode = 0666 & ~um;
	c.cli = cli;
	c.s = &s;
	c.buf = malloc(FR_IO_CHUNK);
	c.h = fr_sha256_new();
	if (!c.buf || !c.h) {
		fputs("ferry: out of memory\n", stderr);
		rc = FX_LOCAL;
		goto out;
	}
	if (install_handlers() < 0) {
		perror("ferry: sigaction");
		rc = FX_LOCAL;
		goto out;
	}
	rc = sess_open(&s, cli);
	if (rc != FX_OK)
		goto out;
	for (i = first; i < first + nremote && !s.dead; i++) {
		one = cli_remote("get", argv[i], rpath, sizeof rpath, NULL);
		if (one == FX_OK)
			one = plan(&d, rpath, local, local_is_dir);
		if (one == FX_OK)
			one = get_one(&c, rpath, &d);
		rc = cli_merge(rc, one);
	}
	sess_close(&s);
out:
	free(c.buf);
	fr_sha256_free(c.h);
	return rc;
}
