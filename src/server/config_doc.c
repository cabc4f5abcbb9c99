/*
 * config_doc.c - the words of ferryd's manual that are not in the option
 * table, and the two things ferryd prints from it: --help and
 * --dump-config.
 *
 * Does: hold the DESCRIPTION, FILES, ENVIRONMENT, SIGNALS and EXIT STATUS
 * sections once, for --help here and for ferryd(8) (man/ferryd_man.c
 * renders the same data as scdoc); print the effective settings in ferryd.conf syntax.
 * Does not: parse anything (config.c).
 */
#include <stdio.h>
#include <string.h>

#include "ferry/limits.h"
#include "config.h"

#define STR2(x) #x
#define STR(x) STR2(x)

const char config_doc_name[] = "mutual-TLS file transfer server";
const char config_doc_synopsis[] =
	"ferryd [--config FILE] [--check-config | --dump-config] [OPTION]...";

static const struct config_doc_item description[] = {
	{ NULL, "Serves a directory to clients holding a certificate signed "
		"by the --ca file, speaking ferry protocol v"
		STR(FR_PROTO_VERSION) " over TLS. Every request is logged as one line on stderr." },
	{ NULL, "Settings come from the built-in defaults, then the "
		"configuration file, then the command line: a flag overrides "
		"the file. Every option below is also a key of the file "
		"(without the dashes), except --config, --check-config, "
		"--dump-config, --help and --version; see ferryd.conf(5)." },
};

static const struct config_doc_item files[] = {
	{ CONFIG_DEFAULT_FILE, "The configuration file read when --config "
	  "is not given (ignored when it does not exist)." },
	{ "/lib/systemd/system/ferryd.service", "The systemd unit of the "
	  "Debian package: Type=notify, runs as the user ferry, root "
	  "/var/lib/ferry." },
	{ "/lib/systemd/system/ferryd.socket", "Optional socket activation "
	  "(not enabled by the package): systemd listens on port "
	  STR(FR_DEFAULT_PORT) " and starts ferryd.service on the first "
	  "connection." },
};

static const struct config_doc_item environment[] = {
	{ "NOTIFY_SOCKET", "Where ferryd sends READY=1, RELOADING=1, "
	  "STOPPING=1 and STATUS= (systemd's Type=notify); unset: nothing "
	  "is sent." },
	{ "LISTEN_PID, LISTEN_FDS", "Socket activation: when LISTEN_PID is "
	  "ferryd's pid, it serves on the LISTEN_FDS listening TCP sockets "
	  "from fd 3 on and ignores --listen; a passed fd that is not one "
	  "stops it at start (exit 2)." },
};

static const struct config_doc_item signals[] = {
	{ "SIGINT, SIGTERM", "Stop accepting, close idle connections, let "
	  "requests in flight finish (up to --drain-timeout), exit 0." },
	{ "SIGHUP", "Read the configuration file again, then the certificate, "
	  "key, CA, CRL and ACL files, and apply what can change without a "
	  "restart (the settings marked so) to new connections; log the "
	  "settings that need a restart. All or nothing: a bad file keeps "
	  "the previous settings and logs why." },
};

static const struct config_doc_item exits[] = {
	{ "0", "normal or graceful shutdown; --check-config found no "
	  "problem" },
	{ "1", "internal failure; --check-config found a problem (one line "
	  "each on stderr)" },
	{ "2", "usage or configuration error (one line on stderr naming the "
	  "flag, or FILE:LINE)" },
};

#define DOC(h, a) { h, a, sizeof(a) / sizeof(a[0]) }
static const struct config_doc docs[] = {
	DOC("DESCRIPTION", description),
	DOC("FILES", files),
	DOC("ENVIRONMENT", environment),
	DOC("SIGNALS", signals),
	DOC("EXIT STATUS", exits),
};

const struct config_doc *config_docs(size_t *n)
{
	*n = sizeof(docs) / sizeof(docs[0]);
	return docs;
}

/* Print text indented by ind columns, wrapped before column 78. */
static void wrapped(const char *text, size_t ind)
{
	const char *p;
	size_t col = ind, n;

	printf("%*s", (int)ind, "");
	for (p = text; *p;) {
		n = strcspn(p, " ");
		if (col > ind && col + 1 + n > 78) {
			printf("\n%*s", (int)ind, "");
			col = ind;
		} else if (col > ind) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)n, p);
		col += n;
		p += n;
		p += strspn(p, " ");
	}
	putchar('\n');
}

static void section(const struct config_doc *d)
{
	size_t i;

	printf("\n%s\n", d->heading);
	for (i = 0; i < d->n; i++) {
		if (d->items[i].term) {
			printf("    %s\n", d->items[i].term);
			wrapped(d->items[i].text, 8);
		} else {
			if (i > 0)
				putchar('\n');
			wrapped(d->items[i].text, 4);
		}
	}
}

void config_usage(void)
{
	const struct config_opt *o;
	char help[1024], def[64];
	size_t n, i;

	o = config_opts(&n);
	printf("NAME\n    ferryd - %s\n\nSYNOPSIS\n    %s\n",
	       config_doc_name, config_doc_synopsis);
	section(&docs[0]);
	printf("\nOPTIONS\n");
	for (i = 0; i < n; i++) {
		config_default_text(&o[i], def, sizeof(def));
		snprintf(help, sizeof(help), "%s%s%s%s%s%s", o[i].help,
			 (o[i].flags & CO_REQUIRED) ? " Required." : "",
			 def[0] ? " Default: " : "", def, def[0] ? "." : "",
			 !(o[i].flags & CO_FILE) ? ""
			 : (o[i].flags & CO_RELOAD) ? " SIGHUP applies a change."
						    : " A change needs a restart.");
		printf("    --%s%s%s\n", o[i].name, o[i].arg ? " " : "",
		       o[i].arg ? o[i].arg : "");
		wrapped(help, 8);
	}
	for (i = 1; i < sizeof(docs) / sizeof(docs[0]); i++)
		section(&docs[i]);
}

void config_dump(const struct config *cfg)
{
	const struct config_opt *o;
	char val[4200];
	size_t n, i, j, k;

	o = config_opts(&n);
	printf("# ferryd %s: effective settings (defaults, then %s, then "
	       "flags)\n", FR_VERSION_STRING,
	       cfg->config_file ? cfg->config_file : "no config file");
	for (i = 0; i < n; i++) {
		if (!(o[i].flags & CO_FILE))
			continue;
		k = o[i].kind == CK_LISTEN  ? cfg->n_listen
		    : o[i].kind == CK_CIDRS ? cfg->n_proxy_from_arg
					    : 1;
		for (j = 0; j < (k ? k : 1); j++) {
			config_value_text(cfg, &o[i], j, val, sizeof(val));
			printf("%s%s = %s\n", val[0] ? "" : "# ", o[i].name,
			       val);
		}
	}
}
