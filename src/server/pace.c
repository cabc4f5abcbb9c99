/*
 * pace.c - request deadlines: stall, whole frame, minimum rate (pace.h).
 */
#include <stdint.h>
#include <string.h>

#include "pace.h"

void pace_start(struct pace *p, int64_t now)
{
	p->active = true;
	p->last_ms = now;
	p->in_frame = true;
	p->frame_ms = now;
	p->win_ms = now;
	p->win_bytes = 0;
}

void pace_frame_done(struct pace *p)
{
	p->in_frame = false;
}

void pace_stop(struct pace *p)
{
	memset(p, 0, sizeof(*p));
}

void pace_moved(struct pace *p, uint64_t n, int64_t now)
{
	if (!p->active || n == 0)
		return;
	p->last_ms = now;
	p->win_bytes += n;
}

const char *pace_check(struct pace *p, const struct pace_limits *l,
		       int64_t now, uint64_t *limit_s)
{
	uint64_t need;

	*limit_s = 0;
	if (!p->active)
		return NULL;
	if (now - p->last_ms >= l->stall_ms) {
		*limit_s = (uint64_t)(l->stall_ms / 1000);
		return "no progress within --stall-timeout";
	}
	if (p->in_frame && now - p->frame_ms >= l->frame_ms) {
		*limit_s = (uint64_t)(l->frame_ms / 1000);
		return "request frame not complete within --request-timeout";
	}
	if (l->min_rate == 0 || now - p->win_ms < l->window_ms)
		return NULL;
	/* bytes the window needed; saturating, a huge rate is just huge */
	need = l->min_rate > UINT64_MAX / (uint64_t)(l->window_ms / 1000 + 1)
		       ? UINT64_MAX
		       : l->min_rate * (uint64_t)(l->window_ms / 1000);
	if (p->win_bytes < need) {
		*limit_s = (uint64_t)(l->window_ms / 1000);
		return "slower than --min-rate over --min-rate-window";
	}
	p->win_ms = now;
	p->win_bytes = 0;
	return NULL;
}

int64_t pace_deadline(const struct pace *p, const struct pace_limits *l)
{
	int64_t d;

	if (!p->active)
		return INT64_MAX;
	d = p->last_ms + l->stall_ms;
	if (p->in_frame && p->frame_ms + l->frame_ms < d)
		d = p->frame_ms + l->frame_ms;
	if (l->min_rate && p->win_ms + l->window_ms < d)
		d = p->win_ms + l->window_ms;
	return d;
}
