/*
 * proxy_stage.h - the PROXY protocol stage of a connection, before TLS.
 *
 * Does: decide once per connection whether its peer is a trusted balancer
 * (--proxy-protocol-from), read exactly the PROXY header's bytes from the
 * socket (never a byte of the ClientHello behind it), and put the client
 * address it carries in place of the balancer's.  For peers that are not
 * trusted, recognise a PROXY header in the first bytes so the refusal says
 * why.  Does not: parse the header (core proxy.c), run TLS or time
 * anything (the handshake deadline covers this stage; conn.c).
 */
#ifndef FERRYD_PROXY_STAGE_H
#define FERRYD_PROXY_STAGE_H

#include <stdbool.h>

struct conn;
struct config;
struct sockaddr_storage;

/* Is the peer at ss (from accept: getpeername fails once a health check
 * has reset the connection) inside --proxy-protocol-from? */
bool proxy_stage_trusted(const struct config *cfg,
			 const struct sockaddr_storage *ss);

/*
 * One step of reading the header of c (state CS_PROXY) into c->in.
 * FR_OK: done, c->peer is the client's address (or the balancer's, for a
 * LOCAL or UNKNOWN header; c->balancer_check for LOCAL), c->in is empty
 * again.  FR_TLS_WANT_READ: everything available was consumed, wait.
 * Negative: close (already logged, once, when worth a line).
 */
int proxy_stage_read(struct conn *c);

/* For an untrusted peer, while --proxy-protocol-from is set: FR_OK when
 * its first bytes are not a PROXY header (or not there yet), else log why
 * it is refused and return FR_E_PROTOCOL. */
int proxy_stage_refuse_untrusted(struct conn *c);

/* For a LOCAL connection (c->balancer_check) before its first TLS byte:
 * FR_OK when bytes are waiting (TLS goes on), FR_TLS_WANT_READ, or
 * FR_E_CLOSED when the balancer closed: a health check, worth no line. */
int proxy_stage_balancer_gone(struct conn *c);

#endif
