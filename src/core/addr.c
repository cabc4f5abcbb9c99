/*
 * addr.c - "HOST[:PORT]" parsing (see addr.h).  No name resolution here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/addr.h"
#include "ferry/err.h"

static int addr_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return FR_E_USAGE;
}

static int parse_port(const char *s, uint16_t *port, const char **why)
{
	char *end;
	if (*s < '0' || *s > '9')
		return addr_fail(why, "port must be a number from 0 to 65535");
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > 65535)
		return addr_fail(why, "port must be a number from 0 to 65535");
	*port = (uint16_t)v;
	return FR_OK;
}

int fr_hostport_parse(const char *s, uint16_t default_port, char *host,
		      size_t hostlen, uint16_t *port, const char **why)
{
	const char *h = s, *colon = NULL;
	size_t hl;
	if (why)
		*why = NULL;
	if (hostlen)
		host[0] = '\0';
	*port = default_port;
	if (s == NULL || *s == '\0')
		return addr_fail(why, "empty address");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return addr_fail(why, "missing ']' after IPv6 address");
		h = s + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1] != '\0')
			return addr_fail(why, "unexpected text after ']'");
	} else {
		const char *first = strchr(s, ':');
		if (first && strchr(first + 1, ':')) {
			hl = strlen(s); /* bare IPv6 literal, no port */
		} else {
			colon = first;
			hl = colon ? (size_t)(colon - s) : strlen(s);
		}
	}
	if (hl == 0)
		return addr_fail(why, "empty host name");
	if (hl >= hostlen)
		return addr_fail(why, "host name too long");
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon)
		return parse_port(colon + 1, port, why);
	return FR_OK;
}
