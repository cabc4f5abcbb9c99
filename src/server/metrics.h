/*
 * metrics.h - ferryd's counters and the Prometheus endpoint that shows
 * them (--metrics-listen ADDR:PORT, GET /metrics, plain HTTP).
 *
 * Does: count connections, handshake failures by reason, requests by op
 * and result, body bytes in and out, request durations (a histogram by
 * op), held uploads and reloads, with relaxed atomics that any thread may
 * bump without a lock; serve them in the Prometheus text format from a
 * libmicrohttpd thread of its own, on a listener of its own.
 * Does not: label anything with an identity, a peer or a path (unbounded
 * and private), nor ever make the reactor or a worker wait: the HTTP
 * thread only reads the atomics.
 *
 * The counters exist whether or not the endpoint is on (the updates cost
 * an atomic add each).
 */
#ifndef FERRYD_METRICS_H
#define FERRYD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fr_tls_ctx;
struct metrics; /* the HTTP endpoint */

/* ---- counting, from any thread --------------------------------------- */

void metrics_conn_open(void);  /* a TLS-port connection accepted */
void metrics_conn_close(void); /* ... and gone */
/* reason: fr_tls_error_kind() or "timeout" */
void metrics_handshake_failed(const char *reason);
/* One finished request: op (enum fr_op), result ("ok", a wire code,
 * "truncated", "closed", "tls_error", "aborted"), duration. */
void metrics_request(int op, const char *result, double seconds);
void metrics_bytes(bool in, uint64_t n); /* body bytes moved */
/* What the last sweep found held (interrupted uploads kept for resume). */
void metrics_held(uint64_t parts, uint64_t bytes);
/* A SIGHUP reload finished (ok: with the new TLS context ctx); also called
 * once at start with the first context. */
void metrics_reloaded(struct metrics *m, bool ok, const struct fr_tls_ctx *ctx);

/* ---- the endpoint ------------------------------------------------------ */

/*
 * Bind addr ("127.0.0.1:9534") and open what the scrapes read (/proc/self
 * fd and statm), before confinement.  FR_OK with *out, or FR_E_USAGE with
 * one line in err.  *port gets the bound port (addr may say 0).
 */
int metrics_new(const char *addr, struct metrics **out, uint16_t *port,
		char *err, size_t errlen);

/* Start serving on the HTTP thread, after confinement (the thread then
 * inherits it).  FR_OK or FR_E_INTERNAL with one line in err. */
int metrics_start(struct metrics *m, char *err, size_t errlen);

/* Stop the thread and close everything; NULL is a no-op. */
void metrics_free(struct metrics *m);

/* The text of a scrape, for tests: appended to *buf (malloc'ed, *len). */
int metrics_render(struct metrics *m, char **buf, size_t *len);

#endif
