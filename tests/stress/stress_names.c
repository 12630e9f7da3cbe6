// SPDX-License-Identifier: MIT
/*
 * stress_names SECONDS: processes and threads with hostile names. One child per name below
 * renames itself (prctl PR_SET_NAME, i.e. what /proc/PID/comm and /proc/PID/stat show) and its
 * second thread (pthread_setname_np), then both burn CPU in names_burn (1 ms in every 20) until
 * SECONDS are up.
 * The names hold newlines, spaces, ')' (which breaks naive /proc/PID/stat parsers), ';' (the
 * folded format's separator), markup, format directives and bytes that are not UTF-8.
 *
 * Output: "pid N" at start; at exit "children N".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static const char *const names[] = {
	"nl\nname 99",	    /* a newline, then what looks like a folded count */
	"x) R 1 1 1 1 1",   /* a fake end of the comm field in /proc/PID/stat */
	"sp ace;semi",	    /* a space and the folded separator */
	"\xff\xfe\x80\xc3", /* not UTF-8, and a truncated sequence at the end */
	"<svg&\"'>%s%n",    /* markup and format directives */
	"\t\r\x1b[2J",	    /* control characters, an ANSI escape */
};
#define NR_NAMES (sizeof(names) / sizeof(names[0]))

static uint64_t deadline_ns;
static volatile uint64_t sink;

static NOINLINE void names_burn(void)
{
	uint64_t x = 7;

	/* 1 ms of CPU in every 20 ms: twelve threads take about 0.6 of a CPU */
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
		uint64_t until = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) + 1000000;
		struct timespec ts = { .tv_nsec = 19000000L };

		while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) < until) {
			for (int i = 0; i < 1000; i++) {
				x = x * 6364136223846793005ULL + 1;
				OPAQUE(x);
			}
		}
		nanosleep(&ts, NULL);
	}
	sink = x;
}

static void *second_thread(void *arg)
{
	pthread_setname_np(pthread_self(), arg);
	names_burn();
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds;
	int children = 0;

	if (argc != 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
		return 2;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	deadline_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	for (size_t i = 0; i < NR_NAMES; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			pthread_t t;

			prctl(PR_SET_NAME, names[i], 0, 0, 0);
			if (pthread_create(&t, NULL, second_thread, (void *)names[i]) == 0) {
				names_burn();
				pthread_join(t, NULL);
			}
			_exit(0);
		}
		children += pid > 0;
	}
	while (wait(NULL) > 0)
		;
	printf("children %d\n", children);
	return 0;
}
