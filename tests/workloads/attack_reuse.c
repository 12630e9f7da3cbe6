// SPDX-License-Identifier: MIT
/* Two programs for the pid-reuse test, built from this file as attack_reuse_a and (with
 * -DREUSE_B) attack_reuse_b: the same layout, other function names. Each re-executes itself
 * once without address randomization (so a pc of one is a pc of the other, and the kernel's
 * mm_struct slot freed by the first is what the second's final exec gets), then burns CPU in
 * its hot loop. Usage: attack_reuse_X SECONDS. Prints "pid N" when running. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "workload.h"

#ifdef REUSE_B
#define NAME(x) reuse_b_##x
#else
#define NAME(x) reuse_a_##x
#endif

static volatile uint64_t sink;

static NOINLINE uint64_t NAME(hot_loop)(uint64_t n)
{
	uint64_t x = n;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 5;
		OPAQUE(x);
	}
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	double seconds;
	uint64_t end_ns;

	if (argc < 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		char *again[] = { argv[0], argv[1], "again", NULL }, self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			return 1;
		self[n] = 0; /* by name: the comm comes from the file name */
		personality(ADDR_NO_RANDOMIZE);
		execv(self, again);
		perror("execv");
		return 1;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	end_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < end_ns)
		NAME(hot_loop)(1000000);
	return 0;
}
