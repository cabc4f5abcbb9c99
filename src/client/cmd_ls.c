/*
 * cmd_ls.c - "ferry ls [REMOTE]": list a remote directory.
 *
 * Reads every frame of the listing ("more": true means another follows)
 * and prints each entry as it comes: a long format (size, mtime, name,
 * directories with '/') or one JSON object per entry.  It does not sort
 * (the server sends entries sorted) nor recurse.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "cli.h"
#include "output.h"
#include "session.h"

static void print_entry(const struct cli *cli, const struct fr_entry *e)
{
	struct jline j;
	char when[64], size[32];

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
	       out_time(when, sizeof when, e->mtime, false), e->name,
	       e->is_dir ? "/" : "");
}

int cmd_ls(const struct cli *cli, int argc, char **argv)
{
	struct session s;
	struct fr_response r;
	char rpath[FR_PATH_MAX + 1];
	bool help;
	size_t i;
	int first, rc;

	rc = cli_cmd_opts(argc, argv, NULL, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first > 1)
		return cli_usage("ls", "one REMOTE directory at most");
	rpath[0] = '\0';
	if (argc - first == 1) {
		rc = cli_remote("ls", argv[first], rpath, sizeof rpath, NULL);
		if (rc != FX_OK)
			return rc;
	}
	rc = sess_open(&s, cli);
	if (rc != FX_OK)
		return rc;
	memset(&r, 0, sizeof r);
	rc = sess_send(&s, fr_req_list(sess_req(&s), rpath, false), "ls", rpath);
	while (rc == FX_OK) {
		fr_response_cleanup(&r);
		rc = sess_recv(&s, &r);
		if (rc != FX_OK)
			break;
		if (r.status == FR_ST_ERROR) {
			rc = sess_refused(&s, &r, "ls", rpath, NULL);
			break;
		}
		if (r.status != FR_ST_OK) {
			rc = sess_unexpected(&s, &r, "list");
			break;
		}
		if (!r.has_entries) {
			s.why = "listing without entries";
			rc = sess_lost(&s, FR_E_PROTOCOL, "listing");
			break;
		}
		for (i = 0; i < r.n_entries; i++)
			print_entry(cli, &r.entries[i]);
		if (!r.more)
			break;
	}
	fr_response_cleanup(&r);
	sess_close(&s);
	return rc;
}
