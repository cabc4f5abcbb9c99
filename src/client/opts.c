/*
 * opts.c - the table of ferry's global options and everything made from
 * it (opts.h): the getopt_long vector, the environment, value checks
 * shared by flags, environment and config file, the help text, and the
 * `ferry config` listing.
 *
 * Does not: read the config file (profile.c) or run a command (main.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/addr.h"
#include "ferry/conf.h"
#include "ferry/limits.h"

#include "opts.h"
#include "output.h"

#define F(field) offsetof(struct cli, field)
/* the defaults as text: the table shows them in --help and `config` */
_Static_assert(CLI_DEFAULT_RETRIES == 3, "the retries default below");

static const struct opt table[] = {
    {"server", 's', "HOST[:PORT]", OK_SERVER, "FERRY_SERVER", OPT_FILE, NULL,
     F(server),
     "server to use (default port 9533; IPv6 as [::1]:9533); the name of "
     "a profile of the config file selects that profile"},
    {"ca", 0, "FILE", OK_PATH, "FERRY_CA", OPT_FILE, NULL, F(ca),
     "CA certificate(s) the server certificate must chain to"},
    {"cert", 0, "FILE", OK_PATH, "FERRY_CERT", OPT_FILE, NULL, F(cert),
     "our client certificate (PEM)"},
    {"key", 0, "FILE", OK_PATH, "FERRY_KEY", OPT_FILE, NULL, F(key),
     "its private key (PEM); refused when group or others can read it"},
    {"allow-open-key", 0, NULL, OK_BOOL, NULL, OPT_FILE, NULL,
     F(allow_open_key), "use --key even if group or others can read it"},
    {"crl", 0, "FILE", OK_PATH, NULL, OPT_FILE, NULL, F(crl),
     "CRL(s) of the server's CA: a revoked server certificate is refused"},
    {"pin-sha256", 0, "BASE64", OK_PIN, NULL, OPT_FILE, NULL, F(pin),
     "accept only a server key whose SubjectPublicKeyInfo has this "
     "SHA-256 (as curl --pinnedpubkey), even with a valid chain"},
    {"parallel", 'j', "N", OK_LANES, NULL, OPT_FILE, "1", F(parallel),
     "spread the files of put and get over N connections (1-16)"},
    {"retries", 0, "N", OK_RETRIES, NULL, OPT_FILE,
     "3", F(retries),
     "reconnections after a dropped connection, for every command "
     "(0-100; put and get --retries override it)"},
    {"json", 0, NULL, OK_BOOL, NULL, OPT_FILE, NULL, F(json),
     "one JSON object per line on stdout instead of text"},
    {"quiet", 'q', NULL, OK_BOOL, NULL, OPT_FILE, NULL, F(quiet),
     "no progress bar, and no success lines for put, get, rm, mkdir and "
     "mv (errors are still printed on stderr)"},
    {"config", 0, "FILE", OK_STR, "FERRY_CONFIG", OPT_SHOWN, NULL, F(config),
     "the config file (default $XDG_CONFIG_HOME/ferry/config, else "
     "~/.config/ferry/config, when it exists)"},
    {"profile", 0, "NAME", OK_STR, "FERRY_PROFILE", OPT_SHOWN, NULL, F(profile),
     "use the settings of [profile NAME] of the config file"},
    {"batch", 'b', "FILE", OK_STR, NULL, 0, NULL, F(batch),
     "run the commands of FILE ('-': standard input) in one session, as "
     "sftp -b: stop at the first failure unless its line starts with '-'"},
    {"help", 'h', NULL, OK_HELP, NULL, 0, NULL, 0, "this help"},
    {"version", 'V', NULL, OK_VERSION, NULL, 0, NULL, 0,
     "print the version"},
};

#define N_OPTS (sizeof table / sizeof table[0])
_Static_assert(N_OPTS <= OPT_MAX, "OPT_MAX is too small");

const struct opt *opt_table(size_t *n)
{
	*n = N_OPTS;
	return table;
}

const struct opt *opt_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

size_t opt_index(const struct opt *o)
{
	return (size_t)(o - table);
}

static bool number(const char *s, unsigned long lo, unsigned long hi,
		   unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' ||
	    v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool pin_syntax(const char *s)
{
	size_t i;

	/* base64 of 32 bytes: 43 characters and one '=' (tls.c decodes) */
	if (strlen(s) != 44 || s[43] != '=')
		return false;
	for (i = 0; i < 43; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		      s[i] == '/'))
			return false;
	return true;
}

