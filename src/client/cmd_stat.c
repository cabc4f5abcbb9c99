/*
 * cmd_stat.c - "ferry stat REMOTE" and "ferry sum REMOTE...": the stat
 * operation, without and with the server-side SHA-256.
 *
 * stat prints human lines or one JSON object; sum prints sha256sum lines
 * (or JSON lines).  Neither reads or writes local files.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "cli.h"
#include "output.h"
#include "session.h"

/* One stat exchange; on FX_OK *r holds a checked "ok" answer. */
static int do_stat(struct session *s, const char *cmd, const char *rpath,
                   bool want_sha256, struct fr_response *r)
{
	int rc;

	rc = sess_send(s, fr_req_stat(sess_req(s), rpath, want_sha256), cmd,
	               rpath);
	if (rc == FX_OK)
		rc = sess_recv(s, r);
	if (rc != FX_OK)
		return rc;
	if (r->status == FR_ST_ERROR)
		return sess_refused(s, r, cmd, rpath, NULL);
	if (r->status != FR_ST_OK)
		return sess_unexpected(s, r, "stat");
	if (!r->has_type || !r->has_size || !r->has_mtime ||
	    (want_sha256 && !r->is_dir && !r->has_sha256)) {
		s->why = "stat answer without type, size, mtime or sha256";
		return sess_lost(s, FR_E_PROTOCOL, "reading a stat answer");
	}
	return FX_OK;
}

int cmd_stat(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	struct fr_response r;
	struct jline j;
	char rpath[FR_PATH_MAX + 1], when[64], human[32];
	bool help;
	int first, rc;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first != 1)
		return cli_usage("stat", "exactly one REMOTE");
	rc = cli_remote("stat", argv[first], rpath, sizeof rpath, NULL);
	if (rc != FX_OK)
		return rc;
	rc = sess_open(&s, cli);
	if (rc != FX_OK)
		return rc;
	memset(&r, 0, sizeof r);
	rc = do_stat(&s, "stat", rpath, false, &r);
	if (rc == FX_OK && cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "path", rpath);
		jl_str(&j, "type", r.is_dir ? "dir" : "file");
		jl_u64(&j, "size", r.size);
		jl_i64(&j, "mtime", r.mtime);
		jl_end(&j);
	} else if (rc == FX_OK) {
		printf("path:  %s\ntype:  %s\nsize:  %" PRIu64 " (%s)\n"
		       "mtime: %s (%" PRId64 ")\n",
		       rpath[0] ? rpath : "/", r.is_dir ? "directory" : "file",
		       r.size, out_size(human, sizeof human, (double)r.size),
		       out_time(when, sizeof when, r.mtime, true), r.mtime);
	}
	fr_response_cleanup(&r);
	sess_close(&s);
	return rc;
}

int cmd_sum(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	struct fr_response r;
	struct jline j;
	char rpath[FR_PATH_MAX + 1];
	bool help;
	int first, i, rc, one;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("sum", "no REMOTE file given");
	rc = sess_open(&s, cli);
	if (rc != FX_OK)
		return rc;
	memset(&r, 0, sizeof r);
	for (i = first; i < argc && !s.dead; i++) {
		fr_response_cleanup(&r);
		one = cli_remote("sum", argv[i], rpath, sizeof rpath, NULL);
		if (one == FX_OK)
			one = do_stat(&s, "sum", rpath, true, &r);
		if (one == FX_OK && r.is_dir) {
			fprintf(stderr,
			        "ferry: sum %s: is a directory (sum "
			        "takes files)\n",
			        rpath[0] ? rpath : "/");
			one = FX_REFUSED;
		}
		rc = cli_merge(rc, one);
		if (one != FX_OK)
			continue;
		if (cli->json) {
			jl_begin(&j, stdout);
			jl_str(&j, "op", "sum");
			jl_str(&j, "remote", rpath);
			jl_u64(&j, "size", r.size);
			jl_str(&j, "sha256", r.sha256);
			jl_end(&j);
		} else {
			out_sum_line(stdout, r.sha256, rpath);
			fflush(stdout);
		}
	}
	fr_response_cleanup(&r);
	sess_close(&s);
	return rc;
}
