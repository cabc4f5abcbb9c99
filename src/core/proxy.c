/*
 * proxy.c - the PROXY protocol v1/v2 header parser (see proxy.h).
 *
 * Does: recognise the signature, check every field of the fixed part as
 * soon as its byte is in (so a bad header is refused before more bytes are
 * awaited), cap the length, and decode the source and destination address.
 * Does not: read sockets, allocate, keep state, or interpret TLVs (it only
 * checks that they tile the rest of a v2 header exactly).
 *
 * SECURITY: every access is bounded by n; the v2 length is capped at
 * FR_PROXY_MAX before its bytes are awaited and v1 at its 107 bytes, so a
 * hostile balancer-impersonator can make the caller hold FR_PROXY_MAX
 * bytes at most.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ferry/err.h"
#include "ferry/proxy.h"

static const uint8_t v2_sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
static const char v1_sig[] = "PROXY ";

#define V2_HDR 16u

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return FR_E_PROTOCOL;
}

/* An IPv4-mapped IPv6 address becomes the IPv4 address it carries. */
static void normalise(struct fr_proxy *px)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };

	if (px->family != AF_INET6 || memcmp(px->src, mapped, 12) != 0 ||
	    memcmp(px->dst, mapped, 12) != 0)
		return;
	memmove(px->src, px->src + 12, 4);
	memmove(px->dst, px->dst + 12, 4);
	memset(px->src + 4, 0, 12);
	memset(px->dst + 4, 0, 12);
	px->family = AF_INET;
}

/* A v1 port: 1 to 5 digits, no leading zero, at most 65535. */
static int v1_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* The complete v1 line (without CRLF) in line[0..n). */
static int v1_line(const char *line, size_t n, struct fr_proxy *px,
		   const char **why)
{
	char buf[FR_PROXY_V1_MAX + 1], *tok[7], *s;
	size_t nt = 0;
	int af;

	memcpy(buf, line, n);
	buf[n] = '\0';
	/* exactly one space between fields, none at either end */
	for (s = buf; nt < 7;) {
		tok[nt++] = s;
		s = strchr(s, ' ');
		if (!s)
			break;
		*s++ = '\0';
	}
	if (nt >= 2 && strcmp(tok[1], "UNKNOWN") == 0) {
		px->cmd = FR_PROXY_UNKNOWN; /* the rest is to be ignored */
		return FR_OK;
	}
	if (nt < 2 || (strcmp(tok[1], "TCP4") != 0 &&
		       strcmp(tok[1], "TCP6") != 0))
		return bad(why, "v1: unknown protocol (TCP4, TCP6, UNKNOWN)");
	if (nt != 6 || s != NULL)
		return bad(why, "v1: wrong number of fields");
	af = tok[1][3] == '4' ? AF_INET : AF_INET6;
	if (inet_pton(af, tok[2], px->src) != 1 ||
	    inet_pton(af, tok[3], px->dst) != 1)
		return bad(why, "v1: bad address");
	if (v1_port(tok[4], &px->src_port) != 0 ||
	    v1_port(tok[5], &px->dst_port) != 0)
		return bad(why, "v1: bad port");
	px->family = af;
	px->cmd = FR_PROXY_ADDR;
	return FR_OK;
}

static int parse_v1(const uint8_t *p, size_t n, struct fr_proxy *px,
		    size_t *len, const char **why)
{
	size_t i, lim = n < FR_PROXY_V1_MAX ? n : FR_PROXY_V1_MAX;

	for (i = 0; i < lim; i++) {
		if (p[i] == '\r') {
			if (i + 1 == n) {
				*len = i + 2;
				return FR_AGAIN;
			}
			if (p[i + 1] != '\n')
				return bad(why, "v1: CR without LF");
			if (i + 2 > FR_PROXY_V1_MAX)
				break;
			*len = i + 2;
			return v1_line((const char *)p, i, px, why);
		}
		/* printable ASCII only: no NUL, LF or bytes >= 0x7f */
		if (p[i] < 0x20 || p[i] > 0x7e)
			return bad(why, "v1: control or non-ASCII byte");
	}
	if (n >= FR_PROXY_V1_MAX)
		return bad(why, "v1: longer than 107 bytes");
	*len = n + 1;
	return FR_AGAIN;
}

/* Check the TLVs in p[0..n): type, 16-bit length, value, back to back. */
static int v2_tlvs(const uint8_t *p, size_t n, const char **why)
{
	size_t l;

	while (n > 0) {
		if (n < 3)
			return bad(why, "v2: truncated TLV");
		l = (size_t)p[1] << 8 | p[2];
		if (l > n - 3)
			return bad(why, "v2: TLV longer than the header");
		p += 3 + l;
		n -= 3 + l;
	}
	return FR_OK;
}

