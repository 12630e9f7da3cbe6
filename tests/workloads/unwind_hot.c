// SPDX-License-Identifier: MIT
/* Leaf functions: no calls, so GCC gives them no frame even with -fno-omit-frame-pointer, and
 * frame-pointer walkers lose their caller. Three different bodies so none can be merged. */
#include "unwind_hot.h"
#include "workload.h"

static volatile uint64_t hot_sink;

NOINLINE uint64_t hot_add(uint64_t n)
{
	uint64_t x = n;

	for (uint64_t i = 0; i < n; i++) {
		x += i ^ (x >> 3);
		OPAQUE(x);
	}
	hot_sink = x;
	return x;
}

NOINLINE uint64_t hot_mul(uint64_t n)
{
	uint64_t x = n | 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 2862933555777941757ULL + 3037000493ULL;
		OPAQUE(x);
	}
	hot_sink = x;
	return x;
}

NOINLINE uint64_t hot_deep(uint64_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 7;
		x ^= x >> 9;
		OPAQUE(x);
	}
	hot_sink = x;
	return x;
}
