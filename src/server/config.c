/*
 * config.c - the flag table of ferryd, its parser and its manual page.
 *
 * Does: one table naming every flag, its argument, its default (from
 * ferry/limits.h), its range and its help text; accepts "--flag value" and
 * "--flag=value"; parses numbers strictly.
 * Does not: validate files or addresses beyond syntax (main.c does that
 * when it opens them).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/addr.h"
#include "ferry/err.h"
#include "ferry/log.h"
#include "config.h"

enum kind { K_STR, K_U64, K_LISTEN, K_TLSMIN, K_LOGFMT, K_BOOL, K_HELP,
	    K_VERSION };

struct flag {
	const char *name;
	const char *arg; /* NULL: takes no value */
	enum kind kind;
	size_t off; /* field in struct config */
	uint64_t min, max;
	const char *help;
};

#define F(field) offsetof(struct config, field)
#define STR2(x) #x
#define STR(x) STR2(x)

static const struct flag flags[] = {
	{ "root", "DIR", K_STR, F(root), 0, 0,
	  "Directory to serve (required). Nothing outside it is ever touched." },
	{ "cert", "FILE", K_STR, F(cert), 0, 0,
	  "PEM server certificate (chain) (required)." },
	{ "key", "FILE", K_STR, F(key), 0, 0, "PEM private key (required)." },
	{ "ca", "FILE", K_STR, F(ca), 0, 0,
	  "PEM CA file client certificates are verified against (required)." },
	{ "listen", "ADDR:PORT", K_LISTEN, 0, 0, 0,
	  "Address to listen on; repeatable; IPv6 as [::1]:9533; port 0 is "
	  "ephemeral. Default: 0.0.0.0:" STR(FR_DEFAULT_PORT) " and [::]:"
	  STR(FR_DEFAULT_PORT) "." },
	{ "port-file", "FILE", K_STR, F(port_file), 0, 0,
	  "Write the port of the first listener (decimal and a newline) here "
	  "once listening." },
	{ "threads", "N", K_U64, F(threads), 1, FR_MAX_THREADS,
	  "Worker threads (default: 2 x the number of CPUs)." },
	{ "max-conns", "N", K_U64, F(max_conns), 1, 1000000,
	  "Connections served at once; beyond it clients get `busy`." },
	{ "max-file-size", "BYTES", K_U64, F(max_file_size), 0, FR_SIZE_MAX,
	  "Largest upload accepted (`too_large` beyond)." },
	{ "max-conns-per-identity", "N", K_U64, F(max_conns_per_identity), 1,
	  1000000, "Connections one identity (certificate CN) may hold at "
	  "once; beyond it that client gets `busy`." },
	{ "max-path-depth", "N", K_U64, F(max_path_depth), 1,
	  FR_DEFAULT_MAX_PATH_DEPTH,
	  "Most components a request path may have (`invalid_path` beyond)." },
	{ "max-list-entries", "N", K_U64, F(max_list_entries), 1,
	  FR_LIST_ENTRIES_PER_FRAME,
	  "Most entries in one list response frame (longer listings take "
	  "more frames)." },
	{ "acl", "FILE", K_STR, F(acl), 0, 0,
	  "JSON file mapping identities to a root below --root and "
	  "permissions (see docs/OPERATIONS.md). Identities not in it are "
	  "refused every request. Default: none, everyone may do everything "
	  "on the whole root." },
	{ "crl", "FILE", K_STR, F(crl), 0, 0,
	  "PEM certificate revocation list(s) of the client CA; a revoked "
	  "client certificate is refused at the handshake." },
	{ "allow-open-key", NULL, K_BOOL, F(allow_open_key), 0, 0,
	  "Start even if --key is readable by group or others." },
	{ "user", "NAME", K_STR, F(user), 0, 0,
	  "When started as root: switch to this user (and its group) after "
	  "binding and loading keys." },
	{ "tls-min", "1.2|1.3", K_TLSMIN, F(tls_min), 0, 0,
	  "Lowest TLS version. 1.2 allows ECDHE+AEAD suites only. "
	  "Default: 1.3." },
	{ "handshake-timeout", "SECONDS", K_U64, F(handshake_timeout), 1,
	  86400, "Time allowed for the TLS handshake." },
	{ "idle-timeout", "SECONDS", K_U64, F(idle_timeout), 1, 86400,
	  "Time a connection may wait between requests." },
	{ "stall-timeout", "SECONDS", K_U64, F(stall_timeout), 1, 86400,
	  "Time without progress inside a request or body." },
	{ "drain-timeout", "SECONDS", K_U64, F(drain_timeout), 0, 86400,
	  "On SIGINT/SIGTERM, time allowed for requests in flight." },
	{ "partial-ttl", "SECONDS", K_U64, F(partial_ttl), 1, FR_SIZE_MAX,
	  "How long an interrupted upload is held for a resume." },
	{ "protocol-max", "N", K_U64, F(protocol_max), FR_PROTO_MIN,
	  FR_PROTO_VERSION, "Highest protocol version hello settles on "
	  "(default: the newest). 1 makes ferryd answer as ferryd 0.1 did, "
	  "which is how clients are tested against an old server." },
	{ "log-format", "text|json", K_LOGFMT, F(log_format), 0, 0,
	  "Format of the log lines on stderr. Default: text." },
	{ "version", NULL, K_VERSION, 0, 0, 0, "Print the version and exit." },
	{ "help", NULL, K_HELP, 0, 0, 0, "Print this manual and exit." },
};

