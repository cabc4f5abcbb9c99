/*
 * cmd_stat.c - "ferry stat [--sha256] [--json] REMOTE" and "ferry sum
 * REMOTE...": the stat operation, without and with the server-side
 * SHA-256 (which ferryd answers from its SHA-256 cache where it can).
 *
 * stat prints human lines or one JSON object; sum prints sha256sum lines
 * (or JSON lines), its requests pipelined over one connection so many
 * files cost one round trip, in the order given.  Neither reads or
 * writes local files.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "output.h"
#include "progress.h"
#include "xfer.h"

struct stat_ctx {
	bool json;
};

static int show_stat(void *arg, const char *rpath, const struct fr_response *r,
		     int rc)
{
	const struct stat_ctx *c = arg;
	char when[64], human[32], path[3 * FR_PATH_MAX + 1];
	struct jline j;

	if (!r || rc != FX_OK || r->status != FR_ST_OK)
		return FX_OK;
	if (c->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "path", rpath);
		jl_str(&j, "type", r->is_dir ? "dir" : "file");
		jl_u64(&j, "size", r->size);
		jl_i64(&j, "mtime", r->mtime);
		if (r->has_mode)
			jl_u64(&j, "mode", r->mode);
		if (r->has_sha256)
			jl_str(&j, "sha256", r->sha256);
		jl_end(&j);
		return FX_OK;
	}
	printf("path:  %s\ntype:  %s\nsize:  %" PRIu64 " (%s)\n"
	       "mtime: %s (%" PRId64 ")\n",
	       rpath[0] ? out_term(path, sizeof path, rpath) : "/",
	       r->is_dir ? "directory" : "file", r->size,
	       out_size(human, sizeof human, (double)r->size),
	       out_time(when, sizeof when, r->mtime, true), r->mtime);
	if (r->has_mode)
		printf("mode:  %04o\n", r->mode);
	if (r->has_sha256)
		printf("sha256: %s\n", r->sha256);
	return FX_OK;
}

struct sum_ctx {
	const struct cli *cli;
	struct engine *e;
};

static int show_sum(void *arg, const char *rpath, const struct fr_response *r,
		    int rc)
{
	struct sum_ctx *c = arg;
	struct jline j;

	if (!r || rc != FX_OK || r->status != FR_ST_OK)
		return FX_OK;
	if (r->is_dir) {
		cli_say("sum %s: is a directory (sum takes files)",
			rpath[0] ? rpath : "/");
		engine_status(c->e, FX_REFUSED);
		return FX_OK;
	}
	if (c->cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "op", "sum");
		jl_str(&j, "remote", rpath);
		jl_u64(&j, "size", r->size);
		jl_str(&j, "sha256", r->sha256);
		jl_end(&j);
	} else {
		out_sum_line(stdout, r->sha256, rpath);
		fflush(stdout);
	}
	return FX_OK;
}

/* One engine, one connection, a stat job per operand. */
static int run_stats(const struct cli *cli, const char *cmd, int argc,
		     char **argv, int first, bool sha256, xmisc_done done,
		     void *arg, struct engine **ep)
{
	char rpath[FR_PATH_MAX + 1];
	struct engine *e;
	struct job *j;
	int i, rc, one;

	rc = engine_acquire(cli, 1, cli->retries, ep);
	e = *ep;
	for (i = first; rc == FX_OK && i < argc; i++) {
		one = cli_remote(cmd, argv[i], rpath, sizeof rpath, NULL);
		if (one != FX_OK) {
			engine_status(e, one);
			continue;
		}
		j = xstat_new(cmd, rpath, sha256, false, done, arg);
		if (!j) {
			engine_status(e, cli_usage(cmd, "out of memory"));
			break;
		}
		engine_push(e, j);
	}
	return rc == FX_OK ? engine_run(e) : rc;
}

int cmd_stat(const struct cli *cli, int argc, char **argv)
{
	struct stat_ctx c;
	struct engine *e;
	bool help, sha256, json;
	const struct cli_flag flags[] = {
		{"sha256", 0, &sha256},
		{"json", 0, &json},
		{NULL, 0, NULL},
	};
	int first, rc;

	rc = cli_flags(argc, argv, flags, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first != 1)
		return cli_usage("stat", "exactly one REMOTE");
	c.json = json || cli->json;
	e = NULL;
	rc = run_stats(cli, "stat", argc, argv, first, sha256, show_stat, &c,
		       &e);
	engine_release(cli, e);
	return rc;
}

int cmd_sum(const struct cli *cli, int argc, char **argv)
{
	struct sum_ctx c = {cli, NULL};
	bool help;
	int first, rc;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("sum", "no REMOTE file given");
	rc = run_stats(cli, "sum", argc, argv, first, true, show_sum, &c, &c.e);
	engine_release(cli, c.e);
	return rc;
}
