/*
 * op_hello.c - the hello operation: who the server is, who the client is,
 * and which protocol version the connection speaks from now on.
 *
 * Does: settle the version (the lower of the client's "version", 1 when
 * absent, and --protocol-max), answer it with the server id, the client's
 * certificate identity and its permissions.  Does not: refuse an old or
 * a newer client (each side works at the settled version).
 */
#include "ferry/err.h"
#include "config.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_hello_start(struct conn *c)
{
	static const char letters[] = "rwld";
	char perms[sizeof(letters)];
	uint64_t v = c->req.has_version ? (uint64_t)c->req.version : 1;
	size_t i, n = 0;

	if (v < FR_PROTO_MIN)
		v = FR_PROTO_MIN;
	if (v > c->srv->cfg->protocol_max)
		v = c->srv->cfg->protocol_max;
	c->proto = (unsigned)v;
	for (i = 0; i < sizeof(letters) - 1; i++)
		if (c->perms & (1u << i))
			perms[n++] = letters[i];
	perms[n] = '\0';
	return fr_resp_hello(&c->out, c->proto, c->identity, perms) == FR_OK
		       ? FR_OK
		       : FR_E_INTERNAL;
}
