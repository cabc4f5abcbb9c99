/*
 * fsfault.c - an LD_PRELOAD shim that injects file-system faults, for the
 * tests of commit safety (a crash between two calls, a network file system
 * without RENAME_NOREPLACE or directory fsync).  Generic: any program
 * (ferryd, ferry) that makes these calls through libc.
 *
 *   LD_PRELOAD=.../libfsfault.so FERRY_FSFAULT='RULE[,RULE...]' program ...
 *
 * RULE is CALL[@N]=ACTION:
 *   CALL    renameat2 (only calls with flags != 0: a plain rename is not
 *           what NFS refuses), renameat, rename, linkat, link, unlinkat,
 *           unlink, fsync (regular files), fsync_dir (directories), fdatasync
 *   @N      only the Nth counted call of CALL (1-based); without it, every
 *   ACTION  an errno name (EINVAL, EIO, ENOSPC, ENOSYS, EXDEV, EPERM,
 *           EMLINK, ENOLCK): fail with it without making the call;
 *           die (= die-before): SIGKILL this process before the call;
 *           die-after: make the call, then SIGKILL (like kill -9 there)
 * FERRY_FSFAULT_MATCH=TEXT counts only calls with a path argument that
 * contains TEXT (fsync calls have none and always count).
 * Each injected fault is reported on stderr: "fsfault: linkat #1: die-after".
 * Counters are per process and atomic (threads share them).
 * It is a test tool: a bad rule aborts the program at start.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum call { C_RENAMEAT2, C_RENAMEAT, C_RENAME, C_LINKAT, C_LINK, C_UNLINKAT,
	    C_UNLINK, C_FSYNC, C_FSYNC_DIR, C_FDATASYNC, C_N };

static const char *const names[C_N] = {
	"renameat2", "renameat", "rename", "linkat", "link", "unlinkat",
	"unlink", "fsync", "fsync_dir", "fdatasync"
};

#define MAX_RULES 16
#define A_DIE_BEFORE (-1)
#define A_DIE_AFTER (-2)

struct rule {
	enum call call;
	long nth; /* 0: every call */
	int action; /* errno > 0, or A_DIE_* */
};

static struct rule rules[MAX_RULES];
static int n_rules;
static const char *match;
static atomic_long counts[C_N];

static int errno_of(const char *s)
{
	static const struct {
		const char *n;
		int e;
	} t[] = { { "EINVAL", EINVAL }, { "EIO", EIO },	      { "ENOSPC", ENOSPC },
		  { "ENOSYS", ENOSYS }, { "EXDEV", EXDEV },   { "EPERM", EPERM },
		  { "EMLINK", EMLINK }, { "ENOLCK", ENOLCK }, { "EROFS", EROFS } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n))
			return t[i].e;
	return 0;
}

static void bad_rule(const char *r)
{
	fprintf(stderr, "fsfault: bad rule '%s' in FERRY_FSFAULT\n", r);
	abort();
}

__attribute__((constructor)) static void fsfault_init(void)
{
	const char *env = getenv("FERRY_FSFAULT");
	char buf[1024], *save = NULL, *tok;

	match = getenv("FERRY_FSFAULT_MATCH");
	if (!env || !*env)
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ",", &save); tok && n_rules < MAX_RULES;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *at;
		struct rule *r = &rules[n_rules];
		int c;

		if (!eq)
			bad_rule(tok);
		*eq = '\0';
		at = strchr(tok, '@');
		if (at) {
			*at = '\0';
			r->nth = strtol(at + 1, NULL, 10);
			if (r->nth < 1)
				bad_rule(tok);
		}
		for (c = 0; c < C_N && strcmp(tok, names[c]); c++)
			;
		if (c == C_N)
			bad_rule(tok);
		r->call = (enum call)c;
		if (!strcmp(eq + 1, "die") || !strcmp(eq + 1, "die-before"))
			r->action = A_DIE_BEFORE;
		else if (!strcmp(eq + 1, "die-after"))
			r->action = A_DIE_AFTER;
		else if (!(r->action = errno_of(eq + 1)))
			bad_rule(eq + 1);
		n_rules++;
	}
}

