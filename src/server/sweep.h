/*
 * sweep.h - the thread that removes expired interrupted uploads.
 *
 * Does: at start-up and then every min(FR_SWEEP_INTERVAL, --partial-ttl / 2)
 * seconds, one bounded pass of store_sweep_parts over the root.
 * Does not: touch uploads in progress (they hold their part's lock).
 */
#ifndef FERRYD_SWEEP_H
#define FERRYD_SWEEP_H

#include <stdint.h>

struct sweep; /* opaque */

/* Start the thread for root (borrowed; must outlive it).  FR_OK or
 * FR_E_INTERNAL. */
int sweep_start(int root, uint64_t ttl, struct sweep **out);

/* SIGHUP: a new --partial-ttl; a changed one sweeps at once. */
void sweep_set_ttl(struct sweep *s, uint64_t ttl);

/* Stop and join the thread (NULL is a no-op). */
void sweep_stop(struct sweep *s);

#endif
