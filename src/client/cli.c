/*
 * cli.c - command-line helpers shared by the ferry commands: option
 * parsing of one command, usage errors, remote-path normalisation, path
 * joining and the exit-status merge of multi-file commands; the state of
 * the one session a process may hold in ferry shell: its remote
 * directory, and the Ctrl-C flag.
 *
 * Global options live in opts.c, the command table in main.c; nothing
 * here opens a file or a socket.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ferry/limits.h"
#include "ferry/path.h"

#include "cli.h"
#include "output.h"
#include "progress.h"

void cli_say(const char *fmt, ...)
{
	char line[8192], safe[3 * 8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	progress_clear();
	fprintf(stderr, "ferry: %s\n", out_term(safe, sizeof safe, line));
}

int cli_parallel(const char *cmd, const char *arg, unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < 1 ||
	    v > FR_CLIENT_MAX_LANES)
		return cli_usage(cmd,
		                 "-j/--parallel wants a number from 1 to %u, "
		                 "not '%s'",
		                 FR_CLIENT_MAX_LANES, arg);
	*out = (unsigned)v;
	return FX_OK;
}

int cli_sha256_arg(const char *cmd, const char *arg, char out[65])
{
	size_t i;

	for (i = 0; i < 64 && isxdigit((unsigned char)arg[i]); i++)
		out[i] = (char)tolower((unsigned char)arg[i]);
	out[i] = '\0';
	if (i == 64 && arg[64] == '\0')
		return FX_OK;
	out[0] = '\0';
	return cli_usage(cmd, "--sha256 wants 64 hex digits, not '%s'", arg);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fprintf(stderr, "ferry: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'ferry help %s'\n", cmd);
	return FX_USAGE;
}

/* The usage error for the option getopt_long just refused. */
static int bad_opt(int argc, char **argv)
{
	if (optind > 0 && optind <= argc &&
	    strncmp(argv[optind - 1], "--", 2) == 0 &&
	    (!strcmp(argv[optind - 1] + 2, "json") ||
	     !strcmp(argv[optind - 1] + 2, "ca") ||
	     !strcmp(argv[optind - 1] + 2, "cert") ||
	     !strcmp(argv[optind - 1] + 2, "key")))
		return cli_usage(argv[0],
		                 "'%s' is a global option: "
		                 "put it before the command",
		                 argv[optind - 1]);
	if (optopt)
		return cli_usage(argv[0], "unknown option '-%c'", optopt);
	return cli_usage(argv[0], "unknown option '%s'", argv[optind - 1]);
}

int cli_cmd_opts(int argc, char **argv, bool *overwrite, bool *help, int *first)
{
	static const struct option with_ow[] = {
	    {"overwrite", no_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct option *longopts = with_ow + (overwrite ? 0 : 1);
	int c;

	*help = false;
	*first = argc;
	if (overwrite)
		*overwrite = false;
	opterr = 0;
	optind = 0; /* glibc: 0 re-initialises getopt for a new vector */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			*overwrite = true;
			break;
		case 'h':
			*help = true;
			(void)cli_cmd_help(argv[0], stdout);
			return FX_OK;
		default:
			return bad_opt(argc, argv);
		}
	}
	*first = optind;
	return FX_OK;
}

int cli_cmd_no_operands(int argc, char **argv, const char *hint, bool *help)
{
	int first, rc = cli_cmd_opts(argc, argv, NULL, help, &first);

	if (rc != FX_OK || *help || argc - first == 0)
		return rc;
	return hint ? cli_usage(argv[0], "no arguments expected (%s)", hint)
		    : cli_usage(argv[0], "no arguments expected");
}

int cli_flags(int argc, char **argv, const struct cli_flag *flags,
              bool *help, int *first)
{
	struct option longopts[10];
	char shorts[2 * 10] = "h";
	size_t n = 0, k = 1;
	int c;

	for (; flags[n].name && n < 8; n++) {
		longopts[n] = (struct option){flags[n].name, no_argument, NULL,
		                              256 + (int)n};
		if (flags[n].short_name)
			shorts[k++] = flags[n].short_name;
		*flags[n].set = false;
	}
	shorts[k] = '\0';
	longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
	*help = false;
	*first = argc;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		if (c == 'h') {
			*help = true;
			(void)cli_cmd_help(argv[0], stdout);
			return FX_OK;
		}
		if (c >= 256 && c < 256 + (int)n) {
			*flags[c - 256].set = true;
			continue;
		}
		for (k = 0; k < n; k++)
			if (flags[k].short_name && c == flags[k].short_name)
				break;
		if (k == n || c == '?')
			return bad_opt(argc, argv);
		*flags[k].set = true;
	}
	*first = optind;
	return FX_OK;
}

