/*
 * op_list.c - the list operation: one directory, or (protocol 2,
 * "recursive": true) the whole subtree depth first.
 *
 * Does: read entries through listing.c as they come and send them in
 * frames of up to --max-list-entries entries, one frame per step, so
 * memory stays bounded by one frame and a huge directory never holds a
 * worker for long (each step looks at a bounded number of directory
 * entries, and the connection goes back to the queue once its quantum is
 * spent).  "more" is false only on the last frame; an empty directory
 * gives one frame with no entries; no other frame is empty.
 * Does not: sort (entries come in directory order), or descend more than
 * FR_LIST_TREE_DEPTH levels (deeper directories come "truncated").
 */
#include <string.h>

#include "ferry/err.h"
#include "config.h"
#include "conn.h"
#include "listing.h"
#include "ops.h"
#include "server.h"

/* Directory entries one step may look at (skipped ones included), so a
 * directory full of names we never list cannot pin a worker either. */
#define VISITS_PER_STEP 4096u

int op_list_start(struct conn *c)
{
	unsigned levels = c->req.recursive ? FR_LIST_TREE_DEPTH : 1;
	int r = listing_open(c->root_fd, c->req.path, levels, &c->os.listing);

	if (r != FR_OK)
		return r;
	c->os.lb = fr_list_new();
	if (!c->os.lb)
		return FR_E_INTERNAL;
	c->state = CS_BODY_OUT;
	return FR_AGAIN;
}

static void to_wire(const struct listing_entry *s, bool mode,
		    struct fr_entry *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->name, s->name, strlen(s->name) + 1);
	e->is_dir = s->is_dir;
	e->size = s->size;
	e->mtime = s->mtime;
	e->has_mode = mode;
	e->mode = s->mode;
	e->depth = s->depth;
	e->truncated = s->truncated;
}

int op_list_step(struct conn *c)
{
	struct op_state *os = &c->os;
	struct listing_entry s;
	struct fr_entry e;
	size_t added = 0;
	bool end;
	int r;

	while (added < c->srv->cfg->max_list_entries) {
		r = listing_next(os->listing, &s, VISITS_PER_STEP, &end);
		if (r == FR_AGAIN) {
			/* looking at names is work too: count it toward the
			 * fair share so a run of skipped names yields */
			c->run_bytes += VISITS_PER_STEP * 64u;
			break;
		}
		if (r != FR_OK)
			return r;
		if (end)
			return fr_list_flush(os->lb, &c->out, false) == FR_OK
				       ? FR_OK
				       : FR_E_INTERNAL;
		to_wire(&s, c->proto >= 2, &e);
		/* 1000 entries always fit a frame (response.c), and
		 * max_list_entries is at most that */
		if (fr_list_add(os->lb, &e) != FR_OK)
			return FR_E_INTERNAL;
		added++;
		c->run_bytes += sizeof(e); /* listing counts toward the share */
	}
	if (added == 0)
		return FR_AGAIN; /* only skipped names so far: no empty frame */
	return fr_list_flush(os->lb, &c->out, true) == FR_OK ? FR_AGAIN
							     : FR_E_INTERNAL;
}
