// SPDX-License-Identifier: MIT
/*
 * cpu_shares SECONDS: burn CPU in three functions with known shares, for profiler accuracy tests.
 *
 * burn_alpha, burn_beta and burn_gamma get about 50, 30 and 20 % of the CPU. Each is reached
 * through its own caller chain (main -> run -> slice_X -> burn_X), so a profile can tell them
 * apart by stack as well as by leaf. Work is interleaved in slices of 0.3-1 ms of random length,
 * which gives a steady mix that no sampling clock aliases with. Every slice is timed with the
 * thread's CPU clock; at exit the program prints each function's share of the whole process's
 * CPU time, so the test compares the profile against the workload's own measurement.
 *
 * Output: "pid N" at start (flushed), then at exit one line per function, "share burn_alpha 50.12",
 * and "cpu_ms TOTAL".
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

enum { ALPHA, BETA, GAMMA, NFUNCS };

static const char *const func_names[NFUNCS] = { "burn_alpha", "burn_beta", "burn_gamma" };
static const double target_share[NFUNCS] = { 0.50, 0.30, 0.20 };

static volatile uint64_t sink;
static uint64_t cpu_ns[NFUNCS]; /* measured CPU time per function */

/* Three different bodies (LCG, xorshift, integer square roots) so no two can be merged. */
static NOINLINE uint64_t burn_alpha(uint64_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ n;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		OPAQUE(x);
	}
	sink = x;
	return x;
}

static NOINLINE uint64_t burn_beta(uint64_t n)
{
	uint64_t x = 0x2545f4914f6cdd1dULL + n;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		OPAQUE(x);
	}
	sink = x;
	return x;
}

static NOINLINE uint64_t burn_gamma(uint64_t n)
{
	uint64_t acc = 0;

	for (uint64_t i = 1; i <= n; i++) {
		uint64_t v = i | 1, r = v >> 1;

		/* two Newton steps of an integer square root: a divide-bound loop */
		r = (r + v / (r + 1)) >> 1;
		r = (r + v / (r + 1)) >> 1;
		acc += r;
		OPAQUE(acc);
	}
	sink = acc;
	return acc;
}

/* One caller per burn function, so each has its own chain to main: slice_alpha() etc. time one
 * slice of burn_X(n) on the thread's CPU clock, add it to cpu_ns[X] and return it. */
#define DEFINE_SLICE(name, idx)                                               \
	static NOINLINE uint64_t slice_##name(uint64_t n)                     \
	{                                                                     \
		uint64_t t0 = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID), dt; \
                                                                              \
		burn_##name(n);                                               \
		dt = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;         \
		cpu_ns[idx] += dt;                                            \
		return dt;                                                    \
	}
DEFINE_SLICE(alpha, ALPHA)
DEFINE_SLICE(beta, BETA)
DEFINE_SLICE(gamma, GAMMA)

static uint64_t run_slice(int f, uint64_t n)
{
	switch (f) {
	case ALPHA:
		return slice_alpha(n);
	case BETA:
		return slice_beta(n);
	default:
		return slice_gamma(n);
	}
}

/* The mix runs inline here, so stacks read main -> run -> ... */
static NOINLINE void run(double seconds)
{
	workload_run_mix(seconds, NFUNCS, target_share, cpu_ns, run_slice);
}

int main(int argc, char **argv)
{
	double seconds;

	if (argc != 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
		return 2;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);

	if (seconds > 0)
		run(seconds);

	workload_print_shares(NFUNCS, func_names, cpu_ns);
	return 0;
}
