/*
 * cli.h - what the commands of the ferry client share: the global options,
 * the exit statuses, the command entry points, and small command-line
 * helpers (cli.c: per-command option parsing, path splitting and joining).
 *
 * It does not touch the network (session.h) nor format results
 * (output.h).
 */
#ifndef FERRY_CLIENT_CLI_H
#define FERRY_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <signal.h>

struct engine;
struct opt_set;

/* Exit statuses of ferry; the contract of issue 2, repeated in --help. */
enum {
	FX_OK = 0,
	FX_REFUSED = 1,  /* the server refused or failed the operation */
	FX_USAGE = 2,    /* bad command line or configuration */
	FX_CONN = 3,     /* connection, TLS or protocol failure */
	FX_CHECKSUM = 4, /* the two SHA-256 values differ */
	FX_LOCAL = 5,    /* a local file operation failed */
	FX_INTERRUPTED = 130, /* Ctrl-C stopped it (ferry shell), as sh says */
};

/* Global options, resolved from flags, the environment and the config
 * file (opts.h, profile.h). */
struct cli {
	const char *server; /* -s / FERRY_SERVER, "HOST[:PORT]" */
	const char *ca;     /* --ca / FERRY_CA */
	const char *cert;   /* --cert / FERRY_CERT */
	const char *key;    /* --key / FERRY_KEY */
	const char *crl;    /* --crl: CRL(s) of the server's CA */
	const char *pin;    /* --pin-sha256: base64 SHA-256 of the server SPKI */
	bool allow_open_key; /* --allow-open-key */
	bool json;          /* --json: one JSON object per line */
	bool quiet;    /* -q: no progress, no success lines for put/get/rm */
	bool progress; /* stderr is a terminal and not -q */
	unsigned parallel; /* -j / --parallel N: connections (1..16) */
	unsigned retries;  /* --retries N: the default of every command */
	const char *config;  /* --config / FERRY_CONFIG (as given) */
	const char *profile; /* --profile / FERRY_PROFILE / -s NAME */
	const char *batch;   /* -b / --batch FILE: run it in one session */
	struct engine *shared; /* the session's engine (ferry shell), or NULL:
				  each command makes its own */
	const struct opt_set *opts; /* every setting and its origin */
};

/* Command entry points.  argv[0] is the command name; each returns an exit
 * status (FX_*) and prints its own diagnostics. */
int cmd_put(const struct cli *cli, int argc, char **argv);
int cmd_get(const struct cli *cli, int argc, char **argv);
int cmd_ls(const struct cli *cli, int argc, char **argv);
int cmd_stat(const struct cli *cli, int argc, char **argv);
int cmd_sum(const struct cli *cli, int argc, char **argv);
int cmd_rm(const struct cli *cli, int argc, char **argv);
int cmd_whoami(const struct cli *cli, int argc, char **argv);
int cmd_check(const struct cli *cli, int argc, char **argv);
int cmd_mkdir(const struct cli *cli, int argc, char **argv);
int cmd_mv(const struct cli *cli, int argc, char **argv);
int cmd_config(const struct cli *cli, int argc, char **argv);
int cmd_shell(const struct cli *cli, int argc, char **argv);

/* Run the command argv[0] of the table in main.c (the shell's commands
 * come this way too).  FX_USAGE after a line when there is none. */
int cli_run(const struct cli *cli, int argc, char **argv);

/* The i-th command of the table, its usage line and its completion
 * letters (see main.c); false past the end. */
bool cli_command_at(size_t i, const char **name, const char **usage,
		    const char **complete);

/* Print the help of one command (from the table in main.c) to f; false if
 * there is no such command. */
bool cli_cmd_help(const char *name, FILE *f);

/*
 * Parse the options of a command (argv[0] is its name): "--help", and
 * "--overwrite" when overwrite is not NULL; options may appear anywhere
 * before "--".  On return the operands are argv[*first .. argc).
 * Returns FX_OK, or FX_USAGE after printing why; *help is set when the help
 * was printed (the command then exits 0).
 */
int cli_cmd_opts(int argc, char **argv, bool *overwrite, bool *help,
                 int *first);

/* cli_cmd_opts for a command without operands or options of its own
 * (whoami, config, shell): FX_USAGE naming cmd, with hint (may be NULL),
 * when operands are given. */
int cli_cmd_no_operands(int argc, char **argv, const char *hint, bool *help);

