/*
 * test_proxy.c - unit tests of src/core/proxy.c (PROXY protocol v1/v2).
 *
 * Every input sits right before a PROT_NONE page (guard.h), so an
 * over-read crashes.  Good headers are also cut at every byte (each prefix
 * must be "incomplete", never "invalid" or "complete") and followed by the
 * first bytes of a TLS ClientHello (the length must stop at the header).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ferry/err.h"
#include "ferry/proxy.h"
#include "guard.h"

static const uint8_t SIG[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
static const uint8_t HELLO[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };

static int parse(const void *in, size_t n, struct fr_proxy *px, size_t *len,
		 const char **why)
{
	struct guard g;
	uint8_t *p = guard_put(&g, in, n);
	int r = fr_proxy_parse(p, n, px, len, why);

	guard_free(&g);
	return r;
}

/* A v2 header: 16-byte fixed part then the given body. */
static size_t v2(uint8_t *out, uint8_t vc, uint8_t fam, const void *body,
		 size_t blen)
{
	memcpy(out, SIG, 12);
	out[12] = vc;
	out[13] = fam;
	out[14] = (uint8_t)(blen >> 8);
	out[15] = (uint8_t)blen;
	memcpy(out + 16, body, blen);
	return 16 + blen;
}

/* in[0..n) is a complete header: check it alone, followed by ClientHello
 * bytes, and every strict prefix of it. */
static void good(const uint8_t *in, size_t n, struct fr_proxy *px)
{
	uint8_t buf[1024];
	const char *why;
	size_t len, k;
	int r;

	assert_true(n + sizeof(HELLO) <= sizeof(buf));
	r = parse(in, n, px, &len, &why);
	if (r != FR_OK)
		fail_msg("refused: %s", why ? why : "?");
	assert_int_equal(len, n);
	memcpy(buf, in, n);
	memcpy(buf + n, HELLO, sizeof(HELLO));
	assert_int_equal(parse(buf, n + sizeof(HELLO), px, &len, &why), FR_OK);
	assert_int_equal(len, n);
	for (k = 0; k < n; k++) {
		struct fr_proxy tmp;

		r = parse(in, k, &tmp, &len, &why);
		if (r != FR_AGAIN)
			fail_msg("prefix of %zu/%zu bytes: %d (%s)", k, n, r,
				 why ? why : "");
		assert_true(len > k);
		assert_true(len <= FR_PROXY_MAX);
	}
}

static void bad(const void *in, size_t n, const char *want)
{
	struct fr_proxy px;
	const char *why = NULL;
	size_t len = 99;
	int r = parse(in, n, &px, &len, &why);

	if (r != FR_E_PROTOCOL)
		fail_msg("accepted (%d) a bad header, wanted '%s'", r, want);
	assert_non_null(why);
	if (!strstr(why, want))
		fail_msg("why '%s', wanted '%s'", why, want);
}

static void bad_str(const char *s, const char *want)
{
	bad(s, strlen(s), want);
}

static void test_v1_good(void **state)
{
	struct fr_proxy px;
	char txt[64];
	const char *h;

	(void)state;
	h = "PROXY TCP4 203.0.113.7 192.0.2.1 51234 9533\r\n";
	good((const uint8_t *)h, strlen(h), &px);
	assert_int_equal(px.cmd, FR_PROXY_ADDR);
	assert_int_equal(px.version, 1);
	assert_int_equal(px.family, AF_INET);
	assert_int_equal(px.src_port, 51234);
	assert_int_equal(px.dst_port, 9533);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "203.0.113.7:51234");

	h = "PROXY TCP6 2001:db8::1 2001:db8::2 0 65535\r\n";
	good((const uint8_t *)h, strlen(h), &px);
	assert_int_equal(px.family, AF_INET6);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "[2001:db8::1]:0");

	/* IPv4-mapped IPv6 addresses are normalised */
	h = "PROXY TCP6 ::ffff:198.51.100.9 ::ffff:192.0.2.1 4000 443\r\n";
	good((const uint8_t *)h, strlen(h), &px);
	assert_int_equal(px.family, AF_INET);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "198.51.100.9:4000");

	/* a mapped source alone still reads as IPv4 */
	h = "PROXY TCP6 ::ffff:198.51.100.9 2001:db8::2 4000 443\r\n";
	good((const uint8_t *)h, strlen(h), &px);
	assert_int_equal(px.family, AF_INET6);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "198.51.100.9:4000");

	h = "PROXY UNKNOWN\r\n";
	good((const uint8_t *)h, strlen(h), &px);
	assert_int_equal(px.cmd, FR_PROXY_UNKNOWN);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "?");
	h = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
	good((const uint8_t *)h, strlen(h), &px);
	assert_int_equal(px.cmd, FR_PROXY_UNKNOWN);

	/* the longest legal line: 107 bytes */
	h = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	assert_int_equal(strlen(h), FR_PROXY_V1_MAX);
	good((const uint8_t *)h, strlen(h), &px);
}