static void defaults(struct config *cfg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	if (ncpu < 1)
		ncpu = 1;
	cfg->threads = 2 * (uint64_t)ncpu;
	if (cfg->threads > FR_MAX_THREADS)
		cfg->threads = FR_MAX_THREADS;
	cfg->max_conns = FR_DEFAULT_MAX_CONNS;
	cfg->max_file_size = FR_DEFAULT_MAX_FILE_SIZE;
	cfg->max_conns_per_identity = FR_DEFAULT_MAX_CONNS_PER_IDENTITY;
	cfg->max_path_depth = FR_DEFAULT_MAX_PATH_DEPTH;
	cfg->max_list_entries = FR_LIST_ENTRIES_PER_FRAME;
	cfg->handshake_timeout = FR_DEFAULT_HANDSHAKE_TIMEOUT;
	cfg->idle_timeout = FR_DEFAULT_IDLE_TIMEOUT;
	cfg->stall_timeout = FR_DEFAULT_STALL_TIMEOUT;
	cfg->drain_timeout = FR_DEFAULT_DRAIN_TIMEOUT;
	cfg->partial_ttl = FR_DEFAULT_PARTIAL_TTL;
	cfg->protocol_max = FR_PROTO_VERSION;
	cfg->tls_min = 13;
	cfg->log_format = FR_LOG_TEXT;
	cfg->listen[0] = "0.0.0.0:" STR(FR_DEFAULT_PORT);
	cfg->listen[1] = "[::]:" STR(FR_DEFAULT_PORT);
	cfg->n_listen = 2;
	cfg->listen_default = 1;
}

/* Print text indented by 8 columns, wrapped before column 78. */
static void print_wrapped(const char *text)
{
	const char *p = text;
	size_t col = 8, n;

	printf("        ");
	while (*p) {
		n = strcspn(p, " ");
		if (col > 8 && col + 1 + n > 78) {
			printf("\n        ");
			col = 8;
		} else if (col > 8) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)n, p);
		col += n;
		p += n;
		p += strspn(p, " ");
	}
}

static void usage(void)
{
	struct config d;
	uint64_t v;
	size_t i;

	defaults(&d);
	printf("NAME\n    ferryd - mutual-TLS file transfer server\n\n"
	       "SYNOPSIS\n    ferryd --root DIR --cert FILE --key FILE "
	       "--ca FILE [OPTION]...\n\n"
	       "DESCRIPTION\n    Serves DIR to clients holding a certificate "
	       "signed by the --ca file,\n    speaking ferry protocol v%d "
	       "over TLS. Every request is logged as one\n    line on "
	       "stderr.\n\nOPTIONS\n",
	       FR_PROTO_VERSION);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char help[512];

		v = 0;
		if (flags[i].kind == K_U64 && flags[i].off != F(threads))
			memcpy(&v, (const char *)&d + flags[i].off, sizeof(v));
		snprintf(help, sizeof(help), "%s%s%.0llu%s", flags[i].help,
			 v ? " Default: " : "", (unsigned long long)v,
			 v ? "." : "");
		printf("    --%s%s%s\n", flags[i].name,
		       flags[i].arg ? " " : "",
		       flags[i].arg ? flags[i].arg : "");
		print_wrapped(help);
		printf("\n");
	}
	printf("\nSIGNALS\n    SIGINT, SIGTERM  stop accepting, close idle "
	       "connections, let requests in\n                     flight "
	       "finish (up to --drain-timeout), exit 0.\n"
	       "    SIGHUP           read --cert, --key, --ca, --crl and --acl again\n"
	       "                     for new connections (a bad file keeps the old\n"
	       "                     ones).\n\n"
	       "EXIT STATUS\n    0  normal or graceful shutdown\n"
	       "    1  internal failure\n"
	       "    2  usage or configuration error (one line on stderr)\n");
}

