/*
 * lane.c - one connection of the engine with many requests in flight.
 *
 * Does: start jobs while the window allows (LANE_MAX_JOBS requests,
 * LANE_MAX_BYTES of body bytes), write requests and bodies from one
 * output buffer, read whatever the server sends into one input buffer and
 * hand it to the job at the head of the FIFO: a frame, or the raw body
 * bytes it announced.  A put that waits for "ready" stops the sending
 * side (nothing may come between its request and its body); everything
 * else streams.  Reading never waits for writing: the socket is
 * non-blocking and both sides are pumped on every wake-up, so a server
 * busy answering can never dead-lock a client busy sending.
 * Does not: connect, retry, or decide anything about a job's meaning
 * (engine.c and the job handlers do).
 *
 * SECURITY: response frame lengths are checked as soon as their 4 bytes
 * are in (1 .. FR_MAX_RESPONSE), before anything waits for the body; raw
 * bytes are only accepted when the head job announced them; anything the
 * server sends that no request asked for is a protocol error.
 */
#include <poll.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/limits.h"

#include "engine.h"

/* Bytes written per pump before the loop looks at the other side and
 * the other lanes again. */
#define PUMP_WRITE_MAX (4u * 1024u * 1024u)

void lane_init(struct lane *l, struct engine *e, unsigned id)
{
	memset(l, 0, sizeof(*l));
	l->e = e;
	l->id = id;
	l->s.fd = -1;
	l->s.dead = true;
	fr_buf_init(&l->out, LANE_OUT_MAX);
	fr_buf_init(&l->in, LANE_IN_MAX);
}

void lane_cleanup(struct lane *l)
{
	sess_close(&l->s);
	fr_buf_cleanup(&l->out);
	fr_buf_cleanup(&l->in);
	l->up = false;
}

bool lane_idle(const struct lane *l)
{
	return !l->head && !l->send && !l->ready_wait &&
	       fr_buf_len(&l->out) == 0;
}

static bool window_room(const struct lane *l);

short lane_events(const struct lane *l)
{
	/* POLLOUT whenever there is something to write: pending bytes, a
	 * body to go on with, or jobs the window has room for (a pump that
	 * spent its budget comes back as soon as the socket can take it) */
	bool out = fr_buf_len(&l->out) > 0 || l->read_wants_write || l->send ||
		   (!l->ready_wait && window_room(l) &&
		    engine_has_jobs(l->e));

	return POLLIN | (out ? POLLOUT : 0);
}

static void fifo_push(struct lane *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n_jobs++;
	l->weight += j->weight;
}

static struct job *fifo_pop(struct lane *l)
{
	struct job *j = l->head;

	l->head = j->next;
	if (!l->head)
		l->tail = NULL;
	j->next = NULL;
	l->n_jobs--;
	l->weight -= j->weight;
	return j;
}

static bool window_room(const struct lane *l)
{
	return l->n_jobs < LANE_MAX_JOBS &&
	       (l->n_jobs == 0 || l->weight < LANE_MAX_BYTES);
}

/* The body of l->send is out. */
static void body_done(struct lane *l)
{
	struct job *j = l->send;

	l->send = NULL;
	j->sending = false;
	if (j->answered)
		engine_job_done(l->e, j);
}

/* Fill the output buffer up to one chunk ahead: the body being sent,
 * else new requests.  FR_OK or an error that drops the lane. */
static int produce(struct lane *l)
{
	struct job *j;
	size_t before;
	bool end;
	int r;

	while (fr_buf_len(&l->out) < FR_IO_CHUNK) {
		if (l->send) {
			end = false;
			before = fr_buf_len(&l->out);
			r = l->send->ops->body(l, l->send, &end);
			if (r < 0)
				return r;
			if (end)
				body_done(l);
			else if (fr_buf_len(&l->out) == before)
				break; /* nothing to send just now */
			continue;
		}
		if (l->ready_wait || !window_room(l) || engine_stopping(l->e))
			break;
		j = engine_take(l->e, l);
		if (!j)
			break;
		r = j->ops->start(l, j);
		if (r < 0) {
			engine_job_done(l->e, j);
			return r;
		}
		if (r == JN_DONE) {
			engine_job_done(l->e, j);
			continue;
		}
		fifo_push(l, j);
		if (r == JN_BODY)
			l->ready_wait = j;
		if (j->sending)
			l->send = j;
	}
	return FR_OK;
}

