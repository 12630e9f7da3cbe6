// SPDX-License-Identifier: MIT
/*
 * stress_flicker FILE RATE SECONDS: mappings that come and go faster than a profiler reads them.
 * Opens FILE once, prints "ready" (the caller may then replace FILE's name, by a FIFO say), and
 * starts RATE children a second; each maps the open file executable, burns 0.5 ms, unmaps it, over
 * and over for 30 ms, then exits. A profiler that reads /proc/PID/maps while the mapping is there
 * and opens /proc/PID/map_files/... after it is gone falls back to the path, which is no longer the
 * file that was mapped.
 *
 * Output: "pid N", "ready"; at exit "children N".
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static volatile uint64_t sink;

static NOINLINE void flicker_burn(uint64_t ns)
{
	uint64_t until = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns, x = 11;

	while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) < until) {
		for (int i = 0; i < 200; i++) {
			x = x * 6364136223846793005ULL + 1;
			OPAQUE(x);
		}
	}
	sink = x;
}

static void child(int fd, size_t len)
{
	uint64_t until = workload_clock_ns(CLOCK_MONOTONIC) + 30000000ULL;

	while (workload_clock_ns(CLOCK_MONOTONIC) < until) {
		void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED)
			_exit(1);
		flicker_burn(500000);
		munmap(p, len);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	uint64_t period_ns, next, deadline, children = 0;
	double rate, seconds;
	struct stat st;
	int fd;

	if (argc != 4 || (rate = strtod(argv[2], NULL)) <= 0 || rate > 10000 ||
	    workload_parse_seconds(argv[3], &seconds)) {
		fprintf(stderr, "usage: %s FILE RATE SECONDS\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	printf("pid %d\nready\n", (int)getpid());
	fflush(stdout);
	period_ns = (uint64_t)(1e9 / rate);
	next = workload_clock_ns(CLOCK_MONOTONIC);
	deadline = next + (uint64_t)(seconds * 1e9);
	while (next < deadline) {
		struct timespec ts;
		pid_t pid = fork();

		if (pid == 0)
			child(fd, (size_t)st.st_size);
		children += pid > 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		next += period_ns;
		ts = (struct timespec){ .tv_sec = (time_t)(next / 1000000000ULL),
					.tv_nsec = (long)(next % 1000000000ULL) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	while (wait(NULL) > 0)
		;
	printf("children %llu\n", (unsigned long long)children);
	return 0;
}