static void test_v1_bad(void **state)
{
	char longline[200];

	(void)state;
	bad_str("GET / HTTP/1.1\r\n", "signature");
	bad_str("PROXX TCP4", "signature");
	bad_str("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n", "signature");
	bad_str("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n", "protocol");
	bad_str("PROXY  TCP4 1.2.3.4 1.2.3.4 1 2\r\n", "protocol");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n", "fields");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n", "fields");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n", "fields");
	bad_str("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n", "address");
	bad_str("PROXY TCP4 256.2.3.4 1.2.3.4 1 2\r\n", "address");
	bad_str("PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n", "address");
	bad_str("PROXY TCP4 ::1 1.2.3.4 1 2\r\n", "address");
	bad_str("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "address");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n", "port");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 080 2\r\n", "port");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n", "port");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2x\r\n", "port");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 \r\n", "port");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX", "CR without LF");
	bad_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n", "control");
	bad("PROXY TCP4 1.2.3.4\0", 19, "control");
	bad_str("PROXY TCP4 1.2.3.4 \x80", "non-ASCII");
	/* no CRLF within 107 bytes: refused without waiting for more */
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	bad(longline, FR_PROXY_V1_MAX, "longer");
	bad(longline, sizeof(longline), "longer");
	/* CRLF just past the limit */
	longline[FR_PROXY_V1_MAX - 1] = '\r';
	longline[FR_PROXY_V1_MAX] = '\n';
	bad(longline, FR_PROXY_V1_MAX + 1, "longer");
}

static void test_v2_good(void **state)
{
	uint8_t h[600], body[300];
	struct fr_proxy px;
	char txt[64];
	size_t n;

	(void)state;
	/* PROXY, TCP over IPv4: 203.0.113.7:51234 -> 192.0.2.1:9533 */
	memcpy(body, "\xcb\x00\x71\x07\xc0\x00\x02\x01\xc8\x22\x25\x3d", 12);
	n = v2(h, 0x21, 0x11, body, 12);
	good(h, n, &px);
	assert_int_equal(px.cmd, FR_PROXY_ADDR);
	assert_int_equal(px.version, 2);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "203.0.113.7:51234");
	assert_int_equal(px.dst_port, 9533);

	/* with TLVs (an ALPN and a NOOP of 5 bytes) */
	memcpy(body + 12, "\x01\x00\x02h2\x04\x00\x05zzzzz", 13);
	n = v2(h, 0x21, 0x11, body, 25);
	good(h, n, &px);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "203.0.113.7:51234");

	/* TCP over IPv6 */
	memset(body, 0, 36);
	body[0] = 0x20, body[1] = 0x01, body[2] = 0x0d, body[3] = 0xb8;
	body[15] = 1;
	body[32] = 0x01, body[33] = 0x00; /* port 256 */
	n = v2(h, 0x21, 0x21, body, 36);
	good(h, n, &px);
	assert_int_equal(px.family, AF_INET6);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "[2001:db8::1]:256");

	/* IPv4-mapped IPv6 is normalised */
	memset(body, 0, 36);
	body[10] = body[11] = 0xff;
	memcpy(body + 12, "\x0a\x01\x02\x03", 4);
	body[26] = body[27] = 0xff;
	memcpy(body + 28, "\x0a\x00\x00\x01", 4);
	body[32] = 0x30, body[33] = 0x39;
	n = v2(h, 0x21, 0x21, body, 36);
	good(h, n, &px);
	assert_int_equal(px.family, AF_INET);
	fr_proxy_src_text(&px, txt, sizeof(txt));
	assert_string_equal(txt, "10.1.2.3:12345");

	/* LOCAL (health checks): whatever follows is ignored */
	n = v2(h, 0x20, 0x00, body, 0);
	good(h, n, &px);
	assert_int_equal(px.cmd, FR_PROXY_LOCAL);
	n = v2(h, 0x20, 0x11, body, 12);
	good(h, n, &px);
	assert_int_equal(px.cmd, FR_PROXY_LOCAL);
	n = v2(h, 0x20, 0xff, body, 3);
	good(h, n, &px);
	assert_int_equal(px.cmd, FR_PROXY_LOCAL);

	/* PROXY with AF_UNSPEC or AF_UNIX: proxied, address unknown */
	n = v2(h, 0x21, 0x00, body, 0);
	good(h, n, &px);
	assert_int_equal(px.cmd, FR_PROXY_UNKNOWN);
	memset(body, 0, 216);
	n = v2(h, 0x21, 0x31, body, 216);
	good(h, n, &px);
	assert_int_equal(px.cmd, FR_PROXY_UNKNOWN);

	/* the longest accepted header */
	memset(body, 0, sizeof(body));
	memset(h, 0, sizeof(h));
	memcpy(h, SIG, 12);
	h[12] = 0x21, h[13] = 0x11;
	h[14] = (FR_PROXY_MAX - 16) >> 8, h[15] = (FR_PROXY_MAX - 16) & 0xff;
	/* addresses, then one TLV spanning the rest */
	h[16 + 12] = 0x04;
	h[16 + 13] = (uint8_t)((FR_PROXY_MAX - 16 - 15) >> 8);
	h[16 + 14] = (uint8_t)(FR_PROXY_MAX - 16 - 15);
	good(h, FR_PROXY_MAX, &px);
}

