// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unwind/unwind_loader.h"
#include "unwind/unwind_table.h"
#include "unwind/unwind_worker.h"
#include "util/clock.h"

/* Two threads: one builds the system's files (flamed's own user's), the other everybody else's,
 * so that a user mapping huge crafted libraries never holds up the tables of other processes. */
enum { LANE_TRUSTED, LANE_UNTRUSTED, LANES };

struct lane {
	struct unwind_worker *w;
	bool untrusted;
	bool started;
	pthread_t thread;
};

struct unwind_worker {
	struct lane lanes[LANES];
	pthread_mutex_t lock;
	pthread_cond_t work;	  /* a job was queued, or stop */
	pthread_cond_t idle;	  /* a job finished */
	struct unwind_job *queue; /* by file size */
	struct unwind_job *done, **done_tail;
	unsigned int in_flight; /* queued or being built */
	unsigned int untrusted; /* of which untrusted */
	bool stop;
	int efd;
};

void unwind_job__free(struct unwind_job *job)
{
	if (!job)
		return;
	if (job->fd >= 0)
		close(job->fd);
	free(job->elems);
	free(job);
}

static bool same_file(const struct unwind_job *job)
{
	struct stat st;

	return !fstat(job->fd, &st) && (uint64_t)st.st_size == job->size &&
	       (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec == job->mtime_ns &&
	       (uint64_t)st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec == job->ctime_ns;
}

static void build(struct unwind_job *job)
{
	struct unwind_table_opts o = { .max_bytes = job->max_bytes };
	uint64_t t0 = mono_ns();
	struct unwind_table *t = unwind_table__build_fd(job->fd, &o);

	if (!t) {
		job->err = -errno;
	} else if (!unwind_table__nr(t)) {
		job->err = -ENOEXEC; /* no CFI */
	} else {
		job->rows = unwind_table__nr(t);
		job->base = unwind_table__base(t);
		job->elems = unwind_loader_encode(
			(const struct flamed_unwind_row *)unwind_table__rows(t), job->rows,
			&job->nr, &job->pages);
		if (!job->elems)
			job->err = -errno;
	}
	unwind_table__free(t);
	if (!job->err && !same_file(job))
		job->err = -EIO;
	close(job->fd);
	job->fd = -1;
	job->ns = mono_ns() - t0;
}

/* The first queued job of this lane, unlinked; NULL if none. */
static struct unwind_job *take_for(struct unwind_worker *w, bool untrusted)
{
	for (struct unwind_job **at = &w->queue; *at; at = &(*at)->next) {
		struct unwind_job *job = *at;

		if (job->untrusted == untrusted) {
			*at = job->next;
			return job;
		}
	}
	return NULL;
}

static void *run(void *arg)
{
	struct lane *lane = arg;
	struct unwind_worker *w = lane->w;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct unwind_job *job = NULL;

		while (!w->stop && !(job = take_for(w, lane->untrusted)))
			pthread_cond_wait(&w->work, &w->lock);
		if (w->stop) /* nothing was taken: stop is checked first */
			break;
		pthread_mutex_unlock(&w->lock);
		build(job);
		pthread_mutex_lock(&w->lock);
		job->next = NULL;
		*w->done_tail = job;
		w->done_tail = &job->next;
		w->in_flight--;
		w->untrusted -= job->untrusted;
		pthread_cond_broadcast(&w->idle);
		/* a full counter only means a wakeup is pending already */
		if (write(w->efd, &one, sizeof(one)) < 0) {
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct unwind_worker *unwind_worker__new(void)
{
	struct unwind_worker *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->done_tail = &w->done;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	for (int i = 0; i < LANES; i++) {
		w->lanes[i] = (struct lane){ .w = w, .untrusted = i == LANE_UNTRUSTED };
		err = pthread_create(&w->lanes[i].thread, NULL, run, &w->lanes[i]);
		if (err) {
			unwind_worker__free(w);
			errno = err;
			return NULL;
		}
		w->lanes[i].started = true;
	}
	return w;
}

int unwind_worker__push(struct unwind_worker *w, struct unwind_job *job)
{
	int err = 0;

	pthread_mutex_lock(&w->lock);
	if (w->in_flight >= UNWIND_WORKER_QUEUE_MAX ||
	    (job->untrusted && w->untrusted >= UNWIND_WORKER_UNTRUSTED_MAX)) {
		err = -EAGAIN;
	} else {
		struct unwind_job **at = &w->queue;

		/* the system's files first, then the smallest: most processes get all their tables
		 * while a huge library is still waiting, rather than after it */
		while (*at && ((*at)->untrusted < job->untrusted ||
			       ((*at)->untrusted == job->untrusted && (*at)->size <= job->size)))
			at = &(*at)->next;
		job->next = *at;
		*at = job;
		w->in_flight++;
		w->untrusted += job->untrusted;
		pthread_cond_broadcast(&w->work); /* the lane's thread among them */
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

struct unwind_job *unwind_worker__take(struct unwind_worker *w)
{
	struct unwind_job *list;
	uint64_t n;

	if (read(w->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing signalled; jobs may still be there (taken with an earlier read) */
	}
	pthread_mutex_lock(&w->lock);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->lock);
	return list;
}

void unwind_worker__wait_idle(struct unwind_worker *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->in_flight)
		pthread_cond_wait(&w->idle, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

int unwind_worker__fd(const struct unwind_worker *w)
{
	return w->efd;
}

void unwind_worker__free(struct unwind_worker *w)
{
	struct unwind_job *job, *next;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < LANES; i++)
		if (w->lanes[i].started)
			pthread_join(w->lanes[i].thread, NULL);
	for (job = w->queue; job; job = next) {
		next = job->next;
		unwind_job__free(job);
	}
	for (job = w->done; job; job = next) {
		next = job->next;
		unwind_job__free(job);
	}
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->lock);
	close(w->efd);
	free(w);
}
