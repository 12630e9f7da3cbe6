// SPDX-License-Identifier: MIT
/*
 * syscall_heavy SECONDS: spend most of the time in the kernel, for kernel-stack tests.
 *
 * do_syscalls() reads /dev/zero in 64 KiB blocks (the kernel clears the user buffer, so nearly
 * all the CPU goes to the read path) and is reached as main -> run -> do_syscalls, so a profile
 * shows kernel frames leafward of known user frames.
 *
 * Output: "pid N" at start (flushed); at exit "kernel_pct P" (system CPU time as a percent of
 * all CPU time, from getrusage) and "reads N".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define BLOCK_SIZE (64 * 1024)

static char block[BLOCK_SIZE];

/* Returns the number of reads, or -errno. */
static NOINLINE long do_syscalls(int fd, uint64_t deadline)
{
	long reads = 0;

	/* CLOCK_MONOTONIC is served by the vDSO: the only syscalls are the reads */
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		for (int i = 0; i < 64; i++) {
			if (read(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
				return -errno;
			reads++;
		}
	}
	return reads;
}

static NOINLINE long run(double seconds)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	long reads;

	if (fd < 0)
		return -errno;
	reads = do_syscalls(fd, workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9));
	close(fd);
	return reads;
}

static double timeval_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double seconds, user, sys;
	long reads;

	if (argc != 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
		return 2;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);

	reads = run(seconds);
	if (reads < 0) {
		fprintf(stderr, "syscall_heavy: read /dev/zero: %s\n", strerror((int)-reads));
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	user = timeval_s(ru.ru_utime);
	sys = timeval_s(ru.ru_stime);
	printf("kernel_pct %.2f\n", user + sys > 0 ? 100.0 * sys / (user + sys) : 0.0);
	printf("reads %ld\n", reads);
	return 0;
}
