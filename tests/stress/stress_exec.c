// SPDX-License-Identifier: MIT
/*
 * stress_exec RATE SECONDS [CHILD_US]: an exec storm. Starts RATE new programs per second (itself,
 * re-executed as "stress_exec_child", which burns CHILD_US microseconds of CPU, default 300, and
 * exits) for SECONDS, keeping at most 256 children alive; when it falls behind it catches up
 * without sleeping. Every child is a fresh exec of a dynamically linked program, so a whole-host
 * profiler sees a new address space, new mappings and a new name each time.
 *
 * Output: "pid N" at start; at exit "execs N", "rate R" (achieved per second) and "failed N".
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define MAX_CHILDREN 256

extern char **environ;
static volatile uint64_t sink;

static NOINLINE void child_burn(uint64_t us)
{
	uint64_t deadline = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) + us * 1000;
	uint64_t x = 1;

	while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) < deadline) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005ULL + 1;
			OPAQUE(x);
		}
	}
	sink = x;
}

/* Reap finished children; with block, wait for one. Returns the number reaped, failures counted
 * in *failed. */
static int reap(int block, uint64_t *failed)
{
	int n = 0, status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, block && !n ? 0 : WNOHANG)) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			(*failed)++;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	uint64_t execs = 0, failed = 0, t0, deadline, next, period_ns, child_us = 300;
	char us_arg[32], *child_argv[4];
	double rate, seconds;
	int alive = 0;

	if (argc == 3 && !strcmp(argv[1], "--child")) {
		child_burn(strtoull(argv[2], NULL, 10));
		return 0;
	}
	if (argc < 3 || argc > 4 || workload_parse_seconds(argv[2], &seconds) ||
	    (rate = strtod(argv[1], NULL)) < 1 || rate > 100000) {
		fprintf(stderr, "usage: %s RATE SECONDS [CHILD_US]\n", argv[0]);
		return 2;
	}
	if (argc == 4)
		child_us = strtoull(argv[3], NULL, 10);
	snprintf(us_arg, sizeof(us_arg), "%llu", (unsigned long long)child_us);
	child_argv[0] = "stress_exec_child";
	child_argv[1] = "--child";
	child_argv[2] = us_arg;
	child_argv[3] = NULL;
	printf("pid %d\n", (int)getpid());
	fflush(stdout);

	period_ns = (uint64_t)(1e9 / rate);
	t0 = workload_clock_ns(CLOCK_MONOTONIC);
	deadline = t0 + (uint64_t)(seconds * 1e9);
	next = t0;
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		uint64_t now = workload_clock_ns(CLOCK_MONOTONIC);
		pid_t pid;
		int err;

		alive -= reap(alive >= MAX_CHILDREN, &failed);
		if (now < next) {
			struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ULL),
					       .tv_nsec = (long)(next % 1000000000ULL) };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		err = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, child_argv, environ);
		if (err) {
			failed++;
			if (err != EAGAIN) {
				fprintf(stderr, "stress_exec: posix_spawn: %s\n", strerror(err));
				return 1;
			}
		} else {
			alive++;
			execs++;
		}
		next += period_ns;
	}
	while (alive > 0) {
		int n = reap(1, &failed);

		if (n <= 0)
			break;
		alive -= n;
	}
	printf("execs %llu\nrate %.1f\nfailed %llu\n", (unsigned long long)execs,
	       (double)execs / ((double)(workload_clock_ns(CLOCK_MONOTONIC) - t0) / 1e9),
	       (unsigned long long)failed);
	return 0;
}
