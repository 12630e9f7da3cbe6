// SPDX-License-Identifier: MIT
/* The off-CPU sampling (bpf/flamed_offcpu.h, the very code the BPF program runs) on synthetic
 * waits: every wait's expected weight is its duration (exactly, by counting the random numbers
 * that keep it), the sum of the weights of many runs averages to the true total, its variance is
 * the scheme's sum of t*d - d^2 over the waits shorter than t, and it stays unbiased when the
 * threshold moves with the walk budget (src/bpf/offcpu_budget.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>
#include <cmocka.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "flamed_offcpu.h"

#include "bpf/offcpu_budget.h"

#define MS 1000000ULL

struct rng {
	uint64_t s;
};

static uint64_t next64(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t next32(struct rng *r)
{
	return (uint32_t)(next64(r) >> 32);
}

static double uniform(struct rng *r)
{
	return (double)(next64(r) >> 11) / 9007199254740992.0;
}

/* A wait of the synthetic mix: many short ones (exponential, mean 0.3 ms), some near the
 * threshold (0.5 to 20 ms) and a few long ones (50 to 500 ms), as a busy service has. */
static uint64_t synthetic_wait(struct rng *r)
{
	double u = uniform(r);

	if (u < 0.80)
		return (uint64_t)(-log(1.0 - uniform(r)) * 0.3 * MS) + 1;
	if (u < 0.97)
		return (uint64_t)((0.5 + uniform(r) * 19.5) * MS);
	return (uint64_t)((50 + uniform(r) * 450) * MS);
}

/* The random numbers that keep a wait, counted: the weight is t for rnd below a boundary and 0
 * above it (monotone), so binary search finds how many of the 2^32 keep it. */
