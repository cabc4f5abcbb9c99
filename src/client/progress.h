/*
 * progress.h - the one progress bar of a command, on stderr: the file
 * being moved, bytes done of the bytes known so far, percent, rate, ETA,
 * and how many files are done when there are several; redrawn at most ten
 * times a second.
 *
 * Whether to draw at all is decided once (progress_init: stderr is a
 * terminal and -q was not given); a disabled bar costs nothing.  Anything
 * printed while the bar may be on screen calls progress_clear first.
 */
#ifndef FERRY_CLIENT_PROGRESS_H
#define FERRY_CLIENT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

void progress_init(bool on);

/* total grows by n bytes (a transfer started, its size known). */
void progress_expect(uint64_t n);

/* n more bytes moved for the file label (borrowed only for the call). */
void progress_add(const char *label, uint64_t n);

/* n bytes counted as done at once (a resumed prefix), not in the rate. */
void progress_skip(uint64_t n);

/* A file is complete (the count shown with several files). */
void progress_file_done(void);

/* Erase the bar so that the next line starts clean (it comes back on the
 * next progress_add). */
void progress_clear(void);

#endif
