/* SPDX-License-Identifier: MIT */
/* What the test workloads share: attributes that keep profiled functions distinct, clocks, and
 * the SECONDS argument. Header-only so each workload stays one self-contained program. */
#ifndef FLAMED_WORKLOAD_H
#define FLAMED_WORKLOAD_H

#include <errno.h>
#include <stdint.h>
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

#endif /* FLAMED_WORKLOAD_H */
