/*
 * addr.h - "HOST[:PORT]" parsing shared by ferryd --listen and ferry -s.
 *
 * Accepts "name", "name:port", "1.2.3.4", "1.2.3.4:port", "[v6]" and
 * "[v6]:port" (a bare IPv6 literal without brackets is accepted too when it
 * has no port).  Ports are 0..65535.
 */
#ifndef FERRY_ADDR_H
#define FERRY_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FR_OK or FR_E_USAGE (why says what).  host receives the name or the
 * address literal without brackets. */
int fr_hostport_parse(const char *s, uint16_t default_port, char *host,
		      size_t hostlen, uint16_t *port, const char **why);

/* An address block: family AF_INET or AF_INET6, the network address and
 * its prefix length. */
struct fr_cidr {
	int family;
	uint8_t addr[16];
	unsigned bits;
};

/* Parse "192.0.2.0/24", "2001:db8::/32" or a single address ("10.0.0.7",
 * "::1": all bits).  FR_OK or FR_E_USAGE with why (a prefix longer than
 * the address, host bits set beyond the prefix, not an address). */
int fr_cidr_parse(const char *s, struct fr_cidr *out, const char **why);

/* Is the address (family AF_INET: 4 bytes, AF_INET6: 16 bytes, network
 * order) inside c?  An IPv4-mapped IPv6 address matches as IPv4. */
bool fr_cidr_match(const struct fr_cidr *c, int family, const uint8_t *addr);

#endif
