// SPDX-License-Identifier: MIT
/*
 * unwind_* SECONDS: CPU in three leaf functions with known shares, reached through distinct caller
 * chains, one of them 40 calls deep, for testing that profiles unwind complete stacks whatever
 * the build: CMake builds this program without frame pointers (unwind_nofp), with them
 * (unwind_fp: leaves stay frameless) and with the hot functions in a shared library
 * (unwind_lib).
 *
 *   main -> run -> via_add -> hot_add                        ~40 %
 *   main -> run -> via_mul -> hot_mul                        ~30 %
 *   main -> run -> via_deep -> recurse x40 -> hot_deep       ~30 %
 *
 * Each slice is timed on the thread's CPU clock; at exit: "share hot_add 40.12" per function,
 * "depth 40" and "cpu_ms TOTAL". "pid N" is printed at start.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "unwind_hot.h"
#include "workload.h"

#define DEPTH 40

enum { ADD, MUL, DEEP, NFUNCS };

static const char *const func_names[NFUNCS] = { "hot_add", "hot_mul", "hot_deep" };
static const double target_share[NFUNCS] = { 0.40, 0.30, 0.30 };
static uint64_t cpu_ns[NFUNCS];
static volatile uint64_t sink;

/* Not a tail call: the result is used after the call returns, so every level keeps its frame. */
static NOINLINE uint64_t recurse(int depth, uint64_t n)
{
	uint64_t r = depth ? recurse(depth - 1, n) : hot_deep(n);

	OPAQUE(r);
	return r + 1;
}

#define DEFINE_VIA(name, idx, call)                                           \
	static NOINLINE uint64_t via_##name(uint64_t n)                       \
	{                                                                     \
		uint64_t t0 = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID), dt; \
		uint64_t r = call;                                            \
                                                                              \
		OPAQUE(r);                                                    \
		sink = r;                                                     \
		dt = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;         \
		cpu_ns[idx] += dt;                                            \
		return dt;                                                    \
	}
DEFINE_VIA(add, ADD, hot_add(n))
DEFINE_VIA(mul, MUL, hot_mul(n))
DEFINE_VIA(deep, DEEP, recurse(DEPTH - 1, n))

static uint64_t run_slice(int f, uint64_t n)
{
	switch (f) {
	case ADD:
		return via_add(n);
	case MUL:
		return via_mul(n);
	default:
		return via_deep(n);
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
	printf("depth %d\n", DEPTH);
	workload_print_shares(NFUNCS, func_names, cpu_ns);
	return 0;
}
