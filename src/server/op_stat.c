/*
 * op_stat.c - the stat operation.
 *
 * Does: type, size and mtime of a path; with "sha256": true, the hash of a
 * file: from the checksum cache when it holds a trusted entry for the file
 * as it is now (sumcache.h), else computed one FR_IO_CHUNK per step (so a
 * big file neither blocks a worker for long nor starves other
 * connections) and then recorded in the cache.  The log line says which
 * (sha256_from=cache|file).  Does not: hash directories (the field is
 * omitted for them).
 */
#include "ferry/err.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

static int reply(struct conn *c, const char *sha)
{
	const struct store_stat *st = &c->os.st;

	return fr_resp_stat_ok(&c->out, st->is_dir, st->size, st->mtime, sha,
			       c->proto >= 2 ? (int)st->mode : -1) == FR_OK
		       ? FR_OK
		       : FR_E_INTERNAL;
}

int op_stat_start(struct conn *c)
{
	int r;

	if (c->req.want_sha256) {
		if (!(c->perms & PERM_R))
			return FR_E_FORBIDDEN;
		r = store_open_read(c->root_fd, c->req.path, &c->os.fd,
				    &c->os.st);
		if (r == FR_OK) {
			r = op_sha_begin(c);
			if (r != FR_OK)
				return r;
			if (c->os.sha_known)
				return reply(c, c->sha256);
			c->os.size = c->os.st.size;
			c->os.pos = 0;
			c->state = CS_BODY_OUT;
			return FR_AGAIN;
		}
		if (r != FR_E_IS_DIRECTORY)
			return r;
	}
	r = store_stat(c->root_fd, c->req.path, &c->os.st);
	if (r != FR_OK)
		return r;
	return reply(c, NULL);
}

int op_stat_step(struct conn *c)
{
	int r = FR_OK;

	if (c->os.pos < c->os.size)
		r = op_hash_file(c, c->os.size);
	if (r != FR_OK)
		return r; /* FR_AGAIN: more to hash, or an error */
	op_sha_end(c);
	return reply(c, c->sha256);
}
