// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "command.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int command__spawn(struct command *cmd, char *const *argv, const sigset_t *child_mask)
{
	int go[2] = { -1, -1 }, ex[2] = { -1, -1 }, err;
	pid_t pid;

	*cmd = (struct command){ .go_fd = -1, .exec_fd = -1 };
	if (pipe2(go, O_CLOEXEC) || pipe2(ex, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto fail;
	}
	if (pid == 0) {
		char b;
		int e;

		close(go[1]);
		close(ex[0]);
		sigprocmask(SIG_SETMASK, child_mask, NULL);
		if (read(go[0], &b, 1) != 1)
			_exit(127); /* flamed gave up before starting us */
		execvp(argv[0], argv);
		e = errno;
		if (write(ex[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ex[1]);
	cmd->go_fd = go[1];
	cmd->exec_fd = ex[0];
	cmd->pid = pid;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&go[i]);
		close_fd(&ex[i]);
	}
	return err;
}

int command__release(struct command *cmd)
{
	ssize_t n;
	int e = 0;

	if (write(cmd->go_fd, "g", 1) != 1)
		return -errno;
	close_fd(&cmd->go_fd);
	n = read(cmd->exec_fd, &e, sizeof(e)); /* EOF: exec succeeded (close-on-exec) */
	close_fd(&cmd->exec_fd);
	if (n == sizeof(e)) {
		waitpid(cmd->pid, NULL, 0);
		cmd->pid = 0;
		return -e;
	}
	return 0;
}

bool command__reap(struct command *cmd)
{
	int status;

	if (cmd->pid > 0 && !cmd->exited && waitpid(cmd->pid, &status, WNOHANG) == cmd->pid) {
		cmd->exited = true;
		cmd->status = status;
	}
	return cmd->exited;
}

void command__stop(struct command *cmd)
{
	if (!cmd)
		return;
	close_fd(&cmd->go_fd); /* a child still waiting to exec exits at EOF */
	close_fd(&cmd->exec_fd);
	if (cmd->pid <= 0 || cmd->exited)
		return;
	kill(cmd->pid, SIGTERM);
	for (int i = 0; i < 200 && !command__reap(cmd); i++) {
		const struct timespec ten_ms = { .tv_nsec = 10 * 1000 * 1000 };

		nanosleep(&ten_ms, NULL);
	}
	if (!cmd->exited) {
		kill(cmd->pid, SIGKILL);
		if (waitpid(cmd->pid, &cmd->status, 0) == cmd->pid)
			cmd->exited = true;
	}
}
