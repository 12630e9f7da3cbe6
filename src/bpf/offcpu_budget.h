/* SPDX-License-Identifier: MIT */
/* The off-CPU walk budget: how the sampling threshold follows the rate of kept waits. Pure, so
 * tests/unit/test_offcpu_weight.c checks it. The sampler calls it at each drain. */
#ifndef FLAMED_OFFCPU_BUDGET_H
#define FLAMED_OFFCPU_BUDGET_H

#include <stdint.h>

#include "flamed.h"

/* The threshold for the next interval, from the one in use (cur), its floor (--off-cpu-threshold)
 * and the waits kept (each a stack walk) in the last interval against the budget for it. A wait
 * shorter than the threshold t is kept with probability d / t, so the walks of short waits scale
 * as 1 / t: past the budget, t grows by the overshoot (at most 16x an interval, so a burst is
 * caught within a second or two); well under it (below 60 %), t comes back down, at most by half
 * an interval, never below the floor. In between it stays, so it does not hunt. The estimate
 * stays unbiased whatever t is: each wait is weighed for the t it was drawn with. A budget of 0
 * keeps the floor. Result within [floor, FLAMED_OFFCPU_MAX_THRESHOLD_NS]. */
static inline uint64_t offcpu_budget_next(uint64_t cur, uint64_t floor, uint64_t kept,
					  uint64_t budget)
{
	double ratio, t;

	if (!budget)
		return floor;
	if (cur < floor)
		cur = floor;
	ratio = (double)kept / (double)budget;
	if (ratio > 1.0)
		t = (double)(cur ? cur : 1000) * (ratio < 16.0 ? ratio : 16.0);
	else if (ratio < 0.6)
		t = (double)cur * (ratio > 0.3 ? ratio / 0.6 : 0.5);
	else
		t = (double)cur;
	if (t < (double)floor)
		t = (double)floor;
	if (t > (double)FLAMED_OFFCPU_MAX_THRESHOLD_NS)
		t = (double)FLAMED_OFFCPU_MAX_THRESHOLD_NS;
	return (uint64_t)t;
}

#endif /* FLAMED_OFFCPU_BUDGET_H */
