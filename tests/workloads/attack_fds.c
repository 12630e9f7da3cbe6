// SPDX-License-Identifier: MIT
/* Attacker: maps COUNT distinct small files executable, then burns CPU, so a profiler that keeps
 * one fd per mapped file for the whole capture runs out of fds. Usage:
 *   attack_fds DIR COUNT SECONDS
 * Creates DIR/f<i> (one page each). Prints "pid N" once everything is mapped. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

static volatile uint64_t sink;

static NOINLINE uint64_t fds_hot_loop(uint64_t n)
{
	uint64_t x = n;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1;
		OPAQUE(x);
	}
	sink = x;
	return x;
}

int main(int argc, char **argv)
{
	char page[4096], path[4096];
	double seconds;
	uint64_t end_ns;
	long count;

	if (argc != 4 || (count = strtol(argv[2], NULL, 10)) <= 0 || count > 100000 ||
	    workload_parse_seconds(argv[3], &seconds)) {
		fprintf(stderr, "usage: attack_fds DIR COUNT SECONDS\n");
		return 2;
	}
	memset(page, 0xc3, sizeof(page)); /* ret */
	for (long i = 0; i < count; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", argv[1], i);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) ||
		    mmap(NULL, sizeof(page), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) ==
			    MAP_FAILED) {
			perror(path);
			return 1;
		}
		close(fd); /* the mapping keeps the file; this process holds no fds */
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	end_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < end_ns)
		fds_hot_loop(1000000);
	return 0;
}
