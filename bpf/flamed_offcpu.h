/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Which off-CPU waits are kept, and what each kept one weighs: shared by bpf/offcpu.bpf.h and
 * tests/unit/test_offcpu_weight.c, which runs this very code on synthetic durations and checks
 * that the estimate is unbiased with the variance the scheme predicts. The includer provides
 * __u32/__u64 and __always_inline. */
#ifndef FLAMED_OFFCPU_H
#define FLAMED_OFFCPU_H

#include "flamed.h"

/* The weight of a wait of d ns under the threshold t ns (at most FLAMED_OFFCPU_MAX_THRESHOLD_NS),
 * given rnd, a uniform 32-bit random number: 0 when the wait is not kept. A wait of t or longer
 * is always kept and weighs d; a shorter one is kept with probability d / t and then weighs t.
 * So E[weight] = d for every wait (the sum of the weights estimates the sum of the waits without
 * bias), the stacks walked cost at most one per t of waiting, and a long wait never depends on
 * chance. The probability is ceil(d * 2^32 / t) / 2^32: above d / t by less than 2^-32, so a
 * kept wait adds less than t / 2^32 ns (about 2 ns at t = 10 ms) more than it stands for on
 * average. With t = 0 every wait is kept at its own duration. */
static __always_inline __u64 offcpu_weight(__u64 d, __u64 t, __u32 rnd)
{
	if (d >= t)
		return d;
	/* rnd < d * 2^32 / t, without a division: d < t < 2^32, so neither side overflows */
	return (__u64)rnd * t < d << 32 ? t : 0;
}

#endif /* FLAMED_OFFCPU_H */
