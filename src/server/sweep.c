/*
 * sweep.c - the expiry thread for interrupted uploads (see sweep.h).
 *
 * One mutex and one condition variable: the thread sleeps on the variable
 * with a deadline and sweep_stop wakes it with the stop flag set.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/log.h"
#include "metrics.h"
#include "store.h"
#include "sweep.h"

struct sweep {
	int root;
	uint64_t ttl;
	pthread_t thread;
	pthread_mutex_t mu; /* guards stop and ttl */
	pthread_cond_t cv;
	bool stop;
};

static void *run(void *arg)
{
	struct sweep *s = arg;
	struct store_held held;
	uint64_t every, ttl;
	struct timespec ts;
	size_t n;
	bool stop = false;

	pthread_mutex_lock(&s->mu);
	ttl = s->ttl;
	pthread_mutex_unlock(&s->mu);
	while (!stop) {
		every = ttl / 2;
		if (every < 1)
			every = 1;
		if (every > FR_SWEEP_INTERVAL)
			every = FR_SWEEP_INTERVAL;
		n = store_sweep_parts(s->root, ttl, FR_SWEEP_MAX_ENTRIES,
				      &held);
		metrics_held(held.parts, held.bytes);
		if (n > 0)
			fr_log(FR_LOG_INFO,
			       "removed %zu interrupted upload(s) older than "
			       "--partial-ttl=%llu s",
			       n, (unsigned long long)ttl);
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)every;
		pthread_mutex_lock(&s->mu);
		while (!s->stop && s->ttl == ttl &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
		stop = s->stop;
		ttl = s->ttl;
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

int sweep_start(int root, uint64_t ttl, struct sweep **out)
{
	struct sweep *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	*out = NULL;
	if (!s)
		return FR_E_INTERNAL;
	s->root = root;
	s->ttl = ttl;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->cv, &ca) != 0) {
		free(s);
		return FR_E_INTERNAL;
	}
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return FR_E_INTERNAL;
	}
	*out = s;
	return FR_OK;
}

void sweep_set_ttl(struct sweep *s, uint64_t ttl)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->ttl != ttl) {
		s->ttl = ttl;
		pthread_cond_signal(&s->cv); /* sweep now with the new ttl */
	}
	pthread_mutex_unlock(&s->mu);
}

void sweep_stop(struct sweep *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
