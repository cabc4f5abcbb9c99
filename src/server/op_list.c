/*
 * op_list.c - the list operation.
 *
 * Does: read a directory through store_list (sorted, filtered) and send it
 * in frames of up to --max-list-entries entries, one frame per step
 * so the output buffer stays bounded; "more" is false only on the last
 * frame, and an empty directory gives one frame with no entries.
 * Does not: recurse.
 */
#include <string.h>

#include "ferry/err.h"
#include "config.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_list_start(struct conn *c)
{
	int r = store_list(c->root_fd, c->req.path, &c->os.entries,
			   &c->os.n_entries);

	if (r != FR_OK)
		return r;
	c->os.next = 0;
	c->os.lb = fr_list_new();
	if (!c->os.lb)
		return FR_E_INTERNAL;
	c->state = CS_BODY_OUT;
	return FR_AGAIN;
}

int op_list_step(struct conn *c)
{
	struct op_state *os = &c->os;
	size_t added = 0;
	struct fr_entry e;
	int r;

	while (os->next < os->n_entries) {
		const struct store_entry *s = &os->entries[os->next];
		size_t n = strlen(s->name);

		if (added >= c->srv->cfg->max_list_entries)
			return fr_list_flush(os->lb, &c->out, true) == FR_OK
				       ? FR_AGAIN
				       : FR_E_INTERNAL;
		memset(&e, 0, sizeof(e));
		if (n > FR_NAME_MAX) {
			os->next++; /* cannot happen: store checked it */
			continue;
		}
		memcpy(e.name, s->name, n + 1);
		e.is_dir = s->is_dir;
		e.size = s->size;
		e.mtime = s->mtime;
		r = fr_list_add(os->lb, &e);
		/* frame full: send it and add e again next step (an entry
		 * that fits no frame at all would loop forever) */
		if (r == FR_AGAIN && added > 0)
			return fr_list_flush(os->lb, &c->out, true) == FR_OK
				       ? FR_AGAIN
				       : FR_E_INTERNAL;
		if (r != FR_OK)
			return FR_E_INTERNAL;
		os->next++;
		added++;
	}
	return fr_list_flush(os->lb, &c->out, false) == FR_OK ? FR_OK
							      : FR_E_INTERNAL;
}
