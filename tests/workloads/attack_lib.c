// SPDX-License-Identifier: MIT
/* The library the file-swap attacker maps (attack_swap.c), built twice: as libattack_pub.so and,
 * with -DATTACK_SECRET, as libattack_secret.so, the root-only file it must not read through
 * flamed. The names have equal lengths so both builds have the same layout: an address in one is
 * the same function in the other. */
#include <stdint.h>

#include "workload.h"

#ifdef ATTACK_SECRET
#define NAME(x) secret_##x
#else
#define NAME(x) attack_##x
#endif

static volatile uint64_t sink;

NOINLINE uint64_t NAME(hot_loop)(uint64_t n)
{
	uint64_t x = n;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		OPAQUE(x);
	}
	sink = x;
	return x;
}

/* what the attacker calls: the hot loop under one more frame of its own */
NOINLINE uint64_t NAME(entry_fn)(uint64_t n)
{
	return NAME(hot_loop)(n) + 1;
}
