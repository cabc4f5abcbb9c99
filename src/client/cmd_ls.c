/*
 * cmd_ls.c - "ferry ls [REMOTE]": list a remote directory.
 *
 * Collects every frame of the listing (servers send entries in directory
 * order, so that a huge directory costs them no memory), sorts the names
 * bytewise and prints each entry: a long format (size, mtime, name,
 * directories with '/') or one JSON object per entry.  It does not
 * recurse.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "output.h"
#include "xfer.h"

struct row {
	char *name;
	bool is_dir;
	uint64_t size;
	int64_t mtime;
};

struct rows {
	struct row *v;
	size_t n, cap;
	bool oom;
};

static int collect(void *arg, const char *remote, const struct fr_response *r,
		   int rc)
{
	struct rows *rs = arg;
	struct row *nv;
	size_t i;

	(void)remote;
	if (!r || rc != FX_OK || r->status != FR_ST_OK)
		return FX_OK;
	for (i = 0; i < r->n_entries; i++) {
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? 2 * rs->cap : 256;
			nv = realloc(rs->v, rs->cap * sizeof(*nv));
			if (!nv) {
				rs->oom = true;
				return FX_LOCAL;
			}
			rs->v = nv;
		}
		rs->v[rs->n].name = strdup(r->entries[i].name);
		if (!rs->v[rs->n].name) {
			rs->oom = true;
			return FX_LOCAL;
		}
		rs->v[rs->n].is_dir = r->entries[i].is_dir;
		rs->v[rs->n].size = r->entries[i].size;
		rs->v[rs->n].mtime = r->entries[i].mtime;
		rs->n++;
	}
	return FX_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
		      ((const struct row *)b)->name);
}

static void print_row(const struct cli *cli, const struct row *e)
{
	char when[64], size[32], name[3 * FR_NAME_MAX + 1];
	struct jline j;

	if (cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "name", e->name);
		jl_str(&j, "type", e->is_dir ? "dir" : "file");
		jl_u64(&j, "size", e->size);
		jl_i64(&j, "mtime", e->mtime);
		jl_end(&j);
		return;
	}
	if (e->is_dir)
		snprintf(size, sizeof size, "-");
	else
		snprintf(size, sizeof size, "%" PRIu64, e->size);
	printf("%16s  %s  %s%s\n", size,
	       out_time(when, sizeof when, e->mtime, false),
	       out_term(name, sizeof name, e->name), e->is_dir ? "/" : "");
}

int cmd_ls(const struct cli *cli, int argc, char **argv)
{
	char rpath[FR_PATH_MAX + 1];
	struct rows rs = {0};
	struct engine *e;
	struct job *j;
	bool help;
	size_t i;
	int first, rc;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first > 1)
		return cli_usage("ls", "one REMOTE directory at most");
	/* no REMOTE: the root, or the shell's remote directory */
	rc = cli_remote("ls", argc - first == 1 ? argv[first] : "", rpath,
			sizeof rpath, NULL);
	if (rc != FX_OK)
		return rc;
	rc = engine_acquire(cli, 1, cli->retries, &e);
	if (rc == FX_OK) {
		j = xlist_new("ls", rpath, false, false, collect, &rs);
		if (j) {
			engine_push(e, j);
			rc = engine_run(e);
		} else {
			rs.oom = true;
		}
	}
	if (rs.oom) {
		cli_say("ls: out of memory");
		rc = cli_merge(rc, FX_LOCAL);
	}
	if (rc == FX_OK) {
		if (rs.n > 1)
			qsort(rs.v, rs.n, sizeof(*rs.v), by_name);
		for (i = 0; i < rs.n; i++)
			print_row(cli, &rs.v[i]);
	}
	for (i = 0; i < rs.n; i++)
		free(rs.v[i].name);
	free(rs.v);
	engine_release(cli, e);
	return rc;
}
