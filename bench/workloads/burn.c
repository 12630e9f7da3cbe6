// SPDX-License-Identifier: MIT
/*
 * burn: a fixed amount of CPU work, for bench/ (overhead, stack quality, background load).
 *
 *   burn [-t THREADS] [-n UNITS | -s SECONDS | -c SECONDS]
 *
 * -t 0 (default) works in the main thread, so every stack has main and _start as its root;
 * -t N starts N threads (roots start_thread / clone3). -n UNITS does UNITS work units per thread
 * (fixed work: the overhead figure compares the CPU time of the same work with and without a
 * profiler); -s SECONDS works until the wall clock says stop (background load); -c SECONDS only
 * calibrates: it prints how many units one thread does in SECONDS of CPU time.
 *
 * A unit is leaf-heavy on purpose: most time is in leaf functions (which have no frame when built
 * with -momit-leaf-frame-pointer) and some in libc (memcpy, qsort calling back into our code),
 * which Debian builds without frame pointers. The chain is main -> run -> work_unit -> phase_* ->
 * leaf, deep enough that a stack missing frames is visible.
 *
 * Output at exit, one "key value" per line: units, threads, cpu_s (this process's user + system
 * CPU time), wall_s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h" /* tests/workloads/: NOINLINE, OPAQUE */

enum { SORT_N = 512, COPY_BYTES = 32 * 1024, MIX_ITERS = 60000 };

static volatile uint64_t sink;
static volatile int stop_flag;
static long units_per_thread;
static double stop_at_s; /* CLOCK_MONOTONIC seconds; 0 = use units_per_thread */

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Leaves: no calls, so no frame with -momit-leaf-frame-pointer. */
static NOINLINE uint64_t leaf_mix(uint64_t x, long n)
{
	for (long i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		x ^= x >> 29;
		OPAQUE(x);
	}
	return x;
}

static NOINLINE uint64_t leaf_shift(uint64_t x, long n)
{
	for (long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		OPAQUE(x);
	}
	return x;
}

static NOINLINE int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static NOINLINE uint64_t phase_compute(uint64_t seed)
{
	uint64_t x = leaf_mix(seed, MIX_ITERS);

	return leaf_shift(x, MIX_ITERS / 2);
}

/* Time in libc: memcpy/memset (leaf assembly) and qsort (calls back into cmp_u32). */
static NOINLINE uint64_t phase_libc(uint64_t seed, char *a, char *b, uint32_t *v)
{
	for (int i = 0; i < 8; i++) {
		memset(a, (int)(seed + i), COPY_BYTES);
		memcpy(b, a, COPY_BYTES);
	}
	for (int i = 0; i < SORT_N; i++) {
		seed = seed * 6364136223846793005ULL + 1;
		v[i] = (uint32_t)(seed >> 33);
	}
	qsort(v, SORT_N, sizeof(*v), cmp_u32);
	return seed ^ (uint64_t)b[COPY_BYTES / 2] ^ v[SORT_N / 2];
}

static NOINLINE uint64_t work_unit(uint64_t seed, char *a, char *b, uint32_t *v)
{
	seed = phase_compute(seed);
	seed ^= phase_libc(seed, a, b, v);
	return phase_compute(seed);
}

static NOINLINE long run(uint64_t seed)
{
	char *a = malloc(COPY_BYTES), *b = malloc(COPY_BYTES);
	uint32_t *v = malloc(SORT_N * sizeof(*v));
	long done = 0;

	if (!a || !b || !v) {
		fprintf(stderr, "burn: out of memory\n");
		exit(1);
	}
	for (;;) {
		if (stop_at_s > 0) {
			if ((done & 15) == 0 && now_s(CLOCK_MONOTONIC) >= stop_at_s)
				break;
		} else if (done >= units_per_thread) {
			break;
		}
		seed = work_unit(seed, a, b, v);
		done++;
	}
	sink = seed;
	free(a);
	free(b);
	free(v);
	return done;
}

static void *thread_main(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	return (void *)(intptr_t)run(0x9e3779b97f4a7c15ULL * (i + 1));
}

static int parse_num(const char *s, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(s, &end);
	return errno || end == s || *end || *ret < 0 ? -EINVAL : 0;
}

static double cpu_self_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	double t = 0, units = 1000, seconds = 0, calib = 0, wall0, cpu0;
	long total = 0;
	int opt;

	while ((opt = getopt(argc, argv, "t:n:s:c:")) != -1) {
		double *dst = opt == 't'   ? &t
			      : opt == 'n' ? &units
			      : opt == 's' ? &seconds
					   : &calib;

		if (opt == '?' || parse_num(optarg, dst)) {
			fprintf(stderr,
				"usage: burn [-t THREADS] [-n UNITS | -s SECONDS | -c SECONDS]\n");
			return 2;
		}
	}
	wall0 = now_s(CLOCK_MONOTONIC);
	if (calib > 0) {
		double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), dt;

		units_per_thread = 20;
		for (;;) {
			run(1);
			dt = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
			if (dt >= calib / 4)
				break;
			units_per_thread *= 2;
			c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
		}
		printf("units_per_s %.1f\n", (double)units_per_thread / dt);
		return 0;
	}
	units_per_thread = (long)units;
	if (seconds > 0)
		stop_at_s = wall0 + seconds;
	cpu0 = cpu_self_s();
	if (t < 1) {
		total = run(1);
	} else {
		int n = (int)t;
		pthread_t *tids = calloc(n, sizeof(*tids));

		if (!tids)
			return 1;
		for (int i = 0; i < n; i++) {
			if (pthread_create(&tids[i], NULL, thread_main, (void *)(uintptr_t)i)) {
				fprintf(stderr, "burn: pthread_create failed\n");
				return 1;
			}
		}
		for (int i = 0; i < n; i++) {
			void *r;

			pthread_join(tids[i], &r);
			total += (long)(intptr_t)r;
		}
		free(tids);
	}
	printf("units %ld\nthreads %d\ncpu_s %.6f\nwall_s %.6f\n", total, (int)t,
	       cpu_self_s() - cpu0, now_s(CLOCK_MONOTONIC) - wall0);
	return 0;
}
