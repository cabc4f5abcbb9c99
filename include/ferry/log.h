/*
 * log.h - one-line log records on stderr, as text or JSON.
 *
 * Thread-safe: each record is formatted into a local buffer and written
 * with a single write(2).
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <stdint.h>

enum fr_log_format { FR_LOG_TEXT, FR_LOG_JSON };
enum fr_log_level { FR_LOG_ERROR, FR_LOG_WARN, FR_LOG_INFO, FR_LOG_DEBUG };

void fr_log_set_format(enum fr_log_format f);

/* A free-form event: "2026-11-25T20:21:05.123Z info message". */
void fr_log(enum fr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The record of one finished request. */
struct fr_log_req {
	const char *peer;     /* "127.0.0.1:51234" */
	const char *identity; /* client CN */
	const char *op;       /* "put" */
	const char *path;     /* may be NULL */
	const char *to;       /* rename: the new name; NULL otherwise */
	uint64_t bytes;       /* body bytes moved */
	uint64_t offset;      /* where a resumed transfer started, 0: none */
	double seconds;
	const char *sha256;   /* may be NULL */
	const char *sha256_from; /* "cache" or "file": where a stat's or a
				    get's hash came from; NULL otherwise */
	const char *result;   /* "ok" or the error code */
	const char *message;  /* error detail, may be NULL */
};
void fr_log_request(const struct fr_log_req *r);

#endif