/* strtoull with every check: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return FR_E_USAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return FR_E_USAGE;
	*out = v;
	return FR_OK;
}

static int apply(const struct flag *f, const char *val, struct config *cfg,
		 char *err, size_t errlen)
{
	char *base = (char *)cfg;
	const char *why = NULL;
	char host[256];
	uint16_t port;
	uint64_t v;

	switch (f->kind) {
	case K_STR:
		if (*val == '\0')
			goto bad;
		memcpy(base + f->off, &val, sizeof(val));
		return FR_OK;
	case K_U64:
		if (parse_u64(val, &v) != FR_OK || v < f->min || v > f->max) {
			snprintf(err, errlen,
				 "--%s: '%s' is not an integer in %llu..%llu",
				 f->name, val, (unsigned long long)f->min,
				 (unsigned long long)f->max);
			return FR_E_USAGE;
		}
		memcpy(base + f->off, &v, sizeof(v));
		return FR_OK;
	case K_LISTEN:
		if (fr_hostport_parse(val, FR_DEFAULT_PORT, host, sizeof(host),
				      &port, &why) != FR_OK) {
			snprintf(err, errlen, "--listen '%s': %s", val,
				 why ? why : "invalid address");
			return FR_E_USAGE;
		}
		if (cfg->listen_default) {
			cfg->listen_default = 0;
			cfg->n_listen = 0;
		}
		if (cfg->n_listen >= FR_MAX_LISTENERS) {
			snprintf(err, errlen, "--listen: at most %u addresses",
				 FR_MAX_LISTENERS);
			return FR_E_USAGE;
		}
		cfg->listen[cfg->n_listen++] = val;
		return FR_OK;
	case K_TLSMIN:
		if (strcmp(val, "1.2") == 0)
			cfg->tls_min = 12;
		else if (strcmp(val, "1.3") == 0)
			cfg->tls_min = 13;
		else
			goto bad;
		return FR_OK;
	case K_LOGFMT:
		if (strcmp(val, "text") == 0)
			cfg->log_format = FR_LOG_TEXT;
		else if (strcmp(val, "json") == 0)
			cfg->log_format = FR_LOG_JSON;
		else
			goto bad;
		return FR_OK;
	case K_BOOL:
	case K_HELP:
	case K_VERSION:
	default:
		break;
	}
bad:
	snprintf(err, errlen, "--%s: invalid value '%s' (expected %s)",
		 f->name, val, f->arg ? f->arg : "none");
	return FR_E_USAGE;
}

int config_parse(int argc, char **argv, struct config *cfg, char *err,
		 size_t errlen)
{
	const struct flag *f;
	const char *val, *eq;
	size_t i, nlen;
	int a, r;

	defaults(cfg);
	err[0] = '\0';
	for (a = 1; a < argc; a++) {
		const char *s = argv[a];

		if (strncmp(s, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s' "
				 "(see --help)", s);
			return FR_E_USAGE;
		}
		s += 2;
		eq = strchr(s, '=');
		nlen = eq ? (size_t)(eq - s) : strlen(s);
		f = NULL;
		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			if (strlen(flags[i].name) == nlen &&
			    strncmp(flags[i].name, s, nlen) == 0)
				f = &flags[i];
		}
		if (!f) {
			snprintf(err, errlen, "unknown option '%s' (see --help)",
				 argv[a]);
			return FR_E_USAGE;
		}
		if (f->kind == K_BOOL) {
			if (eq) {
				snprintf(err, errlen, "--%s takes no value",
					 f->name);
				return FR_E_USAGE;
			}
			*(int *)((char *)cfg + f->off) = 1;
			continue;
		}
		if (f->kind == K_HELP || f->kind == K_VERSION) {
			if (eq) {
				snprintf(err, errlen, "--%s takes no value",
					 f->name);
				return FR_E_USAGE;
			}
			if (f->kind == K_HELP)
				usage();
			else
				printf("ferryd %s (protocol v%d)\n",
				       FR_VERSION_STRING, FR_PROTO_VERSION);
			return FR_AGAIN;
		}
		if (eq) {
			val = eq + 1;
		} else if (a + 1 < argc) {
			val = argv[++a];
		} else {
			snprintf(err, errlen, "--%s needs a value (%s)", f->name,
				 f->arg);
			return FR_E_USAGE;
		}
		r = apply(f, val, cfg, err, errlen);
		if (r != FR_OK)
			return r;
	}
	if (!cfg->root || !cfg->cert || !cfg->key || !cfg->ca) {
		snprintf(err, errlen, "missing --%s (see --help)",
			 !cfg->root ? "root" : !cfg->cert ? "cert"
					   : !cfg->key  ? "key"
							: "ca");
		return FR_E_USAGE;
	}
	return FR_OK;
}
