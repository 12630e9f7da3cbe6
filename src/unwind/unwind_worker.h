/* SPDX-License-Identifier: MIT */
/* The unwind loader's build threads (one for the system's files, one for other users'): take jobs (a file to build a table of), builds and encodes
 * the table off the caller's thread, and hands finished jobs back through an eventfd, so a cold
 * build of a large binary (tens of ms) never stalls the drain. The queue is bounded: each queued
 * job holds an fd. The caller's thread and the worker share only the queues (under a lock). */
#ifndef FLAMED_UNWIND_WORKER_H
#define FLAMED_UNWIND_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNWIND_WORKER_QUEUE_MAX 256 /* jobs queued or being built */
/* of which untrusted ones (files of users other than flamed's own) at most: the system's files
 * always find room, whatever other users map */
#define UNWIND_WORKER_UNTRUSTED_MAX (UNWIND_WORKER_QUEUE_MAX / 2)

struct unwind_job {
	struct unwind_job *next;
	void *tag;	   /* the caller's (its table record) */
	int fd;		   /* owned by the job: closed once built */
	size_t max_bytes;  /* refuse tables larger than this (E2BIG) */
	uint64_t size;	   /* the file as the caller keyed it: a file that differs once built */
	uint64_t mtime_ns; /* gives -EIO (its table may be another content's) */
	uint64_t ctime_ns;
	bool untrusted; /* a file of another user than flamed's: queued after the system's */
	/* results */
	int err;	 /* 0 or a negative errno (-E2BIG, -EIO: the file changed, ...) */
	uint64_t *elems; /* encoded table (unwind_loader_encode), owned by the job */
	uint32_t nr;	 /* elements */
	uint32_t pages;	 /* page index entries */
	uint64_t base;	 /* row pc = ELF vaddr - base */
	uint64_t rows;	 /* rows of the table */
	uint64_t ns;	 /* build time */
};

struct unwind_worker;

/* Start the threads. NULL with errno. */
struct unwind_worker *unwind_worker__new(void);

/* Queue job (owned by the worker until it comes back done): the system's files first, then the
 * smallest first, so that a user mapping huge crafted libraries delays only their own tables.
 * 0, or -EAGAIN when the queue (or its untrusted share) is full (the job stays the caller's). */
int unwind_worker__push(struct unwind_worker *w, struct unwind_job *job);

/* Finished jobs, oldest first (a list through ->next, the caller's now), or NULL. Never blocks. */
struct unwind_job *unwind_worker__take(struct unwind_worker *w);

/* Block until every queued job has finished. */
void unwind_worker__wait_idle(struct unwind_worker *w);

/* Readable when finished jobs are waiting. */
int unwind_worker__fd(const struct unwind_worker *w);

/* Free a job: its fd and its table. NULL-safe. */
void unwind_job__free(struct unwind_job *job);

/* Stop the threads (a build in progress finishes first); jobs not taken are freed. NULL-safe. */
void unwind_worker__free(struct unwind_worker *w);

#endif /* FLAMED_UNWIND_WORKER_H */
