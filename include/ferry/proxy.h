/*
 * proxy.h - the PROXY protocol header (HAProxy's v1 text and v2 binary
 * forms) that a TCP load balancer puts before the client's first byte.
 *
 * One pure, stateless parser: given the bytes received so far it answers
 * "complete, the header is N bytes", "incomplete, read more" or "invalid",
 * like picohttpparser.  It never reads past n, keeps no state between
 * calls and does no I/O; the caller reads from the socket (see conn.c:
 * exactly the header's bytes, never the TLS ClientHello behind it).
 * Does not: decide whom to trust (--proxy-protocol-from, conn.c) or parse
 * TLVs beyond checking that they tile the header exactly.
 */
#ifndef FERRY_PROXY_H
#define FERRY_PROXY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The longest header we accept, in bytes.  v1 is at most 107 bytes by its
 * specification; a v2 header with IPv6 addresses is 52 bytes and HAProxy's
 * TLVs (unique id, SSL, netns, ...) fit well within this.  A longer v2
 * length field is refused before its bytes are awaited.
 */
#define FR_PROXY_V1_MAX 107u
#define FR_PROXY_MAX 536u

enum fr_proxy_cmd {
	FR_PROXY_ADDR = 0, /* a proxied connection: src/dst are the client's */
	FR_PROXY_LOCAL,    /* v2 LOCAL: the balancer itself (health check) */
	FR_PROXY_UNKNOWN,  /* v1 UNKNOWN, v2 PROXY with AF_UNSPEC: proxied,
			      but the client address is not known */
};

struct fr_proxy {
	enum fr_proxy_cmd cmd;
	int family;            /* AF_INET or AF_INET6 when cmd == ADDR */
	uint8_t src[16], dst[16]; /* network order; 4 bytes used for IPv4 */
	uint16_t src_port, dst_port;
	int version;           /* 1 or 2 */
};

/*
 * Parse the header at the start of p[0..n).  Returns:
 *   FR_OK      complete: *len is the header's length (<= n), *out filled;
 *              IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) on both sides
 *              come out as AF_INET (fr_proxy_src_text and the address
 *              counts treat a mapped source alone as IPv4 too).
 *   FR_AGAIN   incomplete: every one of the n bytes belongs to a header
 *              that may still be valid; read more and call again with all
 *              bytes so far (*len is the least total length still needed).
 *   FR_E_PROTOCOL  invalid (bad signature, version, command, family,
 *              transport, length, address or port); *why says which, in a
 *              few words.
 * out, len and why may not be NULL.  Never reads p[n] or beyond.
 */
int fr_proxy_parse(const uint8_t *p, size_t n, struct fr_proxy *out,
		   size_t *len, const char **why);

/* "203.0.113.7:51234" or "[2001:db8::1]:51234" for the source address of
 * a cmd == FR_PROXY_ADDR header (the same form as ferryd's peer
 * addresses); "?" otherwise. */
void fr_proxy_src_text(const struct fr_proxy *px, char *buf, size_t n);

#endif
