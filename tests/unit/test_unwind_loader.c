// SPDX-License-Identifier: MIT
/* The unwind loader over real ELF fixtures (tests/data): one table per binary shared between
 * processes, rows given back when the last process using them is gone (after the grace tick),
 * and loaded again when a process maps the binary later. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unwind/unwind_loader.h"
#include "unwind/unwind_table.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR
#define CAP	 100000

static int open_fixture(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static size_t table_rows(int fd)
{
	struct unwind_table *t = unwind_table__build_fd(fd, NULL);
	size_t n;

	assert_non_null(t);
	n = unwind_table__nr(t);
	unwind_table__free(t);
	assert_true(n > 0);
	return n;
}

static void share_release_reload(void **state)
{
	struct flamed_unwind_row *rows = calloc(CAP, sizeof(*rows));
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int exe = open_fixture("elf_fixture_pie"), lib = open_fixture("libelf_fixture.so");
	size_t exe_rows = table_rows(exe), lib_rows = table_rows(lib);
	struct unwind_loader_mapping maps[] = {
		{ .start = 0x7f0000010000,
		  .end = 0x7f0000020000,
		  .load_bias = 0x7f0000000000,
		  .fd = lib,
		  .file_id = &lib },
		{ .start = 0x555500001000,
		  .end = 0x555500012000,
		  .load_bias = 0x555500000000,
		  .fd = exe,
		  .file_id = &exe },
		{ .start = 0x7fff00000000, .end = 0x7fff00001000, .fd = -1 }, /* [vdso]: no file */
	};
	struct unwind_loader *l;
	struct unwind_loader_stats st;

	(void)state;
	assert_non_null(rows);
	assert_non_null(p);
	l = unwind_loader__new(rows, CAP);
	assert_non_null(l);

	/* process 1: sorted mappings, both tables loaded, the vDSO without rows */
	assert_int_equal(unwind_loader__describe(l, 1, 0xaaa, maps, 3, p), 0);
	assert_int_equal(p->nr, 3);
	assert_true(p->aspace == 0xaaa);
	assert_true(p->m[0].start < p->m[1].start && p->m[1].start < p->m[2].start);
	assert_int_equal(p->m[0].row_count, exe_rows);
	assert_true(p->m[0].pc_sub == 0x555500000000); /* base 0: a PIE */
	assert_int_equal(p->m[1].row_count, lib_rows);
	assert_int_equal(p->m[2].row_count, 0);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_loaded, 2);
	assert_int_equal(st.rows_used, exe_rows + lib_rows);

	/* process 2 maps the same binaries: nothing new is loaded */
	assert_int_equal(unwind_loader__describe(l, 2, 0xbbb, maps, 2, p), 0);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_loaded, 2);
	assert_int_equal(st.tables_shared, 2);

	/* process 1 exits: process 2 still uses both tables */
	unwind_loader__forget(l, 1);
	unwind_loader__tick(l);
	unwind_loader__tick(l);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_freed, 0);
	assert_int_equal(st.rows_used, exe_rows + lib_rows);

	/* process 2 execs into a program without the library: the library's rows go, after the
	 * grace period */
	assert_int_equal(unwind_loader__describe(l, 2, 0xccc, &maps[1], 1, p), 0);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_freed, 1);
	assert_int_equal(st.rows_used, exe_rows + lib_rows); /* in quarantine */
	unwind_loader__tick(l);
	unwind_loader__tick(l);
	st = unwind_loader__stats(l);
	assert_int_equal(st.rows_used, exe_rows);

	/* process 2 exits; a new process maps the library again: it is loaded again */
	unwind_loader__forget(l, 2);
	unwind_loader__forget(l, 99); /* unknown: no effect */
	unwind_loader__tick(l);
	unwind_loader__tick(l);
	assert_int_equal(unwind_loader__stats(l).rows_used, 0);
	assert_int_equal(unwind_loader__describe(l, 3, 0xddd, maps, 1, p), 0);
	assert_int_equal(p->m[0].row_count, lib_rows);
	/* the rows are the table's: the same as a fresh build */
	{
		struct unwind_table *t = unwind_table__build_fd(lib, NULL);

		assert_memory_equal(rows + p->m[0].row_start, unwind_table__rows(t),
				    lib_rows * sizeof(*rows));
		unwind_table__free(t);
	}
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_loaded, 3);
	assert_int_equal(st.rows_used, lib_rows);

	unwind_loader__free(l);
	unwind_loader__free(NULL);
	close(exe);
	close(lib);
	free(p);
	free(rows);
}

static void too_small_array_falls_back(void **state)
{
	struct flamed_unwind_row rows[4];
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int exe = open_fixture("elf_fixture_pie");
	struct unwind_loader_mapping m = {
		.start = 0x1000, .end = 0x2000, .fd = exe, .file_id = &exe
	};
	struct unwind_loader *l = unwind_loader__new(rows, 4);

	(void)state;
	assert_non_null(l);
	assert_int_equal(unwind_loader__describe(l, 1, 1, &m, 1, p), 0);
	assert_int_equal(p->nr, 1);
	assert_int_equal(p->m[0].row_count, 0); /* frame pointers there */
	assert_int_equal(unwind_loader__stats(l).rows_full, 1);
	unwind_loader__free(l);
	close(exe);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(share_release_reload),
		cmocka_unit_test(too_small_array_falls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
