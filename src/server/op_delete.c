/*
 * op_delete.c - the delete operation.
 *
 * Does: remove a file, or a directory when it is empty.  Does not: remove
 * trees (not_empty) or the root (refused by conn.c before we get here).
 */
#include "ferry/err.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_delete_start(struct conn *c)
{
	int r = store_delete(c->root_fd, c->req.path);

	if (r != FR_OK)
		return r;
	return fr_resp_ok(&c->out) == FR_OK ? FR_OK : FR_E_INTERNAL;
}
