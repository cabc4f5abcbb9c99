/*
 * addr.c - "HOST[:PORT]" and CIDR parsing, address-block matching (see
 * addr.h).  No name resolution here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

int fr_cidr_parse(const char *s, struct fr_cidr *out, const char **why)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, i;
	char *end;

	memset(out, 0, sizeof(*out));
	if (why)
		*why = NULL;
	if (n == 0 || n >= sizeof(ip))
		return addr_fail(why, "not an IPv4 or IPv6 address");
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, out->addr) == 1)
		out->family = AF_INET6;
	else
		return addr_fail(why, "not an IPv4 or IPv6 address");
	max = out->family == AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		unsigned long v;

		if (slash[1] < '0' || slash[1] > '9')
			return addr_fail(why, "prefix length must be a number");
		errno = 0;
		v = strtoul(slash + 1, &end, 10);
		if (errno || *end != '\0' || v > max)
			return addr_fail(why, out->family == AF_INET
					 ? "prefix length must be 0 to 32"
					 : "prefix length must be 0 to 128");
		out->bits = (unsigned)v;
	}
	/* SECURITY: 10.1.2.3/8 is a typo either way; refuse it instead of
	 * trusting more (or fewer) addresses than meant */
	for (i = out->bits; i < max; i++)
		if (out->addr[i / 8] & (0x80u >> (i % 8)))
			return addr_fail(why, "address has bits set beyond the "
					      "prefix length");
	return FR_OK;
}

bool fr_cidr_match(const struct fr_cidr *c, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };
	unsigned full, rest;

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	if (family != c->family)
		return false;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(addr, c->addr, full) != 0)
		return false;
	return rest == 0 ||
	       ((addr[full] ^ c->addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}
