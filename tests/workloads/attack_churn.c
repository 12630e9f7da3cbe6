// SPDX-License-Identifier: MIT
/* Attacker: every PERIOD_MS maps PAGES executable pages at new addresses (a gap between each, so
 * each is its own mapping), runs a little code in each (so the sampler finds code outside what
 * it knows and asks for a re-read) and unmaps the previous batch. A profiler that keeps every
 * mapping it ever saw, and merges them quadratically, grows without bound. Usage:
 *   attack_churn PAGES PERIOD_MS SECONDS
 * Prints "pid N" when the first batch runs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define PAGE 4096UL
#define BASE 0x300000000UL

/* mov $0x4000, %ecx; 1: dec %ecx; jnz 1b; ret */
static const unsigned char stub[] = { 0xb9, 0x00, 0x40, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0xc3 };

int main(int argc, char **argv)
{
	long pages, period_ms;
	double seconds;
	uint64_t end_ns, round = 0;
	char **prev;

	if (argc != 4 || (pages = strtol(argv[1], NULL, 10)) <= 0 || pages > 30000 ||
	    (period_ms = strtol(argv[2], NULL, 10)) <= 0 ||
	    workload_parse_seconds(argv[3], &seconds)) {
		fprintf(stderr, "usage: attack_churn PAGES PERIOD_MS SECONDS\n");
		return 2;
	}
	prev = calloc((size_t)pages, sizeof(*prev));
	if (!prev)
		return 1;
	end_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < end_ns) {
		uint64_t t0 = workload_clock_ns(CLOCK_MONOTONIC);
		/* a new region each round, cycling through 64 GiB of address space */
		uintptr_t base = BASE + (round % 64) * (uintptr_t)pages * 2 * PAGE;

		for (long i = 0; i < pages; i++) {
			char *p = mmap((void *)(base + (uintptr_t)i * 2 * PAGE), PAGE,
				       PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (p == MAP_FAILED)
				continue;
			memcpy(p, stub, sizeof(stub));
			((void (*)(void))p)();
			if (prev[i])
				munmap(prev[i], PAGE);
			prev[i] = p;
		}
		if (!round++) {
			printf("pid %d\n", (int)getpid());
			fflush(stdout);
		}
		while (workload_clock_ns(CLOCK_MONOTONIC) - t0 < (uint64_t)period_ms * 1000000)
			usleep(1000);
	}
	return 0;
}
