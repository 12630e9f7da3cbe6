// SPDX-License-Identifier: MIT
/* proc_table against a live child process: a file literally named "x (deleted)", a deleted one,
 * a FIFO put at a mapped file's path (never blocks, never opened), and the fd budget (files
 * closed beyond it come back on demand, as the same inode). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc/proc_table.h"

#define NR_PLAIN 6

static char dir[] = "/tmp/flamed-proc-table.XXXXXX";

static void make_file(const char *name)
{
	char path[512], page[4096];
	int fd;

	memset(page, 0xc3, sizeof(page));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, page, sizeof(page)), sizeof(page));
	close(fd);
}

/* The child maps every file executable, deletes "gone" and replaces "fifo" with a FIFO, then
 * waits to be killed. */
static pid_t start_child(void)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char *const names[] = { "x (deleted)", "gone", "fifo", "p0", "p1",
						     "p2",	    "p3",   "p4",   "p5" };
		char path[512];

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) ==
					      MAP_FAILED)
				_exit(1);
			close(fd);
		}
		snprintf(path, sizeof(path), "%s/gone", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/fifo", dir);
		unlink(path);
		if (mkfifo(path, 0666) || write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static const struct proc_map *find_path(const struct proc_entry *e, const char *name, size_t *ret_i)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (size_t i = 0; i < e->maps->nr; i++) {
		if (!strcmp(e->maps->maps[i].path, path)) {
			*ret_i = i;
			return &e->maps->maps[i];
		}
	}
	return NULL;
}

static void stop_child(pid_t pid)
{
	char path[512];

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < NR_PLAIN; i++) {
		snprintf(path, sizeof(path), "%s/p%d", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/x (deleted)", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	unlink(path);
	rmdir(dir);
}

static void names_fifo_and_fd_budget(void **state)
{
	struct proc_table *t = proc_table__new();
	const struct proc_map *m;
	struct proc_table_stats st;
	struct proc_entry *e;
	struct stat sb;
	char name[16];
	size_t i;
	pid_t pid;
	int fd;

	(void)state;
	assert_non_null(t);
	assert_non_null(mkdtemp(dir));
	make_file("x (deleted)");
	make_file("gone");
	make_file("fifo");
	for (int k = 0; k < NR_PLAIN; k++) {
		snprintf(name, sizeof(name), "p%d", k);
		make_file(name);
	}
	pid = start_child();
	proc_table__set_fd_budget(t, 2);
	alarm(20); /* a blocking open would hang here */
	e = proc_table__add(t, (uint32_t)pid, 1, NULL);
	alarm(0);
	assert_non_null(e);
	assert_int_equal(e->snapshot_err, 0);
	assert_non_null(e->maps);

	/* the name that merely ends like the kernel's note keeps it */
	m = find_path(e, "x (deleted)", &i);
	assert_non_null(m);
	assert_false(m->is_deleted);
	assert_non_null(e->files[i]);
	/* the deleted one is still had through map_files when allowed (root) */
	m = find_path(e, "gone", &i);
	assert_non_null(m);
	assert_true(m->is_deleted);
	/* at the FIFO's path: whatever was opened is the mapped regular file, never the FIFO */
	m = find_path(e, "fifo", &i);
	assert_non_null(m);
	fd = proc_file__hold(e->files[i]);
	if (fd >= 0) {
		assert_int_equal(fstat(fd, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		assert_true(sb.st_ino == m->inode);
		proc_file__release(e->files[i]);
	} else {
		assert_true(proc_table__stats(t).files_refused > 0 ||
			    proc_table__stats(t).files_failed > 0);
	}

	/* budget 2: most files were closed, and each comes back as its own inode */
	st = proc_table__stats(t);
	assert_true(st.files_closed > 0);
	assert_true(st.fds_peak <= 3);
	for (int k = 0; k < NR_PLAIN; k++) {
		snprintf(name, sizeof(name), "p%d", k);
		m = find_path(e, name, &i);
		assert_non_null(m);
		fd = proc_file__hold(e->files[i]);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &sb), 0);
		assert_true(sb.st_ino == m->inode);
		assert_true(sb.st_dev == e->files[i]->dev);
		/* held: not closed while others are opened */
		if (k)
			proc_file__release(e->files[i]);
	}
	assert_true(proc_table__stats(t).files_reopened > 0);
	stop_child(pid);
	proc_table__free(t);
}

/* A gone process is an entry without maps; its comm stays unknown (""), not "[unknown]". */
static void gone_process_has_empty_comm(void **state)
{
	struct proc_table *t = proc_table__new();
	struct proc_entry *e;
	pid_t pid = fork();

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	e = proc_table__add(t, (uint32_t)pid, 1, NULL);
	assert_non_null(e);
	assert_string_equal(e->comm, "");
	assert_int_equal(e->snapshot_err, -ESRCH);
	assert_int_equal(proc_table__stats(t).vanished, 1);
	proc_table__free(t);
}

/* The executable is /proc/PID/exe's target, read with the snapshot; a gone process has none. */
static void executable_path(void **state)
{
	struct proc_table *t = proc_table__new();
	char want[4096];
	ssize_t n = readlink("/proc/self/exe", want, sizeof(want) - 1);
	struct proc_entry *e;
	pid_t pid;

	(void)state;
	assert_true(n > 0);
	want[n] = '\0';
	e = proc_table__add(t, (uint32_t)getpid(), 1, NULL);
	assert_non_null(e);
	assert_non_null(e->exe);
	assert_string_equal(e->exe, want);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	e = proc_table__add(t, (uint32_t)pid, 2, NULL);
	assert_null(e->exe);
	proc_table__free(t);
}

/* Event-driven re-reads: an image's first PROC_TABLE_FRESH_REREADS come at once (the loader, a
 * JIT's code buffer), then one a second; an exec starts over. */
static void fresh_image_rereads(void **state)
{
	struct proc_table *t = proc_table__new();
	struct proc_entry *e;

	(void)state;
	e = proc_table__add(t, (uint32_t)getpid(), 1, NULL);
	assert_non_null(e);
	for (int i = 0; i < PROC_TABLE_FRESH_REREADS; i++)
		assert_int_equal(proc_table__refresh(t, e, NULL, false), 0);
	assert_int_equal(proc_table__refresh(t, e, NULL, false), -EAGAIN);
	assert_int_equal(proc_table__stats(t).refreshes_throttled, 1);
	assert_int_equal(proc_table__refresh(t, e, NULL, true), 0); /* an exec */
	assert_int_equal(proc_table__refresh(t, e, NULL, false), 0);
	proc_table__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_fifo_and_fd_budget),
		cmocka_unit_test(gone_process_has_empty_comm),
		cmocka_unit_test(executable_path),
		cmocka_unit_test(fresh_image_rereads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
