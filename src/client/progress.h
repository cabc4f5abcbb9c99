/*
 * progress.h - the progress bar of put and get on stderr: bytes, percent,
 * rate and ETA, redrawn at most ten times a second.
 *
 * Whether to draw at all is decided by the caller (cli->progress: stderr is
 * a terminal and -q was not given); a disabled bar costs nothing.
 */
#ifndef FERRY_CLIENT_PROGRESS_H
#define FERRY_CLIENT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on;
	const char *label; /* borrowed; must outlive the bar */
	uint64_t total;
	uint64_t done;
	uint64_t base; /* resumed at this offset (not counted in the rate) */
	double start;
	double last_draw;
	int width; /* terminal columns */
};

void progress_start(struct progress *p, bool on, const char *label,
                    uint64_t total);
void progress_add(struct progress *p, uint64_t n);
/* The transfer resumes at offset: bytes before it count as done, the bar
 * says "from OFFSET" and the rate counts only what moves now. */
void progress_resume(struct progress *p, uint64_t offset);
/* Erase the bar so that the next line starts clean. */
void progress_end(struct progress *p);

#endif
