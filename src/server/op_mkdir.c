/*
 * op_mkdir.c - the mkdir operation (protocol 2).
 *
 * Does: create a directory, with "parents": true its missing parents too
 * (and then an existing directory is no error), each new entry fsync'ed
 * before "ok", which says whether it was made ("created": false when
 * "parents" found it there).  Does not: create the root (refused by
 * conn.c) or change an existing directory.
 */
#include "ferry/err.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_mkdir_start(struct conn *c)
{
	bool created;
	int r = store_mkdir(c->root_fd, c->req.path, c->req.parents, &created);

	if (r != FR_OK)
		return r;
	return fr_resp_mkdir_ok(&c->out, created) == FR_OK ? FR_OK
							   : FR_E_INTERNAL;
}
