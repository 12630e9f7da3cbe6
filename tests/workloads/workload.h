/* SPDX-License-Identifier: MIT */
/* What the test workloads share: attributes that keep profiled functions distinct, clocks, and
 * the SECONDS argument. Header-only so each workload stays one self-contained program. */
#ifndef FLAMED_WORKLOAD_H
#define FLAMED_WORKLOAD_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A function that must appear in stacks under its own name: never inlined, and (GCC's noipa)
 * never cloned into name.constprop.0 or folded with an identical body. */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline, used))
#else
#define NOINLINE __attribute__((noipa, noinline, used))
#endif

/* Keeps a value opaque to the optimizer, so loops are not folded, vectorized or merged. */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))

static inline uint64_t workload_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* SECONDS: a decimal number of seconds, 0 to one day. 0 or -EINVAL. */
static inline int workload_parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* One slice of work: n iterations of function f; returns the CPU ns it took. */
typedef uint64_t (*workload_slice_fn)(int f, uint64_t n);

/* Iterations per ns of each function: grow a slice until it takes at least 200 us. */
static inline void workload_calibrate(int nfuncs, workload_slice_fn run_slice, double *iters_per_ns)
{
	for (int f = 0; f < nfuncs; f++) {
		uint64_t n = 1000, dt;

		for (;;) {
			dt = run_slice(f, n);
			if (dt >= 200000 || n >= (1ULL << 40))
				break;
			n *= 2;
		}
		iters_per_ns[f] = dt ? (double)n / (double)dt : 1.0;
	}
}

/*
 * Run slices of 300-1000 us (random length, so no sampling clock aliases with them) until the
 * wall-clock deadline. The next slice goes to the function furthest behind its target share of
 * the CPU measured so far (cpu_ns, which run_slice updates), so the mix stays on target at every
 * moment and not only on average. Inline, so the caller's own frame is the one on the stack.
 */
static inline void workload_run_mix(double seconds, int nfuncs, const double *target_share,
				    const uint64_t *cpu_ns, workload_slice_fn run_slice)
{
	uint64_t deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	uint64_t rnd = 88172645463325252ULL;
	double iters_per_ns[16];

	if (nfuncs > 16)
		abort();
	workload_calibrate(nfuncs, run_slice, iters_per_ns);
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		uint64_t total = 0, n;
		double worst = -1e300;
		int pick = 0;

		for (int f = 0; f < nfuncs; f++)
			total += cpu_ns[f];
		for (int f = 0; f < nfuncs; f++) {
			double deficit = target_share[f] * (double)total - (double)cpu_ns[f];

			if (deficit > worst) {
				worst = deficit;
				pick = f;
			}
		}
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		n = (uint64_t)(iters_per_ns[pick] * (double)(300000 + rnd % 700000));
		run_slice(pick, n ? n : 1);
	}
}

/* At exit: each function's share of all the CPU the process used (what a profile's "all samples
 * of this process" is), then the total. */
static inline void workload_print_shares(int nfuncs, const char *const *names,
					 const uint64_t *cpu_ns)
{
	uint64_t total = workload_clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	for (int f = 0; f < nfuncs; f++)
		printf("share %s %.2f\n", names[f],
		       total ? 100.0 * (double)cpu_ns[f] / (double)total : 0.0);
	printf("cpu_ms %.1f\n", (double)total / 1e6);
}

#endif /* FLAMED_WORKLOAD_H */
