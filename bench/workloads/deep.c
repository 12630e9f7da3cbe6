// SPDX-License-Identifier: MIT
/*
 * deep: burn CPU at a fixed user stack depth, for the BPF cost figure (ns per sample by depth).
 *
 *   deep -d DEPTH [-t THREADS] -s SECONDS
 *
 * Each thread (or main, with -t 0) recurses DEPTH frames through descend() and spins in a leaf at
 * the bottom, then climbs back up and does it again. Nearly every sample therefore sees a user
 * stack of DEPTH + a few frames (main/_start or start_thread/clone3 above). descend() cannot be
 * turned into a loop: it does work after the recursive call returns.
 *
 * Output at exit: "depth N", "rounds N", "cpu_s X".
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h" /* tests/workloads/: NOINLINE, OPAQUE */

static int depth = 20;
static double stop_at_s;
static volatile uint64_t sink;

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static NOINLINE uint64_t spin(uint64_t x)
{
	for (int i = 0; i < 2000000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		OPAQUE(x);
	}
	return x;
}

static NOINLINE uint64_t descend(int d, uint64_t x)
{
	uint64_t r;

	if (d <= 1)
		return spin(x);
	r = descend(d - 1, x + (uint64_t)d);
	OPAQUE(r);
	return r ^ (uint64_t)d;
}

static NOINLINE long run(void)
{
	uint64_t x = 1;
	long rounds = 0;

	while (now_s(CLOCK_MONOTONIC) < stop_at_s) {
		x = descend(depth, x);
		rounds++;
	}
	sink = x;
	return rounds;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)run();
}

int main(int argc, char **argv)
{
	double seconds = 1;
	long rounds = 0, threads = 0;
	struct rusage ru;
	int opt;

	while ((opt = getopt(argc, argv, "d:t:s:")) != -1) {
		char *end;

		errno = 0;
		if (opt == 'd')
			depth = (int)strtol(optarg, &end, 10);
		else if (opt == 't')
			threads = strtol(optarg, &end, 10);
		else if (opt == 's')
			seconds = strtod(optarg, &end);
		else
			end = NULL;
		if (!end || *end || errno || depth < 1 || depth > 100000 || threads < 0 ||
		    threads > 1024) {
			fprintf(stderr, "usage: deep -d DEPTH [-t THREADS] -s SECONDS\n");
			return 2;
		}
	}
	stop_at_s = now_s(CLOCK_MONOTONIC) + seconds;
	if (threads == 0) {
		rounds = run();
	} else {
		pthread_t *tids = calloc(threads, sizeof(*tids));

		if (!tids)
			return 1;
		for (long i = 0; i < threads; i++)
			if (pthread_create(&tids[i], NULL, thread_main, NULL))
				return 1;
		for (long i = 0; i < threads; i++) {
			void *r;

			pthread_join(tids[i], &r);
			rounds += (long)(intptr_t)r;
		}
		free(tids);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("depth %d\nrounds %ld\ncpu_s %.6f\n", depth, rounds,
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6);
	return 0;
}
