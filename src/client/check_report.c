/*
 * check_report.c - printing the results of `ferry check` in order
 * (check_report.h), as `sha256sum -c` prints them (sumfile.c shows and
 * quotes the names).  Does not: read checksum files or ask the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/limits.h"

#include "check_report.h"
#include "cli.h"
#include "output.h"
#include "sumfile.h"

void report_init(struct report *rep, const struct check_opts *o)
{
	memset(rep, 0, sizeof(*rep));
	rep->o = o;
	rep->all_ok = true;
}

static void say_unreadable(const struct item *it)
{
	char q[4 * FR_PATH_MAX + 16];

	cli_say("%s: %s", sumfile_quote(it->name, q, sizeof(q)), it->why);
}

static void show_name(const char *name)
{
	static char shown[2 * FR_PATH_MAX + 8], safe[6 * FR_PATH_MAX + 48];

	sumfile_show(name, shown, sizeof(shown));
	/* a terminal gets names it cannot mistake for control sequences; a
	 * pipe gets sha256sum's bytes */
	fputs(isatty(STDOUT_FILENO) ? out_term(safe, sizeof(safe), shown)
				    : shown,
	      stdout);
}

static void print_json(const struct item *it)
{
	static const char *const res[] = {"ok", "failed", "unreadable", ""};
	struct jline j;

	jl_begin(&j, stdout);
	jl_str(&j, "file", it->name);
	jl_str(&j, "remote", !it->remote ? NULL : it->remote[0] ? it->remote : "/");
	jl_str(&j, "expected", it->hex);
	jl_str(&j, "sha256", it->got[0] ? it->got : NULL);
	jl_str(&j, "result", res[it->result]);
	if (it->why)
		jl_str(&j, "error", it->why);
	jl_str(&j, "checksum_file", it->cf->show);
	jl_end(&j);
}

static void print_check(const struct report *rep, const struct item *it)
{
	const struct check_opts *o = rep->o;
	bool status = o->mode == M_STATUS;

	if (it->result == RES_MISSING)
		return; /* --ignore-missing */
	if (it->result == RES_UNREADABLE)
		say_unreadable(it); /* even with --status, as sha256sum */
	if (status || (it->result == RES_OK && o->mode == M_QUIET))
		return;
	if (o->json) {
		print_json(it);
		return;
	}
	show_name(it->name);
	fputs(it->result == RES_OK	     ? ": OK\n"
	      : it->result == RES_FAILED ? ": FAILED\n"
				       : ": FAILED open or read\n",
	      stdout);
	fflush(stdout);
}

/* The end of one checksum file: its summary, and whether it passed. */
static void print_end(struct report *rep, const struct cfile *cf)
{
	char q[512];
	bool ok;

	sumfile_quote(cf->show, q, sizeof(q));
	if (!cf->formatted) {
		cli_say("%s: no properly formatted checksum lines found", q);
	} else if (rep->o->mode != M_STATUS) {
		if (cf->bad)
			cli_say("WARNING: %llu line%s improperly formatted",
				cf->bad, cf->bad == 1 ? " is" : "s are");
		if (cf->unreadable)
			cli_say("WARNING: %llu listed file%s could not be read",
				cf->unreadable, cf->unreadable == 1 ? "" : "s");
		if (cf->mismatched)
			cli_say("WARNING: %llu computed checksum%s did NOT "
				"match",
				cf->mismatched, cf->mismatched == 1 ? "" : "s");
		if (rep->o->ignore_missing && !cf->matched)
			cli_say("%s: no file was verified", q);
	}
	ok = cf->formatted && cf->matched && !cf->mismatched &&
	     !cf->unreadable && (!rep->o->strict || !cf->bad);
	if (!ok)
		rep->all_ok = false;
}

static void print_item(struct report *rep, struct item *it)
{
	char q[512];

	switch (it->kind) {
	case I_CHECK:
		print_check(rep, it);
		break;
	case I_WARN_LINE:
		cli_say("%s: %llu: improperly formatted SHA256 checksum line",
			sumfile_quote(it->cf->show, q, sizeof(q)), it->line);
		break;
	case I_END:
		print_end(rep, it->cf);
		break;
	case I_CANNOT_OPEN:
		cli_say("%s: %s", sumfile_quote(it->cf->show, q, sizeof(q)),
			strerror(it->err));
		rep->all_ok = false;
		break;
	case I_READ_ERROR:
	default:
		cli_say("%s: read error", sumfile_quote(it->cf->show, q,
							 sizeof(q)));
		rep->all_ok = false;
		break;
	}
}

static void item_free(struct item *it)
{
	free(it->why_buf);
	free(it->remote);
	free(it);
}

void report_flush(struct report *rep)
{
	struct item *it;

	while ((it = rep->head) && it->done) {
		rep->head = it->next;
		if (!rep->head)
			rep->tail = NULL;
		print_item(rep, it);
		rep->pending--;
		item_free(it);
	}
}

struct item *report_add(struct report *rep, enum item_kind kind,
			struct cfile *cf, const char *name)
{
	size_t n = name ? strlen(name) + 1 : 1;
	struct item *it = calloc(1, sizeof(*it) + n);

	if (!it) {
		rep->oom = true;
		return NULL;
	}
	it->rep = rep;
	it->kind = kind;
	it->cf = cf;
	memcpy(it->name, name ? name : "", n);
	it->done = kind != I_CHECK;
	if (rep->tail)
		rep->tail->next = it;
	else
		rep->head = it;
	rep->tail = it;
	rep->pending++;
	return it;
}

void report_unreadable(struct item *it, const char *why, bool copy)
{
	it->result = RES_UNREADABLE;
	it->why = why;
	if (copy) {
		it->why_buf = strdup(why);
		it->why = it->why_buf ? it->why_buf : "out of memory";
	}
	it->cf->unreadable++;
}

void report_clear(struct report *rep)
{
	struct item *it;

	while ((it = rep->head) != NULL) {
		rep->head = it->next;
		item_free(it);
	}
	rep->tail = NULL;
	rep->pending = 0;
}
