/*
 * cmd_put.c - "ferry put": upload local regular files over one session.
 *
 * Per file: put request, wait for "ready", stream exactly the announced
 * size while hashing it, then compare the server's SHA-256 with ours.  A
 * file that changes size while it is read aborts the connection without
 * close_notify.  With --resume (and on every retry after a dropped
 * connection, --retries N) the request says "resume": true: the server
 * answers the offset K it holds and the SHA-256 of those K bytes, which we
 * check against our own first K bytes before sending the rest; on a
 * mismatch we start again from 0 on a new connection.  It does not recurse
 * into directories.
 * Requests are pipelined: the next file's put request leaves right after
 * this file's body, before its final answer is read (the server serves
 * requests in order), so a file costs one round trip, not two.  A request
 * sent ahead on a connection that then drops is forgotten: that file opens
 * and asks again on the new connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/hash.h"
#include "ferry/limits.h"
#include "ferry/path.h"

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "session.h"

struct put_ctx {
	const struct cli *cli;
	struct session *s;
	struct xfer_opts o;
	unsigned char *buf; /* FR_IO_CHUNK bytes */
	struct fr_sha256 *h;
	char hex[FR_SHA256_HEX]; /* of the last file stored */
	int pre_fd; /* the next file, whose put request is already sent */
	uint64_t pre_size;
};

/* The body could not be written: the server may have answered with an
 * error (no_space, ...) and closed; report that if it is readable, the
 * transport failure otherwise. */
static int body_write_failed(struct put_ctx *c, const char *remote, int err)
{
	struct fr_response r;
	char doing[FR_PATH_MAX + 32];
	int rc;

	memset(&r, 0, sizeof r);
	if (err != FR_E_CLOSED && sess_recv_raw(c->s, &r) == FR_OK &&
	    r.status == FR_ST_ERROR) {
		rc = sess_refused(c->s, &r, "put", remote, NULL);
		fr_response_cleanup(&r);
		sess_abort(c->s);
		return rc;
	}
	fr_response_cleanup(&r);
	snprintf(doing, sizeof doing, "sending %s", remote);
	return sess_lost(c->s, err, doing);
}

/* After the announced size the file must be at its end: 0 if so, else an
 * errno value (0 is never one; EFBIG stands for "it grew"). */
static int check_eof(int fd, unsigned char *buf)
{
	ssize_t n;

	do
		n = read(fd, buf, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	return n == 0 ? 0 : EFBIG;
}

/* Stream size bytes of fd; on a local failure the connection is aborted. */
static int send_body(struct put_ctx *c, int fd, const char *local,
                     const char *remote, uint64_t size, uint64_t offset)
{
	struct progress pg;
	uint64_t left = size - offset;
	ssize_t n;
	int rc, err = 0;

	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a hint */
	progress_start(&pg, c->cli->progress, local, size);
	if (offset > 0)
		progress_resume(&pg, offset);
	while (left > 0) {
		n = read(fd, c->buf, left < FR_IO_CHUNK ? left : FR_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EFBIG;
			goto local_fail;
		}
		fr_sha256_update(c->h, c->buf, (size_t)n);
		rc = sess_write_body(c->s, c->buf, (size_t)n);
		if (rc != FR_OK) {
			progress_end(&pg);
			return body_write_failed(c, remote, rc);
		}
		left -= (uint64_t)n;
		progress_add(&pg, (uint64_t)n);
	}
	err = check_eof(fd, c->buf);
	if (err != 0)
		goto local_fail;
	progress_end(&pg);
	return FX_OK;

local_fail:
	progress_end(&pg);
	if (err == EFBIG)
		fprintf(stderr,
		        "ferry: put %s: the file changed size while it "
		        "was being sent; upload aborted (nothing was "
		        "stored)\n",
		        local);
	else
		fprintf(stderr,
		        "ferry: put %s: reading: %s; upload aborted "
		        "(nothing was stored)\n",
		        local, strerror(err));
	sess_abort(c->s);
	return FX_LOCAL;
}

/*
 * Hashing our own prefix for a resume.  The server answers "ready" only
 * after hashing the K bytes it holds, so we hash our file from byte 0 at
 * the same time, until the answer is readable (ahead()), then settle on
 * exactly K (to_k()).  Snapshots of the hash every PREFIX_SNAP bytes let
 * us step back when we went past K.
 */
#define PREFIX_SNAP (64u * 1024u * 1024u) /* a multiple of FR_IO_CHUNK */

struct prefix {
	uint64_t pos;            /* bytes of the file in c->h */
	struct fr_sha256 **snap; /* snap[i]: the hash at (i+1) * PREFIX_SNAP */
	size_t n;
};

static void prefix_cleanup(struct prefix *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		fr_sha256_free(p->snap[i]);
	free(p->snap);
	memset(p, 0, sizeof *p);
}

/* Hash bytes pos..limit-1 of fd into c->h; with stop_when_readable, stop
 * early once the server's answer can be read.  0 or an errno value
 * (EFBIG: the file is shorter than it was). */
static int prefix_hash(struct put_ctx *c, int fd, struct prefix *p,
                       uint64_t limit, bool stop_when_readable)
{
	struct fr_sha256 **ns;
	struct pollfd pfd;
	uint64_t want;
	ssize_t n;

	while (p->pos < limit) {
		if (stop_when_readable) {
			pfd.fd = c->s->fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) != 0)
				return 0; /* readable, or an error to read */
		}
		want = limit - p->pos;
		if (want > FR_IO_CHUNK)
			want = FR_IO_CHUNK;
		if (want > PREFIX_SNAP - p->pos % PREFIX_SNAP)
			want = PREFIX_SNAP - p->pos % PREFIX_SNAP;
		n = pread(fd, c->buf, (size_t)want, (off_t)p->pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EFBIG;
		fr_sha256_update(c->h, c->buf, (size_t)n);
		p->pos += (uint64_t)n;
		if (p->pos % PREFIX_SNAP == 0 &&
		    p->pos / PREFIX_SNAP == p->n + 1) {
			ns = realloc(p->snap, (p->n + 1) * sizeof *ns);
			if (!ns)
				return ENOMEM;
			p->snap = ns;
			ns[p->n] = fr_sha256_new();
			if (!ns[p->n] || fr_sha256_copy(ns[p->n], c->h) != 0) {
				fr_sha256_free(ns[p->n]);
				return ENOMEM;
			}
			p->n++;
		}
	}
	return 0;
}

