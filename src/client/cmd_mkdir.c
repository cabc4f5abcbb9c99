/*
 * cmd_mkdir.c - "ferry mkdir [-p] REMOTE...": make remote directories
 * (protocol 2), the requests pipelined over one connection in the order
 * given (so "mkdir a a/b" works without -p), going on after a refusal.
 * With -p missing parents are made too and an existing directory is no
 * error.  Prints "created directory REMOTE" for each one the server made.
 *
 * Does not: make local directories, or anything on a protocol-1 server
 * (one line naming it).
 */
#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "xfer.h"

int cmd_mkdir(const struct cli *cli, int argc, char **argv)
{
	char rpath[FR_PATH_MAX + 1];
	bool parents, help;
	const struct cli_flag flags[] = {
		{"parents", 'p', &parents},
		{NULL, 0, NULL},
	};
	struct engine *e;
	int first, i, rc, one;

	rc = cli_flags(argc, argv, flags, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("mkdir", "no REMOTE directory given");
	rc = engine_acquire(cli, 1, cli->retries, &e);
	if (rc == FX_OK)
		rc = engine_need_v2(e, "mkdir", "making directories");
	for (i = first; rc == FX_OK && i < argc; i++) {
		one = cli_remote("mkdir", argv[i], rpath, sizeof rpath, NULL);
		if (one != FX_OK) {
			engine_status(e, one);
			continue;
		}
		if (!rpath[0]) {
			/* the root always exists */
			if (!parents) {
				cli_say("mkdir /: the root directory exists");
				engine_status(e, FX_REFUSED);
			}
			continue;
		}
		if (!engine_push_made(e, xmkdir_new("mkdir", rpath, parents,
						    true), "mkdir"))
			break;
	}
	if (rc == FX_OK)
		rc = engine_run(e);
	engine_release(cli, e);
	return rc;
}
