/*
 * engine.h - the client transfer engine: jobs, lanes and the loop that
 * drives them.  Every command of ferry (put, get, trees, -j, ls, stat, sum,
 * rm) creates jobs; the engine runs them.
 *
 *   job    one request and everything that answers it (a file to put, a
 *          file to get, a directory to list, a stat, a delete, a mkdir),
 *          with its own handlers (struct job_ops, one file per kind:
 *          xput.c, xget.c, xmisc.c).
 *   lane   one connection (session.h) with a window of requests in flight:
 *          requests leave in order, answers are matched in order (the
 *          server serves a connection's requests strictly in order), at
 *          most LANE_MAX_JOBS and about LANE_MAX_BYTES of body bytes in
 *          flight (lane.c).
 *   engine the job queue (jobs given back by a dropped lane first, then
 *          the command's own queue, then its source, e.g. a tree walk
 *          that makes jobs as lanes have room), 1..FR_CLIENT_MAX_LANES
 *          lanes, one poll loop, reconnection with backoff (--retries),
 *          and the exit status (engine.c).
 *
 * Single-threaded: nothing here is locked.  Jobs own their local files
 * (local.h); lanes own their connection; the engine owns jobs while they
 * are queued and lanes while they are in flight.
 */
#ifndef FERRY_CLIENT_ENGINE_H
#define FERRY_CLIENT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/buf.h"
#include "ferry/proto.h"

#include "cli.h"
#include "session.h"

#define LANE_MAX_JOBS 64u                    /* requests in flight */
#define LANE_MAX_BYTES (8u * 1024u * 1024u)  /* body bytes in flight */
#define LANE_OUT_MAX (FR_FRAME_HDR + FR_MAX_REQUEST + FR_IO_CHUNK)
#define LANE_IN_MAX (FR_FRAME_HDR + FR_MAX_RESPONSE + FR_IO_CHUNK)

struct engine;
struct job;
struct lane;

/* What a handler wants next; negative values are errors (below). */
enum job_next {
	JN_DONE = 0, /* the job's last answer arrived: it leaves the lane */
	JN_FRAME,    /* another frame answers this job */
	JN_RAW,      /* job->raw_left raw body bytes come, then a frame */
	JN_BODY,     /* put "ready": send the body, then a frame answers */
	JN_AGAIN,    /* answered, but not done: back to the queue's front
			(e.g. a stat found no copy: now send the file) */
};
/* Errors a handler may return: FR_E_PROTOCOL (the server broke the
 * protocol, the line is printed: the command stops, exit 3),
 * FR_E_LOCAL_IO (a local failure that leaves the connection unusable,
 * e.g. a file that changed size while its body was on the wire: the
 * handler reported it and set job->failed; the connection is dropped and
 * the other jobs go on, without counting a retry), FR_E_BUSY or
 * FR_E_TIMEOUT (the server refused and closes: the line is printed; the
 * job is retried like after a dropped connection), or a transport error
 * (FR_E_TRUNCATED ...: the lane prints the line, jobs are retried). */

struct job_ops {
	const char *cmd; /* for messages: "put", "get", ... */
	/* Append the request (and, for a body that follows it at once, set
	 * job->sending) to l->out.  JN_FRAME: the answer is a frame; JN_BODY
	 * would be wrong here.  A job may also finish at once without a
	 * request (JN_DONE: e.g. a local refusal it reported). */
	int (*start)(struct lane *l, struct job *j);
	/* Append more body bytes to l->out; *end when the body is out. */
	int (*body)(struct lane *l, struct job *j, bool *end);
	int (*frame)(struct lane *l, struct job *j, const struct fr_response *r);
	int (*raw)(struct lane *l, struct job *j, const uint8_t *p, size_t n);
	/* The lane died with the job on it: get ready to start again (keep
	 * what can be resumed).  false: the job cannot be retried (stdin):
	 * it is dropped as failed (the transport line was printed). */
	bool (*dropped)(struct job *j);
	/* Optional: a bounded piece of local work while the job waits for
	 * an answer (a resumed put hashes its prefix while the server hashes
	 * its part); true while more remains. */
	bool (*idle)(struct job *j);
	void (*free)(struct job *j);
};

struct job {
	struct job *next; /* queue or lane FIFO */
	const struct job_ops *ops;
	struct engine *e;
	unsigned tries;    /* lanes that dropped it so far */
	uint64_t seq;      /* creation order: the exit status follows it */
	uint64_t weight;   /* body bytes it puts in flight (window) */
	uint64_t raw_left; /* JN_RAW: raw bytes still to come */
	bool sending;      /* its body is being written (lane->send) */
	bool answered;     /* its last answer came while still sending */
	bool failed;       /* it reported its own final failure */
	const char *what;  /* for messages: the remote path (owned by priv) */
	void *priv;        /* the kind's own state (xput.c, xget.c ...) */
};

/* A source makes jobs on demand (a tree walk): NULL when it has none left
 * (for now: *more says whether to ask again later). */
struct job_source {
	struct job *(*next)(void *arg, struct engine *e, bool *more);
	void *arg;
};

/* ---- engine (engine.c) ------------------------------------------------ */

/* A new engine for up to lanes connections (1..FR_CLIENT_MAX_LANES).
 * Nothing connects until engine_open or engine_run. */
struct engine *engine_new(const struct cli *cli, unsigned lanes);
void engine_free(struct engine *e); /* NULL is a no-op */

/* A new command on an engine that may have run others (the shell keeps
 * one, with its connections, for the whole session): lanes it may use,
 * retries, and a fresh exit status.  Queues are empty between commands. */
