/*
 * op_hello.c - the hello operation: who the server is, who the client is.
 *
 * Does: answer version, server id, the client's certificate identity and
 * its permissions.  Does not: negotiate anything (protocol v1 only).
 */
#include "ferry/err.h"
#include "conn.h"
#include "ops.h"

int op_hello_start(struct conn *c)
{
	static const char letters[] = "rwld";
	char perms[sizeof(letters)];
	size_t i, n = 0;

	for (i = 0; i < sizeof(letters) - 1; i++)
		if (c->perms & (1u << i))
			perms[n++] = letters[i];
	perms[n] = '\0';
	return fr_resp_hello(&c->out, c->identity, perms) == FR_OK
		       ? FR_OK
		       : FR_E_INTERNAL;
}
