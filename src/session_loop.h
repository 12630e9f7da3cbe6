/* SPDX-License-Identifier: MIT */
/* The event loop both front ends run a session in: one epoll over the signals (a signalfd),
 * the drain tick (every SESSION_DRAIN_MS) and the session's events, plus the front end's own
 * fds (capture.c: the deadline; daemon.c: the window timer, the upload loop). Signals, drains
 * and process events are handled here; the rest goes to the front end's callbacks. */
#ifndef FLAMED_SESSION_LOOP_H
#define FLAMED_SESSION_LOOP_H

#include <signal.h>
#include <stdbool.h>

struct session;

/* The signals the front ends take through the loop's signalfd (SIGINT, SIGTERM, SIGCHLD), into
 * mask: block them before any child is started. */
void session_signal_mask(sigset_t *mask);

struct session_loop {
	struct session *s;
	int epoll_fd, signal_fd, tick_fd;
	bool interrupted; /* SIGINT or SIGTERM ended the run (not the command's exit) */
};

/* What a front end adds; any may be NULL. tick, fd and idle return 0 to go on, 1 to end the run
 * or -errno to end it with that error. */
struct session_loop_ops {
	int (*tick)(void *ctx);	      /* after each drain */
	int (*fd)(void *ctx, int fd); /* one of the fds given to session_loop__add is readable */
	int (*timeout_ms)(void *ctx); /* the longest wait, -1 for none */
	int (*idle)(void *ctx);	      /* a wait timed out */
	void *ctx;
};

/* Set up l for s (borrowed). 0 or -errno; session_loop__close in either case. */
int session_loop__init(struct session_loop *l, struct session *s);

/* Watch fd too (fd < 0 is ignored). 0 or -errno. */
int session_loop__add(struct session_loop *l, int fd);

/* Run until a signal, the command's exit or a callback ends it: 0, or -errno of a drain, the
 * session's events or a callback. */
int session_loop__run(struct session_loop *l, const struct session_loop_ops *ops);

/* A drain tick has come and is taken now (for a front end that drains while it builds). */
bool session_loop__take_tick(struct session_loop *l);

/* Close the fds. NULL-safe. */
void session_loop__close(struct session_loop *l);

#endif /* FLAMED_SESSION_LOOP_H */