static uint64_t kept_numbers(uint64_t d, uint64_t t)
{
	uint64_t lo = 0, hi = 1ULL << 32; /* offcpu_weight(lo) != 0 unless lo == 0 ... */

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (offcpu_weight(d, t, (uint32_t)mid))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* E[weight] = t * (numbers kept) / 2^32, for every wait: d itself, within t / 2^32. */
static void test_expectation_exact(void **state)
{
	static const uint64_t thresholds[] = { 3,	1000,	   MS,
					       10 * MS, 1000 * MS, FLAMED_OFFCPU_MAX_THRESHOLD_NS };
	(void)state;
	for (size_t i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++) {
		uint64_t t = thresholds[i];
		uint64_t ds[] = { 1, 2, t / 1000 + 1, t / 3, t / 2, t - 1 };

		for (size_t j = 0; j < sizeof(ds) / sizeof(ds[0]); j++) {
			uint64_t d = ds[j], n;
			double e;

			if (!d || d >= t)
				continue;
			n = kept_numbers(d, t);
			/* exactly ceil(d * 2^32 / t) numbers keep it */
			assert_true(n == (uint64_t)(((unsigned __int128)d << 32) + t - 1) / t);
			e = (double)t * (double)n / 4294967296.0;
			assert_true(e >= (double)d &&
				    e - (double)d <= (double)t / 4294967296.0 + 1e-9);
		}
		/* at or above t: always kept, at its own duration */
		assert_int_equal(offcpu_weight(t, t, 0xffffffffu), t);
		assert_int_equal(offcpu_weight(t + 12345, t, 0), t + 12345);
	}
	/* t = 0 keeps every wait at its own duration; d = 0 is never kept below t */
	assert_int_equal(offcpu_weight(17, 0, 0xffffffffu), 17);
	assert_int_equal(offcpu_weight(0, 10 * MS, 0), 0);
}

/* One run: n synthetic waits (from wait_seed) sampled at a fixed t with rnd; the true total and
 * the estimate, and the theoretical variance of the estimate. */
static void run_fixed(uint64_t wait_seed, struct rng *rnd, int n, uint64_t t, double *ret_true,
		      double *ret_est, double *ret_var)
{
	struct rng w = { wait_seed };
	double sum = 0, est = 0, var = 0;

	for (int i = 0; i < n; i++) {
		uint64_t d = synthetic_wait(&w);

		sum += (double)d;
		est += (double)offcpu_weight(d, t, next32(rnd));
		if (d < t)
			var += (double)t * (double)d - (double)d * (double)d;
	}
	*ret_true = sum;
	*ret_est = est;
	*ret_var = var;
}

/* The same waits sampled 1000 times: the estimates average to the true total within 4 standard
 * errors, and vary as t*d - d^2 summed says (a variance estimated from 1000 runs is within
 * about 15 % of the truth at 3 sigma). */
static void test_unbiased_fixed_threshold(void **state)
{
	const int runs = 1000, n = 5000;
	const uint64_t t = 10 * MS;
	struct rng rnd = { 0x9e3779b97f4a7c15ULL };
	double truth = 0, var = 0, mean = 0, m2 = 0;
	int kept_short = 0;

	(void)state;
	for (int r = 0; r < runs; r++) {
		double tr, est, v, delta;

		run_fixed(42, &rnd, n, t, &tr, &est, &v);
		truth = tr;
		var = v;
		delta = est - mean;
		mean += delta / (r + 1);
		m2 += delta * (est - mean);
	}
	{
		double se = sqrt(var / runs), emp_var = m2 / (runs - 1);

		printf("true total %.6f s, mean estimate %.6f s (%+.4f %%, %.2f standard errors); "
		       "variance: empirical %.4g, theory %.4g (ratio %.3f)\n",
		       truth / 1e9, mean / 1e9, 100.0 * (mean - truth) / truth, (mean - truth) / se,
		       emp_var, var, emp_var / var);
		assert_true(fabs(mean - truth) <= 4 * se);
		assert_true(emp_var / var > 0.85 && emp_var / var < 1.15);
		/* the scheme's point: one run's estimate is within a few percent of the truth */
		assert_true(sqrt(var) / truth < 0.05);
	}
	/* and a short wait is kept with probability d / t: the walks it saves */
	{
		struct rng w = { 42 };
		double want = 0, var_kept = 0;
		int nr_short = 0;

		for (int i = 0; i < n; i++) {
			uint64_t d = synthetic_wait(&w);
			double p = (double)d / (double)t;

			if (d >= t)
				continue;
			nr_short++;
			want += p;
			var_kept += p * (1 - p);
			kept_short += offcpu_weight(d, t, next32(&rnd)) != 0;
		}
		printf("short waits kept: %d of %d (expected %.1f)\n", kept_short, nr_short, want);
		assert_true(fabs(kept_short - want) <= 4 * sqrt(var_kept));
		assert_true(kept_short < nr_short / 10);
	}
}

/* The threshold follows the walk budget, as the sampler moves it once a drain: it still averages
 * to the truth, because each wait is weighed for the t it was drawn with. */
static void test_unbiased_moving_threshold(void **state)
{
	const int runs = 400, n = 20000, per_interval = 1000;
	struct rng rnd = { 0x2545f4914f6cdd1dULL };
	double truth = 0, mean = 0, m2 = 0;
	uint64_t t_min = UINT64_MAX, t_max = 0;

	(void)state;
	for (int r = 0; r < runs; r++) {
		struct rng w = { 7 };
		uint64_t t = 1 * MS, kept = 0;
		double sum = 0, est = 0, delta;

		for (int i = 0; i < n; i++) {
			uint64_t d = synthetic_wait(&w), wt;

			if (i && i % per_interval == 0) {
				/* a budget of 30 walks an interval, floor 1 ms */
				t = offcpu_budget_next(t, 1 * MS, kept, 30);
				kept = 0;
				t_min = t < t_min ? t : t_min;
				t_max = t > t_max ? t : t_max;
			}
			wt = offcpu_weight(d, t, next32(&rnd));
			kept += wt != 0;
			sum += (double)d;
			est += (double)wt;
		}
		truth = sum;
		delta = est - mean;
		mean += delta / (r + 1);
		m2 += delta * (est - mean);
	}
	{
		double se = sqrt(m2 / (runs - 1) / runs);

		printf("moving threshold %.2f..%.2f ms: true %.6f s, mean estimate %.6f s (%+.4f "
		       "%%, "
		       "%.2f standard errors)\n",
		       t_min / 1e6, t_max / 1e6, truth / 1e9, mean / 1e9,
		       100.0 * (mean - truth) / truth, (mean - truth) / se);
		assert_true(t_max > t_min); /* it did move */
		assert_true(fabs(mean - truth) <= 4 * se);
	}
}

static void test_budget(void **state)
{
	(void)state;
	/* over budget: up by the overshoot, at most 16x */
	assert_int_equal(offcpu_budget_next(MS, MS, 300, 100), 3 * MS);
	assert_int_equal(offcpu_budget_next(MS, MS, 100000, 100), 16 * MS);
	/* within 60-100 %: unchanged */
	assert_int_equal(offcpu_budget_next(5 * MS, MS, 80, 100), 5 * MS);
	/* well under: down, at most by half, never below the floor */
	assert_int_equal(offcpu_budget_next(8 * MS, MS, 45, 100), 6 * MS);
	assert_int_equal(offcpu_budget_next(8 * MS, MS, 0, 100), 4 * MS);
	assert_int_equal(offcpu_budget_next(MS + 1, MS, 0, 100), MS);
	/* no budget: the floor; bounded above; a floor of 0 can still rise */
	assert_int_equal(offcpu_budget_next(8 * MS, MS, 1000, 0), MS);
	assert_int_equal(offcpu_budget_next(FLAMED_OFFCPU_MAX_THRESHOLD_NS, MS, 1000, 1),
			 FLAMED_OFFCPU_MAX_THRESHOLD_NS);
	assert_true(offcpu_budget_next(0, 0, 1000, 100) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expectation_exact),
		cmocka_unit_test(test_unbiased_fixed_threshold),
		cmocka_unit_test(test_unbiased_moving_threshold),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
