/*
 * ops.c - the operation table and what operations share.
 *
 * Does: map a request op to its start/step functions and the permission it
 * needs; create and release per-request operation state; the SHA-256 of a
 * file for get and stat: from the checksum cache, or hashed in bounded
 * chunks and then recorded there.
 * Does not: implement an operation (op_<name>.c) or answer errors (conn.c).
 */
#include <string.h>
#include <unistd.h>

#include "ferry/err.h"
#include "conn.h"
#include "listing.h"
#include "ops.h"
#include "sumcache.h"

static const struct op ops[] = {
	/* op          perm    root_ok proto start            step */
	{ FR_OP_HELLO, 0, true, 1, op_hello_start, NULL },
	{ FR_OP_PUT, PERM_W, false, 1, op_put_start, op_put_step },
	{ FR_OP_GET, PERM_R, false, 1, op_get_start, op_get_step },
	{ FR_OP_LIST, PERM_L, true, 1, op_list_start, op_list_step },
	/* r = get/stat, w = put/mkdir, l = list, d = delete; a rename
	 * both makes a name and removes one: w and d */
	{ FR_OP_STAT, PERM_R, true, 1, op_stat_start, op_stat_step },
	{ FR_OP_DELETE, PERM_D, false, 1, op_delete_start, NULL },
	{ FR_OP_MKDIR, PERM_W, false, 2, op_mkdir_start, NULL },
	{ FR_OP_RENAME, PERM_W | PERM_D, false, 2, op_rename_start, NULL },
};

const struct op *op_find(enum fr_op op, unsigned proto)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == op)
			return ops[i].min_proto <= proto ? &ops[i] : NULL;
	return NULL;
}

int op_request_as_v1(struct fr_request *q, const char **why)
{
	if (q->op == FR_OP_PUT && !q->has_size) {
		*why = "put needs \"size\"";
		return FR_E_BAD_REQUEST;
	}
	q->body = FR_BODY_READY;
	q->has_mtime = false;
	q->has_mode = false;
	q->recursive = false;
	q->parents = false;
	fr_request_cleanup(q); /* "to" of a rename, unsupported there */
	return FR_OK;
}

void op_state_init(struct op_state *os)
{
	memset(os, 0, sizeof(*os));
	os->fd = -1;
	store_upload_init(&os->up);
}

void op_state_cleanup(struct op_state *os)
{
	if (os->fd >= 0)
		close(os->fd);
	/* an upload that did not commit leaves nothing behind */
	store_put_abort(&os->up);
	listing_free(os->listing);
	fr_list_free(os->lb);
	op_state_init(os);
}

int op_sha_begin(struct conn *c)
{
	int r = sumcache_get(c->os.fd, &c->os.stamp, c->sha256);

	/* the entry must describe the file as store_open_read found it */
	if (r == FR_OK && c->os.stamp.size == c->os.st.size) {
		c->os.sha_known = true;
		c->sha_from = "cache";
		return FR_OK;
	}
	if (r != FR_OK && r != FR_E_NOT_FOUND)
		return r;
	if (!c->sha)
		c->sha = fr_sha256_new();
	if (!c->sha)
		return FR_E_INTERNAL;
	fr_sha256_reset(c->sha);
	return FR_OK;
}

void op_sha_end(struct conn *c)
{
	fr_sha256_final_hex(c->sha, c->sha256);
	c->sha_from = "file";
	/* only if the file is still what we read (sumcache_put checks) */
	if (c->os.stamp.size == c->os.size)
		sumcache_put(c->os.fd, &c->os.stamp, c->sha256);
}

int op_hash_file(struct conn *c, uint64_t limit)
{
	uint64_t n = limit - c->os.pos;
	size_t got = 0;
	uint8_t *p;
	int r;

	if (n > FR_IO_CHUNK)
		n = FR_IO_CHUNK;
	fr_buf_reset(&c->body);
	r = fr_buf_reserve(&c->body, (size_t)n, &p);
	if (r != FR_OK)
		return FR_E_INTERNAL;
	r = store_read(c->os.fd, p, (size_t)n, &got);
	if (r != FR_OK)
		return r;
	if (got == 0)
		return FR_E_IO_ERROR; /* the file shrank under us */
	fr_sha256_update(c->sha, p, got);
	c->os.pos += got;
	c->run_bytes += got; /* hashing counts toward the fair share */
	return c->os.pos >= limit ? FR_OK : FR_AGAIN;
}