void engine_begin(struct engine *e, unsigned lanes, unsigned retries);

/* The engine a command runs on: cli->shared when set (the session's, see
 * engine_begin), else a new one; its first lane connected (again, if the
 * server closed it meanwhile: on the session's engine, idle lanes are
 * checked first and one the server closed is let go quietly).  FX_OK
 * with *out, or the exit status after its line (then *out may still need
 * engine_release). */
int engine_acquire(const struct cli *cli, unsigned lanes, unsigned retries,
		   struct engine **out);
void engine_release(const struct cli *cli, struct engine *e);

/* Connect the first lane now (to learn the server's protocol before
 * planning).  FX_OK or the exit status (the line was printed). */
int engine_open(struct engine *e);

/* The protocol version of the first lane (after engine_open), and its
 * hello (server id, identity, perms). */
unsigned engine_proto(const struct engine *e);
const struct session *engine_session(const struct engine *e);

/* Queue a job at the end (taken in order). */
void engine_push(struct engine *e, struct job *j);
/* engine_push of a job a constructor just returned: NULL (out of memory)
 * is queued as nothing, made the command's failure with one line naming
 * cmd, and answered false (the command stops planning). */
bool engine_push_made(struct engine *e, struct job *j, const char *cmd);
void engine_set_source(struct engine *e, const struct job_source *src);

/* Reconnections allowed after a dropped connection (--retries). */
void engine_set_retries(struct engine *e, unsigned retries);

/* Run until every job is done or the command must stop.  Returns the
 * command's exit status (engine_status); FX_INTERRUPTED when Ctrl-C in
 * ferry shell (cli_interrupted) stopped it: lanes with work dropped
 * without close_notify, every job freed, idle lanes kept. */
int engine_run(struct engine *e);

/* Merge one result into the command's exit status: the failure of the
 * earliest job (in the order the command made them, not the order they
 * finished) is kept, but a connection failure wins.  job_status is for a
 * job's own result; engine_status for the command's, ranked after every
 * job made so far. */
void job_status(struct job *j, int rc);
void engine_status(struct engine *e, int rc);
void engine_stop(struct engine *e);
int engine_result(const struct engine *e);
bool engine_stopping(const struct engine *e);

const struct cli *engine_cli(const struct engine *e);

/* The engine of a put or get: o->parallel (or -j before the command)
 * lanes, o->retries, the first lane connected, -p checked against the
 * server's protocol.  FX_OK with *out (free it with engine_free even on
 * failure), or the exit status after its line. */
int engine_start_xfer(const struct cli *cli, const struct xfer_opts *o,
		      const char *cmd, struct engine **out);

/* Protocol-2 features a command needs: when the first lane speaks 1,
 * print "ferry: CMD: WHAT needs ferryd 0.2 (protocol 2); HOST runs SERVER
 * (protocol 1)" and return FX_REFUSED; FX_OK otherwise. */
int engine_need_v2(const struct engine *e, const char *cmd,
		   const char *what);

/* ---- lanes (lane.c) ----------------------------------------------------- */

struct lane {
	struct engine *e;
	unsigned id;
	struct session s;
	bool up;               /* connected, hello done */
	unsigned fails;        /* consecutive drops / failed reconnects */
	double retry_at;       /* when down: next connection attempt */
	bool dead;             /* gave up reconnecting */
	struct fr_buf out;     /* bytes to write (frames and bodies) */
	struct fr_buf in;      /* bytes read, not yet consumed */
	struct job *head, *tail; /* waiting for answers, in send order */
	unsigned n_jobs;
	uint64_t weight;       /* sum of the weights in flight */
	struct job *send;      /* whose body is being written, or NULL */
	struct job *ready_wait; /* a put waiting for "ready": send nothing */
	double last_io;        /* monotonic seconds of the last progress */
	uint64_t rx;           /* bytes read so far */
	bool read_wants_write; /* TLS needs the socket writable to read */
	bool err_printed;      /* the failure that drops it was reported */
	bool err_in_send;      /* it failed while writing (for the message) */
};

void lane_init(struct lane *l, struct engine *e, unsigned id);
void lane_cleanup(struct lane *l);

/* One round of work on an up lane: start jobs while the window allows,
 * write what is pending, read and dispatch what arrived.  FR_OK, or the
 * error that made the lane unusable (the caller drops it). */
int lane_pump(struct lane *l, bool readable, bool writable);

/* The events the lane waits for (POLLIN always, POLLOUT with output). */
short lane_events(const struct lane *l);

/* Detach every job of a dropped lane into *list (in send order) and close
 * the connection without close_notify. */
void lane_drop(struct lane *l, struct job **list);

/* True when nothing is in flight on the lane. */
bool lane_idle(const struct lane *l);

/* Local work a waiting job can do meanwhile (job_ops.idle); true while
 * more remains. */
bool lane_idle_work(struct lane *l);

/* For handlers: the lane's protocol version, and the window room left. */
static inline unsigned lane_proto(const struct lane *l)
{
	return l->s.proto;
}

/* Take the next job for lane l from the engine (NULL: none now). */
struct job *engine_take(struct engine *e, struct lane *l);

/* A job left its lane for good (done or failed): free it. */
void engine_job_done(struct engine *e, struct job *j);

/* Whether a lane asking now could get a job (no call to the source). */
bool engine_has_jobs(const struct engine *e);

/* A job left its lane but goes on: to the front of the queue. */
void engine_requeue(struct engine *e, struct job *j);

#endif
