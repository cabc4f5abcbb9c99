/*
 * output.h - everything ferry prints on stdout: sha256sum-style lines,
 * one-object-per-line JSON (with its own string escaper; cJSON is kept
 * inside the core's json.c), human sizes and times.
 *
 * Diagnostics on stderr are printed by the commands and the session; the
 * progress bar lives in progress.h.
 */
#ifndef FERRY_CLIENT_OUTPUT_H
#define FERRY_CLIENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* One JSON object on one line, built field by field on a stream. */
struct jline {
	FILE *f;
	int fields;
};

void jl_begin(struct jline *j, FILE *f);
void jl_str(struct jline *j, const char *key, const char *val); /* NULL: null */
void jl_u64(struct jline *j, const char *key, uint64_t v);
void jl_i64(struct jline *j, const char *key, int64_t v);
void jl_seconds(struct jline *j, const char *key, double v);
void jl_bool(struct jline *j, const char *key, bool v);
void jl_end(struct jline *j); /* "}\n" and flush */

/* Write s as a JSON string literal (quotes included).  Invalid UTF-8 bytes
 * (file names are bytes on Linux) become U+FFFD so the line stays valid
 * JSON. */
void out_json_string(FILE *f, const char *s);

/* "HEX  PATH\n" as sha256sum prints it (a name holding '\\', '\n' or '\r'
 * is escaped and the line starts with '\\', which sha256sum -c
 * understands).  On a terminal the name is shown through out_term
 * instead (a pipe gets the exact bytes, for sha256sum -c). */
void out_sum_line(FILE *f, const char *hex, const char *path);

/*
 * s made safe to show on a terminal, into buf of n bytes (truncated to
 * fit): C0 controls, DEL, C1 controls (U+0080..U+009F), the bidirectional
 * overrides, embeddings, isolates and marks (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) become \uXXXX, bytes that are not
 * UTF-8 become \xHH.  Names come from servers and from other people's
 * directories: they must not move the cursor or reverse the text around
 * them.  Returns buf.
 */
char *out_term(char *buf, size_t n, const char *s);

/* The success line of one put or get: "HEX  PATH" (get: local path, put:
 * remote path) or, with --json, {"op","local","remote","size","sha256",
 * "seconds"} and "skipped":true for a put --skip-same found on the
 * server.  Nothing with -q. */
void out_transfer(const struct cli *cli, const char *op, const char *local,
                  const char *remote, uint64_t size, const char *hex,
                  double seconds, bool skipped);

/* "1.5 MiB" style, into buf. */
const char *out_size(char *buf, size_t n, double bytes);

/* "2026-11-25 20:21" (long: with seconds and zone) in local time, or "?"
 * when the value is out of range. */
const char *out_time(char *buf, size_t n, int64_t t, bool long_form);

/* Flush stdout and report a failed write (full disk, closed pipe) as a
 * local I/O error.  Returns rc or FX_LOCAL. */
int out_finish(int rc);

#endif
