/*
 * cmd_rm.c - "ferry rm REMOTE...": delete remote files or empty
 * directories, the requests pipelined over one connection, going on with
 * the next path after a refusal.
 *
 * It never deletes recursively and never touches local files.
 */
#include <stdio.h>

#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "xfer.h"

int cmd_rm(const struct cli *cli, int argc, char **argv)
{
	char rpath[FR_PATH_MAX + 1];
	struct engine *e;
	struct job *j;
	bool help;
	int first, i, rc, one;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("rm", "no REMOTE path given");
	rc = engine_acquire(cli, 1, cli->retries, &e);
	for (i = first; rc == FX_OK && i < argc; i++) {
		one = cli_remote("rm", argv[i], rpath, sizeof rpath, NULL);
		if (one != FX_OK) {
			engine_status(e, one);
			continue;
		}
		j = xdelete_new(rpath);
		if (!j) {
			engine_status(e, cli_usage("rm", "out of memory"));
			break;
		}
		engine_push(e, j);
	}
	if (rc == FX_OK)
		rc = engine_run(e);
	engine_release(cli, e);
	return rc;
}
