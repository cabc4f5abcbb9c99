/*
 * metrics.c - the counters and the /metrics endpoint (see metrics.h).
 *
 * Counters are process-wide relaxed atomics: a scrape may see one counter
 * a moment ahead of another, never a torn value.  The endpoint is a
 * libmicrohttpd daemon with one internal thread on a socket bound by
 * metrics_new (before confinement and the switch of user, so a low port
 * works); every scrape renders the text anew into a buffer of its own.
 * Text format: Prometheus exposition format 0.0.4 (checked in CI with
 * promtool check metrics, tests/e2e/t_metrics.sh).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/proto.h"
#include "ferry/tls.h"
#include "listener.h"
#include "metrics.h"

#define N_OPS 16     /* enum fr_op values counted; others count as 0 */
#define N_WIRE 64    /* wire error numbers 1..63 (-err) */
#define N_RESULTS (N_WIRE + 4)
#define SCRAPE_MAX (4u * 1024u * 1024u)

typedef atomic_uint_fast64_t counter;

static const char *const local_results[] = { "truncated", "closed",
					     "tls_error", "aborted" };
static const char *const hs_reasons[] = {
	"no_certificate", "untrusted", "expired", "revoked", "not_tls",
	"version", "alpn", "client_alert", "closed", "timeout", "other",
};
#define N_HS (sizeof(hs_reasons) / sizeof(hs_reasons[0]))
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
				  1, 2.5, 5, 10, 30, 60, 300 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static struct {
	counter conns, conns_total;
	counter hs_failed[N_HS];
	counter requests[N_OPS][N_RESULTS];
	counter hist[N_OPS][N_BUCKETS + 1]; /* not cumulative; last: +Inf */
	counter hist_usec[N_OPS];
	counter bytes_in, bytes_out;
	counter held_parts, held_bytes;
	counter reloads_ok, reloads_failed, reload_time, cert_not_after;
	counter start_time;
} M;

struct metrics {
	int lfd;
	int fd_dir;   /* /proc/self/fd, opened before confinement */
	int statm_fd; /* /proc/self/statm */
	struct MHD_Daemon *d;
};

static void add(counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_conn_open(void)
{
	add(&M.conns, 1);
	add(&M.conns_total, 1);
}

void metrics_conn_close(void)
{
	atomic_fetch_sub_explicit(&M.conns, 1, memory_order_relaxed);
}

void metrics_handshake_failed(const char *reason)
{
	size_t i;

	for (i = 0; i < N_HS - 1; i++)
		if (strcmp(reason, hs_reasons[i]) == 0)
			break;
	add(&M.hs_failed[i], 1); /* unknown: "other", the last */
}

static size_t result_index(const char *result)
{
	size_t i;
	int e;

	if (strcmp(result, "ok") == 0)
		return 0;
	for (i = 0; i < 4; i++)
		if (strcmp(result, local_results[i]) == 0)
			return N_WIRE + i;
	e = fr_err_from_code(result);
	if (e < 0 && -e < N_WIRE && fr_err_code(e))
		return (size_t)-e;
	return N_WIRE + 3; /* "aborted" */
}

void metrics_request(int op, const char *result, double seconds)
{
	size_t o = op > 0 && op < N_OPS ? (size_t)op : 0, b;

	add(&M.requests[o][result_index(result)], 1);
	for (b = 0; b < N_BUCKETS && seconds > buckets[b]; b++)
		;
	add(&M.hist[o][b], 1);
	add(&M.hist_usec[o], seconds > 0 ? (uint64_t)(seconds * 1e6) : 0);
}

void metrics_bytes(bool in, uint64_t n)
{
	add(in ? &M.bytes_in : &M.bytes_out, n);
}

void metrics_held(uint64_t parts, uint64_t bytes)
{
	atomic_store_explicit(&M.held_parts, parts, memory_order_relaxed);
	atomic_store_explicit(&M.held_bytes, bytes, memory_order_relaxed);
}

void metrics_reloaded(struct metrics *m, bool ok, const struct fr_tls_ctx *ctx)
{
	int64_t t;

	(void)m;
	if (!ok) {
		add(&M.reloads_failed, 1);
		return;
	}
	add(&M.reloads_ok, 1);
	atomic_store_explicit(&M.reload_time, (uint64_t)time(NULL),
			      memory_order_relaxed);
	if (fr_tls_ctx_not_after(ctx, &t) == FR_OK && t > 0)
		atomic_store_explicit(&M.cert_not_after, (uint64_t)t,
				      memory_order_relaxed);
}

/* ---- rendering --------------------------------------------------------- */

struct out {
	char *p;
	size_t n, cap;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		if (o->full)
			return;
		va_start(ap, fmt);
		k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
		va_end(ap);
		if (k < 0)
			return;
		if ((size_t)k < o->cap - o->n) {
			o->n += (size_t)k;
			return;
		}
		if (o->cap >= SCRAPE_MAX) {
			o->full = true;
			return;
		}
		char *g = realloc(o->p, o->cap * 2);
		if (!g) {
			o->full = true;
			return;
		}
		o->p = g;
		o->cap *= 2;
	}
}