/* Leave c->h at exactly the first k bytes and the file position at k. */
static int prefix_to(struct put_ctx *c, int fd, struct prefix *p, uint64_t k)
{
	uint64_t m;
	int e;

	if (p->pos > k) {
		m = k / PREFIX_SNAP; /* full snapshots at or below k */
		if (m == 0) {
			fr_sha256_reset(c->h);
		} else if (m > p->n || fr_sha256_copy(c->h, p->snap[m - 1])) {
			return ENOMEM; /* cannot happen: we passed m * SNAP */
		}
		p->pos = m * PREFIX_SNAP;
	}
	e = prefix_hash(c, fd, p, k, false);
	if (e == 0 && lseek(fd, (off_t)k, SEEK_SET) < 0)
		e = errno;
	return e;
}

/* The outcome of one attempt: FX_* plus whether a new connection may
 * finish the job (the transport failed, not the file or the server). */
struct attempt {
	int rc;
	bool retry;   /* reconnect and resume */
	bool restart; /* reconnect and start from 0 (prefix mismatch) */
};

/* Open the next file and send its put request now, while the previous
 * final answer is on its way.  Anything unusual (not a regular file, cannot
 * be opened) is left for its own turn to report. */
static void put_ahead(struct put_ctx *c, const char *local, const char *remote)
{
	struct stat st;
	int fd;

	fd = open(local, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	struct fr_put_req q = {.path = remote,
	                       .overwrite = c->o.overwrite,
	                       .resume = c->o.resume};

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (q.size = (uint64_t)st.st_size,
	     sess_send(c->s, fr_req_put(sess_req(c->s), &q), "put", remote)) !=
	        FX_OK) {
		close(fd);
		return;
	}
	c->pre_fd = fd;
	c->pre_size = (uint64_t)st.st_size;
}

/* One attempt at local -> remote; sent: the request already went out
 * (pipelined).  next_local/next_remote (or NULL): the file whose request
 * may follow this body. */