/* A boolean option of a command: --name (and -c when short_name is not
 * 0) sets *set. */
struct cli_flag {
	const char *name;
	char short_name;
	bool *set;
};

/* cli_cmd_opts for a command whose options are all boolean flags (the
 * list ends with a NULL name; at most 8): --help as well, options
 * anywhere before "--", short ones bundled (-lR). */
int cli_flags(int argc, char **argv, const struct cli_flag *flags,
              bool *help, int *first);

/* Options of put and get. */
struct xfer_opts {
	bool overwrite; /* --overwrite */
	bool resume;    /* --resume: continue an earlier interrupted run */
	bool recursive; /* -r / --recursive: directory trees */
	bool preserve;  /* -p / --preserve: mtime and executable bits */
	unsigned retries; /* --retries N: reconnections after a drop */
	unsigned parallel; /* -j N given after the command (0: not given) */
	char sha256[65];  /* --sha256 HEX (lowercased), "" if not given */
	bool skip_same;   /* put --skip-same: not sent when the remote file
			     has the same size and SHA-256 */
};

#define CLI_DEFAULT_RETRIES 3u
#define CLI_MAX_RETRIES 100u
#define CLI_RETRIES_UNSET (~0u) /* xfer_opts: --retries not given */

/* cli_cmd_opts for put and get: --overwrite, --resume, --retries N, -r,
 * -p, -j N, --sha256 HEX (64 hex digits, either case), --skip-same. */
int cli_xfer_opts(int argc, char **argv, struct xfer_opts *o, bool *help,
                  int *first);

/* Print "ferry: <message>" as one line on stderr, after clearing the
 * progress bar, with everything a terminal could take for a control
 * sequence escaped (out_term): names come from servers and other
 * people's directories. */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a SHA-256 given on the command line (64 hex digits, either case)
 * into out as lowercase: FX_OK, or FX_USAGE after saying so. */
int cli_sha256_arg(const char *cmd, const char *arg, char out[65]);

/* Parse "N" for -j / --parallel: FX_OK with *out in 1..FR_CLIENT_MAX_LANES,
 * or FX_USAGE after saying so. */
int cli_parallel(const char *cmd, const char *arg, unsigned *out);

/* Print "ferry: CMD: <message>; see 'ferry help CMD'" and return FX_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Turn a remote argument into a protocol path in out: leading and trailing
 * '/' are dropped (so "/" is the root ""), nothing else is changed (the
 * server judges the rest).  *had_slash (may be NULL) tells whether arg
 * ended in '/'.  FX_OK, or FX_USAGE when it does not fit.
 */
int cli_remote(const char *cmd, const char *arg, char *out, size_t n,
               bool *had_slash);

/* The shell's remote directory (a protocol path, "" the root), or NULL
 * outside ferry shell: nothing is resolved then.  The string is copied. */
void cli_set_rdir(const char *dir);
const char *cli_rdir(void);

/* Ctrl-C in ferry shell: cli_interrupt is async-signal-safe (the SIGINT
 * handler calls it); the engine and the session's waits look at
 * cli_interrupted and stop; the shell clears it before each command. */
void cli_interrupt(void);
bool cli_interrupted(void);
void cli_interrupt_clear(void);

/* FX_OK if path is valid UTF-8 (a JSON string can carry it), else
 * FX_USAGE after saying so. */
int cli_remote_utf8(const char *cmd, const char *path);

/* Last component of a '/'-separated path, trailing slashes ignored, into
 * out ("" for "/" or ""). */
void cli_basename(const char *path, char *out, size_t n);

/* dir + "/" + name into out without doubling a slash; dir "" gives name.
 * false when it does not fit. */
bool cli_join(char *out, size_t n, const char *dir, const char *name);

/* Merge the status of one more file into the command's status: the first
 * failure is kept, but a connection failure (which stops the command)
 * wins. */
int cli_merge(int rc, int next);

/* $var/rel when $var is an absolute path, else $HOME/fallback/rel (the
 * XDG base directories: var "XDG_CONFIG_HOME", fallback ".config").
 * false when neither can be named or it does not fit in out. */
bool cli_xdg_path(const char *var, const char *fallback, const char *rel,
		  char *out, size_t n);

/* The process umask (read once). */
unsigned cli_umask(void);

/* Monotonic clock in seconds. */
double cli_now(void);

#endif
