/*
 * cmd_check.c - "ferry check [--remote-dir DIR] [--quiet] [--status]
 * [--ignore-missing] [--strict] [--warn] FILE...": verify the files a
 * checksum file names on the server, with the server's SHA-256, without
 * downloading them; output and exit status as coreutils 9.1's
 * `sha256sum -c`.
 *
 * Does: read each checksum file line by line (sumfile.c parses), turn
 * every entry into a stat with "sha256" on one connection (pipelined: a
 * job source makes them as the window has room; the server answers from
 * its SHA-256 cache where it can), and print the results in the order of
 * the lines: "NAME: OK", "NAME: FAILED", "NAME: FAILED open or read" on
 * stdout (--json: one object per file), the reason a file could not be
 * read and the WARNING summary of each checksum file on stderr.  Exit 0
 * only if every listed file matched (and, with --strict, every line was
 * well formed); 1 otherwise; 3 when the connection failed (what was not
 * answered is not reported); 2 for a usage error.
 * Does not: read or hash local files other than the checksum files.
 */
#define _GNU_SOURCE /* getc_unlocked */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"

#include "check_report.h"
#include "cli.h"
#include "engine.h"
#include "sumfile.h"
#include "xfer.h"

/* A line longer than this cannot name a remote path (escaped names are
 * at most twice FR_PATH_MAX): it is improperly formatted. */
#define LINE_MAX_BYTES (2 * FR_PATH_MAX + 1024)
/* Results waiting behind an unanswered one (the source pauses there). */
#define PENDING_MAX 4096u

struct check {
	const struct cli *cli;
	struct check_opts o;
	struct report rep;
	struct engine *e;
	struct sumfile_state st;
	struct cfile *files;
	int n_files, cur;
	FILE *f;
	unsigned long long line_no;
	char *buf; /* LINE_MAX_BYTES + 1 */
};

/* The outcome of a line of the current checksum file. */
static struct item *add(struct check *c, enum item_kind kind, const char *name)
{
	return report_add(&c->rep, kind, &c->files[c->cur], name);
}

/* ---- answers ------------------------------------------------------------ */

/* sha256sum's words for what open(2) would have said, where there are. */
static const char *reason(const struct fr_response *r)
{
	switch (r->err) {
	case FR_E_NOT_FOUND:
		return strerror(ENOENT);
	case FR_E_FORBIDDEN:
		return strerror(EACCES);
	case FR_E_IS_DIRECTORY:
		return strerror(EISDIR);
	case FR_E_NOT_DIRECTORY:
		return strerror(ENOTDIR);
	case FR_E_IO_ERROR:
		return strerror(EIO);
	default:
		return NULL;
	}
}

/* A name no remote file can have (the path rules refuse it): missing,
 * as far as --ignore-missing goes, with the rule in the reason. */
static void no_such(struct item *it, const char *rule)
{
	char why[640];

	if (it->rep->o->ignore_missing) {
		it->result = RES_MISSING;
		return;
	}
	snprintf(why, sizeof(why), "%s (a remote path cannot be that: %s)",
		 strerror(ENOENT), rule);
	report_unreadable(it, why, true);
}

/* The stat of one entry answered (r NULL: it could not be asked). */
static int answered(void *arg, const char *remote, const struct fr_response *r,
		    int rc)
{
	struct item *it = arg;
	struct report *rep = it->rep;
	char why[640];
	const char *w;

	(void)remote;
	(void)rc;
	it->done = true;
	if (!r) {
		report_unreadable(it, "the request could not be made", false);
	} else if (r->status == FR_ST_ERROR) {
		if (r->err == FR_E_NOT_FOUND && rep->o->ignore_missing) {
			it->result = RES_MISSING;
		} else if (r->err == FR_E_INVALID_PATH) {
			no_such(it, r->message[0] ? r->message : "invalid");
		} else if ((w = reason(r)) != NULL) {
			report_unreadable(it, w, false);
		} else {
			snprintf(why, sizeof(why), "%s%s%s", r->code,
				 r->message[0] ? ": " : "", r->message);
			report_unreadable(it, why, true);
		}
	} else if (r->is_dir) {
		report_unreadable(it, strerror(EISDIR), false);
	} else {
		memcpy(it->got, r->sha256, sizeof(it->got));
		if (strcmp(r->sha256, it->hex) == 0) {
			it->result = RES_OK;
			it->cf->matched = true;
		} else {
			it->result = RES_FAILED;
			it->cf->mismatched++;
		}
	}
	report_flush(rep); /* it may be freed now */
	return FX_OK;
}

