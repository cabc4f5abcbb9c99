/*
 * engine.c - the job queue, the lanes and the one poll loop (engine.h).
 *
 * Does: hand jobs to lanes (jobs a dropped lane gave back first, in their
 * order, then the queue, then the command's source), connect lanes when
 * there is work for them, wait on all of them at once, notice silence
 * (FR_CLIENT_IO_TIMEOUT), and after a dropped connection give its jobs to
 * whichever lane is up next while it reconnects after a backoff (0.5 s
 * doubling to 30 s, at most --retries times).  It keeps the command's
 * exit status: the first failure, except that a connection failure wins.
 * Ctrl-C in ferry shell (cli_interrupted) ends a run at once; between two
 * commands of a session, idle lanes the server closed are let go.
 * Does not: know what a job does (job_ops), or print transfer results.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "engine.h"

struct engine {
	const struct cli *cli;
	struct fr_tls_ctx *ctx;
	unsigned n_lanes;  /* lanes allocated (FR_CLIENT_MAX_LANES) */
	unsigned n_active; /* lanes this command may use */
	unsigned retries;
	struct lane lanes[FR_CLIENT_MAX_LANES];
	struct job *rq_head, *rq_tail; /* given back by dropped lanes */
	struct job *q_head, *q_tail;   /* the command's jobs */
	struct job_source src;
	bool src_more;
	int rc;
	uint64_t rc_seq; /* the job the status is from */
	uint64_t seq;    /* jobs made so far */
	bool stop;
};

struct engine *engine_new(const struct cli *cli, unsigned lanes)
{
	struct engine *e = calloc(1, sizeof(*e));
	unsigned i;

	if (!e)
		return NULL;
	e->cli = cli;
	e->n_lanes = FR_CLIENT_MAX_LANES; /* buffers come when used */
	for (i = 0; i < e->n_lanes; i++)
		lane_init(&e->lanes[i], e, i);
	engine_begin(e, lanes, CLI_DEFAULT_RETRIES);
	return e;
}

void engine_begin(struct engine *e, unsigned lanes, unsigned retries)
{
	unsigned i;

	/* a lane that gave up during the last command tries again now */
	for (i = 0; i < e->n_lanes; i++) {
		if (e->lanes[i].up)
			continue;
		e->lanes[i].dead = false;
		e->lanes[i].fails = 0;
		e->lanes[i].retry_at = 0;
	}
	e->n_active = lanes < 1 ? 1
		      : lanes > FR_CLIENT_MAX_LANES ? FR_CLIENT_MAX_LANES
						    : lanes;
	e->retries = retries;
	e->rc = FX_OK;
	e->rc_seq = 0;
	e->seq = 0;
	e->stop = false;
	memset(&e->src, 0, sizeof(e->src));
	e->src_more = false;
}

static void free_list(struct job *j)
{
	struct job *n;

	for (; j; j = n) {
		n = j->next;
		j->ops->free(j);
	}
}

/* Between two commands of a session: a connection the server closed
 * meanwhile (its idle timeout, a restart) has said so on the socket:
 * read it now and let it go quietly, so the command starts on a fresh
 * one instead of finding out halfway through. */
static void refresh(struct engine *e)
{
	struct job *list;
	unsigned i;

	for (i = 0; i < e->n_lanes; i++) {
		struct lane *l = &e->lanes[i];

		if (!l->up || !lane_idle(l))
			continue;
		if (lane_pump(l, true, false) != FR_OK) {
			lane_drop(l, &list);
			free_list(list); /* empty: the lane was idle */
		}
	}
}

int engine_acquire(const struct cli *cli, unsigned lanes, unsigned retries,
		   struct engine **out)
{
	*out = cli->shared;
	if (*out) {
		engine_begin(*out, lanes, retries);
		refresh(*out);
	} else
		*out = engine_new(cli, lanes);
	if (!*out) {
		cli_say("out of memory");
		return FX_LOCAL;
	}
	engine_set_retries(*out, retries);
	return engine_open(*out);
}

void engine_release(const struct cli *cli, struct engine *e)
{
	if (e != cli->shared)
		engine_free(e);
}