/* Write what is pending, at most budget bytes.  FR_OK (also when the
 * socket is full) or an error. */
static int flush(struct lane *l, size_t *budget)
{
	size_t w;
	int r;

	while (fr_buf_len(&l->out) > 0 && *budget > 0) {
		r = sess_write(&l->s, fr_buf_data(&l->out),
			       fr_buf_len(&l->out), &w);
		if (r == FR_TLS_WANT_WRITE || r == FR_TLS_WANT_READ)
			return FR_OK;
		if (r != FR_OK) {
			l->err_in_send = true;
			return r;
		}
		fr_buf_consume(&l->out, w);
		*budget = w < *budget ? *budget - w : 0;
		l->last_io = cli_now();
	}
	return FR_OK;
}

/* A frame arrived with nothing in flight: the server's goodbye (idle
 * timeout, drain) is fine, anything else is a protocol error. */
static int unasked(struct lane *l, const struct fr_response *r)
{
	if (r->status == FR_ST_ERROR && fr_err_closes(r->err)) {
		l->err_printed = true; /* nothing was lost: say nothing */
		return FR_E_CLOSED;
	}
	return sess_protocol(&l->s, "the server sent an answer nobody asked "
				    "for", "reading");
}

/* One complete frame at the head of l->in, or FR_AGAIN. */
static int one_frame(struct lane *l)
{
	struct fr_response r;
	const uint8_t *body;
	size_t blen;
	struct job *j = l->head;
	int rc;

	rc = fr_frame_peek(&l->in, FR_MAX_RESPONSE, &body, &blen);
	if (rc == FR_AGAIN)
		return FR_AGAIN;
	if (rc != FR_OK)
		return sess_protocol(&l->s, "response frame length out of "
					    "range", "reading");
	rc = fr_response_parse(body, blen, &r, &l->s.why);
	fr_buf_consume(&l->in, FR_FRAME_HDR + blen);
	if (rc != FR_OK)
		return sess_protocol(&l->s, l->s.why, "reading an answer");
	if (!j) {
		rc = unasked(l, &r);
		fr_response_cleanup(&r);
		return rc;
	}
	rc = j->ops->frame(l, j, &r);
	fr_response_cleanup(&r);
	switch (rc) {
	case JN_DONE:
		(void)fifo_pop(l);
		if (l->ready_wait == j)
			l->ready_wait = NULL;
		l->fails = 0; /* the connection works */
		if (j->sending)
			j->answered = true;
		else
			engine_job_done(l->e, j);
		return FR_OK;
	case JN_AGAIN:
		(void)fifo_pop(l);
		if (l->ready_wait == j)
			l->ready_wait = NULL;
		if (j->sending)
			return sess_protocol(&l->s, "an answer that ends a "
						    "body still being sent",
					     "reading");
		engine_requeue(l->e, j);
		return FR_OK;
	case JN_FRAME:
	case JN_RAW:
		return FR_OK;
	case JN_BODY:
		if (l->ready_wait != j)
			return sess_protocol(&l->s, "\"ready\" to a request "
						    "that waits for none",
					     "reading");
		l->ready_wait = NULL;
		j->sending = true;
		l->send = j;
		return FR_OK;
	default:
		return rc < 0 ? rc : FR_E_PROTOCOL;
	}
}

