/*
 * config_table.c - the option table of ferryd (see config.h): every option,
 * its argument, default (from ferry/limits.h), range, where it may be set
 * (command line, file), whether SIGHUP applies a new value, and its help
 * text.  config.c applies it; config_doc.c and man/ferryd_man.c print it.
 */
#include <stddef.h>

#include "ferry/limits.h"
#include "config.h"

#define F(field) offsetof(struct config, field)
#define STR2(x) #x
#define STR(x) STR2(x)
#define RL (CO_FILE | CO_RELOAD) /* in the file, applied on SIGHUP */
#define RS CO_FILE               /* in the file, needs a restart */
static const struct config_opt opts[] = {
	{ "config", "FILE", CK_CONFIG, 0, 0, 0, 0,
	  "Read settings from FILE (default: " CONFIG_DEFAULT_FILE " when "
	  "it exists; see ferryd.conf(5)). Flags on the command line "
	  "override the file." },
	{ "check-config", NULL, CK_CHECK, 0, 0, 0, 0,
	  "Load and cross-check the settings without binding: the files "
	  "are readable, the key matches the certificate, the CA and CRL "
	  "load, the ACL parses, the root is a writable directory. Prints "
	  "one line per problem and exits 1, or exits 0." },
	{ "dump-config", NULL, CK_DUMP, 0, 0, 0, 0,
	  "Print the effective settings (defaults, then the file, then the "
	  "flags) in the format of ferryd.conf and exit." },
	{ "root", "DIR", CK_PATH, F(root), 0, 0, RS | CO_REQUIRED,
	  "Directory to serve. Nothing outside it is ever touched." },
	{ "cert", "FILE", CK_PATH, F(cert), 0, 0, RL | CO_REQUIRED,
	  "PEM server certificate (chain)." },
	{ "key", "FILE", CK_PATH, F(key), 0, 0, RL | CO_REQUIRED,
	  "PEM private key of the certificate." },
	{ "ca", "FILE", CK_PATH, F(ca), 0, 0, RL | CO_REQUIRED,
	  "PEM CA file client certificates are verified against." },
	{ "crl", "FILE", CK_PATH, F(crl), 0, 0, RL,
	  "PEM certificate revocation list(s) of the client CA; a revoked "
	  "client certificate is refused at the handshake." },
	{ "acl", "FILE", CK_PATH, F(acl), 0, 0, RL,
	  "JSON file mapping identities to a root below --root and "
	  "permissions (see docs/OPERATIONS.md). Identities not in it are "
	  "refused every request. Default: none, everyone may do everything "
	  "on the whole root." },
	{ "allow-open-key", NULL, CK_BOOL, F(allow_open_key), 0, 0, RL,
	  "Use --key even if group or others can read it (in the file: "
	  "allow-open-key = yes)." },
	{ "tls-min", "1.2|1.3", CK_TLSMIN, F(tls_min), 0, 0, RL,
	  "Lowest TLS version. 1.2 allows ECDHE+AEAD suites only." },
	{ "listen", "ADDR:PORT", CK_LISTEN, 0, 0, 0, RS | CO_REPEAT,
	  "Address to listen on; repeatable; IPv6 as [::1]:9533; port 0 is "
	  "ephemeral. Ignored when systemd passes the sockets (socket "
	  "activation: see ENVIRONMENT)." },
	{ "port-file", "FILE", CK_PATH, F(port_file), 0, 0, RS,
	  "Write the port of the first listener (decimal and a newline) here "
	  "once listening." },
	{ "metrics-listen", "ADDR:PORT", CK_ADDR, F(metrics_listen), 0, 0, RS,
	  "Serve Prometheus metrics at http://ADDR:PORT/metrics (plain HTTP, "
	  "a listener of its own, never the TLS port). Default: off; keep it "
	  "on loopback or a management network." },
	{ "user", "NAME", CK_STR, F(user), 0, 0, RS,
	  "When started as root: switch to this user (and its group) after "
	  "binding and loading keys." },
	{ "threads", "N", CK_U64, F(threads), 1, FR_MAX_THREADS, RS,
	  "Worker threads. Default: 2 x the number of CPUs." },
	{ "max-conns", "N", CK_U64, F(max_conns), 1, 1000000, RL,
	  "Connections served at once; beyond it clients get `busy`." },
	{ "max-conns-per-identity", "N", CK_U64, F(max_conns_per_identity), 1,
	  1000000, RL, "Connections one identity (certificate CN) may hold "
	  "at once; beyond it that client gets `busy`." },
	{ "max-file-size", "BYTES", CK_U64, F(max_file_size), 0, FR_SIZE_MAX,
	  RL, "Largest upload accepted (`too_large` beyond)." },
	{ "max-path-depth", "N", CK_U64, F(max_path_depth), 1,
	  FR_MAX_PATH_DEPTH, RL,
	  "Most components a request path may have (`invalid_path` beyond)." },
	{ "max-list-entries", "N", CK_U64, F(max_list_entries), 1,
	  FR_LIST_ENTRIES_PER_FRAME, RL,
	  "Most entries in one list response frame (longer listings take "
	  "more frames)." },
	{ "handshake-timeout", "SECONDS", CK_U64, F(handshake_timeout), 1,
	  86400, RL, "Time allowed for the TLS handshake." },
	{ "idle-timeout", "SECONDS", CK_U64, F(idle_timeout), 1, 86400, RL,
	  "Time a connection may wait between requests." },
	{ "stall-timeout", "SECONDS", CK_U64, F(stall_timeout), 1, 86400, RL,
	  "Time without progress inside a request or body." },
	{ "drain-timeout", "SECONDS", CK_U64, F(drain_timeout), 0, 86400, RL,
	  "On SIGINT/SIGTERM, time allowed for requests in flight." },
	{ "partial-ttl", "SECONDS", CK_U64, F(partial_ttl), 1, FR_SIZE_MAX, RL,
	  "How long an interrupted upload is held for a resume." },
	{ "request-timeout", "SECONDS", CK_U64, F(request_timeout), 1, 86400,
	  RL, "Time allowed for one whole request frame from its first byte, "
	  "however steadily it trickles." },
	{ "min-rate", "BYTES", CK_U64, F(min_rate), 0, FR_SIZE_MAX, RL,
	  "While a request frame or a body is under way, at least this many "
	  "bytes per second must move, averaged over each --min-rate-window; "
	  "slower connections get `timeout`. 0 turns the check off." },
	{ "min-rate-window", "SECONDS", CK_U64, F(min_rate_window), 1, 86400,
	  RL, "The window --min-rate is averaged over." },
	{ "max-conns-per-address", "N", CK_U64, F(max_conns_per_address), 0,
	  1000000, RS, "Connections one client address (an IPv6 /64) may "
	  "hold at once, counted before TLS and, behind a balancer, by the "
	  "address of its PROXY header; beyond it the connection is closed "
	  "at once. 0: no limit." },
	{ "proxy-protocol-from", "CIDR[,CIDR...]", CK_CIDRS, 0, 0, 0,
	  RL | CO_REPEAT,
	  "Connections from these addresses (a load balancer) must begin with "
	  "a PROXY protocol v1 or v2 header, whose client address is then used "
	  "in logs and limits; connections from anywhere else must not. "
	  "Repeatable. Default: none." },
	{ "protocol-max", "N", CK_U64, F(protocol_max), FR_PROTO_MIN,
	  FR_PROTO_VERSION, RL, "Highest protocol version hello settles on "
	  "(default: the newest). 1 makes ferryd answer as ferryd 0.1 did, "
	  "which is how clients are tested against an old server." },
	{ "log-format", "text|json", CK_LOGFMT, F(log_format), 0, 0, RL,
	  "Format of the log lines on stderr." },
	{ "version", NULL, CK_VERSION, 0, 0, 0, 0,
	  "Print the version and exit." },
	{ "help", NULL, CK_HELP, 0, 0, 0, 0, "Print this manual and exit." },
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))
_Static_assert(N_OPTS <= sizeof(((struct config *)0)->origin),
	       "struct config has an origin slot per option");

const struct config_opt *config_opts(size_t *n)
{
	*n = N_OPTS;
	return opts;
}