int cli_xfer_opts(int argc, char **argv, struct xfer_opts *o, bool *help,
                  int *first)
{
	static const struct option longopts[] = {
	    {"overwrite", no_argument, NULL, 'o'},
	    {"resume", no_argument, NULL, 'u'},
	    {"retries", required_argument, NULL, 'R'},
	    {"recursive", no_argument, NULL, 'r'},
	    {"preserve", no_argument, NULL, 'p'},
	    {"parallel", required_argument, NULL, 'j'},
	    {"sha256", required_argument, NULL, 'S'},
	    {"skip-same", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof *o);
	o->retries = CLI_RETRIES_UNSET; /* the global --retries then */
	*help = false;
	*first = argc;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "hrpj:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->overwrite = true;
			break;
		case 'u':
			o->resume = true;
			break;
		case 'r':
			o->recursive = true;
			break;
		case 'p':
			o->preserve = true;
			break;
		case 'j':
			if (cli_parallel(argv[0], optarg, &o->parallel) != FX_OK)
				return FX_USAGE;
			break;
		case 'S':
			if (cli_sha256_arg(argv[0], optarg, o->sha256) != FX_OK)
				return FX_USAGE;
			break;
		case 's':
			o->skip_same = true;
			break;
		case 'R':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    optarg[0] == '-' || v > CLI_MAX_RETRIES)
				return cli_usage(
				    argv[0],
				    "--retries wants a number from "
				    "0 to %u, not '%s'",
				    CLI_MAX_RETRIES, optarg);
			o->retries = (unsigned)v;
			break;
		case 'h':
			*help = true;
			(void)cli_cmd_help(argv[0], stdout);
			return FX_OK;
		default:
			if (optopt == 'R')
				return cli_usage(argv[0],
				                 "--retries needs a number");
			if (optopt == 'j')
				return cli_usage(argv[0],
				                 "-j/--parallel needs a number");
			if (optopt == 'S')
				return cli_usage(argv[0],
				                 "--sha256 needs the expected "
				                 "SHA-256 (64 hex digits)");
			return bad_opt(argc, argv);
		}
	}
	*first = optind;
	return FX_OK;
}

static char *g_rdir; /* the shell's remote directory, NULL outside it */
static volatile sig_atomic_t g_interrupted;

void cli_set_rdir(const char *dir)
{
	char *d = dir ? strdup(dir) : NULL;

	if (dir && !d)
		return; /* out of memory: keep the old one */
	free(g_rdir);
	g_rdir = d;
}

const char *cli_rdir(void)
{
	return g_rdir;
}

void cli_interrupt(void)
{
	g_interrupted = 1;
}

bool cli_interrupted(void)
{
	return g_interrupted != 0;
}

void cli_interrupt_clear(void)
{
	g_interrupted = 0;
}

/* In the shell: dir joined with arg, "." and ".." resolved (never above
 * the root), empty components dropped, into out.  false when too long. */
static bool resolve(const char *dir, const char *arg, char *out, size_t n,
		    bool *is_dir)
{
	const char *p = arg, *e;
	size_t len = 0, cl;

	*is_dir = false;
	if (*arg != '/') {
		len = strlen(dir);
		if (len >= n)
			return false;
		memcpy(out, dir, len);
	}
	out[len] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchr(p, '/');
		cl = e ? (size_t)(e - p) : strlen(p);
		*is_dir = (cl == 1 && p[0] == '.') ||
			  (cl == 2 && p[0] == '.' && p[1] == '.');
		if (cl == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the '/' before it */
		} else if (!(cl == 1 && p[0] == '.')) {
			if (len + (len > 0) + cl >= n)
				return false;
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, cl);
			len += cl;
		}
		out[len] = '\0';
		p += cl;
	}
	return true;
}

int cli_remote(const char *cmd, const char *arg, char *out, size_t n,
               bool *had_slash)
{
	size_t len;
	bool is_dir;

	if (g_rdir) {
		len = strlen(arg);
		if (had_slash)
			*had_slash = len > 0 && arg[len - 1] == '/';
		if (!resolve(g_rdir, arg, out, n, &is_dir))
			return cli_usage(cmd, "remote path too long");
		if (had_slash && (is_dir || !*arg))
			*had_slash = true;
		return cli_remote_utf8(cmd, out);
	}
	while (*arg == '/')
		arg++;
	len = strlen(arg);
	if (had_slash)
		*had_slash = len > 0 && arg[len - 1] == '/';
	while (len > 0 && arg[len - 1] == '/')
		len--;
	if (len >= n)
		return cli_usage(cmd, "remote path too long (%zu bytes)", len);
	memcpy(out, arg, len);
	out[len] = '\0';
	return cli_remote_utf8(cmd, out);
}

int cli_remote_utf8(const char *cmd, const char *path)
{
	/* Paths travel as JSON strings: invalid UTF-8 cannot be sent at all
	 * (the server would see a broken request and hang up); the other
	 * path rules are the server's to judge. */
	if (fr_utf8_valid(path, strlen(path)))
		return FX_OK;
	return cli_usage(cmd, "remote path '%s' is not valid UTF-8", path);
}

void cli_basename(const char *path, char *out, size_t n)
{
	size_t end = strlen(path), start;

	while (end > 0 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (n == 0)
		return;
	if (end - start >= n)
		end = start + n - 1;
	memcpy(out, path + start, end - start);
	out[end - start] = '\0';
}

bool cli_join(char *out, size_t n, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	int w;

	if (dl == 0)
		w = snprintf(out, n, "%s", name);
	else if (dir[dl - 1] == '/')
		w = snprintf(out, n, "%s%s", dir, name);
	else
		w = snprintf(out, n, "%s/%s", dir, name);
	return w >= 0 && (size_t)w < n;
}

int cli_merge(int rc, int next)
{
	if (next == FX_CONN)
		return FX_CONN;
	return rc != FX_OK ? rc : next;
}

bool cli_xdg_path(const char *var, const char *fallback, const char *rel,
		  char *out, size_t n)
{
	const char *x = getenv(var), *home = getenv("HOME");
	int w;

	/* the XDG spec: a relative value is to be ignored */
	if (x && x[0] == '/')
		w = snprintf(out, n, "%s/%s", x, rel);
	else if (home && home[0] == '/')
		w = snprintf(out, n, "%s/%s/%s", home, fallback, rel);
	else
		return false;
	return w > 0 && (size_t)w < n;
}

unsigned cli_umask(void)
{
	static int cached = -1;
	mode_t um;

	if (cached < 0) {
		um = umask(0);
		(void)umask(um);
		cached = (int)um;
	}
	return (unsigned)cached;
}

double cli_now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