/* Hand what was read to the jobs it answers. */
static int deliver(struct lane *l)
{
	struct job *j;
	size_t n;
	int r;

	while (fr_buf_len(&l->in) > 0) {
		j = l->head;
		if (j && j->raw_left > 0) {
			n = fr_buf_len(&l->in);
			if (n > j->raw_left)
				n = (size_t)j->raw_left;
			r = j->ops->raw(l, j, fr_buf_data(&l->in), n);
			fr_buf_consume(&l->in, n);
			j->raw_left -= n;
			if (r < 0)
				return r;
			continue;
		}
		r = one_frame(l);
		if (r == FR_AGAIN)
			return FR_OK;
		if (r != FR_OK)
			return r;
	}
	return FR_OK;
}

/* Read until the socket is dry, dispatching after each FR_IO_CHUNK (so a
 * body reaches its file in big writes, not one per TLS record). */
static int receive(struct lane *l)
{
	size_t room, got, round;
	bool dry = false;
	uint8_t *p;
	int r;

	l->read_wants_write = false;
	while (!dry) {
		for (round = 0; round < FR_IO_CHUNK; round += got) {
			room = LANE_IN_MAX - fr_buf_len(&l->in);
			if (room > FR_IO_CHUNK - round)
				room = FR_IO_CHUNK - round;
			if (room == 0)
				break;
			r = fr_buf_reserve(&l->in, room, &p);
			if (r != FR_OK)
				return r;
			r = sess_read(&l->s, p, room, &got);
			if (r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE) {
				l->read_wants_write = r == FR_TLS_WANT_WRITE;
				dry = true;
				break;
			}
			if (r != FR_OK) {
				/* what came before the end is still an
				 * answer (an error frame, then the close) */
				int d = deliver(l);

				return d != FR_OK ? d : r;
			}
			fr_buf_commit(&l->in, got);
			l->rx += got;
			l->last_io = cli_now();
		}
		r = deliver(l);
		if (r != FR_OK)
			return r;
	}
	return FR_OK;
}

int lane_pump(struct lane *l, bool readable, bool writable)
{
	size_t budget = PUMP_WRITE_MAX, had;
	uint64_t rx;
	bool wrote;
	int r;

	(void)readable;
	(void)writable;
	l->err_in_send = false;
	/* until neither side moves: an answer read may let more go out
	 * ("ready", a window slot), and what goes out brings answers */
	do {
		rx = l->rx;
		wrote = false;
		r = receive(l);
		while (r == FR_OK && budget > 0) {
			r = produce(l);
			had = fr_buf_len(&l->out);
			if (r != FR_OK || had == 0)
				break;
			r = flush(l, &budget);
			if (fr_buf_len(&l->out) < had)
				wrote = true;
			if (r == FR_OK && fr_buf_len(&l->out) == had)
				break; /* the socket is full: wait for POLLOUT */
		}
	} while (r == FR_OK && budget > 0 && (wrote || l->rx != rx));
	return r;
}

bool lane_idle_work(struct lane *l)
{
	struct job *j = l->ready_wait;

	return j && j->ops->idle && j->ops->idle(j);
}

void lane_drop(struct lane *l, struct job **list)
{
	struct job *j, **tail = list;

	*list = NULL;
	while (l->head) {
		j = fifo_pop(l);
		if (j == l->send)
			l->send = NULL;
		j->sending = false;
		if (j->failed) {
			engine_job_done(l->e, j); /* it reported itself */
			continue;
		}
		j->raw_left = 0;
		*tail = j;
		tail = &j->next;
	}
	if (l->send) {
		/* answered while its body was still going out */
		j = l->send;
		l->send = NULL;
		j->sending = false;
		engine_job_done(l->e, j);
	}
	l->ready_wait = NULL;
	sess_abort(&l->s);
	fr_response_cleanup(&l->s.hello);
	fr_buf_reset(&l->out);
	fr_buf_reset(&l->in);
	fr_buf_shrink(&l->out);
	fr_buf_shrink(&l->in);
	l->up = false;
	l->read_wants_write = false;
}