void engine_free(struct engine *e)
{
	struct job *list;
	unsigned i;

	if (!e)
		return;
	for (i = 0; i < e->n_lanes; i++) {
		/* a lane with work still on it ends without close_notify,
		 * so the server holds or drops what it got, never stores */
		if (e->lanes[i].up && !lane_idle(&e->lanes[i])) {
			lane_drop(&e->lanes[i], &list);
			free_list(list);
		}
		lane_cleanup(&e->lanes[i]); /* close_notify when healthy */
	}
	free_list(e->rq_head);
	free_list(e->q_head);
	fr_tls_ctx_free(e->ctx);
	free(e);
}

const struct cli *engine_cli(const struct engine *e)
{
	return e->cli;
}

void engine_set_retries(struct engine *e, unsigned retries)
{
	e->retries = retries;
}

static void merge(struct engine *e, int rc, uint64_t seq)
{
	if (rc == FX_OK || e->rc == FX_CONN)
		return;
	if (rc == FX_CONN || e->rc == FX_OK || seq < e->rc_seq) {
		e->rc = rc;
		e->rc_seq = seq;
	}
}

void job_status(struct job *j, int rc)
{
	merge(j->e, rc, j->seq);
}

void engine_status(struct engine *e, int rc)
{
	merge(e, rc, e->seq + 1);
}

void engine_stop(struct engine *e)
{
	e->stop = true;
}

bool engine_stopping(const struct engine *e)
{
	return e->stop;
}

int engine_result(const struct engine *e)
{
	return e->rc;
}

static int connect_lane(struct engine *e, struct lane *l)
{
	int rc = sess_open(&l->s, e->cli, e->ctx);

	if (rc != FX_OK)
		return rc;
	l->up = true;
	l->err_printed = false;
	l->last_io = cli_now();
	return FX_OK;
}

int engine_open(struct engine *e)
{
	int rc;

	if (cli_interrupted())
		return FX_INTERRUPTED;
	if (e->lanes[0].up)
		return FX_OK;
	if (!e->ctx) {
		rc = sess_ctx_new(e->cli, &e->ctx);
		if (rc != FX_OK)
			return rc;
	}
	return connect_lane(e, &e->lanes[0]);
}

unsigned engine_proto(const struct engine *e)
{
	return e->lanes[0].s.proto;
}

const struct session *engine_session(const struct engine *e)
{
	return &e->lanes[0].s;
}

int engine_need_v2(const struct engine *e, const char *cmd, const char *what)
{
	const struct session *s = &e->lanes[0].s;

	if (s->proto >= 2)
		return FX_OK;
	fprintf(stderr,
		"ferry: %s: %s needs ferryd 0.2 or later (protocol 2); %s "
		"runs %s, which speaks protocol %u\n",
		cmd, what, s->where, s->hello.server[0] ? s->hello.server : "?",
		s->proto);
	return FX_REFUSED;
}

int engine_start_xfer(const struct cli *cli, const struct xfer_opts *o,
		      const char *cmd, struct engine **out)
{
	char what[32];
	int rc;

	rc = engine_acquire(cli, o->parallel ? o->parallel : cli->parallel,
			    o->retries != CLI_RETRIES_UNSET ? o->retries
							    : cli->retries,
			    out);
	if (rc == FX_OK && o->preserve) {
		snprintf(what, sizeof what, "%s -p", cmd);
		rc = engine_need_v2(*out, what,
				    "keeping modification times and "
				    "executable bits");
	}
	return rc;
}

static void append(struct job **head, struct job **tail, struct job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

void engine_push(struct engine *e, struct job *j)
{
	j->e = e;
	j->seq = ++e->seq;
	append(&e->q_head, &e->q_tail, j);
}

bool engine_push_made(struct engine *e, struct job *j, const char *cmd)
{
	if (!j) {
		engine_status(e, cli_usage(cmd, "out of memory"));
		return false;
	}
	engine_push(e, j);
	return true;
}

void engine_set_source(struct engine *e, const struct job_source *src)
{
	e->src = *src;
	e->src_more = src->next != NULL;
}

static struct job *take(struct job **head, struct job **tail)
{
	struct job *j = *head;

	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
		j->next = NULL;
	}
	return j;
}

struct job *engine_take(struct engine *e, struct lane *l)
{
	struct job *j;
	bool more = false;

	if (e->stop || l->id >= e->n_active)
		return NULL;
	j = take(&e->rq_head, &e->rq_tail);
	if (!j)
		j = take(&e->q_head, &e->q_tail);
	if (!j && e->src_more) {
		j = e->src.next(e->src.arg, e, &more);
		e->src_more = more || j != NULL;
		if (j) {
			j->e = e;
			j->seq = ++e->seq;
		}
	}
	return j;
}

