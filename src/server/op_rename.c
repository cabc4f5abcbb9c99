/*
 * op_rename.c - the rename operation (protocol 2): "ferry mv".
 *
 * Does: check "to" with every path rule "path" passed (conn.c checked
 * that one), then move path to "to" atomically inside the connection's
 * root (store_rename: never across identities' roots, an existing "to"
 * replaced only with "overwrite" and only file by file), both
 * directories fsync'ed before "ok".
 * Does not: copy across file systems, or create missing parents of "to".
 */
#include "ferry/err.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_rename_start(struct conn *c)
{
	const char *why = NULL;
	int r;

	if (!c->req.to) {
		c->err_msg = "rename needs \"to\"";
		return FR_E_BAD_REQUEST;
	}
	r = conn_path_ok(c, c->req.to, false, &why);
	if (r != FR_OK) {
		c->err_msg = why;
		return r;
	}
	r = store_rename(c->root_fd, c->req.path, c->req.to, c->req.overwrite);
	if (r == FR_E_INVALID_PATH)
		c->err_msg = "a directory cannot move into itself";
	else if (r == FR_E_IS_DIRECTORY)
		c->err_msg = "\"to\" is a directory: it is never replaced";
	if (r != FR_OK)
		return r;
	return fr_resp_ok(&c->out) == FR_OK ? FR_OK : FR_E_INTERNAL;
}
