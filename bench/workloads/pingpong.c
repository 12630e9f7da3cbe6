// SPDX-License-Identifier: MIT
/*
 * pingpong SECONDS RATE: two threads pass a byte back and forth over two pipes, so each blocks in
 * read() while the other runs: the context-switch load of off-CPU profiling (bench/offcpu.py).
 * RATE is round trips a second (0: as fast as they go); each round trip switches each thread
 * out and back in at least once (blocked in read, or preempted by the other's wake-up on the
 * same CPU). Paced runs sleep on the first thread every RATE/1000 rounds (about once a
 * millisecond, on an absolute clock). Each thread measures its own time off the CPU: its wall
 * time minus its CPU time (CLOCK_THREAD_CPUTIME_ID), and its voluntary and involuntary context
 * switches (getrusage RUSAGE_THREAD).
 *
 * Output at exit: "rounds N", "switches_per_s R" (both threads' context switches a second),
 * "nvcsw N", "nivcsw N", "offcpu_ms MS" (both threads' wall minus CPU time), "cpu_ms MS",
 * "wall_ms MS".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

static int ping[2], pong[2];
static double seconds, rate;

struct side {
	uint64_t wall_ns, cpu_ns, rounds;
	long nvcsw, nivcsw;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void finish(struct side *s, uint64_t wall0, uint64_t cpu0)
{
	struct rusage ru;

	s->wall_ns = now_ns(CLOCK_MONOTONIC) - wall0;
	s->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	getrusage(RUSAGE_THREAD, &ru);
	s->nvcsw = ru.ru_nvcsw;
	s->nivcsw = ru.ru_nivcsw;
}

/* The second thread: echo every byte until the first sends 0. */
static void *echo(void *arg)
{
	struct side *s = arg;
	uint64_t wall0 = now_ns(CLOCK_MONOTONIC), cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	char c;

	while (read(ping[0], &c, 1) == 1 && c) {
		if (write(pong[1], &c, 1) != 1)
			break;
		s->rounds++;
	}
	finish(s, wall0, cpu0);
	return NULL;
}

int main(int argc, char **argv)
{
	struct side a = { 0 }, b = { 0 };
	uint64_t wall0, cpu0, deadline, next, period, batch;
	pthread_t th;
	char c = 1;

	if (argc != 3 || (seconds = atof(argv[1])) <= 0 || (rate = atof(argv[2])) < 0) {
		fprintf(stderr, "usage: pingpong SECONDS RATE\n");
		return 2;
	}
	if (pipe(ping) || pipe(pong) || pthread_create(&th, NULL, echo, &b)) {
		perror("pingpong");
		return 1;
	}
	wall0 = now_ns(CLOCK_MONOTONIC);
	cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	deadline = wall0 + (uint64_t)(seconds * 1e9);
	batch = rate >= 2000 ? (uint64_t)(rate / 1000) : 1;
	period = rate > 0 ? (uint64_t)(1e9 * (double)batch / rate) : 0;
	next = wall0;
	while (now_ns(CLOCK_MONOTONIC) < deadline) {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			break;
		a.rounds++;
		if (period && a.rounds % batch == 0) {
			struct timespec ts;

			next += period;
			ts.tv_sec = (time_t)(next / 1000000000ULL);
			ts.tv_nsec = (long)(next % 1000000000ULL);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
	}
	finish(&a, wall0, cpu0);
	c = 0;
	if (write(ping[1], &c, 1) != 1)
		return 1;
	pthread_join(th, NULL);
	printf("rounds %llu\n", (unsigned long long)a.rounds);
	printf("switches_per_s %.0f\n",
	       (double)(a.nvcsw + b.nvcsw + a.nivcsw + b.nivcsw) / (a.wall_ns / 1e9));
	printf("nvcsw %ld\n", a.nvcsw + b.nvcsw);
	printf("offcpu_ms %.3f\n",
	       ((double)(a.wall_ns - a.cpu_ns) + (double)(b.wall_ns - b.cpu_ns)) / 1e6);
	printf("nivcsw %ld\n", a.nivcsw + b.nivcsw);
	printf("cpu_ms %.3f\n", (a.cpu_ns + b.cpu_ns) / 1e6);
	printf("wall_ms %.3f\n", a.wall_ns / 1e6);
	return 0;
}
