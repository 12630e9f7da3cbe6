// SPDX-License-Identifier: MIT
/* Test harness (root): run a program as an unprivileged user under a chosen pid, standing in for
 * an attacker who cycles through the pid space until a pid comes round again. Usage:
 *   pid_at PID UID PROGRAM ARGS...
 * Waits for the program and exits with its status. */
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

int main(int argc, char **argv)
{
	pid_t want, pid;
	uid_t uid;
	int status;

	if (argc < 4 || (want = (pid_t)strtol(argv[1], NULL, 10)) <= 1) {
		fprintf(stderr, "usage: pid_at PID UID PROGRAM ARGS...\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[2], NULL, 10);
	{
		struct clone_args args = { .exit_signal = SIGCHLD,
					   .set_tid = (uint64_t)(uintptr_t)&want,
					   .set_tid_size = 1 };

		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	if (pid < 0) {
		fprintf(stderr, "pid_at: clone3 with pid %d: %s\n", (int)want, strerror(errno));
		return errno == EEXIST ? 3 : 1;
	}
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
			perror("pid_at: drop privileges");
			_exit(1);
		}
		execv(argv[3], argv + 3);
		perror("pid_at: execv");
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