static void put_try(struct put_ctx *c, int fd, const char *local,
                    const char *remote, uint64_t size, bool resume,
                    bool sent, const char *next_local,
                    const char *next_remote, struct attempt *a)
{
	struct fr_response r;
	struct prefix pre;
	char hex[FR_SHA256_HEX];
	uint64_t k = 0;
	int rc, e;

	memset(&r, 0, sizeof r);
	memset(&pre, 0, sizeof pre);
	memset(a, 0, sizeof *a);
	fr_sha256_reset(c->h);
	struct fr_put_req q = {.path = remote,
	                       .size = size,
	                       .overwrite = c->o.overwrite,
	                       .resume = resume};
	rc = sent ? FX_OK
	          : sess_send(c->s, fr_req_put(sess_req(c->s), &q), "put",
	                      remote);
	if (rc != FX_OK)
		goto out;
	/* while the server hashes what it holds, we hash our side; a local
	 * read error shows again below, where it is reported */
	if (resume)
		(void)prefix_hash(c, fd, &pre, size, true);
	rc = sess_recv(c->s, &r);
	if (rc != FX_OK)
		goto out;
	if (r.status == FR_ST_ERROR) {
		/* busy: the server is full, or our own earlier attempt still
		 * holds the part while the server notices that its connection
		 * is gone: worth a retry */
		a->retry = r.err == FR_E_BUSY;
		rc = sess_refused(c->s, &r, "put", remote,
		                  r.err == FR_E_IS_DIRECTORY
		                      ? "end REMOTE with '/' to put into "
		                        "that directory"
		                      : NULL);
		goto out;
	}
	if (r.status != FR_ST_READY) {
		rc = sess_unexpected(c->s, &r, "put");
		goto out;
	}
	if (r.has_offset)
		k = r.offset;
	if (k > size || (k > 0 && !r.has_prefix_sha256) || (k > 0 && !resume)) {
		c->s->why = "the server asked to resume at an offset it may "
		            "not use";
		rc = sess_lost(c->s, FR_E_PROTOCOL, "starting the upload");
		goto out;
	}
	if (k > 0) {
		/* SECURITY: the held bytes count only if they are ours */
		e = prefix_to(c, fd, &pre, k);
		if (e == 0) {
			fr_sha256_peek_hex(c->h, hex);
			if (strcmp(hex, r.prefix_sha256) != 0)
				e = -1;
		}
		if (e != 0) {
			fprintf(stderr,
			        "ferry: put %s: the %llu bytes the server "
			        "holds are not the start of %s; starting "
			        "again from 0\n",
			        remote, (unsigned long long)k, local);
			sess_abort(c->s);
			a->restart = true;
			rc = FX_CONN;
			goto out;
		}
	} else {
		fr_sha256_reset(c->h);
		if (lseek(fd, 0, SEEK_SET) < 0) {
			fprintf(stderr, "ferry: put %s: %s\n", local,
			        strerror(errno));
			sess_abort(c->s);
			rc = FX_LOCAL;
			goto out;
		}
	}

	rc = send_body(c, fd, local, remote, size, k);
	if (rc != FX_OK)
		goto out;
	fr_sha256_final_hex(c->h, hex);
	if (next_local)
		put_ahead(c, next_local, next_remote);

	fr_response_cleanup(&r);
	rc = sess_recv_final(c->s, &r, "put", remote, "finishing the upload");
	if (rc != FX_OK)
		goto out;
	if (r.has_size && r.size != size) {
		c->s->why = "the server stored another size";
		rc = sess_lost(c->s, FR_E_PROTOCOL, "finishing the upload");
		goto out;
	}
	if (strcmp(r.sha256, hex) != 0) {
		fprintf(stderr,
		        "ferry: put %s: checksum mismatch: we sent %s, "
		        "the server stored %s (the remote file is "
		        "suspect: put it again with --overwrite)\n",
		        remote, hex, r.sha256);
		rc = FX_CHECKSUM;
		goto out;
	}
	memcpy(c->hex, hex, sizeof hex);
	rc = FX_OK;
out:
	/* a dropped connection or a timeout: a new one can resume */
	if (rc == FX_CONN && c->s->dead && !a->restart)
		a->retry = true;
	if (a->retry)
		sess_abort(c->s);
	a->rc = rc;
	prefix_cleanup(&pre);
	fr_response_cleanup(&r);
}

