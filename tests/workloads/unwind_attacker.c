// SPDX-License-Identifier: MIT
/*
 * unwind_attacker MODE ...: what an unprivileged user can do to a root flamed's unwind tables,
 * for tests/integration/test_attack_unwind.sh (run under setpriv as nobody). Prints "pid N"
 * first and "ready" once set up.
 *
 *   map SECONDS LIB...   dlopen each LIB in order, then burn CPU for SECONDS in a forked child,
 *                        so that flamed samples it and loads the tables of everything it maps
 *   truncate ROUNDS LIB  each round: copy LIB to a new file in the current directory, fork a
 *                        child that dlopens the copy and burns CPU for half a second; meanwhile
 *                        cut the copy to nothing and write it back, over and over, while flamed
 *                        reads it. The child never touches the library after dlopen and leaves
 *                        with _exit, so only a reader of the file can fault. Prints
 *                        "rounds N cuts M" at the end.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

static volatile uint64_t sink;

static NOINLINE void burn(double seconds)
{
	uint64_t end = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9), x = 1;

	while (workload_clock_ns(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < 100000; i++) {
			x = x * 6364136223846793005ULL + 1;
			OPAQUE(x);
		}
		sink = x;
	}
}

static int map_libs(double seconds, char **libs, int n)
{
	pid_t child;
	int status;

	for (int i = 0; i < n; i++) {
		if (!dlopen(libs[i], RTLD_NOW | RTLD_LOCAL)) {
			fprintf(stderr, "dlopen %s: %s\n", libs[i], dlerror());
			return 1;
		}
	}
	printf("mapped %d\n", n);
	fflush(stdout);
	/* a fresh process burns the CPU: its first sample, whose maps snapshot flamed takes, comes
	 * after every library is mapped (this one may have been sampled in the middle of dlopen) */
	child = fork();
	if (child == 0) {
		burn(seconds);
		_exit(0);
	}
	if (child < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	return waitpid(child, &status, 0) == child && status == 0 ? 0 : 1;
}

static void *slurp(const char *path, size_t *ret_size)
{
	struct stat st;
	void *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc((size_t)st.st_size)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		perror(path);
		exit(1);
	}
	close(fd);
	*ret_size = (size_t)st.st_size;
	return buf;
}

static int truncate_loop(int rounds, const char *lib)
{
	size_t size;
	void *image = slurp(lib, &size);
	uint64_t cuts = 0;
	int r;

	printf("ready\n");
	fflush(stdout);
	for (r = 0; r < rounds; r++) {
		char path[64], ok;
		int fd, pipefd[2], status;
		pid_t child;

		snprintf(path, sizeof(path), "./victim_%d.so", r);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, image, size) != (ssize_t)size || pipe(pipefd)) {
			perror(path);
			return 1;
		}
		child = fork();
		if (child == 0) {
			char abs[4096];

			if (!realpath(path, abs) || !dlopen(abs, RTLD_NOW | RTLD_LOCAL))
				_exit(2);
			ok = 1;
			if (write(pipefd[1], &ok, 1) != 1)
				_exit(3);
			burn(0.5);
			_exit(0);
		}
		close(pipefd[1]);
		if (child < 0 || read(pipefd[0], &ok, 1) != 1) {
			fprintf(stderr, "round %d: the child could not map %s\n", r, path);
			return 1;
		}
		close(pipefd[0]);
		/* full for a moment, gone for a moment: whoever reads it through a mapping faults */
		while (waitpid(child, &status, WNOHANG) == 0) {
			struct timespec gap = { .tv_nsec = 200000 };

			if (ftruncate(fd, 0) || pwrite(fd, image, size, 0) != (ssize_t)size)
				return 1;
			nanosleep(&gap, NULL);
			if (ftruncate(fd, 0))
				return 1;
			cuts++;
			nanosleep(&gap, NULL);
		}
		close(fd);
		unlink(path);
	}
	printf("rounds %d cuts %llu\n", r, (unsigned long long)cuts);
	free(image);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds;

	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (argc >= 4 && !strcmp(argv[1], "map") && !workload_parse_seconds(argv[2], &seconds))
		return map_libs(seconds, argv + 3, argc - 3);
	if (argc == 4 && !strcmp(argv[1], "truncate") && atoi(argv[2]) > 0)
		return truncate_loop(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: unwind_attacker map SECONDS LIB... | truncate ROUNDS LIB\n");
	return 2;
}
