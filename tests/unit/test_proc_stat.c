// SPDX-License-Identifier: MIT
/* proc_stat: /proc/PID/stat and comm with names a hostile process can choose (newlines,
 * parentheses, spaces), and the live files of this test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "proc/proc_stat.h"

#define TAIL " S 1 1 1 0 -1 4194304 10 0 0 0 0 0 0 0 20 0 1 0 %s 4096 100 18446744073709551615\n"

static int parse(const char *name, const char *start, struct proc_stat *st)
{
	char buf[512];
	int len;

	len = snprintf(buf, sizeof(buf), "4242 (%s)" TAIL, name, start);
	return proc_stat_parse(buf, (size_t)len, st);
}

static void parses_hostile_names(void **state)
{
	static const struct {
		const char *name, *comm;
	} cases[] = {
		{ "bash", "bash" },
		{ "a b c", "a b c" },
		{ "x) R 1 2 3", "x) R 1 2 3" }, /* fake fields after a ')' */
		{ "a\nb", "a\nb" },		/* a newline: a line read stops there */
		{ "\n) S 9 (", "\n) S 9 (" },	/* both at once */
		{ "((((", "((((" },		/* no ')' inside */
		{ "))))", "))))" },		/* only ')' inside */
		{ "", "" },			/* empty */
		{ "0123456789abcdefgh", "0123456789abcde" }, /* longer than the kernel allows */
	};
	struct proc_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].name, "123456", &st), 0);
		assert_string_equal(st.comm, cases[i].comm);
		assert_int_equal(st.state, 'S');
		assert_int_equal(st.start_time, 123456);
	}
	assert_int_equal(parse("x", "18446744073709551615", &st), 0);
	assert_true(st.start_time == UINT64_MAX);
}

static void rejects_malformed_stat(void **state)
{
	static const char *const texts[] = {
		"",
		"4242 bash S 1",
		"4242 (bash S 1 2 3",
		"4242 (bash)",
		"4242 (bash) ",
		"4242 (bash)S 1 1 1 0 -1 4194304 10 0 0 0 0 0 0 0 20 0 1 0 5\n",
		"4242 (bash) S 1 1 1 0 -1 4194304 10 0 0 0 0 0 0 0 20 0 1 0\n", /* no field 22 */
		"4242 (bash) S 1 1 1 0 -1 4194304 10 0 0 0 0 0 0 0 20 0 1 0 x\n",
		"4242 (bash) S 1 1 1 0 -1 4194304 10 0 0 0 0 0 0 0 20 0 1 0 18446744073709551616\n",
		"4242 (bash) S 1  1 0 -1 4194304 10 0 0 0 0 0 0 0 20 0 1 0 5 6\n", /* empty field */
	};
	struct proc_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(proc_stat_parse(texts[i], strlen(texts[i]), &st), -EINVAL);
	assert_int_equal(proc_stat_parse(NULL, 0, &st), -EINVAL);
}

static void parses_comm(void **state)
{
	char comm[PROC_COMM_LEN];

	(void)state;
	assert_int_equal(proc_comm_parse("bash\n", 5, comm), 0);
	assert_string_equal(comm, "bash");
	assert_int_equal(proc_comm_parse("a\nb\n", 4, comm), 0);
	assert_string_equal(comm, "a\nb");
	assert_int_equal(proc_comm_parse("0123456789abcdefgh\n", 19, comm), 0);
	assert_string_equal(comm, "0123456789abcde");
	assert_int_equal(proc_comm_parse("\n", 1, comm), -EINVAL);
	assert_int_equal(proc_comm_parse("", 0, comm), -EINVAL);
	assert_int_equal(proc_comm_parse("\0x\n", 3, comm), -EINVAL);
}

/* A child renames itself with a newline and parentheses; its live stat still parses. */
static void reads_live_hostile_name(void **state)
{
	int fds[2], go[2];
	struct proc_stat st, self;
	char comm[PROC_COMM_LEN], c = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "a\n) Z 1 (b", 0, 0, 0);
		if (write(fds[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(proc_stat__read((uint32_t)pid, &st), 0);
	assert_string_equal(st.comm, "a\n) Z 1 (b");
	assert_int_equal(st.state == 'S' || st.state == 'R', 1);
	assert_int_equal(proc_stat__read((uint32_t)getpid(), &self), 0);
	assert_true(st.start_time >= self.start_time && st.start_time > 0);
	assert_int_equal(proc_comm__read((uint32_t)pid, comm), 0);
	assert_string_equal(comm, "a\n) Z 1 (b");
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(proc_stat__read((uint32_t)pid, &st), -ESRCH);
	assert_int_equal(proc_comm__read((uint32_t)pid, comm), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_hostile_names),
		cmocka_unit_test(rejects_malformed_stat),
		cmocka_unit_test(parses_comm),
		cmocka_unit_test(reads_live_hostile_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
