/*
 * config.h - ferryd's settings: one table of options feeding the command
 * line, the configuration file (ferryd.conf), --help, --dump-config and
 * the manual pages ferryd(8) and ferryd.conf(5) (man/ferryd_man.c).
 *
 * Does: defaults (from ferry/limits.h), the config file (keys are the long
 * option names), flags over the file, strict values, SIGHUP's second read
 * and what of it may change without a restart.
 * Does not: open the files it names, bind or check that paths exist
 * (main.c, check.c and reload.c do).
 */
#ifndef FERRYD_CONFIG_H
#define FERRYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/addr.h"
#include "ferry/limits.h"

struct fr_conf;

/* What ferryd was asked to do. */
enum config_mode { CONFIG_RUN, CONFIG_CHECK, CONFIG_DUMP };

struct config {
	enum config_mode mode;
	const char *config_file; /* the file read, NULL when none */
	const char *root;
	const char *cert;
	const char *key;
	const char *ca;
	const char *crl;  /* NULL: no revocation check */
	const char *acl;  /* NULL: everyone may do everything */
	const char *port_file;
	const char *metrics_listen; /* NULL: no metrics endpoint */
	const char *user; /* drop privileges to it */
	const char *listen[FR_MAX_LISTENERS];
	size_t n_listen;
	bool listen_default; /* listen[] holds the built-in defaults */
	bool allow_open_key;
	uint64_t threads;
	uint64_t max_conns;
	uint64_t max_file_size;
	uint64_t max_conns_per_identity;
	uint64_t max_path_depth;
	uint64_t max_list_entries;
	uint64_t handshake_timeout; /* seconds */
	uint64_t idle_timeout;
	uint64_t stall_timeout;
	uint64_t drain_timeout;
	uint64_t partial_ttl; /* seconds an interrupted upload is held */
	/* --proxy-protocol-from: peers that must send a PROXY header */
	struct fr_cidr proxy_from[FR_MAX_PROXY_FROM];
	size_t n_proxy_from;
	const char *proxy_from_arg[FR_MAX_PROXY_FROM]; /* the values given */
	size_t n_proxy_from_arg;
	uint64_t request_timeout; /* seconds for one whole request frame */
	uint64_t min_rate;        /* bytes/s while a request moves, 0: off */
	uint64_t min_rate_window; /* seconds the rate is averaged over */
	uint64_t max_conns_per_address; /* 0: no limit */
	uint64_t protocol_max; /* highest version hello settles on */
	int tls_min;    /* 12 or 13 */
	int log_format; /* enum fr_log_format */

	/* private: where the values live, and for SIGHUP how to read again */
	struct fr_conf *conf;
	int argc;
	char **argv;
	unsigned char origin[64]; /* per option: 0 default, 1 file, 2 flag */
	struct config *older; /* replaced by a SIGHUP, kept until exit */
};

/* ---- the option table (also read by the manual generator) ---------- */

enum config_kind {
	CK_STR, CK_PATH, CK_U64, CK_LISTEN, CK_ADDR, CK_TLSMIN, CK_LOGFMT,
	CK_BOOL, CK_CONFIG, CK_CHECK, CK_DUMP, CK_HELP, CK_VERSION,
	CK_CIDRS
};

#define CO_FILE 1u     /* may be set in the config file */
#define CO_RELOAD 2u   /* a new value in the file takes effect on SIGHUP */
#define CO_REPEAT 4u   /* may be given more than once */
#define CO_REQUIRED 8u /* ferryd does not start without it */

struct config_opt {
	const char *name; /* long flag without "--", and the file key */
	const char *arg;  /* what the value is, NULL: takes none */
	enum config_kind kind;
	size_t off; /* field in struct config */
	uint64_t min, max;
	unsigned flags; /* CO_* */
	const char *help;
};

/* The table, in --help order. */
const struct config_opt *config_opts(size_t *n);

/* The built-in default of o as text, "" when it has none. */
void config_default_text(const struct config_opt *o, char *buf, size_t n);

/* The value of o in cfg as text ("" when unset); listen: index i. */
void config_value_text(const struct config *cfg, const struct config_opt *o,
		       size_t i, char *buf, size_t n);

/* The config file read when --config is not given. */
#define CONFIG_DEFAULT_FILE FERRYD_SYSCONFDIR "/ferry/ferryd.conf"

/* ---- loading --------------------------------------------------------- */

/*
 * Build the settings from the defaults, the config file (--config FILE, or
 * CONFIG_DEFAULT_FILE when it exists) and then argv (argv must outlive
 * the result).  Returns FR_OK with *out (free with config_free),
 * FR_AGAIN when --help or --version was printed (exit 0), or FR_E_USAGE
 * with one line in err ("FILE:LINE: reason" for the file, "--flag: ..."
 * for the command line).
 */
int config_load(int argc, char **argv, struct config **out, char *err,
		size_t errlen);

/*
 * SIGHUP: read the same file and flags again into *out.  Settings without
 * CO_RELOAD keep their value from old (restart: true if one of them
 * differs; changed() is called for every setting that differs, with
 * whether it took effect).  FR_OK or FR_E_USAGE (err: one line).
 */
int config_reload(const struct config *old, struct config **out,
		  void (*changed)(void *arg, const char *name,
				  bool applied),
		  void *arg, char *err, size_t errlen);

/* Free cfg and the settings it replaced (cfg->older...); NULL: no-op. */
void config_free(struct config *cfg);

/* ---- documentation (config_doc.c) ------------------------------------ */

/* A section of the manual shared by --help and ferryd(8): paragraphs
 * (term NULL) or a list of terms and their text. */
struct config_doc_item {
	const char *term; /* NULL: text is a paragraph */
	const char *text;
};
struct config_doc {
	const char *heading; /* "FILES" */
	const struct config_doc_item *items;
	size_t n;
};
const struct config_doc *config_docs(size_t *n);

/* The one-line description of ferryd and its synopsis. */
extern const char config_doc_name[];
extern const char config_doc_synopsis[];

/* --help, and --dump-config of cfg, on stdout. */
void config_usage(void);
void config_dump(const struct config *cfg);

#endif