/* ---- reading the checksum files -------------------------------------- */

/* The remote path of a name: DIR, then the name's components without
 * empty or "." ones (so "./a", "a//b" and "/a" name what sha256sum -c
 * would open, relative to DIR).  false when it does not fit. */
static bool remote_path(const char *dir, const char *name, char *out,
			size_t n)
{
	size_t len = strlen(dir), k;
	const char *p = name, *slash;

	if (len >= n)
		return false;
	memcpy(out, dir, len + 1);
	while (*p) {
		slash = strchr(p, '/');
		k = slash ? (size_t)(slash - p) : strlen(p);
		if (k > 0 && !(k == 1 && p[0] == '.')) {
			if (len + (len > 0) + k >= n)
				return false;
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, k);
			len += k;
			out[len] = '\0';
		}
		p += k + (slash != NULL);
	}
	return true;
}

/* Read one line (with its '\n') into c->buf: its length, 0 at the end of
 * the file, or -1 on a read error.  *too_long: the line was longer than
 * LINE_MAX_BYTES (the rest of it was skipped). */
static long read_line(struct check *c, bool *too_long)
{
	size_t n = 0;
	int ch;

	*too_long = false;
	while ((ch = getc_unlocked(c->f)) != EOF) {
		if (n < LINE_MAX_BYTES)
			c->buf[n++] = (char)ch;
		else
			*too_long = true;
		if (ch == '\n')
			break;
	}
	if (ferror(c->f))
		return -1;
	return (long)n;
}

/* Open the next checksum file: false when there is none left. */
static bool next_file(struct check *c)
{
	struct cfile *cf;
	struct item *it;

	while (++c->cur < c->n_files) {
		cf = &c->files[c->cur];
		c->line_no = 0;
		if (strcmp(cf->arg, "-") == 0) {
			c->f = stdin;
			return true;
		}
		c->f = fopen(cf->arg, "r");
		if (c->f)
			return true;
		it = add(c, I_CANNOT_OPEN, NULL);
		if (it)
			it->err = errno;
	}
	return false;
}

static void close_file(struct check *c, bool read_error)
{
	add(c, read_error ? I_READ_ERROR : I_END, NULL);
	if (c->f && c->f != stdin)
		fclose(c->f);
	else if (c->f)
		clearerr(stdin);
	c->f = NULL;
}

/* The job of one entry, or NULL when the line asks for none (reported
 * in its place). */
static struct job *entry_job(struct check *c, const struct sumfile_entry *en)
{
	char rpath[FR_PATH_MAX + 1];
	const char *why = NULL;
	struct item *it;
	struct job *j;

	it = add(c, I_CHECK, en->name);
	if (!it)
		return NULL;
	memcpy(it->hex, en->hex, sizeof(it->hex));
	c->files[c->cur].formatted = true;
	if (!remote_path(c->o.rdir, en->name, rpath, sizeof(rpath))) {
		it->done = true;
		report_unreadable(it, strerror(ENAMETOOLONG), false);
		return NULL;
	}
	it->remote = strdup(rpath);
	if (!it->remote) {
		it->done = true;
		report_unreadable(it, "out of memory", false);
		return NULL;
	}
	/* SECURITY and courtesy: what the path rules refuse is not sent */
	if (rpath[0] && fr_path_check(rpath, strlen(rpath), &why) != FR_OK) {
		it->done = true;
		no_such(it, why ? why : "invalid path");
		return NULL;
	}
	j = xstat_new("check", rpath, true, true, answered, it);
	if (!j) {
		it->done = true;
		c->rep.oom = true;
		report_unreadable(it, "out of memory", false);
	}
	return j;
}

static struct job *source_next(void *arg, struct engine *e, bool *more)
{
	struct check *c = arg;
	struct sumfile_entry en;
	struct job *j = NULL;
	bool too_long;
	long n;