static void *next(const char *sym)
{
	void *f = dlsym(RTLD_NEXT, sym);

	if (!f) {
		fprintf(stderr, "fsfault: no %s in libc\n", sym);
		abort();
	}
	return f;
}

/* Count this call; the action of the rule it hits, or 0 for none. */
static int hit(enum call c, const char *p1, const char *p2)
{
	long k;
	int i;

	if (n_rules == 0)
		return 0;
	if (match && (p1 || p2) && !(p1 && strstr(p1, match)) &&
	    !(p2 && strstr(p2, match)))
		return 0;
	k = atomic_fetch_add(&counts[c], 1) + 1;
	for (i = 0; i < n_rules; i++) {
		if (rules[i].call != c || (rules[i].nth && rules[i].nth != k))
			continue;
		fprintf(stderr, "fsfault: %s #%ld (%s%s%s): %s\n", names[c], k,
			p1 ? p1 : "", p2 ? " -> " : "", p2 ? p2 : "",
			rules[i].action == A_DIE_BEFORE	  ? "die-before"
			: rules[i].action == A_DIE_AFTER ? "die-after"
							  : strerror(rules[i].action));
		if (rules[i].action == A_DIE_BEFORE)
			raise(SIGKILL);
		return rules[i].action;
	}
	return 0;
}

/* Apply the action around a call: fail, or run it (and die after). */
#define AROUND(act, callexpr)                                                  \
	do {                                                                   \
		int a_ = (act);                                                \
		long r_;                                                       \
		if (a_ > 0) {                                                  \
			errno = a_;                                            \
			return -1;                                             \
		}                                                              \
		r_ = (callexpr);                                               \
		if (a_ == A_DIE_AFTER)                                         \
			raise(SIGKILL);                                        \
		return (int)r_;                                                \
	} while (0)

int renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
	static int (*f)(int, const char *, int, const char *, unsigned);

	if (!f)
		f = next("renameat2");
	AROUND(flags ? hit(C_RENAMEAT2, o, n) : 0, f(od, o, nd, n, flags));
}

int renameat(int od, const char *o, int nd, const char *n)
{
	static int (*f)(int, const char *, int, const char *);

	if (!f)
		f = next("renameat");
	AROUND(hit(C_RENAMEAT, o, n), f(od, o, nd, n));
}

int rename(const char *o, const char *n)
{
	static int (*f)(const char *, const char *);

	if (!f)
		f = next("rename");
	AROUND(hit(C_RENAME, o, n), f(o, n));
}

int linkat(int od, const char *o, int nd, const char *n, int flags)
{
	static int (*f)(int, const char *, int, const char *, int);

	if (!f)
		f = next("linkat");
	AROUND(hit(C_LINKAT, o, n), f(od, o, nd, n, flags));
}

int link(const char *o, const char *n)
{
	static int (*f)(const char *, const char *);

	if (!f)
		f = next("link");
	AROUND(hit(C_LINK, o, n), f(o, n));
}

int unlinkat(int d, const char *p, int flags)
{
	static int (*f)(int, const char *, int);

	if (!f)
		f = next("unlinkat");
	AROUND(hit(C_UNLINKAT, p, NULL), f(d, p, flags));
}

int unlink(const char *p)
{
	static int (*f)(const char *);

	if (!f)
		f = next("unlink");
	AROUND(hit(C_UNLINK, p, NULL), f(p));
}

int fsync(int fd)
{
	static int (*f)(int);
	struct stat st;
	int dir = n_rules && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);

	if (!f)
		f = next("fsync");
	AROUND(hit(dir ? C_FSYNC_DIR : C_FSYNC, NULL, NULL), f(fd));
}

int fdatasync(int fd)
{
	static int (*f)(int);

	if (!f)
		f = next("fdatasync");
	AROUND(hit(C_FDATASYNC, NULL, NULL), f(fd));
}
