/* SPDX-License-Identifier: MIT */
/* The command after "--": forked stopped before exec, so it can be made a sampling target before
 * it runs a single instruction of its own, then released, reaped, and stopped at the end of the
 * capture if it still runs. */
#ifndef FLAMED_COMMAND_H
#define FLAMED_COMMAND_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct command {
	pid_t pid; /* 0 when none */
	bool exited;
	int status;  /* wait status once exited */
	int go_fd;   /* the child waits for a byte here before exec */
	int exec_fd; /* the child reports a failed exec's errno here; EOF = it exec'd */
};

/* Fork argv (borrowed) into *cmd; the child restores child_mask as its signal mask and waits.
 * 0 or -errno. */
int command__spawn(struct command *cmd, char *const *argv, const sigset_t *child_mask);

/* Let the child exec. 0, or the -errno of a failed exec (the child is reaped). */
int command__release(struct command *cmd);

/* Reap the child if it exited (non-blocking). True once it has. */
bool command__reap(struct command *cmd);

/* If the child still runs: SIGTERM, up to 2 s to exit, then SIGKILL. A child never released
 * exits on its own when its go pipe closes. Closes the pipes. NULL-safe. */
void command__stop(struct command *cmd);

#endif /* FLAMED_COMMAND_H */
