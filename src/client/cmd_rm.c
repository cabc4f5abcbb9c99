/*
 * cmd_rm.c - "ferry rm REMOTE...": delete remote files or empty
 * directories, going on with the next path after a refusal.
 *
 * It never deletes recursively and never touches local files.
 */
#include <stdio.h>
#include <string.h>

#include "ferry/limits.h"

#include "cli.h"
#include "output.h"
#include "session.h"

static int rm_one(struct session *s, const struct cli *cli, const char *rpath)
{
	struct fr_response r;
	struct jline j;
	int rc;

	memset(&r, 0, sizeof r);
	rc = sess_send(s, fr_req_delete(sess_req(s), rpath), "rm", rpath);
	if (rc == FX_OK)
		rc = sess_recv(s, &r);
	if (rc != FX_OK)
		goto out;
	if (r.status == FR_ST_ERROR) {
		rc = sess_refused(s, &r, "rm", rpath, NULL);
		goto out;
	}
	if (r.status != FR_ST_OK) {
		rc = sess_unexpected(s, &r, "delete");
		goto out;
	}
	if (cli->quiet)
		goto out;
	if (cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "op", "rm");
		jl_str(&j, "remote", rpath);
		jl_end(&j);
	} else {
		printf("removed %s\n", rpath);
		fflush(stdout);
	}
out:
	fr_response_cleanup(&r);
	return rc;
}

int cmd_rm(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	char rpath[FR_PATH_MAX + 1];
	bool help;
	int first, i, rc, one;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("rm", "no REMOTE path given");
	rc = sess_open(&s, cli);
	if (rc != FX_OK)
		return rc;
	for (i = first; i < argc && !s.dead; i++) {
		one = cli_remote("rm", argv[i], rpath, sizeof rpath, NULL);
		if (one == FX_OK)
			one = rm_one(&s, cli, rpath);
		rc = cli_merge(rc, one);
	}
	sess_close(&s);
	return rc;
}
