/*
 * addrlimit.h - connections per client address (--max-conns-per-address).
 *
 * Does: count the connections each client address holds and refuse one
 * more beyond the maximum.  The address is the client's: from accept, or
 * from a trusted balancer's PROXY header (never the balancer's own).  IPv6
 * addresses count per /64 (one host usually owns a whole /64), IPv4 per
 * address; an IPv4-mapped IPv6 address counts as IPv4.
 * Does not: decide when to count (conn.c) or answer the client.
 * Thread-safe: one mutex, a leaf (nothing else is locked while held).
 */
#ifndef FERRYD_ADDRLIMIT_H
#define FERRYD_ADDRLIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct addrlimit;

/* What an address counts as: family and 8 (IPv6 /64) or 4 bytes. */
struct addrkey {
	int family; /* 0: nothing counted */
	uint8_t b[8];
};

/* A counter allowing max connections per key; max 0 turns it off (every
 * enter succeeds, nothing is kept).  FR_OK or FR_E_NOMEM. */
int addrlimit_new(uint64_t max, struct addrlimit **out);
void addrlimit_free(struct addrlimit *a); /* NULL is a no-op */

/* The key of an address (family AF_INET: 4 bytes, AF_INET6: 16), or of
 * a socket address (family 0 for anything but IPv4 and IPv6). */
void addrkey_make(struct addrkey *k, int family, const uint8_t *addr);
struct sockaddr_storage;
void addrkey_of_sockaddr(struct addrkey *k, const struct sockaddr_storage *ss);

/* Count one more connection of k: true, or false (nothing counted) when k
 * already holds the maximum or memory ran out. */
bool addrlimit_enter(struct addrlimit *a, const struct addrkey *k);

/* A connection counted by addrlimit_enter ended. */
void addrlimit_leave(struct addrlimit *a, const struct addrkey *k);

#endif
