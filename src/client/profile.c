/*
 * profile.c - the client's config file: where it is, what may be in it,
 * which profile applies, and the values it gives (profile.h).
 *
 * Does not: know what an option means beyond opts.c's table and checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/conf.h"
#include "ferry/err.h"
#include "ferry/limits.h"

#include "profile.h"

#define PREFIX "profile "

/* "ferry: <line>" and FX_USAGE. */
static int bad(const char *line)
{
	fprintf(stderr, "ferry: %s\n", line);
	return FX_USAGE;
}

/* SECURITY: the file names the server, the CA and the key we trust: one
 * that someone else can change is refused, as ssh refuses such a
 * ~/.ssh/config. */
static int check_owner(const char *path)
{
	struct stat st;
	char line[8400];

	if (stat(path, &st) != 0)
		return FX_OK; /* fr_conf_load says why */
	if (st.st_uid != getuid() && st.st_uid != 0) {
		snprintf(line, sizeof line,
			 "%s: owned by uid %u, not by us (uid %u): refusing "
			 "a config file someone else controls",
			 path, (unsigned)st.st_uid, (unsigned)getuid());
		return bad(line);
	}
	if (S_ISREG(st.st_mode) && (st.st_mode & 022)) {
		snprintf(line, sizeof line,
			 "%s: group or others may write it: refusing it "
			 "(chmod go-w %s)",
			 path, path);
		return bad(line);
	}
	return FX_OK;
}

/* The profile name of a section, NULL for [default], or "" when the
 * section is neither. */
static const char *profile_of(const char *section)
{
	if (strcmp(section, "default") == 0)
		return NULL;
	if (strncmp(section, PREFIX, strlen(PREFIX)) == 0)
		return section + strlen(PREFIX);
	return "";
}

/* A profile name: letters, digits and "-_.@" (what a host alias or a
 * shell word holds without quoting). */
static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-_.@", *s)))
			return false;
	return true;
}

/* "server, ca, ..." from the option table, into out. */
static const char *file_keys(char *out, size_t n)
{
	const struct opt *t;
	size_t i, count, w = 0;

	out[0] = '\0';
	t = opt_table(&count);
	for (i = 0; i < count && w < n; i++)
		if (t[i].flags & OPT_FILE)
			w += (size_t)snprintf(out + w, n - w, "%s%s",
					      w ? ", " : "", t[i].name);
	return out;
}

/* Every section header and every item must make sense, in any section. */
static int check_file(struct fr_conf *c)
{
	char err[4400], why[512];
	const struct fr_conf_item *it, *jt;
	const struct opt *o;
	const char *sec, *p;
	unsigned line;
	size_t i, j;

	for (i = 0; (sec = fr_conf_section(c, i, &line)) != NULL; i++) {
		p = profile_of(sec);
		if (p && !name_ok(p)) {
			snprintf(err, sizeof err,
				 "%s:%u: [%s]: the sections are [default] and "
				 "[profile NAME] (NAME of letters, digits and "
				 "'-_.@')",
				 fr_conf_name(c), line, sec);
			return bad(err);
		}
	}
	for (i = 0; (it = fr_conf_get(c, i)) != NULL; i++) {
		if (!*it->section) {
			fr_conf_error(c, it, err, sizeof err,
				      "'%s' comes before any section: put it "
				      "under [default] or [profile NAME]",
				      it->key);
			return bad(err);
		}
		o = opt_find(it->key);
		if (!o || !(o->flags & OPT_FILE)) {
			fr_conf_error(c, it, err, sizeof err,
				      "unknown key '%s' (the keys: %s)",
				      it->key, file_keys(why, sizeof why));
			return bad(err);
		}
		if (opt_check(o, it->value, why, sizeof why)) {
			fr_conf_error(c, it, err, sizeof err, "%s: %s", it->key,
				      why);
			return bad(err);
		}
		for (j = 0; j < i; j++) {
			jt = fr_conf_get(c, j);
			if (strcmp(jt->key, it->key) == 0 &&
			    strcmp(jt->section, it->section) == 0) {
				fr_conf_error(c, it, err, sizeof err,
					      "'%s' again in [%s] (first set "
					      "on line %u)",
					      it->key, it->section, jt->line);
				return bad(err);
			}
		}
	}
	return FX_OK;
}

/* "a, b, c" of the profiles of the file, or "none". */
static void list_profiles(const struct fr_conf *c, char *out, size_t n)
{
	const char *sec, *p;
	size_t i, w = 0;

	out[0] = '\0';
	for (i = 0; (sec = fr_conf_section(c, i, NULL)) != NULL; i++) {
		p = profile_of(sec);
		if (!p || w >= n)
			continue;
		w += (size_t)snprintf(out + w, n - w, "%s%s", w ? ", " : "", p);
	}
	if (!out[0])
		snprintf(out, n, "none");
}

/* Which profile: --profile, -s NAME naming one, FERRY_PROFILE.  FX_OK
 * with *name (NULL: none) and *via_s. */