static void test_v2_bad(void **state)
{
	uint8_t h[1024], body[64];
	size_t n;

	(void)state;
	memset(body, 0, sizeof(body));
	/* signature wrong at its last byte, or at the first */
	n = v2(h, 0x21, 0x11, body, 12);
	h[11] = 0x0B;
	bad(h, 12, "signature");
	bad(h, n, "signature");
	bad("\x0d\x0a\x0d\x0b", 4, "signature");
	bad("\x16\x03\x01", 3, "signature"); /* a bare ClientHello */
	/* refused as soon as the bad byte is in, before the rest arrives */
	n = v2(h, 0x11, 0x11, body, 12);
	bad(h, 13, "version");
	n = v2(h, 0x31, 0x11, body, 12);
	bad(h, n, "version");
	n = v2(h, 0x22, 0x11, body, 12);
	bad(h, 13, "command");
	n = v2(h, 0x2f, 0x11, body, 12);
	bad(h, n, "command");
	n = v2(h, 0x21, 0x41, body, 12);
	bad(h, 14, "family");
	n = v2(h, 0x21, 0xf1, body, 12);
	bad(h, n, "family");
	n = v2(h, 0x21, 0x12, body, 12); /* UDP */
	bad(h, 14, "stream");
	n = v2(h, 0x21, 0x10, body, 12); /* UNSPEC transport */
	bad(h, n, "stream");
	n = v2(h, 0x21, 0x11, body, 11); /* too short for IPv4 */
	bad(h, n, "too short");
	n = v2(h, 0x21, 0x21, body, 35);
	bad(h, 16, "too short");
	n = v2(h, 0x21, 0x31, body, 64);
	bad(h, 16, "too short");
	/* a length we do not accept: refused from the fixed part alone */
	n = v2(h, 0x21, 0x11, body, 12);
	h[14] = 0xff, h[15] = 0xff;
	bad(h, 16, "longer");
	h[14] = (FR_PROXY_MAX - 15) >> 8, h[15] = (FR_PROXY_MAX - 15) & 0xff;
	bad(h, 16, "longer");
	/* TLVs that do not tile the rest */
	memcpy(body + 12, "\x04\x00\x05zz", 5);
	n = v2(h, 0x21, 0x11, body, 17);
	bad(h, n, "TLV");
	memcpy(body + 12, "\x04\x00", 2);
	n = v2(h, 0x21, 0x11, body, 14);
	bad(h, n, "TLV");
}

static void test_incomplete_lengths(void **state)
{
	struct fr_proxy px;
	const char *why;
	size_t len;
	uint8_t h[64] = { 0 }, body[12] = { 0 };

	(void)state;
	assert_int_equal(fr_proxy_parse(h, 0, &px, &len, &why), FR_AGAIN);
	/* before the length is known: the fixed part; after: all of it */
	v2(h, 0x21, 0x11, body, 12);
	assert_int_equal(parse(h, 10, &px, &len, &why), FR_AGAIN);
	assert_int_equal(len, 16);
	assert_int_equal(parse(h, 16, &px, &len, &why), FR_AGAIN);
	assert_int_equal(len, 28);
	assert_int_equal(parse("PRO", 3, &px, &len, &why), FR_AGAIN);
	assert_int_equal(len, 6);
	assert_int_equal(parse("PROXY TCP4 ", 11, &px, &len, &why), FR_AGAIN);
	assert_int_equal(len, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_good),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v2_good),
		cmocka_unit_test(test_v2_bad),
		cmocka_unit_test(test_incomplete_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
