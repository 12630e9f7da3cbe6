// SPDX-License-Identifier: MIT
/*
 * offcpu_waits SECONDS: the main thread waits in two functions and spins in a third, each for
 * times it measures itself, for off-CPU profiling tests.
 *
 * Round after round, the main thread sleeps in wait_sleep (nanosleep, 2-40 ms), blocks in
 * wait_pipe on a read() of a pipe that a helper thread writes to after 2-30 ms, and burns CPU in
 * spin for 2-8 ms. Random lengths, so waits both shorter and longer than an off-CPU sampling
 * threshold of a few ms come up. Each wait is timed with CLOCK_MONOTONIC around the call that
 * blocks; spin measures its CPU time (the thread's CPU clock) and its time off the CPU (its wall
 * time minus that: preempted by other work on a busy host).
 *
 * Output: "pid N" and "tid N" (the main thread) at start, flushed; at exit "offcpu wait_sleep
 * MS", "offcpu wait_pipe MS" (wall time in each), "offcpu spin MS" (spin's time off the CPU),
 * "offcpu_total_ms MS" (the three together), "cpu spin MS".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "workload.h"

static int req_pipe[2], data_pipe[2];
static volatile uint64_t sink;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* The helper: for each request (a delay in ns), sleep that long, then write one byte. */
static void *helper(void *arg)
{
	uint64_t delay;

	(void)arg;
	while (read(req_pipe[0], &delay, sizeof(delay)) == sizeof(delay)) {
		char c = 1;

		if (!delay)
			break;
		sleep_ns(delay);
		if (write(data_pipe[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

/* Each returns the wall ns it spent in the call that blocks. */
static NOINLINE uint64_t wait_sleep(uint64_t ns)
{
	uint64_t t0 = workload_clock_ns(CLOCK_MONOTONIC);

	sleep_ns(ns);
	return workload_clock_ns(CLOCK_MONOTONIC) - t0;
}

static NOINLINE uint64_t wait_pipe(uint64_t ns)
{
	uint64_t t0, t1;
	char c;

	if (write(req_pipe[1], &ns, sizeof(ns)) != sizeof(ns))
		abort();
	t0 = workload_clock_ns(CLOCK_MONOTONIC);
	if (read(data_pipe[0], &c, 1) != 1)
		abort();
	t1 = workload_clock_ns(CLOCK_MONOTONIC);
	return t1 - t0;
}

/* Burns CPU for about ns of the thread's CPU clock; returns what it took, and adds its wall time
 * minus that (the time it was preempted) to *off. */
static NOINLINE uint64_t spin(uint64_t ns, uint64_t *off)
{
	uint64_t w0 = workload_clock_ns(CLOCK_MONOTONIC), t0, t, x = ns | 1;

	t0 = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < 20000; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			OPAQUE(x);
		}
		t = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (t - t0 < ns);
	sink = x;
	*off += workload_clock_ns(CLOCK_MONOTONIC) - w0 - (t - t0);
	return t - t0;
}

int main(int argc, char **argv)
{
	uint64_t slept = 0, piped = 0, spun = 0, preempted = 0, deadline, stop = 0;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	pthread_t th;
	double seconds;

	if (argc != 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: offcpu_waits SECONDS\n");
		return 2;
	}
	if (pipe(req_pipe) || pipe(data_pipe) || pthread_create(&th, NULL, helper, NULL)) {
		perror("offcpu_waits");
		return 1;
	}
	printf("pid %d\ntid %ld\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		slept += wait_sleep(2000000 + xorshift(&rnd) % 38000000);
		piped += wait_pipe(2000000 + xorshift(&rnd) % 28000000);
		spun += spin(2000000 + xorshift(&rnd) % 6000000, &preempted);
	}
	if (write(req_pipe[1], &stop, sizeof(stop)) != sizeof(stop))
		return 1;
	pthread_join(th, NULL);
	printf("offcpu wait_sleep %.3f\n", slept / 1e6);
	printf("offcpu wait_pipe %.3f\n", piped / 1e6);
	printf("offcpu spin %.3f\n", preempted / 1e6);
	printf("offcpu_total_ms %.3f\n", (slept + piped + preempted) / 1e6);
	printf("cpu spin %.3f\n", spun / 1e6);
	return 0;
}
