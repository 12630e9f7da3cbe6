// SPDX-License-Identifier: MIT
/* Test harness (root): run programs one after the other as an unprivileged user under one chosen
 * pid, standing in for an attacker who cycles through the pid space until a pid comes round
 * again. Usage:
 *   pid_at PID UID ARG PROGRAM...
 * Runs each PROGRAM with the single argument ARG as PID, waiting for each; the next one starts
 * right after the previous one is reaped, from this same process (so little else happens in the
 * kernel in between). Exits 0 if all exited 0, 3 if PID was taken. Prints nothing itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_at(pid_t want, uid_t uid, char *prog, char *arg)
{
	struct clone_args args = { .exit_signal = SIGCHLD,
				   .set_tid = (uint64_t)(uintptr_t)&want,
				   .set_tid_size = 1 };
	char *argv[] = { prog, arg, NULL };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	int status;

	if (pid < 0) {
		fprintf(stderr, "pid_at: clone3 with pid %d: %s\n", (int)want, strerror(errno));
		return errno == EEXIST ? 3 : 1;
	}
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
			perror("pid_at: drop privileges");
			_exit(1);
		}
		execv(prog, argv);
		perror("pid_at: execv");
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	pid_t want;
	uid_t uid;

	if (argc < 5 || (want = (pid_t)strtol(argv[1], NULL, 10)) <= 1) {
		fprintf(stderr, "usage: pid_at PID UID ARG PROGRAM...\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[2], NULL, 10);
	for (int i = 4; i < argc; i++) {
		int rc = run_at(want, uid, argv[i], argv[3]);

		if (rc)
			return rc;
	}
	return 0;
}
