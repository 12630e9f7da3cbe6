// SPDX-License-Identifier: MIT
/* Folded output of a small hand-built profile, compared line for line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/profile.h"

struct locs {
	uint64_t main, work_inl, kfunc, knolines, semi, jit, newline, py, php, rb;
};

static uint64_t function(struct profile *p, const char *name)
{
	uint64_t id = profile__intern_function(p, name, NULL, NULL, 0);

	assert_int_not_equal(id, 0);
	return id;
}

static struct profile *build(struct locs *l)
{
	struct profile_mapping app = { .filename = "/usr/bin/app" };
	struct profile_mapping kernel = { .filename = "[kernel.kallsyms]_text" };
	struct profile_mapping jit = { .filename = "/tmp/perf-1234.map" };
	struct profile_mapping python = { .filename = "[python]" };
	struct profile_mapping php = { .filename = "[php]" };
	struct profile_mapping ruby = { .filename = "[ruby]" };
	struct profile *p = profile__new_cpu(100);
	uint64_t m_app, m_kernel, m_jit, m_py, m_php, m_rb;
	struct profile_line ln[2] = { { 0 } };

	assert_non_null(p);
	m_app = profile__add_mapping(p, &app);
	m_kernel = profile__add_mapping(p, &kernel);
	m_jit = profile__add_mapping(p, &jit);
	m_py = profile__add_mapping(p, &python);
	m_php = profile__add_mapping(p, &php);
	m_rb = profile__add_mapping(p, &ruby);

	ln[0].function_id = function(p, "main");
	l->main = profile__add_location(p, m_app, 0x1000, ln, 1);
	ln[0].function_id = function(p, "inl");
	ln[1].function_id = function(p, "work");
	l->work_inl = profile__add_location(p, m_app, 0x2000, ln, 2);
	ln[0].function_id = function(p, "kfunc");
	l->kfunc = profile__add_location(p, m_kernel, 0xffffffff81000010ULL, ln, 1);
	l->knolines = profile__add_location(p, m_kernel, 0xffffffff81000020ULL, NULL, 0);
	ln[0].function_id = function(p, "a;b");
	l->semi = profile__add_location(p, m_app, 0x3000, ln, 1);
	ln[0].function_id = function(p, "jitfn");
	l->jit = profile__add_location(p, m_jit, 0x7000, ln, 1);
	ln[0].function_id = function(p, "line\nbreak x");
	l->newline = profile__add_location(p, 0, 0x9000, ln, 1);
	ln[0].function_id =
		profile__intern_function(p, "app.Shape.area", "Shape.area", "/srv/app.py", 12);
	ln[0].line = 14;
	l->py = profile__add_location(p, m_py, 0, ln, 1);
	ln[0].function_id = profile__intern_function(p, "Burner::spin", NULL, "/srv/a.php", 3);
	l->php = profile__add_location(p, m_php, 0, ln, 1);
	ln[0].function_id = profile__intern_function(p, "Burner#spin", NULL, "/srv/a.rb", 3);
	l->rb = profile__add_location(p, m_rb, 0, ln, 1);
	return p;
}

static void add(struct profile *p, int64_t count, const struct profile_label *labels,
		size_t nr_labels, size_t nr, ...)
{
	uint64_t stack[8];
	va_list ap;

	assert_true(nr <= 8);
	va_start(ap, nr);
	for (size_t i = 0; i < nr; i++)
		stack[i] = va_arg(ap, uint64_t);
	va_end(ap);
	assert_int_equal(profile__add_cpu_sample(p, stack, nr, count, labels, nr_labels), 0);
}

static char *fold(const struct profile *p, size_t idx, int *ret_err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	*ret_err = profile__write_folded(p, idx, f);
	fclose(f);
	return text;
}

static void test_folded_text(void **state)
{
	const struct profile_label comm_app[] = { { .key = "comm", .str = "app" } };
	const struct profile_label comm_app_pid[] = { { .key = "comm", .str = "app" },
						      { .key = "pid", .num = 1 } };
	const struct profile_label comm_java[] = { { .key = "comm", .str = "java" } };
	const struct profile_label comm_semi[] = { { .key = "comm", .str = "my;proc" } };
	const struct profile_label comm_num[] = { { .key = "comm", .num = 5 } };
	const struct profile_label comm_php[] = { { .key = "comm", .str = "php" } };
	const struct profile_label comm_ruby[] = { { .key = "comm", .str = "ruby" } };
	struct locs l;
	struct profile *p = build(&l);
	char *text;
	int err;

	(void)state;
	/* leaf first, as pprof stores them */
	add(p, 2, comm_app, 1, 3, l.kfunc, l.work_inl, l.main);
	add(p, 3, comm_app_pid, 2, 3, l.kfunc, l.work_inl, l.main); /* other labels, same stack */
	add(p, 1, NULL, 0, 2, l.semi, l.main);
	add(p, 4, comm_java, 1, 2, l.jit, l.main);
	add(p, 5, comm_app, 1, 3, l.kfunc, l.py, l.main); /* a Python frame between native ones */
	add(p, 6, comm_num, 1, 1, l.newline);		  /* a numeric comm is no root frame */
	add(p, 2, comm_php, 1, 2, l.php, l.main);	  /* PHP and Ruby: their own suffixes */
	add(p, 3, comm_ruby, 1, 3, l.kfunc, l.rb, l.main);
	add(p, 0, NULL, 0, 2, l.work_inl, l.main); /* zero count: no line */
	add(p, 7, comm_app, 1, 1, l.main);
	add(p, 1, comm_semi, 1, 1, l.main);
	add(p, 1, comm_app, 1, 2, l.knolines, l.main);
	add(p, 9, NULL, 0, 0); /* no frames at all: nothing to draw */

	text = fold(p, 0, &err);
	assert_int_equal(err, 0);
	assert_string_equal(text, "app;main 7\n"
				  "app;main;[kernel.kallsyms]_text_[k] 1\n"
				  "app;main;app.Shape.area_[py];kfunc_[k] 5\n"
				  "app;main;work;inl_[i];kfunc_[k] 5\n"
				  "java;main;jitfn_[j] 4\n"
				  "line break x 6\n"
				  "main;a:b 1\n"
				  "my:proc;main 1\n"
				  "php;main;Burner::spin_[php] 2\n"
				  "ruby;main;Burner#spin_[ruby];kfunc_[k] 3\n");
	free(text);

	/* the cpu column is the same stacks scaled by the period */
	text = fold(p, 1, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(text, "app;main;work;inl_[i];kfunc_[k] 50000000\n"));
	assert_non_null(strstr(text, "main;a:b 10000000\n"));
	free(text);

	text = fold(p, 2, &err);
	assert_int_equal(err, -EINVAL);
	free(text);
	profile__free(p);
}

static void test_folded_empty_and_errors(void **state)
{
	struct profile *p = profile__new_cpu(100);
	struct locs l;
	char *text;
	FILE *full;
	int err;

	(void)state;
	assert_non_null(p);
	text = fold(p, 0, &err);
	assert_int_equal(err, 0);
	assert_string_equal(text, "");
	free(text);
	profile__free(p);

	/* a write error surfaces as -EIO, not as silent truncation */
	p = build(&l);
	add(p, 1, NULL, 0, 1, l.main);
	full = fopen("/dev/full", "w");
	if (full) {
		assert_int_equal(profile__write_folded(p, 0, full), -EIO);
		fclose(full);
	}
	assert_int_equal(profile__write_folded(NULL, 0, stdout), -EINVAL);
	assert_int_equal(profile__write_folded(p, 0, NULL), -EINVAL);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_text),
		cmocka_unit_test(test_folded_empty_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