static int choose(struct opt_set *set, struct fr_conf *c, const char **name,
		  bool *via_s)
{
	struct opt_val *srv = &set->v[opt_index(opt_find("server"))];
	struct opt_val *pro = &set->v[opt_index(opt_find("profile"))];
	char sec[FR_CONF_SECTION_MAX + 16], err[4600], names[2048];
	bool s_names = false;

	*name = NULL;
	*via_s = false;
	if (srv->origin == OO_FLAG && c) {
		snprintf(sec, sizeof sec, PREFIX "%s", srv->value);
		s_names = fr_conf_has_section(c, sec);
	}
	if (s_names && pro->origin == OO_FLAG &&
	    strcmp(pro->value, srv->value) != 0) {
		snprintf(err, sizeof err,
			 "-s %s and --profile %s name two profiles: give one",
			 srv->value, pro->value);
		return bad(err);
	}
	if (s_names && pro->origin != OO_FLAG) {
		*via_s = true;
		*pro = (struct opt_val){srv->value, OO_FLAG, NULL, 0};
	}
	if (pro->origin == OO_NONE)
		return FX_OK;
	if (!c) {
		snprintf(err, sizeof err,
			 "%s%s: there is no config file (--config FILE, "
			 "FERRY_CONFIG, or ~/.config/ferry/config)",
			 pro->origin == OO_ENV ? "FERRY_PROFILE=" : "--profile ",
			 pro->value);
		return bad(err);
	}
	snprintf(sec, sizeof sec, PREFIX "%s", pro->value);
	if (!fr_conf_has_section(c, sec)) {
		list_profiles(c, names, sizeof names);
		snprintf(err, sizeof err,
			 "%s:%u: no [profile %s] in this file (%s); its "
			 "profiles: %s",
			 fr_conf_name(c), fr_conf_lines(c), pro->value,
			 pro->origin == OO_ENV ? "FERRY_PROFILE" : "--profile",
			 names);
		return bad(err);
	}
	*name = pro->value;
	return FX_OK;
}

/* The value of key in section, or NULL. */
static const struct fr_conf_item *find(const struct fr_conf *c,
				       const char *section, const char *key)
{
	const struct fr_conf_item *it;
	size_t i;

	for (i = 0; (it = fr_conf_get(c, i)) != NULL; i++)
		if (strcmp(it->section, section) == 0 &&
		    strcmp(it->key, key) == 0)
			return it;
	return NULL;
}

/* Fill the unset options from the profile, then [default]. */
static int fill(struct opt_set *set, struct fr_conf *c, const char *name,
		bool via_s)
{
	char sec[FR_CONF_SECTION_MAX + 16], err[4400];
	const struct fr_conf_item *it;
	const struct opt *t;
	struct opt_val *v;
	const char *path;
	size_t i, n;

	t = opt_table(&n);
	snprintf(sec, sizeof sec, PREFIX "%s", name ? name : "");
	for (i = 0; i < n; i++) {
		v = &set->v[i];
		if (!(t[i].flags & OPT_FILE))
			continue;
		/* -s NAME named the profile: its server (or NAME, as ssh
		 * does for a Host without HostName), not [default]'s */
		if (via_s && strcmp(t[i].name, "server") == 0) {
			it = find(c, sec, "server");
			if (it)
				*v = (struct opt_val){it->value, OO_PROFILE,
						      fr_conf_name(c),
						      it->line};
			continue;
		}
		if (v->origin != OO_NONE)
			continue;
		it = name ? find(c, sec, t[i].name) : NULL;
		if (!it)
			it = find(c, "default", t[i].name);
		if (!it)
			continue;
		path = it->value;
		if (t[i].kind == OK_PATH &&
		    fr_conf_path(c, it, &path, err, sizeof err) != FR_OK)
			return bad(err[0] ? err : "out of memory");
		*v = (struct opt_val){path,
				      strcmp(it->section, "default") == 0
					  ? OO_DEFAULT
					  : OO_PROFILE,
				      fr_conf_name(c), it->line};
	}
	return FX_OK;
}

int profile_load(struct opt_set *set, struct fr_conf **conf)
{
	struct opt_val *cfg = &set->v[opt_index(opt_find("config"))];
	char def[4096], err[4400];
	const char *path, *name;
	bool explicit = cfg->origin != OO_NONE, via_s;
	int rc;

	*conf = NULL;
	if (explicit)
		path = cfg->value;
	else if (cli_xdg_path("XDG_CONFIG_HOME", ".config", "ferry/config",
			      def, sizeof def))
		path = def;
	else
		path = NULL;
	if (path) {
		rc = check_owner(path);
		if (rc != FX_OK)
			return rc;
		rc = fr_conf_load(path, FR_CONF_SECTIONS, conf, err,
				  sizeof err);
		if (rc == FR_E_NOT_FOUND && !explicit)
			*conf = NULL;
		else if (rc != FR_OK)
			return bad(err);
	}
	if (*conf) {
		rc = check_file(*conf);
		if (rc == FX_OK && !explicit)
			*cfg = (struct opt_val){fr_conf_name(*conf), OO_BUILTIN,
						NULL, 0};
	} else {
		rc = FX_OK;
	}
	if (rc == FX_OK)
		rc = choose(set, *conf, &name, &via_s);
	if (rc == FX_OK && *conf)
		rc = fill(set, *conf, name, via_s);
	if (rc != FX_OK) {
		fr_conf_free(*conf);
		*conf = NULL;
	}
	return rc;
}
