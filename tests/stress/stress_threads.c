// SPDX-License-Identifier: MIT
/*
 * stress_threads N SECONDS: N threads (named "thr-I"), each burning about 50 us of CPU every
 * 100 ms, so all of them are sampled and the profiler sees N distinct thread ids and names in one
 * process.
 *
 * Output: "pid N" at start; at exit "threads N" (started).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static uint64_t deadline_ns;
static volatile uint64_t sink;

static NOINLINE void thread_burn(uint64_t ns)
{
	uint64_t until = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns, x = 5;

	while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) < until) {
		for (int i = 0; i < 200; i++) {
			x = x * 2862933555777941757ULL + 3037000493ULL;
			OPAQUE(x);
		}
	}
	sink = x;
}

static void *thread_main(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "thr-%d", (int)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
		struct timespec ts = { .tv_nsec = 100000000L };

		thread_burn(50000);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *threads;
	pthread_attr_t attr;
	double seconds;
	long n, started = 0;

	if (argc != 3 || (n = strtol(argv[1], NULL, 10)) < 1 || n > 100000 ||
	    workload_parse_seconds(argv[2], &seconds)) {
		fprintf(stderr, "usage: %s N SECONDS\n", argv[0]);
		return 2;
	}
	threads = calloc((size_t)n, sizeof(*threads));
	if (!threads)
		return 1;
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	deadline_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < n; i++) {
		int err = pthread_create(&threads[i], &attr, thread_main, (void *)(intptr_t)i);

		if (err) {
			fprintf(stderr, "stress_threads: thread %ld: %s\n", i, strerror(err));
			break;
		}
		started++;
	}
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	printf("threads %ld\n", started);
	free(threads);
	return started == n ? 0 : 1;
}