static void head(struct out *o, const char *name, const char *type,
		 const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The label value of op i, NULL when no such op. */
static const char *op_label(size_t i)
{
	const char *s;

	if (i == 0)
		return "unknown";
	s = fr_op_name((enum fr_op)i);
	return strcmp(s, "?") == 0 ? NULL : s;
}

static const char *result_label(size_t r)
{
	if (r == 0)
		return "ok";
	if (r >= N_WIRE)
		return local_results[r - N_WIRE];
	return fr_err_code(-(int)r);
}

static int64_t count_fds(struct metrics *m)
{
	char buf[4096];
	long n, k;
	int64_t fds = 0;

	if (m->fd_dir < 0 || lseek(m->fd_dir, 0, SEEK_SET) != 0)
		return -1;
	while ((n = syscall(SYS_getdents64, m->fd_dir, buf, sizeof(buf))) > 0) {
		for (k = 0; k < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + k);

			if (de->d_name[0] != '.')
				fds++;
			k += de->d_reclen;
		}
	}
	return n < 0 ? -1 : fds - 1; /* not the directory itself */
}

static void process_metrics(struct metrics *m, struct out *o)
{
	struct rusage ru;
	struct rlimit rl;
	char statm[128];
	unsigned long long pages, rss;
	ssize_t k;
	int64_t fds = count_fds(m);

	head(o, "process_start_time_seconds", "gauge",
	     "Start time of the process since the Unix epoch in seconds.");
	put(o, "process_start_time_seconds %llu\n",
	    (unsigned long long)get(&M.start_time));
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		head(o, "process_cpu_seconds_total", "counter",
		     "User and system CPU time spent in seconds.");
		put(o, "process_cpu_seconds_total %.6f\n",
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
				    1e6);
	}
	if (fds >= 0) {
		head(o, "process_open_fds", "gauge",
		     "Number of open file descriptors.");
		put(o, "process_open_fds %lld\n", (long long)fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		head(o, "process_max_fds", "gauge",
		     "Maximum number of open file descriptors.");
		put(o, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	k = m->statm_fd >= 0 ? pread(m->statm_fd, statm, sizeof(statm) - 1, 0)
			     : -1;
	if (k > 0) {
		statm[k] = '\0';
		if (sscanf(statm, "%llu %llu", &pages, &rss) == 2) {
			head(o, "process_resident_memory_bytes", "gauge",
			     "Resident memory size in bytes.");
			put(o, "process_resident_memory_bytes %llu\n",
			    rss * (unsigned long long)sysconf(_SC_PAGESIZE));
		}
	}
}

static void request_metrics(struct out *o)
{
	const char *op;
	uint64_t v, cum;
	size_t i, r, b;

	head(o, "ferryd_requests_total", "counter",
	     "Finished requests by operation and result (ok, the error code, "
	     "or truncated/closed/tls_error/aborted when the connection "
	     "ended).");
	for (i = 0; i < N_OPS; i++) {
		if (!(op = op_label(i)))
			continue;
		for (r = 0; r < N_RESULTS; r++) {
			v = get(&M.requests[i][r]);
			if ((v || (r == 0 && i > 0)) && result_label(r))
				put(o, "ferryd_requests_total{op=\"%s\","
				       "result=\"%s\"} %llu\n",
				    op, result_label(r), (unsigned long long)v);
		}
	}
	head(o, "ferryd_request_duration_seconds", "histogram",
	     "Time from a request's frame to its last byte, by operation.");
	for (i = 1; i < N_OPS; i++) {
		if (!(op = op_label(i)))
			continue;
		for (b = 0, cum = 0; b <= N_BUCKETS; b++) {
			cum += get(&M.hist[i][b]);
			if (b < N_BUCKETS)
				put(o, "ferryd_request_duration_seconds_bucket"
				       "{op=\"%s\",le=\"%g\"} %llu\n",
				    op, buckets[b], (unsigned long long)cum);
			else
				put(o, "ferryd_request_duration_seconds_bucket"
				       "{op=\"%s\",le=\"+Inf\"} %llu\n",
				    op, (unsigned long long)cum);
		}
		put(o, "ferryd_request_duration_seconds_sum{op=\"%s\"} %.6f\n",
		    op, (double)get(&M.hist_usec[i]) / 1e6);
		put(o, "ferryd_request_duration_seconds_count{op=\"%s\"} "
		       "%llu\n", op, (unsigned long long)cum);
	}
}

int metrics_render(struct metrics *m, char **buf, size_t *len)
{
	struct out o = { malloc(65536), 0, 65536, false };
	size_t i;

	*buf = NULL;
	*len = 0;
	if (!o.p)
		return FR_E_NOMEM;
	head(&o, "ferryd_build_info", "gauge",
	     "Version of ferryd and of its protocol; always 1.");
	put(&o, "ferryd_build_info{version=\"%s\",protocol=\"%d\"} 1\n",
	    FR_VERSION_STRING, FR_PROTO_VERSION);
	head(&o, "ferryd_connections", "gauge",
	     "Open connections on the TLS port (handshaking, idle or busy).");
	put(&o, "ferryd_connections %llu\n", (unsigned long long)get(&M.conns));
	head(&o, "ferryd_connections_total", "counter",
	     "Connections accepted on the TLS port.");
	put(&o, "ferryd_connections_total %llu\n",
	    (unsigned long long)get(&M.conns_total));
	head(&o, "ferryd_tls_handshake_failures_total", "counter",
	     "Failed TLS handshakes by reason.");
	for (i = 0; i < N_HS; i++)
		put(&o, "ferryd_tls_handshake_failures_total{reason=\"%s\"} "
			"%llu\n", hs_reasons[i],
		    (unsigned long long)get(&M.hs_failed[i]));
	request_metrics(&o);
	head(&o, "ferryd_transfer_bytes_total", "counter",
	     "File body bytes moved: in (put) and out (get).");
	put(&o, "ferryd_transfer_bytes_total{direction=\"in\"} %llu\n"
		"ferryd_transfer_bytes_total{direction=\"out\"} %llu\n",
	    (unsigned long long)get(&M.bytes_in),
	    (unsigned long long)get(&M.bytes_out));
	head(&o, "ferryd_held_parts", "gauge",
	     "Interrupted uploads held for a resume, as of the last sweep.");
	put(&o, "ferryd_held_parts %llu\n",
	    (unsigned long long)get(&M.held_parts));
	head(&o, "ferryd_held_part_bytes", "gauge",
	     "Bytes in interrupted uploads held for a resume, as of the last "
	     "sweep.");
	put(&o, "ferryd_held_part_bytes %llu\n",
	    (unsigned long long)get(&M.held_bytes));
	head(&o, "ferryd_config_reloads_total", "counter",
	     "SIGHUP reloads by result (the start counts as one ok).");
	put(&o, "ferryd_config_reloads_total{result=\"ok\"} %llu\n"
		"ferryd_config_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)get(&M.reloads_ok),
	    (unsigned long long)get(&M.reloads_failed));
	head(&o, "ferryd_config_last_reload_success_timestamp_seconds",
	     "gauge", "When the settings and files in use were loaded.");
	put(&o, "ferryd_config_last_reload_success_timestamp_seconds %llu\n",
	    (unsigned long long)get(&M.reload_time));
	head(&o, "ferryd_tls_certificate_not_after_timestamp_seconds", "gauge",
	     "Expiry of the server certificate in use (alert before it).");
	put(&o, "ferryd_tls_certificate_not_after_timestamp_seconds %llu\n",
	    (unsigned long long)get(&M.cert_not_after));
	process_metrics(m, &o);
	if (o.full) {
		free(o.p);
		return FR_E_NOMEM;
	}
	*buf = o.p;
	*len = o.n;
	return FR_OK;
}

/* ---- HTTP ---------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Content-Type",
				      "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, "Allow", "GET, HEAD");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **req_cls)
{
	struct metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ok;
	char *body;
	size_t len;

	(void)version;
	(void)upload;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "only GET /metrics\n");
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	(void)req_cls;
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND,
			     "ferryd serves /metrics only\n");
	if (metrics_render(m, &body, &len) != FR_OK)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "out of memory\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, "Content-Type",
				      "text/plain; version=0.0.4; "
				      "charset=utf-8");
	ok = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

int metrics_new(const char *addr, struct metrics **out, uint16_t *port,
		char *err, size_t errlen)
{
	struct metrics *m;
	int unsupported = 0;

	*out = NULL;
	if (!atomic_load(&M.start_time))
		atomic_store(&M.start_time, (uint64_t)time(NULL));
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "--metrics-listen: out of memory");
		return FR_E_USAGE;
	}
	m->fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	m->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (listener_open(addr, &m->lfd, port, &unsupported, err, errlen) !=
	    FR_OK) {
		m->lfd = -1;
		metrics_free(m);
		return FR_E_USAGE;
	}
	*out = m;
	return FR_OK;
}

int metrics_start(struct metrics *m, char *err, size_t errlen)
{
	/* one thread, poll(2); few clients (a scraper or two), short
	 * timeouts: nothing here can grow with the TLS side's load */
	m->d = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD, 0, NULL, NULL,
				handle, m, MHD_OPTION_LISTEN_SOCKET, m->lfd,
				MHD_OPTION_CONNECTION_LIMIT, 16u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)65536, MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errlen, "--metrics-listen: cannot start the "
			 "HTTP server (libmicrohttpd)");
		return FR_E_INTERNAL;
	}
	return FR_OK;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d); /* closes the listening socket too */
	else if (m->lfd >= 0)
		close(m->lfd);
	if (m->fd_dir >= 0)
		close(m->fd_dir);
	if (m->statm_fd >= 0)
		close(m->statm_fd);
	free(m);
}