const char *opt_check(const struct opt *o, const char *value, char *why,
		      size_t n)
{
	char host[256];
	const char *w = NULL;
	uint16_t port;
	unsigned u;
	bool b;

	switch (o->kind) {
	case OK_STR:
	case OK_PATH:
		if (!*value)
			snprintf(why, n, "an empty value");
		else
			return NULL;
		break;
	case OK_SERVER:
		if (fr_hostport_parse(value, FR_DEFAULT_PORT, host, sizeof host,
				      &port, &w) == 0)
			return NULL;
		snprintf(why, n, "'%s' is not HOST[:PORT]: %s", value,
			 w ? w : "invalid");
		break;
	case OK_PIN:
		if (pin_syntax(value))
			return NULL;
		snprintf(why, n,
			 "'%s' is not the base64 of a SHA-256 (44 characters "
			 "ending in '=')",
			 value);
		break;
	case OK_BOOL:
		if (fr_conf_bool(value, &b) == 0)
			return NULL;
		snprintf(why, n, "'%s' is not yes or no", value);
		break;
	case OK_LANES:
		if (number(value, 1, FR_CLIENT_MAX_LANES, &u))
			return NULL;
		snprintf(why, n, "wants a number from 1 to %u, not '%s'",
			 FR_CLIENT_MAX_LANES, value);
		break;
	case OK_RETRIES:
		if (number(value, 0, CLI_MAX_RETRIES, &u))
			return NULL;
		snprintf(why, n, "wants a number from 0 to %u, not '%s'",
			 CLI_MAX_RETRIES, value);
		break;
	case OK_HELP:
	case OK_VERSION:
	default:
		return NULL;
	}
	return why;
}

/* The flag as the user may have typed it, for messages. */
static void flag_name(const struct opt *o, char *buf, size_t n)
{
	if (o->short_name)
		snprintf(buf, n, "-%c/--%s", o->short_name, o->name);
	else
		snprintf(buf, n, "--%s", o->name);
}

static int set_flag(struct opt_set *set, const struct opt *o,
		    const char *value)
{
	char why[512], name[64];

	if (opt_check(o, value, why, sizeof why)) {
		flag_name(o, name, sizeof name);
		fprintf(stderr, "ferry: %s: %s; see 'ferry --help'\n", name,
			why);
		return FX_USAGE;
	}
	set->v[opt_index(o)] = (struct opt_val){value, OO_FLAG, NULL, 0};
	return FX_OK;
}

static void usage_line(void)
{
	fputs("usage: ferry [OPTIONS] COMMAND [ARGS...]; see 'ferry --help'\n",
	      stderr);
}

