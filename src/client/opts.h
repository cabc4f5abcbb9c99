/*
 * opts.h - the global options of ferry, defined once.
 *
 * One table (opts.c) names every option that comes before the command:
 * its long and short flag, its value, its environment variable, whether
 * it is a key of the config file, its built-in default and its help.  The
 * same rows feed getopt_long, the environment, the config file's keys
 * (profile.c), the OPTIONS, ENVIRONMENT and FILES parts of --help, and
 * `ferry config`; t_docs checks that ferry(1) and the bash completion
 * know every long option --help prints, so the man page cannot drift
 * either.
 *
 * A value keeps where it came from (flag, environment, profile, [default],
 * built in), so precedence is one rule (flags, then the environment, then
 * the profile, then [default]) and `ferry config` can say it.
 * Does not: read the config file (profile.c), or connect anywhere.
 */
#ifndef FERRY_CLIENT_OPTS_H
#define FERRY_CLIENT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"

enum opt_kind {
	OK_STR,     /* a string for struct cli */
	OK_PATH,    /* a file: in the config file, relative to the file */
	OK_SERVER,  /* HOST[:PORT] */
	OK_PIN,     /* base64 of a SHA-256 */
	OK_BOOL,    /* a switch; yes/no in the config file */
	OK_LANES,   /* 1..FR_CLIENT_MAX_LANES */
	OK_RETRIES, /* 0..CLI_MAX_RETRIES */
	OK_HELP,
	OK_VERSION,
};

#define OPT_FILE 1u  /* a key of the config file ([default], [profile]) */
#define OPT_SHOWN 2u /* listed by `ferry config` though not a key */

struct opt {
	const char *name; /* --name, and the key in the config file */
	char short_name;  /* -x, or 0 */
	const char *arg;  /* what the value is; NULL: a switch */
	enum opt_kind kind;
	const char *env;  /* FERRY_..., or NULL */
	unsigned flags;   /* OPT_* */
	const char *def;  /* built-in default, or NULL */
	size_t off;       /* field of struct cli */
	const char *help;
};

/* The table, in --help order; opt_find: by long name, or NULL. */
const struct opt *opt_table(size_t *n);
const struct opt *opt_find(const char *name);

enum opt_origin {
	OO_NONE = 0,
	OO_BUILTIN, /* the table's default */
	OO_DEFAULT, /* [default] of the config file */
	OO_PROFILE, /* [profile NAME] */
	OO_ENV,
	OO_FLAG,
};

#define OPT_MAX 24

/* The value of each option and where it came from. */
struct opt_val {
	const char *value; /* borrowed (argv, environ, the loaded file) */
	enum opt_origin origin;
	const char *file;  /* OO_DEFAULT, OO_PROFILE: FILE, LINE */
	unsigned line;
};

struct opt_set {
	struct opt_val v[OPT_MAX]; /* by table index */
};

/* Index of o in the table. */
size_t opt_index(const struct opt *o);

/*
 * Parse the global options in argv (they stop at the first operand, the
 * command) into set as flags, then fill what no flag set from the
 * environment.  FX_OK with *first at the command (argc when none);
 * FX_USAGE after one line.  --help and --version are printed here
 * (*done: exit 0).
 */
int opt_parse(int argc, char **argv, struct opt_set *set, int *first,
	      bool *done, void (*help)(FILE *));

/* NULL when value suits o, else why not (into why). */
const char *opt_check(const struct opt *o, const char *value, char *why,
		      size_t n);

/* The built-in defaults into what is still unset, then every value into
 * cli (values already checked). */
void opt_apply(struct opt_set *set, struct cli *cli);

/* The OPTIONS, ENVIRONMENT and FILES parts of --help. */
void opt_help(FILE *f);

/* `ferry config`: every setting of the config file's keys as
 * "key = value" with where it came from. */
void opt_show(const struct opt_set *set, FILE *f);

#endif
