/*
 * ferryd_man.c - writes the scdoc sources of ferryd(8) and ferryd.conf(5)
 * from ferryd's option table (src/server/config_table.c) and the prose it shares
 * with --help (src/server/config_doc.c), so the manual cannot drift from
 * the program.  Run by the build (CMakeLists.txt); scdoc makes the roff.
 *
 *   ferryd-man 8 > ferryd.8.scd
 *   ferryd-man 5 > ferryd.conf.5.scd
 *
 * Does not: install anything, or know an option itself.
 */
#include <stdio.h>
#include <string.h>

#include "ferry/limits.h"
#include "config.h"

/* Text with scdoc's markup characters escaped. */
static void text(const char *s)
{
	for (; *s; s++) {
		if (*s == '*' || *s == '_' || *s == '\\')
			putchar('\\');
		putchar(*s == '`' ? '"' : *s);
	}
}

static void paragraphs(const struct config_doc *d)
{
	size_t i;

	printf("# %s\n\n", d->heading);
	for (i = 0; i < d->n; i++) {
		if (d->items[i].term) {
			printf("*");
			text(d->items[i].term);
			printf("*\n\t");
		}
		text(d->items[i].text);
		printf("\n\n");
	}
}

static void option(const struct config_opt *o, bool as_key)
{
	char def[64];

	config_default_text(o, def, sizeof(def));
	if (as_key)
		printf("*%s* = ", o->name);
	else
		printf("*--%s*%s", o->name, o->arg ? " " : "");
	if (o->arg) {
		printf("_");
		text(o->arg);
		printf("_");
	} else if (as_key) {
		printf("_yes|no_");
	}
	printf("\n\t");
	text(o->help);
	if (o->flags & CO_REQUIRED)
		printf(" Required.");
	if (def[0]) {
		printf(" Default: ");
		text(def);
		printf(".");
	}
	if (o->flags & CO_REPEAT)
		printf(" May be given more than once.");
	if (o->flags & CO_FILE)
		printf((o->flags & CO_RELOAD) ? " SIGHUP applies a change."
					      : " A change needs a restart.");
	printf("\n\n");
}

static void page8(void)
{
	const struct config_opt *o;
	const struct config_doc *d;
	size_t n, nd, i;

	o = config_opts(&n);
	d = config_docs(&nd);
	printf("FERRYD(8) \"ferry %s\"\n\n# NAME\n\nferryd - ", FR_VERSION_STRING);
	text(config_doc_name);
	printf("\n\n# SYNOPSIS\n\n");
	text(config_doc_synopsis);
	printf("\n\n");
	paragraphs(&d[0]);
	printf("# OPTIONS\n\nEach option takes its value as *--name value* or "
	       "*--name=value*.\n\n");
	for (i = 0; i < n; i++)
		option(&o[i], false);
	for (i = 1; i < nd; i++)
		paragraphs(&d[i]);
	printf("# SEE ALSO\n\n*ferryd.conf*(5), *ferry*(1), *ferry-certs*(1), "
	       "*systemd.service*(5), and docs/OPERATIONS.md and "
	       "docs/SECURITY.md in the source.\n");
}

static void page5(void)
{
	const struct config_opt *o;
	size_t n, i;

	o = config_opts(&n);
	printf("FERRYD.CONF(5) \"ferry %s\"\n\n# NAME\n\nferryd.conf - the "
	       "configuration file of ferryd\n\n", FR_VERSION_STRING);
	printf("# DESCRIPTION\n\n*ferryd*(8) reads its settings from ");
	text(CONFIG_DEFAULT_FILE);
	printf(" (or the file of *--config*) when it starts and again on "
	       "SIGHUP. Flags on the command line override the file.\n\n"
	       "One setting a line: *key = value*. Keys are the long options "
	       "of ferryd without the dashes. Blanks around the key and the "
	       "value do not count; the value is the rest of the line after "
	       "the first '=', without quoting (a '#' inside a value is part "
	       "of it). A line whose first non-blank character is '#' is a "
	       "comment. There are no sections. Relative paths are relative "
	       "to the directory of the file; '~/' is the home directory. "
	       "Booleans are yes/no, true/false, on/off or 1/0. A setting may "
	       "appear once, except *listen*; lines of at most %u bytes, "
	       "files of at most %u bytes.\n\n"
	       "An unknown key, a bad value, a setting given twice or a line "
	       "that is not *key = value* stops ferryd with exit status 2 "
	       "and one line *FILE:LINE: reason*. *ferryd --check-config* "
	       "checks the file and everything it names; *ferryd "
	       "--dump-config* prints the settings in force in this "
	       "format.\n\n", FR_CONF_LINE_MAX - 2, FR_CONF_FILE_MAX);
	printf("On SIGHUP the settings marked so below take effect for new "
	       "connections; the others keep their value, and the log says "
	       "which changed settings need a restart.\n\n# SETTINGS\n\n");
	for (i = 0; i < n; i++)
		if (o[i].flags & CO_FILE)
			option(&o[i], true);
	printf("# EXAMPLE\n\n```\n# /etc/ferry/ferryd.conf\nroot = "
	       "/var/lib/ferry\ncert = pki/server.crt\nkey = pki/server.key\n"
	       "ca = pki/clients-ca.crt\nacl = acl.json\nlisten = "
	       "0.0.0.0:9533\nlisten = [::]:9533\nmetrics-listen = "
	       "127.0.0.1:9534\nlog-format = json\n```\n\n"
	       "# SEE ALSO\n\n*ferryd*(8), *ferry*(1), *ferry-certs*(1)\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "8") == 0)
		page8();
	else if (argc == 2 && strcmp(argv[1], "5") == 0)
		page5();
	else {
		fprintf(stderr, "usage: ferryd-man 8|5\n");
		return 2;
	}
	return 0;
}
