// SPDX-License-Identifier: MIT
/* The upload loop: one libcurl multi handle driven through its socket and timer callbacks, with
 * every socket in one epoll fd, so the caller watches one fd and one timeout whatever the number
 * of connections. No thread. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "upload/http.h"
#include "util/clock.h"

#define LOOP_MAX_EVENTS 16

struct upload_loop {
	CURLM *multi;
	int epfd;
	int64_t curl_due_ms; /* libcurl's timer, -1 = none */
	struct http_sink **sinks;
	size_t nr_sinks, cap_sinks;
};

int64_t upload_now_ms(void)
{
	return (int64_t)(mono_ns() / 1000000);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct upload_loop *loop = userp;
	struct epoll_event ev = { .data.fd = s };

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(loop->multi, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (socketp) {
		if (!epoll_ctl(loop->epfd, EPOLL_CTL_MOD, s, &ev))
			return 0;
	}
	/* a socket number libcurl reuses may still be registered: MOD after EEXIST */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, s, &ev) &&
	    (errno != EEXIST || epoll_ctl(loop->epfd, EPOLL_CTL_MOD, s, &ev)))
		return -1;
	curl_multi_assign(loop->multi, s, loop);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct upload_loop *loop = userp;

	(void)multi;
	loop->curl_due_ms = timeout_ms < 0 ? -1 : upload_now_ms() + timeout_ms;
	return 0;
}

int upload_loop__new(struct upload_loop **ret_loop)
{
	struct upload_loop *loop;
	int err;

	/* idempotent after the first call, and the only libcurl global state flamed has */
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->curl_due_ms = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		err = -errno;
		free(loop);
		return err;
	}
	loop->multi = curl_multi_init();
	if (!loop->multi) {
		upload_loop__free(loop);
		return -EIO;
	}
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop);
	*ret_loop = loop;
	return 0;
}

int upload_loop__fd(const struct upload_loop *loop)
{
	return loop->epfd;
}

CURLM *upload_loop_multi(struct upload_loop *loop)
{
	return loop->multi;
}

int upload_loop_add_sink(struct upload_loop *loop, struct http_sink *hs)
{
	if (loop->nr_sinks == loop->cap_sinks) {
		size_t cap = loop->cap_sinks ? loop->cap_sinks * 2 : 4;
		struct http_sink **s = realloc(loop->sinks, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		loop->sinks = s;
		loop->cap_sinks = cap;
	}
	loop->sinks[loop->nr_sinks++] = hs;
	return 0;
}

void upload_loop_remove_sink(struct upload_loop *loop, struct http_sink *hs)
{
	for (size_t i = 0; i < loop->nr_sinks; i++) {
		if (loop->sinks[i] == hs) {
			loop->sinks[i] = loop->sinks[--loop->nr_sinks];
			return;
		}
	}
}

int upload_loop__timeout_ms(struct upload_loop *loop)
{
	int64_t due = loop->curl_due_ms, now = upload_now_ms();

	for (size_t i = 0; i < loop->nr_sinks; i++) {
		int64_t d = http_sink_due_ms(loop->sinks[i]);

		if (d >= 0 && (due < 0 || d < due))
			due = d;
	}
	if (due < 0)
		return -1;
	if (due <= now)
		return 0;
	return due - now > 3600000 ? 3600000 : (int)(due - now);
}

/* Timers, finished transfers, then retries that are due. */
static int run(struct upload_loop *loop)
{
	int running, pending;
	CURLMsg *msg;

	if (loop->curl_due_ms >= 0 && upload_now_ms() >= loop->curl_due_ms) {
		loop->curl_due_ms = -1;
		if (curl_multi_socket_action(loop->multi, CURL_SOCKET_TIMEOUT, 0, &running))
			return -EIO;
	}
	while ((msg = curl_multi_info_read(loop->multi, &pending))) {
		struct http_sink *hs = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&hs);
		/* http_sink_done removes the handle: msg is not used after this */
		http_sink_done(hs, msg->easy_handle, msg->data.result);
	}
	for (size_t i = 0; i < loop->nr_sinks; i++)
		http_sink_tick(loop->sinks[i], upload_now_ms());
	return 0;
}

static int wait_and_run(struct upload_loop *loop, int timeout_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int n, running;

	n = epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

		if (curl_multi_socket_action(loop->multi, evs[i].data.fd, flags, &running))
			return -EIO;
	}
	return run(loop);
}

int upload_loop__process(struct upload_loop *loop)
{
	return wait_and_run(loop, 0);
}

int upload_loop__poll(struct upload_loop *loop, int timeout_ms)
{
	int t = upload_loop__timeout_ms(loop);

	if (t < 0 || (timeout_ms >= 0 && timeout_ms < t))
		t = timeout_ms;
	return wait_and_run(loop, t);
}

void upload_loop__free(struct upload_loop *loop)
{
	if (!loop)
		return;
	assert(loop->nr_sinks == 0);
	if (loop->multi)
		curl_multi_cleanup(loop->multi);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop->sinks);
	free(loop);
}