static int parse_v2(const uint8_t *p, size_t n, struct fr_proxy *px,
		    size_t *len, const char **why)
{
	unsigned ver, cmd, fam = 0, proto = 0;
	size_t body = 0, need, alen = 0;

	px->version = 2;
	*len = V2_HDR;
	if (n < 13)
		return FR_AGAIN;
	ver = p[12] >> 4;
	cmd = p[12] & 0x0f;
	if (ver != 2)
		return bad(why, "v2: bad version");
	if (cmd > 1)
		return bad(why, "v2: bad command");
	if (n >= 14) {
		fam = p[13] >> 4;
		proto = p[13] & 0x0f;
		/* LOCAL: the family is to be ignored, whatever it says */
		if (cmd == 1 && fam > 3)
			return bad(why, "v2: bad address family");
		if (cmd == 1 && fam != 0 && proto != 1)
			return bad(why, "v2: not a stream (TCP) connection");
	}
	if (n < V2_HDR)
		return FR_AGAIN;
	body = (size_t)p[14] << 8 | p[15];
	if (body > FR_PROXY_MAX - V2_HDR)
		return bad(why, "v2: header longer than we accept");
	if (cmd == 1)
		alen = fam == 1 ? 12 : fam == 2 ? 36 : fam == 3 ? 216 : 0;
	if (body < alen)
		return bad(why, "v2: length too short for the addresses");
	need = V2_HDR + body;
	*len = need;
	if (n < need)
		return FR_AGAIN;
	if (cmd == 0) {
		px->cmd = FR_PROXY_LOCAL;
		return FR_OK;
	}
	if (v2_tlvs(p + V2_HDR + alen, body - alen, why) != FR_OK)
		return FR_E_PROTOCOL;
	if (fam == 0 || fam == 3) {
		/* AF_UNSPEC, AF_UNIX: proxied, but no IP address */
		px->cmd = FR_PROXY_UNKNOWN;
		return FR_OK;
	}
	p += V2_HDR;
	if (fam == 1) {
		px->family = AF_INET;
		memcpy(px->src, p, 4);
		memcpy(px->dst, p + 4, 4);
		p += 8;
	} else {
		px->family = AF_INET6;
		memcpy(px->src, p, 16);
		memcpy(px->dst, p + 16, 16);
		p += 32;
	}
	px->src_port = (uint16_t)(p[0] << 8 | p[1]);
	px->dst_port = (uint16_t)(p[2] << 8 | p[3]);
	px->cmd = FR_PROXY_ADDR;
	return FR_OK;
}

int fr_proxy_parse(const uint8_t *p, size_t n, struct fr_proxy *out,
		   size_t *len, const char **why)
{
	size_t k;
	int r;

	memset(out, 0, sizeof(*out));
	*len = 1;
	*why = NULL;
	if (n == 0)
		return FR_AGAIN;
	if (p[0] == v1_sig[0]) {
		k = n < 6 ? n : 6;
		if (memcmp(p, v1_sig, k) != 0)
			return bad(why, "bad signature");
		out->version = 1;
		if (n < 6) {
			*len = 6;
			return FR_AGAIN;
		}
		r = parse_v1(p, n, out, len, why);
	} else {
		k = n < sizeof(v2_sig) ? n : sizeof(v2_sig);
		if (memcmp(p, v2_sig, k) != 0)
			return bad(why, "bad signature");
		r = parse_v2(p, n, out, len, why);
	}
	if (r == FR_OK)
		normalise(out);
	else if (r != FR_AGAIN)
		*len = 0;
	return r;
}

void fr_proxy_src_text(const struct fr_proxy *px, char *buf, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };
	char ip[INET6_ADDRSTRLEN];
	const uint8_t *a = px->src;
	int fam = px->family;

	/* a mapped source next to a real IPv6 destination is still IPv4 */
	if (fam == AF_INET6 && memcmp(a, mapped, 12) == 0) {
		fam = AF_INET;
		a += 12;
	}
	if (px->cmd != FR_PROXY_ADDR || !inet_ntop(fam, a, ip, sizeof(ip))) {
		snprintf(buf, n, "?");
		return;
	}
	if (fam == AF_INET6)
		snprintf(buf, n, "[%s]:%u", ip, px->src_port);
	else
		snprintf(buf, n, "%s:%u", ip, px->src_port);
}
