// SPDX-License-Identifier: MIT
/*
 * stress_truncate FILE RATE SECONDS: a library truncated under its readers. A thread keeps
 * truncating FILE (which the caller owns) to zero and writing its content back, every 2 ms, while
 * RATE children a second each map FILE executable (whole, whatever its size at that moment; they
 * never touch it) and burn 5 ms of CPU in their own code. A profiler that announces the children
 * reads FILE while it shrinks: with FILE stripped of its build-id, every new size and mtime is a
 * new binary to it, so it reads the file again for each child.
 *
 * Output: "pid N" at start; at exit "children N" and "truncations N".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static const char *file;
static char *content;
static size_t len;
static uint64_t deadline_ns, truncations;
static volatile uint64_t sink;

static void *toggler(void *arg)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	(void)arg;
	if (fd < 0)
		return NULL;
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
		struct timespec ts = { .tv_nsec = 2000000L };

		if (ftruncate(fd, 0) == 0)
			truncations++;
		if (pwrite(fd, content, len, 0) != (ssize_t)len)
			break;
		nanosleep(&ts, NULL);
	}
	close(fd);
	return NULL;
}

static NOINLINE void child_burn(void)
{
	uint64_t until = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) + 5000000, x = 9;

	while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) < until) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005ULL + 1;
			OPAQUE(x);
		}
	}
	sink = x;
}

static void child(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED)
		_exit(1);
	child_burn();
	_exit(0);
}

int main(int argc, char **argv)
{
	uint64_t period_ns, next, children = 0;
	double rate, seconds;
	struct stat st;
	pthread_t t;
	int fd;

	if (argc != 4 || (rate = strtod(argv[2], NULL)) <= 0 || rate > 10000 ||
	    workload_parse_seconds(argv[3], &seconds)) {
		fprintf(stderr, "usage: %s FILE RATE SECONDS\n", argv[0]);
		return 2;
	}
	file = argv[1];
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !(content = malloc((size_t)st.st_size)) ||
	    read(fd, content, (size_t)st.st_size) != st.st_size) {
		fprintf(stderr, "stress_truncate: cannot read %s\n", file);
		return 1;
	}
	close(fd);
	len = (size_t)st.st_size;
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	deadline_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	if (pthread_create(&t, NULL, toggler, NULL)) {
		fprintf(stderr, "stress_truncate: no thread\n");
		return 1;
	}
	period_ns = (uint64_t)(1e9 / rate);
	next = workload_clock_ns(CLOCK_MONOTONIC);
	while (next < deadline_ns) {
		struct timespec ts;
		pid_t pid = fork();

		if (pid == 0)
			child();
		children += pid > 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		next += period_ns;
		ts = (struct timespec){ .tv_sec = (time_t)(next / 1000000000ULL),
					.tv_nsec = (long)(next % 1000000000ULL) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	pthread_join(t, NULL);
	while (wait(NULL) > 0)
		;
	/* leave the file whole, as found */
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pwrite(fd, content, len, 0) != (ssize_t)len)
			fprintf(stderr, "stress_truncate: cannot restore %s\n", file);
		close(fd);
	}
	printf("children %llu\ntruncations %llu\n", (unsigned long long)children,
	       (unsigned long long)truncations);
	return 0;
}
