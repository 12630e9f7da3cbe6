// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "session.h"
#include "session_loop.h"

void session_signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGCHLD);
}

int session_loop__add(struct session_loop *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd < 0)
		return 0;
	return epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int session_loop__init(struct session_loop *l, struct session *s)
{
	const struct timespec period = { .tv_sec = SESSION_DRAIN_MS / 1000,
					 .tv_nsec = (SESSION_DRAIN_MS % 1000) * 1000000L };
	struct itimerspec tick = { .it_interval = period, .it_value = period };
	sigset_t mask;
	int err;

	*l = (struct session_loop){ .s = s, .epoll_fd = -1, .signal_fd = -1, .tick_fd = -1 };
	session_signal_mask(&mask);
	l->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (l->signal_fd < 0 || l->tick_fd < 0 || l->epoll_fd < 0)
		return -errno;
	if (timerfd_settime(l->tick_fd, 0, &tick, NULL))
		return -errno;
	err = session_loop__add(l, l->signal_fd);
	if (!err)
		err = session_loop__add(l, l->tick_fd);
	if (!err)
		err = session_loop__add(l, session__event_fd(s));
	return err;
}

bool session_loop__take_tick(struct session_loop *l)
{
	uint64_t expirations;

	return read(l->tick_fd, &expirations, sizeof(expirations)) == sizeof(expirations);
}

/* One readable fd: 0 to go on, 1 when the run is over, or -errno. */
static int handle(struct session_loop *l, const struct session_loop_ops *ops, int fd)
{
	int err;

	if (fd == l->signal_fd)
		return session__read_signals(l->s, fd, &l->interrupted) ? 1 : 0;
	if (fd == l->tick_fd) {
		if (!session_loop__take_tick(l))
			return 0;
		err = session__drain(l->s);
		return err ? err : ops->tick ? ops->tick(ops->ctx) : 0;
	}
	if (fd == session__event_fd(l->s))
		return session__poll_events(l->s);
	return ops->fd ? ops->fd(ops->ctx, fd) : 0;
}

int session_loop__run(struct session_loop *l, const struct session_loop_ops *ops)
{
	bool done = false;

	while (!done) {
		struct epoll_event evs[8];
		int timeout = ops->timeout_ms ? ops->timeout_ms(ops->ctx) : -1;
		int n = epoll_wait(l->epoll_fd, evs, 8, timeout), ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			ret = handle(l, ops, evs[i].data.fd);
			if (ret < 0)
				return ret;
			done |= ret > 0;
		}
		if (n == 0 && ops->idle) { /* a libcurl timer or a retry is due */
			ret = ops->idle(ops->ctx);
			if (ret < 0)
				return ret;
			done |= ret > 0;
		}
	}
	return 0;
}

void session_loop__close(struct session_loop *l)
{
	if (!l)
		return;
	for (int *fd = &l->epoll_fd; fd <= &l->tick_fd; fd++) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}
