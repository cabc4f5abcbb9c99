/*
 * pace.h - the deadlines of a connection that is moving a request.
 *
 * Does: decide, from the clock and the bytes moved, when a request frame
 * or a body has taken too long: no progress for --stall-timeout, a frame
 * not complete --request-timeout after its first byte, or fewer than
 * --min-rate bytes per second over a --min-rate-window (Apache
 * mod_reqtimeout's MinRate).  A byte that trickles in resets only the
 * stall clock, so a peer sending one byte a second is cut by the others.
 * Does not: read the clock, touch sockets or know connection states
 * (conn.c calls it with mono_ms() and the bytes of each turn); the idle
 * time between requests and the handshake deadline are conn.c's.
 * Pure functions on caller's storage: unit-tested alone (test_pace.c).
 */
#ifndef FERRYD_PACE_H
#define FERRYD_PACE_H

#include <stdbool.h>
#include <stdint.h>

struct pace_limits {
	int64_t stall_ms;   /* no progress at all */
	int64_t frame_ms;   /* one whole request frame */
	int64_t window_ms;  /* the min-rate window */
	uint64_t min_rate;  /* bytes per second, 0: no rate check */
};

struct pace {
	bool active;         /* a request is under way */
	int64_t last_ms;     /* last time a byte moved */
	bool in_frame;       /* the request frame is not complete yet */
	int64_t frame_ms;    /* its first byte */
	int64_t win_ms;      /* start of the current rate window */
	uint64_t win_bytes;  /* bytes moved since win_ms */
};

/* The first byte of a request frame arrived at now. */
void pace_start(struct pace *p, int64_t now);

/* The request frame is complete (its body, if any, is still timed). */
void pace_frame_done(struct pace *p);

/* The request ended: nothing is timed until the next pace_start. */
void pace_stop(struct pace *p);

/* n bytes moved at now (n may be 0). */
void pace_moved(struct pace *p, uint64_t n, int64_t now);

/*
 * At now: NULL while the request is within its limits (a completed rate
 * window that met the rate starts the next one), else a static reason
 * for the log and the error frame ("no progress for ...", ...) and
 * *limit_s the limit in seconds it broke.  Inactive: always NULL.
 */
const char *pace_check(struct pace *p, const struct pace_limits *l,
		       int64_t now, uint64_t *limit_s);

/* The earliest time pace_check can answer differently (INT64_MAX when
 * inactive). */
int64_t pace_deadline(const struct pace *p, const struct pace_limits *l);

#endif
