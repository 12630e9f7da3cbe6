// SPDX-License-Identifier: MIT
/* Attacker: names itself NAME (prctl), e.g. with a newline or parentheses that break a line-based
 * parse of /proc/PID/stat, then burns CPU in name_hot_loop. Usage: attack_name NAME SECONDS.
 * Prints "pid N" once renamed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "workload.h"

static volatile uint64_t sink;

static NOINLINE uint64_t name_hot_loop(uint64_t n)
{
	uint64_t x = n;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 3;
		OPAQUE(x);
	}
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	double seconds;
	uint64_t end_ns;

	if (argc != 3 || workload_parse_seconds(argv[2], &seconds)) {
		fprintf(stderr, "usage: attack_name NAME SECONDS\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0)) {
		perror("prctl");
		return 1;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	end_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < end_ns)
		name_hot_loop(1000000);
	return 0;
}
