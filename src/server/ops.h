/*
 * ops.h - the operation table and the per-request state of an operation.
 *
 * Each op_<name>.c implements one protocol operation on top of conn.h and
 * store.h.  Contract of the functions in the table:
 *   start(c): c->req is parsed and its path checked.  Returns FR_OK when
 *     the final response is appended to c->out, FR_AGAIN after moving
 *     c->state to CS_BODY_IN / CS_BODY_OUT (step is called next), or a
 *     negative wire error (the caller answers it).
 *   step(c): one bounded piece of body work, called with c->out flushed.
 *     FR_OK when the final response is appended, FR_AGAIN to be called
 *     again, FR_TLS_WANT_READ/WRITE to wait, or a negative error.
 * Operations never close the connection or log; conn.c does.
 */
#ifndef FERRYD_OPS_H
#define FERRYD_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/proto.h"
#include "store.h"
#include "sumcache.h"

struct conn;

/* Permissions, as in the hello "perms" string. */
enum { PERM_R = 1, PERM_W = 2, PERM_L = 4, PERM_D = 8, PERM_ALL = 15 };

struct op {
	enum fr_op op;
	unsigned perm;
	bool root_ok; /* "" (the root) is a valid path for this op */
	unsigned min_proto; /* below it the op does not exist (unsupported) */
	int (*start)(struct conn *c);
	int (*step)(struct conn *c); /* NULL: never has a body */
};

/* The table entry for op on a connection speaking protocol proto; NULL
 * for FR_OP_UNKNOWN and for ops newer than proto. */
const struct op *op_find(enum fr_op op, unsigned proto);

/* Make a parsed request mean on a protocol-1 connection exactly what
 * ferryd 0.1 made of it: version-2 fields are ignored (unknown fields),
 * so a put without "size" is bad_request again.  FR_OK or
 * FR_E_BAD_REQUEST with *why. */
int op_request_as_v1(struct fr_request *q, const char **why);

/* What an operation keeps between steps; released by op_state_cleanup
 * (which also discards an unfinished upload). */
struct op_state {
	int fd;         /* get, stat: the open file, -1 if none */
	uint64_t size;  /* get, stat: bytes to hash / send in total */
	uint64_t pos;   /* get, stat: bytes read so far */
	uint64_t offset; /* get: first byte sent */
	struct store_stat st;   /* get, stat: what the open found */
	struct sumcache_stamp stamp; /* get, stat: the file when opened */
	bool sha_known;         /* get, stat: the hash came from the cache */
	struct store_upload up; /* put */
	bool chunked;           /* put: a chunked body (protocol 2) */
	uint64_t chunk_left;    /* put: bytes of the current chunk to come */
	uint64_t received;      /* put: chunked bytes so far */
	struct listing *listing; /* list */
	struct fr_list_builder *lb;
};

void op_state_init(struct op_state *os);
void op_state_cleanup(struct op_state *os);

int op_hello_start(struct conn *c);
int op_put_start(struct conn *c);
int op_put_step(struct conn *c);
int op_get_start(struct conn *c);
int op_get_step(struct conn *c);
int op_list_start(struct conn *c);
int op_list_step(struct conn *c);
int op_stat_start(struct conn *c);
int op_stat_step(struct conn *c);
int op_delete_start(struct conn *c);
int op_mkdir_start(struct conn *c);
int op_rename_start(struct conn *c);

/* The SHA-256 of the file open in c->os.fd (get, stat), begun: from the
 * checksum cache when it holds a trusted entry for the file as it was
 * opened (c->sha256 filled, c->os.sha_known, sha_from "cache"); else
 * c->sha is made ready to hash the whole file.  FR_OK or an error. */
int op_sha_begin(struct conn *c);

/* Hash up to one FR_IO_CHUNK of c->os.fd into c->sha (shared by get and
 * stat): FR_OK when pos reached limit, FR_AGAIN when more remains. */
int op_hash_file(struct conn *c, uint64_t limit);

/* All of the file went through c->sha: its hex into c->sha256 (sha_from
 * "file"), recorded in the cache if the file is still what was read. */
void op_sha_end(struct conn *c);

#endif