void engine_job_done(struct engine *e, struct job *j)
{
	(void)e;
	j->ops->free(j);
}

void engine_requeue(struct engine *e, struct job *j)
{
	j->next = e->rq_head;
	e->rq_head = j;
	if (!e->rq_tail)
		e->rq_tail = j;
}

static bool work_left(const struct engine *e)
{
	return !e->stop && (e->rq_head || e->q_head || e->src_more);
}

bool engine_has_jobs(const struct engine *e)
{
	return work_left(e);
}

/* 0.5 s doubled per attempt, at most 30 s. */
static double backoff(unsigned n)
{
	double d = 0.5;
	unsigned i;

	for (i = 1; i < n && d < 30.0; i++)
		d *= 2;
	return d > 30.0 ? 30.0 : d;
}

static void retry_later(struct engine *e, struct lane *l, const char *cmd,
			const char *what)
{
	l->fails++;
	if (l->fails > e->retries) {
		l->dead = true;
		return;
	}
	l->retry_at = cli_now() + backoff(l->fails);
	if (!e->cli->quiet)
		cli_say("%s %s: retrying in %.1f s (%u of %u)", cmd,
			what ? what : "", backoff(l->fails), l->fails,
			e->retries);
}

/* Give the jobs of a dropped lane back, in order, ahead of the rest. */
static void give_back(struct engine *e, struct job *list, bool count)
{
	struct job *j, *n, *h = NULL, *t = NULL;

	for (j = list; j; j = n) {
		n = j->next;
		if (count)
			j->tries++;
		if (!j->ops->dropped(j)) {
			job_status(j, FX_CONN);
			j->ops->free(j);
			continue;
		}
		if (j->tries > e->retries) {
			/* out of retries: the command stops (exit 3) */
			job_status(j, FX_CONN);
			engine_stop(e);
			j->ops->free(j);
			continue;
		}
		append(&h, &t, j);
	}
	if (h) {
		t->next = e->rq_head;
		e->rq_head = h;
		if (!e->rq_tail)
			e->rq_tail = t;
	}
}

static void drop_lane(struct engine *e, struct lane *l, int err)
{
	struct job *list, *first = l->send ? l->send : l->head;
	char doing[FR_PATH_MAX + 64];
	const char *cmd = first ? first->ops->cmd : "ferry";
	char what[FR_PATH_MAX + 1];
	bool busy = !lane_idle(l);

	snprintf(what, sizeof(what), "%s", first && first->what ? first->what
								  : "");
	if (busy && !l->err_printed && err != FR_E_PROTOCOL &&
	    err != FR_E_LOCAL_IO && err != FR_E_BUSY && err != FR_E_TIMEOUT) {
		snprintf(doing, sizeof(doing), "%s %s%s%s",
			 l->err_in_send ? "sending" : "waiting for the answer to",
			 cmd, what[0] ? " " : "", what);
		(void)sess_lost(&l->s, err, doing);
	}
	lane_drop(l, &list);
	if (err == FR_E_PROTOCOL) {
		/* SECURITY: a server that breaks the protocol gets nothing
		 * more from this command, on any lane */
		engine_status(e, FX_CONN);
		engine_stop(e);
		free_list(list);
		return;
	}
	if (!busy || err == FR_E_LOCAL_IO) {
		/* nothing lost (an idle timeout), or not the connection's
		 * fault: reconnect when there is work, no retry counted */
		give_back(e, list, false);
		l->retry_at = cli_now();
		return;
	}
	give_back(e, list, true);
	retry_later(e, l, cmd, what);
}

/* Make sure the queue says whether work is left: a source that may have
 * more is asked for its next job now (a lane must not reconnect for a
 * source that turns out to be done). */
static void refill(struct engine *e)
{
	struct job *j;
	bool more = false;

	if (e->stop || e->rq_head || e->q_head || !e->src_more)
		return;
	j = e->src.next(e->src.arg, e, &more);
	e->src_more = more || j != NULL;
	if (j)
		engine_push(e, j);
}

