// SPDX-License-Identifier: MIT
/*
 * The shared library that tests/stress loads, unloads, copies, truncates and replaces. Built twice
 * from this file: libstress_dl_public.so exports stress_dl_burn_public, and libstress_dl_secret.so
 * (STRESS_DL_SECRET) exports stress_dl_burn_secret, a name of the same length, so both files have
 * the same layout and an address in one is code in the other. The secret copy is made readable by
 * root only: its name in a profile means the profiler read a file the profiled user cannot.
 */
#include <stdint.h>

#ifdef STRESS_DL_SECRET
#define STRESS_DL_BURN stress_dl_burn_secret
#else
#define STRESS_DL_BURN stress_dl_burn_public
#endif

uint64_t STRESS_DL_BURN(uint64_t n);

/* n rounds of an LCG: the hot code samples land in. */
__attribute__((visibility("default"), noinline)) uint64_t STRESS_DL_BURN(uint64_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ n;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}
