// SPDX-License-Identifier: MIT
/*
 * stress_maps PAGES PERIOD_MS SECONDS: map churn. Writes a file of PAGES pages, each holding a
 * small function (a countdown loop, then ret); every PERIOD_MS it maps every page as its own
 * executable mapping (one page apart, so no two mappings merge) at a new place, runs code in all
 * of them for a tenth of the period, and unmaps them all. Places rotate through 16 layouts, so the
 * process's address space never looks like the previous snapshot: a profiler that re-reads
 * /proc/PID/maps sees PAGES new mappings each time, and samples land in code it has not seen.
 *
 * Output: "pid N" at start; at exit "cycles N" and "calls N".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define PAGE	4096
#define REGIONS 8

/* mov ecx, 2000; 1: dec ecx; jnz 1b; ret */
static const unsigned char code[] = { 0xb9, 0xd0, 0x07, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0xc3 };

static int make_code_file(long pages)
{
	char path[] = "/tmp/stress_maps.XXXXXX";
	unsigned char page[PAGE];
	int fd = mkstemp(path);

	if (fd < 0)
		return -errno;
	unlink(path);			  /* mapped as "/tmp/stress_maps.X (deleted)" */
	memset(page, 0xcc, sizeof(page)); /* int3 after the function */
	memcpy(page, code, sizeof(code));
	for (long i = 0; i < pages; i++) {
		if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page)) {
			close(fd);
			return -EIO;
		}
	}
	return fd;
}

int main(int argc, char **argv)
{
	uint64_t deadline, cycles = 0, calls = 0;
	long pages, period_ms;
	double seconds;
	size_t region_len;
	char *base;
	void **fn;
	int fd;

	if (argc != 4 || (pages = strtol(argv[1], NULL, 10)) < 1 || pages > 100000 ||
	    (period_ms = strtol(argv[2], NULL, 10)) < 1 ||
	    workload_parse_seconds(argv[3], &seconds)) {
		fprintf(stderr, "usage: %s PAGES PERIOD_MS SECONDS\n", argv[0]);
		return 2;
	}
	fd = make_code_file(pages);
	if (fd < 0) {
		fprintf(stderr, "stress_maps: code file: %s\n", strerror(-fd));
		return 1;
	}
	/* REGIONS reserved areas of 2 * PAGES pages: page i of a layout goes to slot 2i or 2i+1 */
	region_len = (size_t)pages * 2 * PAGE;
	base = mmap(NULL, region_len * REGIONS, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fn = calloc((size_t)pages, sizeof(*fn));
	if (base == MAP_FAILED || !fn) {
		fprintf(stderr, "stress_maps: reserve: %s\n", strerror(errno));
		return 1;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);

	deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		uint64_t start = workload_clock_ns(CLOCK_MONOTONIC);
		uint64_t busy_until = start + (uint64_t)period_ms * 100000ULL; /* a tenth */
		int layout = (int)(cycles % (2 * REGIONS));
		char *region = base + region_len * (size_t)(layout / 2);
		struct timespec ts;

		for (long i = 0; i < pages; i++) {
			char *at = region + (size_t)(2 * i + layout % 2) * PAGE;

			fn[i] = mmap(at, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd,
				     (off_t)i * PAGE);
			if (fn[i] == MAP_FAILED) {
				fprintf(stderr, "stress_maps: mmap: %s\n", strerror(errno));
				return 1;
			}
		}
		do {
			for (long i = 0; i < pages; i++, calls++)
				((void (*)(void))fn[i])();
		} while (workload_clock_ns(CLOCK_MONOTONIC) < busy_until);
		/* back to reserved PROT_NONE: the slots stay ours, the code is gone */
		for (long i = 0; i < pages; i++)
			mmap(fn[i], PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		cycles++;
		start += (uint64_t)period_ms * 1000000ULL;
		ts = (struct timespec){ .tv_sec = (time_t)(start / 1000000000ULL),
					.tv_nsec = (long)(start % 1000000000ULL) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	printf("cycles %llu\ncalls %llu\n", (unsigned long long)cycles, (unsigned long long)calls);
	return 0;
}