/* Connect lanes that have work to do and whose time has come. */
static void connect_lanes(struct engine *e, double now)
{
	unsigned i;
	struct lane *l;

	for (i = 0; i < e->n_active && work_left(e); i++) {
		l = &e->lanes[i];
		if (l->up || l->dead || now < l->retry_at)
			continue;
		/* the first lane serves first; more only for more work */
		if (i > 0 && !e->lanes[0].up && !e->lanes[0].dead)
			continue;
		if (connect_lane(e, l) != FX_OK)
			retry_later(e, l, e->q_head ? e->q_head->ops->cmd
					  : e->rq_head ? e->rq_head->ops->cmd
						       : "ferry",
				    e->rq_head ? e->rq_head->what
				    : e->q_head ? e->q_head->what
						: NULL);
		now = cli_now();
	}
}

/* Jobs nobody can run any more (every lane gave up): fail them. */
static void fail_rest(struct engine *e)
{
	struct job *j;

	engine_status(e, FX_CONN);
	while ((j = take(&e->rq_head, &e->rq_tail)) != NULL)
		j->ops->free(j);
	while ((j = take(&e->q_head, &e->q_tail)) != NULL)
		j->ops->free(j);
	e->src_more = false;
}

/* Ctrl-C in the shell: every lane with work on it is dropped without
 * close_notify (the server holds or discards what it got, stores
 * nothing), every job is freed (a download's temporary file goes with
 * its sink), and the command ends with FX_INTERRUPTED.  Idle lanes stay
 * up for the next command. */
static void interrupt(struct engine *e)
{
	struct job *list;
	unsigned i;

	for (i = 0; i < e->n_lanes; i++) {
		struct lane *l = &e->lanes[i];

		if (l->up && !lane_idle(l)) {
			lane_drop(l, &list);
			free_list(list);
		}
	}
	free_list(e->rq_head);
	free_list(e->q_head);
	e->rq_head = e->rq_tail = e->q_head = e->q_tail = NULL;
	e->src_more = false;
	e->stop = true;
	e->rc = FX_INTERRUPTED;
}

int engine_run(struct engine *e)
{
	struct pollfd pfd[FR_CLIENT_MAX_LANES];
	unsigned map[FR_CLIENT_MAX_LANES];
	unsigned i, n, dead;
	bool busy, idle_work;
	double now, wake;
	int r, timeout;

	for (;;) {
		if (cli_interrupted()) {
			interrupt(e);
			break;
		}
		now = cli_now();
		refill(e);
		connect_lanes(e, now);
		busy = false;
		idle_work = false;
		dead = 0;
		for (i = 0; i < e->n_lanes; i++) {
			struct lane *l = &e->lanes[i];

			if (l->up) {
				r = lane_pump(l, false, false);
				if (r != FR_OK)
					drop_lane(e, l, r);
			}
			if (l->up && !lane_idle(l))
				busy = true;
			if (l->up)
				idle_work |= lane_idle_work(l);
			dead += i < e->n_active && l->dead;
		}
		if (!busy && !work_left(e))
			break;
		if (!busy && dead == e->n_active) {
			fail_rest(e);
			break;
		}
		n = 0;
		wake = now + 1.0;
		for (i = 0; i < e->n_lanes; i++) {
			struct lane *l = &e->lanes[i];

			if (l->up) {
				pfd[n].fd = l->s.fd;
				pfd[n].events = lane_events(l);
				pfd[n].revents = 0;
				map[n++] = i;
			} else if (i < e->n_active && !l->dead &&
				   work_left(e) && l->retry_at < wake) {
				wake = l->retry_at;
			}
		}
		timeout = idle_work ? 0
			  : wake <= now ? 0
					: (int)((wake - now) * 1000.0) + 1;
		r = poll(pfd, n, timeout);
		if (cli_interrupted())
			continue; /* the top of the loop stops */
		if (r < 0 && errno != EINTR) {
			perror("ferry: poll");
			engine_status(e, FX_LOCAL);
			break;
		}
		now = cli_now();
		for (i = 0; i < n; i++) {
			struct lane *l = &e->lanes[map[i]];

			if (!l->up)
				continue;
			if (pfd[i].revents) {
				r = lane_pump(l, pfd[i].revents & POLLIN,
					      pfd[i].revents & POLLOUT);
				if (r != FR_OK)
					drop_lane(e, l, r);
			} else if (!lane_idle(l) &&
				   now - l->last_io > FR_CLIENT_IO_TIMEOUT) {
				drop_lane(e, l, FR_E_TIMEOUT);
			}
		}
	}
	return e->rc;
}
