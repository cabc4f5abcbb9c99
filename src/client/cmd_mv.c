/*
 * cmd_mv.c - "ferry mv [--overwrite] SRC... DST": rename remote files and
 * directories on the server (protocol 2), atomically, as mv(1) would:
 * into DST when it is an existing directory (or written with a trailing
 * '/', or several SRCs are given), else SRC becomes DST.  An existing
 * file is replaced only with --overwrite; a directory never is.  The
 * renames are pipelined over one connection, going on after a refusal;
 * each prints "renamed SRC -> DST".
 *
 * Does not: copy (a rename across file systems below the server's root
 * is refused), or leave the identity's root (the server walks both names
 * from it).
 */
#include <stdio.h>
#include <string.h>

#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "xfer.h"

/* What DST is now: 'd'irectory, 'f'ile, or 0 (nothing). */
static int kind_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc)
{
	int *kind = arg;

	(void)remote;
	if (rc == FX_OK && r && r->status == FR_ST_OK)
		*kind = r->is_dir ? 'd' : 'f';
	return FX_OK;
}

int cmd_mv(const struct cli *cli, int argc, char **argv)
{
	char src[FR_PATH_MAX + 1], dst[FR_PATH_MAX + 1];
	char base[FR_NAME_MAX + 1], to[FR_PATH_MAX + 2];
	bool overwrite, help, slash = false, into;
	struct engine *e = NULL;
	int first, i, rc, kind = 0;

	rc = cli_cmd_opts(argc, argv, &overwrite, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 2)
		return cli_usage("mv", "give SRC and DST");
	rc = cli_remote("mv", argv[argc - 1], dst, sizeof dst, &slash);
	if (rc != FX_OK)
		return rc;
	rc = engine_acquire(cli, 1, cli->retries, &e);
	if (rc == FX_OK)
		rc = engine_need_v2(e, "mv", "renaming on the server");
	if (rc == FX_OK)
		rc = engine_push_made(e, xstat_new("mv", dst, false, true, kind_cb,
						   &kind), "mv")
			     ? engine_run(e) : engine_result(e);
	into = kind == 'd';
	if (rc == FX_OK && !into && (slash || argc - first > 2)) {
		cli_say("mv: %s is not a directory%s", dst[0] ? dst : "/",
			kind ? "" : " (make it with ferry mkdir)");
		rc = FX_REFUSED;
	}
	for (i = first; rc == FX_OK && i < argc - 1; i++) {
		if (cli_remote("mv", argv[i], src, sizeof src, NULL) != FX_OK) {
			engine_status(e, FX_USAGE);
			continue;
		}
		cli_basename(src, base, sizeof base);
		if (!base[0]) {
			engine_status(e, cli_usage("mv", "the root directory "
							 "cannot be moved"));
			continue;
		}
		if (!into)
			snprintf(to, sizeof to, "%s", dst);
		else if (!cli_join(to, sizeof to, dst, base) ||
			 strlen(to) > FR_PATH_MAX) {
			engine_status(e, cli_usage("mv", "%s/%s: path too long",
						   dst, base));
			continue;
		}
		if (!engine_push_made(e, xrename_new(src, to, overwrite, NULL,
						     NULL), "mv"))
			break;
	}
	if (rc == FX_OK)
		rc = engine_run(e);
	engine_release(cli, e);
	return rc;
}
