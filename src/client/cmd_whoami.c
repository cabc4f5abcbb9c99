/*
 * cmd_whoami.c - "ferry whoami": what the server's hello says about us
 * (identity, permissions), the server, the protocol and the TLS session.
 *
 * Only the hello exchange of session.c; no further request.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "output.h"

int cmd_whoami(const struct cli *cli, int argc, char **argv)
{
	const struct session *s;
	struct engine *e;
	struct jline j;
	char tls[128], id[3 * 256];
	bool help;
	int rc = cli_cmd_no_operands(argc, argv, NULL, &help);

	if (rc != FX_OK || help)
		return rc;
	rc = engine_acquire(cli, 1, cli->retries, &e);
	if (rc != FX_OK) {
		engine_release(cli, e);
		return rc;
	}
	s = engine_session(e);
	fr_tls_describe(s->tls, tls, sizeof tls);
	if (cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "identity", s->hello.identity);
		jl_str(&j, "perms", s->hello.perms);
		jl_str(&j, "server", s->hello.server);
		jl_str(&j, "address", s->where);
		jl_i64(&j, "protocol", s->hello.version);
		jl_str(&j, "tls", tls);
		jl_end(&j);
	} else {
		printf("identity: %s\nperms:    %s\nserver:   %s at %s\n"
		       "protocol: %" PRId64 "\ntls:      %s\n",
		       out_term(id, sizeof id, s->hello.identity),
		       s->hello.perms, s->hello.server, s->where,
		       s->hello.version, tls);
	}
	engine_release(cli, e);
	return rc;
}
