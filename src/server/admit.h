/*
 * admit.h - a connection's way in, before its first request.
 *
 * Does: decide once per connection whether its peer is a trusted balancer
 * (--proxy-protocol-from) and read its PROXY header (exactly the header's
 * bytes, never a byte of the ClientHello behind it), putting the client
 * address it carries in place of the balancer's; count the client address
 * (--max-conns-per-address); run the TLS handshake and admit the identity
 * (--max-conns, --max-conns-per-identity, --acl).  Recognises a PROXY
 * header from an untrusted peer so the refusal says why, and lets a
 * balancer's health check close without a log line.
 * Does not: parse the header (core proxy.c), time anything (the handshake
 * deadline covers these steps; conn.c), or serve requests.
 */
#ifndef FERRYD_ADMIT_H
#define FERRYD_ADMIT_H

#include <stdbool.h>

struct addrkey;
struct conn;
struct config;
struct sockaddr_storage;

/* Is the peer at ss (from accept: getpeername fails once a health check
 * has reset the connection) inside --proxy-protocol-from? */
bool admit_trusted(const struct config *cfg,
		   const struct sockaddr_storage *ss);

/*
 * One step of reading the header of c (state CS_PROXY) into c->in.
 * FR_OK: done, c->peer is the client's address (or the balancer's, for a
 * LOCAL or UNKNOWN header; c->balancer_check for LOCAL), c->in is empty
 * again, the state is CS_HANDSHAKE.  FR_TLS_WANT_READ: everything available
 * was consumed, wait.  Negative: close (already logged, once, when worth a
 * line).
 */
int admit_proxy_read(struct conn *c);

/* Count c against --max-conns-per-address as a connection from k; false,
 * with one log line, when that address holds the maximum already. */
bool admit_count_address(struct conn *c, const struct addrkey *k);

/* One step of the TLS handshake (state CS_HANDSHAKE), then admission:
 * FR_OK with the state CS_READ_REQUEST (or CS_CLOSING after queueing a
 * `busy` error), FR_TLS_WANT_*, or a negative error (close; logged). */
int admit_handshake(struct conn *c);

#endif
