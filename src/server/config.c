/*
 * config.c - the loading of ferryd's settings (see config.h) by the option
 * table of config_table.c.
 *
 * Does: defaults, then the file, then the flags ("--flag value" or
 * "--flag=value"); strict numbers; the second read on SIGHUP.
 * Does not: print manuals (config_doc.c, man/ferryd_man.c) or open any
 * file it names besides the config file itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/addr.h"
#include "ferry/conf.h"
#include "ferry/err.h"
#include "ferry/log.h"
#include "config.h"

#define F(field) offsetof(struct config, field)
#define STR2(x) #x
#define STR(x) STR2(x)

enum { FROM_DEFAULT, FROM_FILE, FROM_FLAG };

static void defaults(struct config *cfg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 1)
		ncpu = 1;
	cfg->threads = 2 * (uint64_t)ncpu;
	if (cfg->threads > FR_MAX_THREADS)
		cfg->threads = FR_MAX_THREADS;
	cfg->max_conns = FR_DEFAULT_MAX_CONNS;
	cfg->max_file_size = FR_DEFAULT_MAX_FILE_SIZE;
	cfg->max_conns_per_identity = FR_DEFAULT_MAX_CONNS_PER_IDENTITY;
	cfg->max_path_depth = FR_DEFAULT_MAX_PATH_DEPTH;
	cfg->max_list_entries = FR_LIST_ENTRIES_PER_FRAME;
	cfg->handshake_timeout = FR_DEFAULT_HANDSHAKE_TIMEOUT;
	cfg->idle_timeout = FR_DEFAULT_IDLE_TIMEOUT;
	cfg->stall_timeout = FR_DEFAULT_STALL_TIMEOUT;
	cfg->drain_timeout = FR_DEFAULT_DRAIN_TIMEOUT;
	cfg->partial_ttl = FR_DEFAULT_PARTIAL_TTL;
	cfg->request_timeout = FR_DEFAULT_REQUEST_TIMEOUT;
	cfg->min_rate = FR_DEFAULT_MIN_RATE;
	cfg->min_rate_window = FR_DEFAULT_MIN_RATE_WINDOW;
	cfg->max_conns_per_address = FR_DEFAULT_MAX_CONNS_PER_ADDRESS;
	cfg->protocol_max = FR_PROTO_VERSION;
	cfg->tls_min = 13;
	cfg->log_format = FR_LOG_TEXT;
	cfg->listen[0] = "0.0.0.0:" STR(FR_DEFAULT_PORT);
	cfg->listen[1] = "[::]:" STR(FR_DEFAULT_PORT);
	cfg->n_listen = 2;
	cfg->listen_default = true;
}

static uint64_t *u64_field(const struct config *cfg,
			   const struct config_opt *o)
{
	return (uint64_t *)((char *)cfg + o->off);
}

static const char **str_field(const struct config *cfg,
			      const struct config_opt *o)
{
	return (const char **)((char *)cfg + o->off);
}

void config_value_text(const struct config *cfg, const struct config_opt *o,
		       size_t i, char *buf, size_t n)
{
	const char *s;

	buf[0] = '\0';
	switch (o->kind) {
	case CK_STR:
	case CK_PATH:
	case CK_ADDR:
		s = *str_field(cfg, o);
		snprintf(buf, n, "%s", s ? s : "");
		break;
	case CK_U64:
		snprintf(buf, n, "%llu", (unsigned long long)*u64_field(cfg, o));
		break;
	case CK_LISTEN:
		if (i < cfg->n_listen)
			snprintf(buf, n, "%s", cfg->listen[i]);
		break;
	case CK_CIDRS:
		if (i < cfg->n_proxy_from_arg)
			snprintf(buf, n, "%s", cfg->proxy_from_arg[i]);
		break;
	case CK_TLSMIN:
		snprintf(buf, n, "1.%d", cfg->tls_min - 10);
		break;
	case CK_LOGFMT:
		snprintf(buf, n, "%s",
			 cfg->log_format == FR_LOG_JSON ? "json" : "text");
		break;
	case CK_BOOL:
		snprintf(buf, n, "%s", cfg->allow_open_key ? "yes" : "no");
		break;
	case CK_CONFIG:
	case CK_CHECK:
	case CK_DUMP:
	case CK_HELP:
	case CK_VERSION:
	default:
		break;
	}
}

void config_default_text(const struct config_opt *o, char *buf, size_t n)
{
	struct config d;

	memset(&d, 0, sizeof(d));
	defaults(&d);
	buf[0] = '\0';
	if (o->kind == CK_LISTEN)
		snprintf(buf, n, "%s and %s", d.listen[0], d.listen[1]);
	else if (o->off == F(threads) && o->kind == CK_U64)
		snprintf(buf, n, "2 x CPUs");
	else if (o->kind == CK_U64 || o->kind == CK_TLSMIN ||
		 o->kind == CK_LOGFMT || o->kind == CK_BOOL)
		config_value_text(&d, o, 0, buf, n);
}

/* strtoull with every check: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return FR_E_USAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return FR_E_USAGE;
	*out = v;
	return FR_OK;
}

/* "CIDR[,CIDR...]": each one appended to --proxy-protocol-from. */
static int apply_cidrs(struct config *cfg, const char *val, char *why,
		       size_t whylen)
{
	const char *p = val, *reason = NULL;
	char one[64];
	size_t n;

	if (cfg->n_proxy_from_arg >= FR_MAX_PROXY_FROM) {
		snprintf(why, whylen, "at most %u values", FR_MAX_PROXY_FROM);
		return FR_E_USAGE;
	}
	for (;;) {
		n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(one)) {
			snprintf(why, whylen, "'%s': an empty or over-long "
				 "entry", val);
			return FR_E_USAGE;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (cfg->n_proxy_from >= FR_MAX_PROXY_FROM) {
			snprintf(why, whylen, "at most %u address blocks",
				 FR_MAX_PROXY_FROM);
			return FR_E_USAGE;
		}
		if (fr_cidr_parse(one, &cfg->proxy_from[cfg->n_proxy_from],
				  &reason) != FR_OK) {
			snprintf(why, whylen, "'%s': %s", one,
				 reason ? reason : "invalid address block");
			return FR_E_USAGE;
		}
		cfg->n_proxy_from++;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	cfg->proxy_from_arg[cfg->n_proxy_from_arg++] = val;
	return FR_OK;
}

/*
 * Set option o to val (from the file when it is non-NULL, else from a
 * flag).  On error *why gets the reason (without the FILE:LINE or --flag
 * in front) in buf.
 */
static int apply(struct config *cfg, const struct config_opt *o,
		 const char *val, struct fr_conf *file,
		 const struct fr_conf_item *it, char *why, size_t whylen)
{
	size_t n_opts;
	size_t idx = (size_t)(o - config_opts(&n_opts));
	int from = file ? FROM_FILE : FROM_FLAG;
	char host[256], sub[512];
	const char *reason = NULL;
	uint16_t port;
	uint64_t v;
	bool b;

	switch (o->kind) {
	case CK_PATH:
		if (file && *val) {
			if (fr_conf_path(file, it, &val, sub, sizeof(sub)) !=
			    FR_OK) {
				snprintf(why, whylen, "cannot resolve '%s'",
					 it->value);
				return FR_E_USAGE;
			}
		}
		/* fall through */
	case CK_STR:
		if (*val == '\0')
			goto bad;
		*str_field(cfg, o) = val;
		break;
	case CK_ADDR:
		if (fr_hostport_parse(val, 0, host, sizeof(host), &port,
				      &reason) != FR_OK ||
		    !strchr(val, ':')) {
			snprintf(why, whylen, "'%s': %s", val,
				 reason ? reason
					: "give ADDR:PORT, e.g. 127.0.0.1:9534");
			return FR_E_USAGE;
		}
		*str_field(cfg, o) = val;
		break;
	case CK_U64:
		if (parse_u64(val, &v) != FR_OK || v < o->min || v > o->max) {
			snprintf(why, whylen, "'%s' is not an integer in "
				 "%llu..%llu", val, (unsigned long long)o->min,
				 (unsigned long long)o->max);
			return FR_E_USAGE;
		}
		*u64_field(cfg, o) = v;
		break;
	case CK_LISTEN:
		if (fr_hostport_parse(val, FR_DEFAULT_PORT, host, sizeof(host),
				      &port, &reason) != FR_OK) {
			snprintf(why, whylen, "'%s': %s", val,
				 reason ? reason : "invalid address");
			return FR_E_USAGE;
		}
		/* flags replace the file's list, which replaces the default */
		if (cfg->origin[idx] != from) {
			cfg->listen_default = false;
			cfg->n_listen = 0;
		}
		if (cfg->n_listen >= FR_MAX_LISTENERS) {
			snprintf(why, whylen, "at most %u addresses",
				 FR_MAX_LISTENERS);
			return FR_E_USAGE;
		}
		cfg->listen[cfg->n_listen++] = val;
		break;
	case CK_CIDRS:
		/* like --listen: flags replace the file's list */
		if (cfg->origin[idx] != from)
			cfg->n_proxy_from = cfg->n_proxy_from_arg = 0;
		if (apply_cidrs(cfg, val, why, whylen) != FR_OK)
			return FR_E_USAGE;
		break;
	case CK_TLSMIN:
		if (strcmp(val, "1.2") == 0)
			cfg->tls_min = 12;
		else if (strcmp(val, "1.3") == 0)
			cfg->tls_min = 13;
		else
			goto bad;
		break;
	case CK_LOGFMT:
		if (strcmp(val, "text") == 0)
			cfg->log_format = FR_LOG_TEXT;
		else if (strcmp(val, "json") == 0)
			cfg->log_format = FR_LOG_JSON;
		else
			goto bad;
		break;
	case CK_BOOL:
		if (fr_conf_bool(val, &b) != FR_OK) {
			snprintf(why, whylen, "'%s' is not yes or no", val);
			return FR_E_USAGE;
		}
		cfg->allow_open_key = b;
		break;
	case CK_CONFIG:
	case CK_CHECK:
	case CK_DUMP:
	case CK_HELP:
	case CK_VERSION:
	default:
		goto bad;
	}
	cfg->origin[idx] = (unsigned char)from;
	return FR_OK;
bad:
	snprintf(why, whylen, "invalid value '%s' (expected %s)", val,
		 o->arg ? o->arg : "no value");
	return FR_E_USAGE;
}

static const struct config_opt *find(const char *name, size_t len)
{
	size_t i, n;
	const struct config_opt *opts = config_opts(&n);

	for (i = 0; i < n; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* Apply every item of the file; the first problem ends it. */
static int apply_file(struct config *cfg, struct fr_conf *file, char *err,
		      size_t errlen)
{
	const struct fr_conf_item *it, *prev;
	const struct config_opt *o;
	char why[600];
	size_t i, j;

	for (i = 0; i < fr_conf_count(file); i++) {
		it = fr_conf_get(file, i);
		o = find(it->key, strlen(it->key));
		if (!o) {
			fr_conf_error(file, it, err, errlen, "unknown key "
				      "'%s' (see ferryd.conf(5))", it->key);
			return FR_E_USAGE;
		}
		if (!(o->flags & CO_FILE)) {
			fr_conf_error(file, it, err, errlen, "'%s' is a "
				      "command-line option only", it->key);
			return FR_E_USAGE;
		}
		for (j = 0; j < i && !(o->flags & CO_REPEAT); j++) {
			prev = fr_conf_get(file, j);
			if (strcmp(prev->key, it->key) == 0) {
				fr_conf_error(file, it, err, errlen,
					      "'%s' is already set on line %u",
					      it->key, prev->line);
				return FR_E_USAGE;
			}
		}
		if (apply(cfg, o, it->value, file, it, why, sizeof(why)) !=
		    FR_OK) {
			fr_conf_error(file, it, err, errlen, "%s: %s", it->key,
				      why);
			return FR_E_USAGE;
		}
	}
	return FR_OK;
}

/* One flag at argv[*a]; its value may be the next argument. */
static int take_flag(struct config *cfg, int argc, char **argv, int *a,
		     const char **config_file, char *err, size_t errlen)
{
	const char *s = argv[*a], *eq, *val;
	const struct config_opt *o;
	char why[600];

	if (strncmp(s, "--", 2) != 0) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", s);
		return FR_E_USAGE;
	}
	s += 2;
	eq = strchr(s, '=');
	o = find(s, eq ? (size_t)(eq - s) : strlen(s));
	if (!o) {
		snprintf(err, errlen, "unknown option '%s' (see --help)",
			 argv[*a]);
		return FR_E_USAGE;
	}
	if (!o->arg && o->kind != CK_BOOL && eq) {
		snprintf(err, errlen, "--%s takes no value", o->name);
		return FR_E_USAGE;
	}
	switch (o->kind) {
	case CK_HELP:
		config_usage();
		return FR_AGAIN;
	case CK_VERSION:
		printf("ferryd %s (protocol v%d)\n", FR_VERSION_STRING,
		       FR_PROTO_VERSION);
		return FR_AGAIN;
	case CK_CHECK:
		cfg->mode = CONFIG_CHECK;
		return FR_OK;
	case CK_DUMP:
		cfg->mode = CONFIG_DUMP;
		return FR_OK;
	default:
		break;
	}
	if (eq) {
		val = eq + 1;
	} else if (o->kind == CK_BOOL) {
		val = "yes";
	} else if (*a + 1 < argc) {
		val = argv[++*a];
	} else {
		snprintf(err, errlen, "--%s needs a value (%s)", o->name,
			 o->arg);
		return FR_E_USAGE;
	}
	if (o->kind == CK_CONFIG) {
		if (*val == '\0') {
			snprintf(err, errlen, "--config needs a file name");
			return FR_E_USAGE;
		}
		*config_file = val;
		return FR_OK;
	}
	if (apply(cfg, o, val, NULL, NULL, why, sizeof(why)) != FR_OK) {
		snprintf(err, errlen, "--%s: %s", o->name, why);
		return FR_E_USAGE;
	}
	return FR_OK;
}

int config_load(int argc, char **argv, struct config **out, char *err,
		size_t errlen)
{
	const char *file = NULL;
	struct config *cfg, flags;
	size_t i, n;
	const struct config_opt *opts = config_opts(&n);
	int a, r;

	*out = NULL;
	err[0] = '\0';
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return FR_E_USAGE;
	}
	cfg->argc = argc;
	cfg->argv = argv;
	defaults(cfg);
	/* the flags once on their own, to find --config and the mode and to
	 * report a bad flag before the file is read */
	memcpy(&flags, cfg, sizeof(flags));
	for (a = 1; a < argc; a++) {
		r = take_flag(&flags, argc, argv, &a, &file, err, errlen);
		if (r != FR_OK)
			goto fail;
	}
	cfg->mode = flags.mode;
	r = fr_conf_load(file ? file : CONFIG_DEFAULT_FILE, 0, &cfg->conf, err,
			 errlen);
	if (r == FR_E_NOT_FOUND && !file) {
		err[0] = '\0';
	} else if (r != FR_OK) {
		if (r == FR_E_NOT_FOUND)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (--config)");
		r = FR_E_USAGE;
		goto fail;
	} else {
		cfg->config_file = fr_conf_name(cfg->conf);
		r = apply_file(cfg, cfg->conf, err, errlen);
		if (r != FR_OK)
			goto fail;
	}
	for (a = 1; a < argc; a++) {
		r = take_flag(cfg, argc, argv, &a, &file, err, errlen);
		if (r != FR_OK)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((opts[i].flags & CO_REQUIRED) &&
		    !*str_field(cfg, &opts[i])) {
			snprintf(err, errlen, "missing %s: give --%s %s or "
				 "'%s = %s' in %s (see --help)", opts[i].name,
				 opts[i].name, opts[i].arg, opts[i].name,
				 opts[i].arg, file ? file : CONFIG_DEFAULT_FILE);
			r = FR_E_USAGE;
			goto fail;
		}
	}
	*out = cfg;
	return FR_OK;
fail:
	config_free(cfg);
	return r;
}

/* Copy the value of o from src into dst. */
static void copy_value(struct config *dst, const struct config *src,
		       const struct config_opt *o)
{
	switch (o->kind) {
	case CK_LISTEN:
		memcpy(dst->listen, src->listen, sizeof(dst->listen));
		dst->n_listen = src->n_listen;
		dst->listen_default = src->listen_default;
		break;
	case CK_CIDRS:
		memcpy(dst->proxy_from, src->proxy_from,
		       sizeof(dst->proxy_from));
		dst->n_proxy_from = src->n_proxy_from;
		memcpy(dst->proxy_from_arg, src->proxy_from_arg,
		       sizeof(dst->proxy_from_arg));
		dst->n_proxy_from_arg = src->n_proxy_from_arg;
		break;
	case CK_STR:
	case CK_PATH:
	case CK_ADDR:
		*str_field(dst, o) = *str_field(src, o);
		break;
	case CK_U64:
		*u64_field(dst, o) = *u64_field(src, o);
		break;
	case CK_TLSMIN:
		dst->tls_min = src->tls_min;
		break;
	case CK_LOGFMT:
		dst->log_format = src->log_format;
		break;
	case CK_BOOL:
		dst->allow_open_key = src->allow_open_key;
		break;
	default:
		break;
	}
}

static bool same_value(const struct config *a, const struct config *b,
		       const struct config_opt *o)
{
	char x[4200], y[4200];
	size_t i;

	size_t n = o->kind == CK_LISTEN	 ? a->n_listen
		   : o->kind == CK_CIDRS ? a->n_proxy_from_arg
					 : 1;

	if ((o->kind == CK_LISTEN && a->n_listen != b->n_listen) ||
	    (o->kind == CK_CIDRS && a->n_proxy_from_arg != b->n_proxy_from_arg))
		return false;
	for (i = 0; i < n; i++) {
		config_value_text(a, o, i, x, sizeof(x));
		config_value_text(b, o, i, y, sizeof(y));
		if (strcmp(x, y) != 0)
			return false;
	}
	return true;
}

int config_reload(const struct config *old, struct config **out,
		  void (*changed)(void *arg, const char *name, bool applied),
		  void *arg, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	size_t i, n;
	const struct config_opt *opts = config_opts(&n);
	int r;

	*out = NULL;
	r = config_load(old->argc, old->argv, &cfg, err, errlen);
	if (r != FR_OK)
		return FR_E_USAGE; /* FR_AGAIN cannot happen: we started */
	cfg->mode = old->mode;
	for (i = 0; i < n; i++) {
		if (!(opts[i].flags & CO_FILE) || same_value(old, cfg, &opts[i]))
			continue;
		if (!(opts[i].flags & CO_RELOAD))
			copy_value(cfg, old, &opts[i]);
		if (changed)
			changed(arg, opts[i].name,
				(opts[i].flags & CO_RELOAD) != 0);
	}
	*out = cfg;
	return FR_OK;
}

void config_free(struct config *cfg)
{
	struct config *older;

	while (cfg) {
		older = cfg->older;
		fr_conf_free(cfg->conf);
		free(cfg);
		cfg = older;
	}
}
