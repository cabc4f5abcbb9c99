/*
 * cmd_put.c - "ferry put": upload local regular files over one session.
 *
 * Per file: put request, wait for "ready", stream exactly the announced
 * size while hashing it, then compare the server's SHA-256 with ours.  A
 * file that changes size while it is read aborts the connection without
 * close_notify so the server discards the upload.  It does not recurse
 * into directories and never resumes (later issues).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/hash.h"
#include "ferry/limits.h"

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "session.h"

struct put_ctx {
	const struct cli *cli;
	struct session *s;
	bool overwrite;
	unsigned char *buf; /* FR_IO_CHUNK bytes */
	struct fr_sha256 *h;
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
                     const char *remote, uint64_t size)
{
	struct progress pg;
	uint64_t left = size;
	ssize_t n;
	int rc, err = 0;

	progress_start(&pg, c->cli->progress, local, size);
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

static int put_one(struct put_ctx *c, const char *local, const char *remote)
{
	struct fr_response r;
	struct stat st;
	char hex[FR_SHA256_HEX];
	double t0 = cli_now();
	uint64_t size;
	int fd, rc;

	memset(&r, 0, sizeof r);
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

	rc = sess_send(
	    c->s, fr_req_put(sess_req(c->s), remote, size, NULL, c->overwrite),
	    "put", remote);
	if (rc != FX_OK)
		goto out;
	rc = sess_recv(c->s, &r);
	if (rc != FX_OK)
		goto out;
	if (r.status == FR_ST_ERROR) {
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
	if (r.has_offset && r.offset != 0) {
		c->s->why = "the server asked to resume at a nonzero offset";
		rc = sess_lost(c->s, FR_E_PROTOCOL, "starting the upload");
		goto out;
	}

	fr_sha256_reset(c->h);
	rc = send_body(c, fd, local, remote, size);
	if (rc != FX_OK)
		goto out;
	fr_sha256_final_hex(c->h, hex);

	fr_response_cleanup(&r);
	rc = sess_recv(c->s, &r);
	if (rc != FX_OK)
		goto out;
	if (r.status == FR_ST_ERROR) {
		rc = sess_refused(c->s, &r, "put", remote, NULL);
		goto out;
	}
	if (r.status != FR_ST_OK) {
		rc = sess_unexpected(c->s, &r, "the end of a put");
		goto out;
	}
	if (!r.has_sha256 || (r.has_size && r.size != size)) {
		c->s->why = r.has_sha256 ? "the server stored another size"
		                         : "final answer without sha256";
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
	out_transfer(c->cli, "put", local, remote, size, hex, cli_now() - t0);
	rc = FX_OK;
out:
	fr_response_cleanup(&r);
	if (fd >= 0)
		close(fd);
	return rc;
}

int cmd_put(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	struct put_ctx c;
	char rdir[FR_PATH_MAX + 1], remote[FR_PATH_MAX + 2];
	char base[FR_NAME_MAX + 2];
	bool help, slash = false, dir_mode = true;
	int first, nlocal, i, rc, one;

	memset(&c, 0, sizeof c);
	rc = cli_cmd_opts(argc, argv, &c.overwrite, &help, &first);
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
		one = cli_remote_utf8("put", remote);
		if (one == FX_OK)
			one = put_one(&c, argv[i], remote);
		rc = cli_merge(rc, one);
	}
	sess_close(&s);
out:
	free(c.buf);
	fr_sha256_free(c.h);
	return rc;
}