static int put_one(struct put_ctx *c, const char *local, const char *remote,
                   const char *next_local, const char *next_remote)
{
	struct attempt a;
	struct stat st;
	double t0 = cli_now();
	bool resume = c->o.resume, restarted = false, sent = false;
	unsigned n = 0;
	uint64_t size;
	int fd, rc;

	if (c->pre_fd >= 0) {
		/* the request went out behind the previous file */
		fd = c->pre_fd;
		size = c->pre_size;
		c->pre_fd = -1;
		sent = true;
		goto attempts;
	}
	fd = open(local, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "ferry: put %s: %s\n", local, strerror(errno));
		rc = FX_LOCAL;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "ferry: put %s: %s\n", local,
		        S_ISDIR(st.st_mode)
		            ? "is a directory (ferry 0.1 uploads files, "
		              "not directories)"
		            : "not a regular file");
		rc = FX_LOCAL;
		goto out;
	}
	size = (uint64_t)st.st_size;

attempts:
	for (;;) {
		put_try(c, fd, local, remote, size, resume, sent, next_local,
		        next_remote, &a);
		sent = false;
		rc = a.rc;
		if (a.restart && !restarted) {
			restarted = true; /* once: the server's part is stale */
			resume = false;
		} else if (a.retry && n < c->o.retries) {
			resume = true;
			cli_backoff(c->cli, "put", remote, ++n, c->o.retries);
		} else {
			break;
		}
		/* a request sent ahead died with the connection */
		if (c->pre_fd >= 0) {
			close(c->pre_fd);
			c->pre_fd = -1;
		}
		sess_close(c->s);
		while (sess_open(c->s, c->cli) != FX_OK) {
			if (n >= c->o.retries) {
				rc = FX_CONN;
				goto out;
			}
			cli_backoff(c->cli, "put", remote, ++n, c->o.retries);
		}
	}
	if (rc == FX_OK)
		out_transfer(c->cli, "put", local, remote, size, c->hex,
		             cli_now() - t0);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The remote name of local, silently: false if it cannot be sent. */
static bool remote_for(const char *local, bool dir_mode, const char *rdir,
                       char *remote, size_t n)
{
	char base[FR_NAME_MAX + 2];

	if (!dir_mode)
		snprintf(remote, n, "%s", rdir);
	else {
		cli_basename(local, base, sizeof base);
		if (!base[0] || !cli_join(remote, n, rdir, base))
			return false;
	}
	return fr_utf8_valid(remote, strlen(remote));
}

int cmd_put(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	struct put_ctx c;
	char rdir[FR_PATH_MAX + 1], remote[FR_PATH_MAX + 2];
	char base[FR_NAME_MAX + 2], next[FR_PATH_MAX + 2];
	bool help, slash = false, dir_mode = true, ahead;
	int first, nlocal, i, rc, one;

	memset(&c, 0, sizeof c);
	c.pre_fd = -1;
	rc = cli_xfer_opts(argc, argv, &c.o, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("put", "no file to upload");
	nlocal = argc - first == 1 ? 1 : argc - first - 1;
	rdir[0] = '\0';
	if (argc - first > 1) {
		rc = cli_remote("put", argv[argc - 1], rdir, sizeof rdir,
		                &slash);
		if (rc != FX_OK)
			return rc;
		dir_mode = slash || nlocal > 1 || rdir[0] == '\0';
	}

	c.cli = cli;
	c.s = &s;
	c.buf = malloc(FR_IO_CHUNK);
	c.h = fr_sha256_new();
	if (!c.buf || !c.h) {
		fputs("ferry: out of memory\n", stderr);
		rc = FX_LOCAL;
		goto out;
	}
	rc = sess_open(&s, cli);
	if (rc != FX_OK)
		goto out;
	for (i = first; i < first + nlocal && !s.dead; i++) {
		if (dir_mode) {
			cli_basename(argv[i], base, sizeof base);
			if (!base[0] ||
			    !cli_join(remote, sizeof remote, rdir, base)) {
				rc = cli_merge(
				    rc, cli_usage("put",
				                  "cannot name "
				                  "a remote file after '%s'",
				                  argv[i]));
				continue;
			}
		} else {
			memcpy(remote, rdir, sizeof rdir);
		}
		ahead = i + 1 < first + nlocal &&
		        remote_for(argv[i + 1], dir_mode, rdir, next, sizeof next);
		one = cli_remote_utf8("put", remote);
		if (one == FX_OK)
			one = put_one(&c, argv[i], remote,
			              ahead ? argv[i + 1] : NULL, next);
		rc = cli_merge(rc, one);
	}
	if (c.pre_fd >= 0)
		close(c.pre_fd);
	sess_close(&s);
out:
	free(c.buf);
	fr_sha256_free(c.h);
	return rc;
}
