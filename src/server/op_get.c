/*
 * op_get.c - the get operation: send a file.
 *
 * Does: open the file once (uploads replace files by rename, so this inode
 * is a consistent snapshot), answer "ready" with size and offset, send the
 * bytes from the offset one FR_IO_CHUNK per step, then answer "ok" with the
 * SHA-256 of all bytes.  That hash comes from the checksum cache when it
 * holds a trusted entry for the file as it is (sumcache.h: an upload's
 * verified hash, or one computed before); else the file is hashed as it is
 * sent (the first "offset" bytes read and hashed without being sent) and
 * the result recorded in the cache.  The client hashes what it receives
 * either way, so a cached hash can fail a download whose bytes changed
 * behind the server's back, never pass one.  The log line says which
 * (sha256_from=cache|file).
 * Does not: send an error frame once body bytes are under way (the
 * connection is closed instead; the client sees a truncation).
 */
#include <errno.h>
#include <unistd.h>

#include "ferry/err.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_get_start(struct conn *c)
{
	uint64_t off = c->req.has_offset ? c->req.offset : 0;
	int r;

	r = store_open_read(c->root_fd, c->req.path, &c->os.fd,
			    &c->os.st);
	if (r != FR_OK)
		return r;
	if (off > c->os.st.size) {
		c->err_msg = "offset beyond the end of the file";
		return FR_E_BAD_REQUEST;
	}
	r = op_sha_begin(c);
	if (r != FR_OK)
		return r;
	/* a cached hash needs none of the bytes before the offset */
	if (c->os.sha_known && off > 0 &&
	    lseek(c->os.fd, (off_t)off, SEEK_SET) < 0)
		return fr_err_from_errno(errno);
	c->os.size = c->os.st.size;
	c->os.offset = off;
	c->os.pos = c->os.sha_known ? off : 0;
	/* protocol 2: mtime and mode travel with the file (ferry get -p) */
	if (fr_resp_get_ready(&c->out, c->os.size, off, c->os.st.mtime,
			      c->proto >= 2 ? (int)c->os.st.mode : -1) != FR_OK)
		return FR_E_INTERNAL;
	c->body_left = c->os.size - off;
	c->state = CS_BODY_OUT;
	return FR_AGAIN;
}

int op_get_step(struct conn *c)
{
	struct op_state *os = &c->os;
	uint64_t n = os->size - os->pos;
	size_t got = 0;
	uint8_t *p;
	int r;

	if (os->pos < os->offset) {
		r = op_hash_file(c, os->offset);
		return r < 0 ? r : FR_AGAIN;
	}
	if (n > 0) {
		if (n > FR_IO_CHUNK)
			n = FR_IO_CHUNK;
		if (fr_buf_reserve(&c->out, (size_t)n, &p) != FR_OK)
			return FR_E_INTERNAL;
		r = store_read(os->fd, p, (size_t)n, &got);
		if (r != FR_OK)
			return r;
		if (got == 0)
			return FR_E_IO_ERROR; /* the file shrank under us */
		if (!os->sha_known)
			fr_sha256_update(c->sha, p, got);
		fr_buf_commit(&c->out, got);
		os->pos += got;
		c->body_left -= got;
		c->bytes += got;
		return FR_AGAIN;
	}
	if (!os->sha_known)
		op_sha_end(c);
	return fr_resp_get_ok(&c->out, c->sha256) == FR_OK ? FR_OK
							  : FR_E_INTERNAL;
}