int opt_parse(int argc, char **argv, struct opt_set *set, int *first,
	      bool *done, void (*help)(FILE *))
{
	struct option lo[N_OPTS + 1];
	char shorts[2 * N_OPTS + 2], *sp = shorts;
	const struct opt *o;
	const char *env;
	size_t i;
	int c, idx;

	memset(set, 0, sizeof *set);
	*done = false;
	*first = argc;
	/* '+': stop at the command; its own options are parsed later */
	*sp++ = '+';
	for (i = 0; i < N_OPTS; i++) {
		lo[i] = (struct option){table[i].name,
					table[i].arg ? required_argument
						     : no_argument,
					NULL, (int)(256 + i)};
		if (table[i].short_name) {
			*sp++ = table[i].short_name;
			if (table[i].arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	lo[N_OPTS] = (struct option){NULL, 0, NULL, 0};
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
		o = NULL;
		if (c >= 256 && c < 256 + (int)N_OPTS)
			o = &table[c - 256];
		for (i = 0; !o && c != '?' && i < N_OPTS; i++)
			if (table[i].short_name == c)
				o = &table[i];
		if (!o) {
			const char *arg = argv[optind - 1];

			if (strncmp(arg, "--", 2) == 0)
				fprintf(stderr, "ferry: %s option '%s'\n",
					optopt ? "missing value for"
					       : "unknown",
					arg);
			else if (optopt && strchr(shorts, optopt))
				fprintf(stderr,
					"ferry: missing value for option "
					"'-%c'\n",
					optopt);
			else
				fprintf(stderr, "ferry: unknown option '-%c'\n",
					optopt);
			usage_line();
			return FX_USAGE;
		}
		if (o->kind == OK_HELP) {
			help(stdout);
			*done = true;
			return FX_OK;
		}
		if (o->kind == OK_VERSION) {
			printf("ferry %s (protocol %d)\n", FR_VERSION_STRING,
			       FR_PROTO_VERSION);
			*done = true;
			return FX_OK;
		}
		if (set_flag(set, o, o->arg ? optarg : "yes") != FX_OK)
			return FX_USAGE;
	}
	*first = optind;
	for (i = 0; i < N_OPTS; i++) {
		struct opt_val *v = &set->v[i];
		char why[512];

		if (v->origin != OO_NONE || !table[i].env)
			continue;
		env = getenv(table[i].env);
		if (!env || !*env)
			continue;
		if (opt_check(&table[i], env, why, sizeof why)) {
			fprintf(stderr, "ferry: %s: %s\n", table[i].env, why);
			return FX_USAGE;
		}
		*v = (struct opt_val){env, OO_ENV, NULL, 0};
	}
	return FX_OK;
}

void opt_apply(struct opt_set *set, struct cli *cli)
{
	const struct opt *o;
	struct opt_val *v;
	unsigned u;
	bool b;
	size_t i;

	for (i = 0; i < N_OPTS; i++) {
		o = &table[i];
		v = &set->v[i];
		if (v->origin == OO_NONE && o->def)
			*v = (struct opt_val){o->def, OO_BUILTIN, NULL, 0};
		if (v->origin == OO_NONE)
			continue;
		switch (o->kind) {
		case OK_STR:
		case OK_PATH:
		case OK_SERVER:
		case OK_PIN:
			*(const char **)((char *)cli + o->off) = v->value;
			break;
		case OK_BOOL:
			b = false;
			(void)fr_conf_bool(v->value, &b);
			*(bool *)((char *)cli + o->off) = b;
			break;
		case OK_LANES:
		case OK_RETRIES:
			u = 0;
			(void)number(v->value, 0, ~0u, &u);
			*(unsigned *)((char *)cli + o->off) = u;
			break;
		case OK_HELP:
		case OK_VERSION:
		default:
			break;
		}
	}
}

/* text wrapped at 79 columns, every line indented by ind. */
static void wrap(FILE *f, const char *text, int col, int ind)
{
	const char *p = text, *sp;
	int len;

	while (*p) {
		len = (int)strlen(p);
		if (col + len > 79) {
			for (sp = p + (79 - col); sp > p && *sp != ' '; sp--)
				;
			if (sp == p)
				sp = p + strcspn(p, " ");
			len = (int)(sp - p);
		}
		fprintf(f, "%.*s\n", len, p);
		p += len;
		while (*p == ' ')
			p++;
		if (*p)
			fprintf(f, "%*s", ind, "");
		col = ind;
	}
}

void opt_help(FILE *f)
{
	char head[64];
	size_t i;
	int n;

	fputs("OPTIONS (before the command)\n", f);
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &table[i];

		n = snprintf(head, sizeof head, "    %s%c%s--%s%s%s",
			     o->short_name ? "-" : "",
			     o->short_name ? o->short_name : ' ',
			     o->short_name ? ", " : "", o->name,
			     o->arg ? " " : "", o->arg ? o->arg : "");
		if (!o->short_name) /* "    --ca", not "     --ca" */
			n = snprintf(head, sizeof head, "    --%s%s%s",
				     o->name, o->arg ? " " : "",
				     o->arg ? o->arg : "");
		if (n < 22)
			fprintf(f, "%-22s", head);
		else
			fprintf(f, "%s\n%22s", head, "");
		wrap(f, o->help, 22, 22);
	}
	fputs("    Options take their value as '--ca FILE' or '--ca=FILE'.\n\n"
	      "ENVIRONMENT\n",
	      f);
	for (i = 0; i < N_OPTS; i++)
		if (table[i].env)
			fprintf(f, "    %-16s the default of --%s\n",
				table[i].env, table[i].name);
	fputs("    A flag wins over the environment, which wins over the "
	      "config file.\n\n"
	      "FILES\n"
	      "    $XDG_CONFIG_HOME/ferry/config (default "
	      "~/.config/ferry/config)\n"
	      "        profiles: a [default] section and [profile NAME] "
	      "sections of\n"
	      "        'key = value' lines ('#' starts a comment line); the "
	      "keys are\n"
	      "        these long options:",
	      f);
	n = 29;
	for (i = 0; i < N_OPTS; i++) {
		if (!(table[i].flags & OPT_FILE))
			continue;
		if (n + (int)strlen(table[i].name) + 1 > 78) {
			fputs("\n       ", f);
			n = 7;
		}
		fprintf(f, " %s", table[i].name);
		n += (int)strlen(table[i].name) + 1;
	}
	fputs("\n        (switches take yes or no).  Relative paths are "
	      "relative to the\n"
	      "        file.  Precedence: flags, environment, the profile, "
	      "[default].\n"
	      "    $XDG_STATE_HOME/ferry/history (default "
	      "~/.local/state/ferry/history)\n"
	      "        the history of ferry shell (mode 0600)\n\n",
	      f);
}

static const char *origin_text(const struct opt *o, const struct opt_val *v,
			       char *buf, size_t n)
{
	switch (v->origin) {
	case OO_FLAG:
		snprintf(buf, n, "--%s", o->name);
		break;
	case OO_ENV:
		snprintf(buf, n, "%s", o->env);
		break;
	case OO_PROFILE:
	case OO_DEFAULT:
		snprintf(buf, n, "%s:%u", v->file, v->line);
		break;
	case OO_BUILTIN:
		snprintf(buf, n, "built in");
		break;
	case OO_NONE:
	default:
		snprintf(buf, n, "not set");
		break;
	}
	return buf;
}

void opt_show(const struct opt_set *set, FILE *f)
{
	char where[4200], safe[3 * 4096];
	size_t i;

	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &table[i];
		const struct opt_val *v = &set->v[i];

		if (!(o->flags & (OPT_FILE | OPT_SHOWN)))
			continue;
		if (v->origin == OO_NONE) {
			fprintf(f, "# %s is not set\n", o->name);
			continue;
		}
		fprintf(f, "%s = %s", o->name,
			out_term(safe, sizeof safe, v->value));
		fprintf(f, "    # %s\n",
			out_term(safe, sizeof safe,
				 origin_text(o, v, where, sizeof where)));
	}
}
