// SPDX-License-Identifier: MIT
/*
 * spawner SECONDS: a parent that keeps starting short-lived children, for tests that a profiled
 * command's descendants are profiled too.
 *
 * Until the deadline it alternates two kinds of child, one at a time:
 *   - exec: fork + exec of "cpu_shares 0.3" (found next to this binary), a new program image;
 *   - fork: fork only, the child runs forked_child_burn() for 0.2 s and exits.
 * The parent itself mostly waits.
 *
 * Output (each line flushed): "pid N" at start, "child PID exec|fork" per child, and at exit
 * "children N".
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static volatile uint64_t sink;

/* What a fork-only child burns: its own symbol, distinct from cpu_shares' functions. */
static NOINLINE void forked_child_burn(double seconds)
{
	uint64_t deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	uint64_t x = 1;

	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		for (int i = 0; i < 100000; i++) {
			x = x * 2862933555777941757ULL + 3037000493ULL;
			OPAQUE(x);
		}
	}
	sink = x;
}

/* Returns the child's pid or -errno. */
static NOINLINE pid_t spawn_exec(const char *cpu_shares)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* quiet child: its "pid"/"share" lines would confuse readers of our stdout */
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(cpu_shares, "cpu_shares", "0.3", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static NOINLINE pid_t spawn_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		forked_child_burn(0.2);
		_exit(0);
	}
	return pid;
}

static NOINLINE int run(double seconds, const char *cpu_shares)
{
	uint64_t deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	int children = 0;

	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		int use_exec = children % 2 == 0, status;
		pid_t pid = use_exec ? spawn_exec(cpu_shares) : spawn_fork();

		if (pid < 0) {
			fprintf(stderr, "spawner: fork: %s\n", strerror((int)-pid));
			return -1;
		}
		printf("child %d %s\n", (int)pid, use_exec ? "exec" : "fork");
		fflush(stdout);
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "spawner: child %d failed\n", (int)pid);
			return -1;
		}
		children++;
	}
	return children;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], cpu_shares[PATH_MAX + 16];
	double seconds;
	ssize_t len;
	int children;

	if (argc != 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
		return 2;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		fprintf(stderr, "spawner: /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self[len] = '\0';
	snprintf(cpu_shares, sizeof(cpu_shares), "%s/cpu_shares", dirname(self));

	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	children = run(seconds, cpu_shares);
	if (children < 0)
		return 1;
	printf("children %d\n", children);
	return 0;
}
