/*
 * addr.h - "HOST[:PORT]" parsing shared by ferryd --listen and ferry -s.
 *
 * Accepts "name", "name:port", "1.2.3.4", "1.2.3.4:port", "[v6]" and
 * "[v6]:port" (a bare IPv6 literal without brackets is accepted too when it
 * has no port).  Ports are 0..65535.
 */
#ifndef FERRY_ADDR_H
#define FERRY_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* FR_OK or FR_E_USAGE (why says what).  host receives the name or the
 * address literal without brackets. */
int fr_hostport_parse(const char *s, uint16_t default_port, char *host,
		      size_t hostlen, uint16_t *port, const char **why);

#endif
