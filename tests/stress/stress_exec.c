// SPDX-License-Identifier: MIT
/*
 * stress_exec RATE SECONDS [CHILD_US [PARENTS]]: an exec storm. Starts RATE new programs per second
 * (itself, re-executed as "stress_exec_child", which burns CHILD_US microseconds of CPU, default
 * 300, and exits) for SECONDS, from PARENTS processes (default 8: on a busy machine one parent's
 * fair share of CPU cannot start 800 a second), each keeping at most 256 children alive and
 * catching up without sleeping when it falls behind. Every child is a fresh exec of a dynamically
 * linked program, so a whole-host profiler sees a new address space, new mappings and a new name
 * each time.
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
#include <sys/mman.h>
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

/* One parent: rate execs a second until deadline; adds what it did to counts[0] and failures to
 * counts[1] (shared between the parents). 0 or 1 on a spawn error other than EAGAIN. */
static int storm(double rate, uint64_t t0, uint64_t deadline, char **child_argv,
		 volatile uint64_t *counts)
{
	uint64_t execs = 0, failed = 0, next = t0, period_ns = (uint64_t)(1e9 / rate);
	int alive = 0, ret = 0;

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
				ret = 1;
				break;
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
	__atomic_add_fetch(&counts[0], execs, __ATOMIC_RELAXED);
	__atomic_add_fetch(&counts[1], failed, __ATOMIC_RELAXED);
	return ret;
}

int main(int argc, char **argv)
{
	uint64_t t0, deadline, child_us = 300;
	char us_arg[32], *child_argv[4];
	volatile uint64_t *counts;
	double rate, seconds;
	long parents = 8;
	int ret = 0, status;

	if (argc == 3 && !strcmp(argv[1], "--child")) {
		child_burn(strtoull(argv[2], NULL, 10));
		return 0;
	}
	if (argc < 3 || argc > 5 || workload_parse_seconds(argv[2], &seconds) ||
	    (rate = strtod(argv[1], NULL)) < 1 || rate > 100000) {
		fprintf(stderr, "usage: %s RATE SECONDS [CHILD_US [PARENTS]]\n", argv[0]);
		return 2;
	}
	if (argc >= 4)
		child_us = strtoull(argv[3], NULL, 10);
	if (argc == 5 && ((parents = strtol(argv[4], NULL, 10)) < 1 || parents > 64)) {
		fprintf(stderr, "stress_exec: PARENTS is 1 to 64\n");
		return 2;
	}
	snprintf(us_arg, sizeof(us_arg), "%llu", (unsigned long long)child_us);
	child_argv[0] = "stress_exec_child";
	child_argv[1] = "--child";
	child_argv[2] = us_arg;
	child_argv[3] = NULL;
	counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 1;
	printf("pid %d\n", (int)getpid());
	fflush(stdout);

	t0 = workload_clock_ns(CLOCK_MONOTONIC);
	deadline = t0 + (uint64_t)(seconds * 1e9);
	for (long i = 0; i < parents; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(storm(rate / (double)parents, t0, deadline, child_argv, counts));
		if (pid < 0)
			ret = 1;
	}
	while (wait(&status) > 0)
		ret |= !WIFEXITED(status) || WEXITSTATUS(status);
	printf("execs %llu\nrate %.1f\nfailed %llu\n", (unsigned long long)counts[0],
	       (double)counts[0] / ((double)(workload_clock_ns(CLOCK_MONOTONIC) - t0) / 1e9),
	       (unsigned long long)counts[1]);
	return ret;
}