	(void)e;
	*more = true;
	while (!j && !c->rep.oom) {
		if (c->rep.pending >= PENDING_MAX)
			return NULL; /* wait for the answers in front */
		if (!c->f && !next_file(c))
			break;
		n = read_line(c, &too_long);
		if (n <= 0) {
			close_file(c, n < 0);
			continue;
		}
		c->line_no++;
		switch (too_long ? SUMFILE_BAD
				 : sumfile_parse(&c->st, c->buf, (size_t)n,
						 c->f == stdin, &en)) {
		case SUMFILE_ENTRY:
			j = entry_job(c, &en);
			break;
		case SUMFILE_BAD:
			c->files[c->cur].bad++;
			if (c->o.mode == M_WARN) {
				struct item *it = add(c, I_WARN_LINE, NULL);

				if (it)
					it->line = c->line_no;
			}
			break;
		case SUMFILE_SKIP:
		default:
			break;
		}
		report_flush(&c->rep);
	}
	report_flush(&c->rep);
	if (!j)
		*more = false;
	return j;
}

/* ---- the command ------------------------------------------------------- */

static int parse_opts(int argc, char **argv, struct check_opts *o, bool *help,
		      int *first)
{
	static const struct option longopts[] = {
	    {"remote-dir", required_argument, NULL, 'd'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"status", no_argument, NULL, 's'},
	    {"warn", no_argument, NULL, 'w'},
	    {"ignore-missing", no_argument, NULL, 'i'},
	    {"strict", no_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'J'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, rc;

	*help = false;
	*first = argc;
	/* names are relative to the shell's remote directory, or the root */
	rc = cli_remote("check", "", o->rdir, sizeof(o->rdir), NULL);
	if (rc != FX_OK)
		return rc;
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hw", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			rc = cli_remote("check", optarg, o->rdir,
					sizeof(o->rdir), NULL);
			if (rc != FX_OK)
				return rc;
			break;
		/* as sha256sum: the last of these three wins */
		case 'q':
			o->mode = M_QUIET;
			break;
		case 's':
			o->mode = M_STATUS;
			break;
		case 'w':
			o->mode = M_WARN;
			break;
		case 'i':
			o->ignore_missing = true;
			break;
		case 'S':
			o->strict = true;
			break;
		case 'J':
			o->json = true;
			break;
		case 'h':
			*help = true;
			(void)cli_cmd_help(argv[0], stdout);
			return FX_OK;
		default:
			if (optopt == 'd')
				return cli_usage("check",
						 "--remote-dir needs a "
						 "directory");
			return cli_usage("check", "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	*first = optind;
	return FX_OK;
}

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	static char *stdin_only[] = {(char *)"-"};
	struct job_source src = {source_next, NULL};
	struct check c;
	bool help;
	int first, rc, i;
	char **names;

	memset(&c, 0, sizeof(c));
	c.cli = cli;
	c.o.json = cli->json;
	rc = parse_opts(argc, argv, &c.o, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	/* as sha256sum: no FILE reads standard input */
	c.n_files = argc - first > 0 ? argc - first : 1;
	names = argc - first > 0 ? argv + first : stdin_only;
	c.files = calloc((size_t)c.n_files, sizeof(*c.files));
	c.buf = malloc(LINE_MAX_BYTES + 1);
	if (!c.files || !c.buf) {
		free(c.files);
		free(c.buf);
		cli_say("check: out of memory");
		return FX_LOCAL;
	}
	for (i = 0; i < c.n_files; i++) {
		c.files[i].arg = names[i];
		c.files[i].show = strcmp(names[i], "-") == 0 ? "standard input"
							     : names[i];
	}
	/* names are shown as the locale prints them, as sha256sum does */
	(void)setlocale(LC_CTYPE, "");
	sumfile_init(&c.st);
	c.cur = -1;
	report_init(&c.rep, &c.o);
	rc = engine_acquire(cli, 1, cli->retries, &c.e);
	if (rc == FX_OK) {
		src.arg = &c;
		engine_set_source(c.e, &src);
		rc = engine_run(c.e);
		report_flush(&c.rep);
	}
	if (c.rep.oom) {
		cli_say("check: out of memory");
		rc = cli_merge(rc, FX_LOCAL);
	}
	/* what a failed connection left unanswered is not reported */
	report_clear(&c.rep);
	if (c.f && c.f != stdin)
		fclose(c.f);
	engine_release(cli, c.e);
	free(c.files);
	free(c.buf);
	if (rc == FX_OK && !c.rep.all_ok)
		rc = FX_REFUSED;
	return rc;
}
