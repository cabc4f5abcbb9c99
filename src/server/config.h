/*
 * config.h - ferryd's command line: one table of flags and their defaults.
 *
 * Does: parse argv strictly into struct config, print --help / --version.
 * Does not: open files, bind sockets or check that paths exist.
 */
#ifndef FERRYD_CONFIG_H
#define FERRYD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/limits.h"

struct config {
	const char *root;
	const char *cert;
	const char *key;
	const char *ca;
	const char *port_file;
	const char *listen[FR_MAX_LISTENERS];
	size_t n_listen;
	int listen_default; /* n_listen holds the built-in defaults */
	uint64_t threads;
	uint64_t max_conns;
	uint64_t max_file_size;
	uint64_t handshake_timeout; /* seconds */
	uint64_t idle_timeout;
	uint64_t stall_timeout;
	uint64_t drain_timeout;
	const char *acl;  /* --acl FILE, NULL: everyone may do everything */
	const char *crl;  /* --crl FILE, NULL: no revocation check */
	const char *user; /* --user NAME: drop privileges to it */
	int allow_open_key; /* --allow-open-key */
	uint64_t max_conns_per_identity;
	uint64_t max_path_depth;
	uint64_t max_list_entries;
	uint64_t partial_ttl; /* seconds an interrupted upload is held */
	uint64_t protocol_max; /* highest version hello settles on */
	int tls_min;    /* 12 or 13 */
	int log_format; /* enum fr_log_format */
};

/*
 * Parse argv into cfg (defaults first).  Returns FR_OK, FR_E_USAGE with one
 * line in err, or FR_AGAIN when --help or --version was printed and the
 * program should exit 0.  Strings in cfg point into argv.
 */
int config_parse(int argc, char **argv, struct config *cfg, char *err,
		 size_t errlen);

#endif
