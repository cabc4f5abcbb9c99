/*
 * test_addr.c - unit tests of src/core/addr.c ("HOST[:PORT]" parsing).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sys/socket.h>

#include <cmocka.h>

#include "ferry/addr.h"
#include "ferry/err.h"

static void test_good(void **state)
{
	(void)state;
	const struct {
		const char *in, *host;
		uint16_t port;
	} t[] = {
		{"files.example.org", "files.example.org", 9533},
		{"files.example.org:443", "files.example.org", 443},
		{"localhost:0", "localhost", 0},
		{"h:65535", "h", 65535},
		{"h:00080", "h", 80},
		{"127.0.0.1", "127.0.0.1", 9533},
		{"0.0.0.0:9533", "0.0.0.0", 9533},
		{"10.1.2.3:1", "10.1.2.3", 1},
		{"[::1]", "::1", 9533},
		{"[::1]:9000", "::1", 9000},
		{"[::]:0", "::", 0},
		{"[fe80::1%eth0]:22", "fe80::1%eth0", 22},
		{"[2001:db8::42]:65535", "2001:db8::42", 65535},
		{"::1", "::1", 9533},
		{"2001:db8::1", "2001:db8::1", 9533},
		{"::", "::", 9533},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char host[256];
		uint16_t port = 1;
		const char *why = "stale";
		memset(host, 'X', sizeof(host));
		int rc = fr_hostport_parse(t[i].in, 9533, host, sizeof(host), &port, &why);
		if (rc != FR_OK)
			fail_msg("'%s' refused: %s", t[i].in, why ? why : "?");
		assert_string_equal(host, t[i].host);
		assert_int_equal(port, t[i].port);
		assert_null(why);
	}
	/* the default port is the caller's */
	char host[16];
	uint16_t port;
	assert_int_equal(fr_hostport_parse("h", 1234, host, sizeof(host), &port, NULL), FR_OK);
	assert_int_equal(port, 1234);
}

static void test_bad(void **state)
{
	(void)state;
	const char *bad[] = {
		"",              /* empty */
		"h:65536",       /* port out of range */
		"h:-1",          /* negative */
		"h:",            /* empty port */
		"h:x",           /* not a number */
		"h:80x",         /* trailing junk */
		"h:+80",         /* sign */
		"h: 80",         /* space */
		"h:99999999999999999999999", /* overflow */
		":80",           /* empty host */
		"[::1",          /* missing ']' */
		"[::1:80",       /* missing ']' */
		"[::1]:",        /* empty port */
		"[::1]:65536",
		"[::1]:-1",
		"[::1]:x",
		"[::1]80",       /* text after ']' */
		"[::1]x",
		"[]",            /* empty host */
		"[]:80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char host[256];
		uint16_t port = 1;
		const char *why = NULL;
		int rc = fr_hostport_parse(bad[i], 9533, host, sizeof(host), &port, &why);
		if (rc != FR_E_USAGE)
			fail_msg("'%s' accepted (rc %d, host '%s', port %u)", bad[i], rc, host, port);
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
	uint16_t port;
	char host[8];
	assert_int_equal(fr_hostport_parse(NULL, 1, host, sizeof(host), &port, NULL), FR_E_USAGE);
}

static void test_host_too_long(void **state)
{
	(void)state;
	char host[8];
	uint16_t port;
	const char *why;
	assert_int_equal(fr_hostport_parse("1234567", 1, host, sizeof(host), &port, &why), FR_OK);
	assert_string_equal(host, "1234567");
	assert_int_equal(fr_hostport_parse("12345678", 1, host, sizeof(host), &port, &why), FR_E_USAGE);
	assert_non_null(why);
	assert_int_equal(fr_hostport_parse("[1:2:3:4:5]:80", 1, host, sizeof(host), &port, &why), FR_E_USAGE);
	assert_int_equal(fr_hostport_parse("[1:2:3:]:80", 1, host, sizeof(host), &port, &why), FR_OK);
	assert_string_equal(host, "1:2:3:");
	assert_int_equal(port, 80);
}

static void test_cidr(void **state)
{
	struct fr_cidr c;
	const char *why;
	uint8_t a4[4], a6[16];

	(void)state;
	assert_int_equal(fr_cidr_parse("192.0.2.0/24", &c, &why), FR_OK);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.bits, 24);
	inet_pton(AF_INET, "192.0.2.77", a4);
	assert_true(fr_cidr_match(&c, AF_INET, a4));
	inet_pton(AF_INET, "192.0.3.1", a4);
	assert_false(fr_cidr_match(&c, AF_INET, a4));
	/* an IPv4-mapped IPv6 peer matches as IPv4 */
	inet_pton(AF_INET6, "::ffff:192.0.2.9", a6);
	assert_true(fr_cidr_match(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "2001:db8::1", a6);
	assert_false(fr_cidr_match(&c, AF_INET6, a6));

	assert_int_equal(fr_cidr_parse("127.0.0.2", &c, &why), FR_OK);
	assert_int_equal(c.bits, 32);
	inet_pton(AF_INET, "127.0.0.2", a4);
	assert_true(fr_cidr_match(&c, AF_INET, a4));
	inet_pton(AF_INET, "127.0.0.1", a4);
	assert_false(fr_cidr_match(&c, AF_INET, a4));

	assert_int_equal(fr_cidr_parse("10.0.0.0/9", &c, &why), FR_OK);
	inet_pton(AF_INET, "10.127.255.255", a4);
	assert_true(fr_cidr_match(&c, AF_INET, a4));
	inet_pton(AF_INET, "10.128.0.0", a4);
	assert_false(fr_cidr_match(&c, AF_INET, a4));

	assert_int_equal(fr_cidr_parse("0.0.0.0/0", &c, &why), FR_OK);
	assert_true(fr_cidr_match(&c, AF_INET, a4));
	assert_int_equal(fr_cidr_parse("2001:db8::/33", &c, &why), FR_OK);
	inet_pton(AF_INET6, "2001:db8:7fff::1", a6);
	assert_true(fr_cidr_match(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "2001:db8:8000::1", a6);
	assert_false(fr_cidr_match(&c, AF_INET6, a6));
	assert_false(fr_cidr_match(&c, AF_INET, a4));
	assert_int_equal(fr_cidr_parse("::1", &c, &why), FR_OK);
	assert_int_equal(c.bits, 128);

	const char *badv[] = { "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129",
			       "10.0.0.1/8", "10.0.0.0/8x", "10.0.0.0/-1",
			       "10.0.0.0/ 8", "host.example", "10.0.0",
			       "2001:db8::1/32", "10.0.0.0/08/1" };
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
		why = NULL;
		if (fr_cidr_parse(badv[i], &c, &why) != FR_E_USAGE)
			fail_msg("'%s' accepted", badv[i]);
		assert_non_null(why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_host_too_long),
		cmocka_unit_test(test_cidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
