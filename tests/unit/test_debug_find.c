// SPDX-License-Identifier: MIT
/* The path rules of the debug-file search (debug_find.c) over the DWARF fixtures: a path a binary
 * names is resolved only inside its process's root (here our own, by pid), never with no process;
 * no symlink is followed there; .gnu_debuglink candidates need the CRC, build-id candidates the
 * build-id and DWARF; the binary never serves as its own debug file; dwz's alternate file by
 * build-id or next to the file that names it. */
#include <elfutils/libdwelf.h>
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
#include <sys/stat.h>
#include <cmocka.h>

#include "test_files.h"

#include "symbolize/debug_find.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR

struct fixture {
	char dir[64];	    /* a fresh directory under /tmp, holding copies */
	char bin[PATH_MAX]; /* DIR/dwarf_fixture_linked: stripped, .gnu_debuglink to the .debug */
	int fd;
	Elf *elf;
	uint8_t id[DEBUG_FIND_ID_MAX];
	size_t id_len;
};

/* DIR/NAME from the data dir's FROM (appending append, when not NULL). */
static void place(const struct fixture *fx, const char *from, const char *name, const char *append)
{
	char src[PATH_MAX], dst[PATH_MAX];

	snprintf(src, sizeof(src), "%s/%s", DATA_DIR, from);
	snprintf(dst, sizeof(dst), "%s/%s", fx->dir, name);
	test_copy_file(src, dst, append);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const void *bits;
	ssize_t n;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/flamed-debug-find.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->bin, sizeof(fx->bin), "%s/dwarf_fixture_linked", fx->dir);
	place(fx, "dwarf_fixture_linked", "dwarf_fixture_linked", NULL);
	fx->fd = open(fx->bin, O_RDONLY | O_CLOEXEC);
	assert_true(fx->fd >= 0);
	assert_true(elf_version(EV_CURRENT) != EV_NONE);
	fx->elf = elf_begin(fx->fd, ELF_C_READ, NULL);
	assert_non_null(fx->elf);
	n = dwelf_elf_gnu_build_id(fx->elf, &bits);
	assert_true(n > 0 && n <= DEBUG_FIND_ID_MAX);
	memcpy(fx->id, bits, (size_t)n);
	fx->id_len = (size_t)n;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	elf_end(fx->elf);
	close(fx->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void init(struct debug_find *df, uint32_t tgid, const char *path, const char *debug_dir)
{
	struct dwarf_search w = { .tgid = tgid, .path = path, .debug_dir = debug_dir };

	assert_int_equal(debug_find__init(df, &w), 0);
}

/* The fd's file has the fixture's DWARF (a debug file we could take). */
static void assert_debug_file(int fd)
{
	Elf *e;

	assert_true(fd >= 0);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_true(debug_find__has_dwarf(e));
	elf_end(e);
	close(fd);
}

static void debuglink_in_root_only(void **state)
{
	struct fixture *fx = *state;
	struct debug_find df;
	int fd;

	place(fx, "dwarf_fixture.debug", "dwarf_fixture.debug", NULL);
	init(&df, (uint32_t)getpid(), fx->bin, NULL);
	fd = debug_find__debug_file(&df, fx->elf, NULL, 0);
	assert_debug_file(fd);
	assert_int_equal(df.source, DWARF_DEBUGLINK);
	assert_true(df.found.in_root);
	assert_true(strstr(df.found.path, fx->dir) == df.found.path);
	debug_find__fini(&df);

	/* no process: the binary's directory is never looked at in flamed's own file system */
	init(&df, 0, fx->bin, NULL);
	assert_int_equal(debug_find__by_debuglink(&df, fx->elf, NULL), -1);
	assert_int_equal(debug_find__debug_file(&df, fx->elf, NULL, 0), -1);
	assert_int_equal(df.source, DWARF_NONE);
	debug_find__fini(&df);

	/* a relative path, or none, gives nothing to resolve the name against */
	init(&df, (uint32_t)getpid(), "dwarf_fixture_linked", NULL);
	assert_int_equal(debug_find__by_debuglink(&df, fx->elf, NULL), -1);
	debug_find__fini(&df);
}

static void debuglink_dot_debug_dir(void **state)
{
	struct fixture *fx = *state;
	char sub[PATH_MAX + 8];
	struct debug_find df;

	snprintf(sub, sizeof(sub), "%s/.debug", fx->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	place(fx, "dwarf_fixture.debug", ".debug/dwarf_fixture.debug", NULL);
	init(&df, (uint32_t)getpid(), fx->bin, NULL);
	assert_debug_file(debug_find__by_debuglink(&df, fx->elf, NULL));
	debug_find__fini(&df);
}

static void debuglink_crc(void **state)
{
	struct fixture *fx = *state;
	struct debug_find df;

	place(fx, "dwarf_fixture.debug", "dwarf_fixture.debug", "x"); /* same name, other CRC */
	init(&df, (uint32_t)getpid(), fx->bin, NULL);
	assert_int_equal(debug_find__by_debuglink(&df, fx->elf, NULL), -1);
	debug_find__fini(&df);
}

static void debuglink_no_symlinks(void **state)
{
	struct fixture *fx = *state;
	char target[PATH_MAX + 32], link[PATH_MAX + 32], real[PATH_MAX + 8], bin2[PATH_MAX + 32];
	struct debug_find df;

	/* the debug file's name is a symlink to a valid debug file: refused */
	place(fx, "dwarf_fixture.debug", "real.debug", NULL);
	snprintf(target, sizeof(target), "%s/real.debug", fx->dir);
	snprintf(link, sizeof(link), "%s/dwarf_fixture.debug", fx->dir);
	assert_int_equal(symlink(target, link), 0);
	init(&df, (uint32_t)getpid(), fx->bin, NULL);
	assert_int_equal(debug_find__by_debuglink(&df, fx->elf, NULL), -1);
	debug_find__fini(&df);
	unlink(link);

	/* a directory on the way is a symlink: refused too */
	snprintf(real, sizeof(real), "%s/real", fx->dir);
	assert_int_equal(mkdir(real, 0700), 0);
	place(fx, "dwarf_fixture.debug", "real/dwarf_fixture.debug", NULL);
	snprintf(link, sizeof(link), "%s/via", fx->dir);
	assert_int_equal(symlink(real, link), 0);
	snprintf(bin2, sizeof(bin2), "%s/via/dwarf_fixture_linked", fx->dir);
	place(fx, "dwarf_fixture_linked", "real/dwarf_fixture_linked", NULL);
	init(&df, (uint32_t)getpid(), bin2, NULL);
	assert_int_equal(debug_find__by_debuglink(&df, fx->elf, NULL), -1);
	debug_find__fini(&df);
	/* the same file by its real path is taken */
	snprintf(bin2, sizeof(bin2), "%s/real/dwarf_fixture_linked", fx->dir);
	init(&df, (uint32_t)getpid(), bin2, NULL);
	assert_debug_file(debug_find__by_debuglink(&df, fx->elf, NULL));
	debug_find__fini(&df);
}

/* A binary whose .gnu_debuglink names itself, CRC right: never its own debug file. */
static void debuglink_not_itself(void **state)
{
	struct fixture *fx = *state;
	char dbg[PATH_MAX + 32];
	struct debug_find df;

	/* the binary's path is where its link points (the debug file sits there, CRC right) */
	snprintf(dbg, sizeof(dbg), "%s/dwarf_fixture.debug", fx->dir);
	place(fx, "dwarf_fixture.debug", "dwarf_fixture.debug", NULL);
	init(&df, (uint32_t)getpid(), dbg, NULL);
	assert_int_equal(debug_find__by_debuglink(&df, fx->elf, NULL), -1);
	debug_find__fini(&df);
}

static void debuglink_host_debug_dir(void **state)
{
	struct fixture *fx = *state;
	char dbgdir[PATH_MAX + 8];
	struct debug_find df;

	/* flamed's debug dir, NAME at its top: found with no process at all */
	snprintf(dbgdir, sizeof(dbgdir), "%s/dbg", fx->dir);
	assert_int_equal(mkdir(dbgdir, 0700), 0);
	place(fx, "dwarf_fixture.debug", "dbg/dwarf_fixture.debug", NULL);
	init(&df, 0, "/opt/app/dwarf_fixture_linked", dbgdir);
	assert_debug_file(debug_find__by_debuglink(&df, fx->elf, NULL));
	debug_find__fini(&df);
}

static void build_id_rules(void **state)
{
	struct fixture *fx = *state;
	char path[2 * PATH_MAX], h[2 * DEBUG_FIND_ID_MAX + 1];
	struct debug_find df;
	int fd;

	for (size_t i = 0; i < fx->id_len; i++)
		snprintf(h + 2 * i, 3, "%02x", fx->id[i]);
	snprintf(path, sizeof(path), "%s/.build-id", fx->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.build-id/%.2s", fx->dir, h);
	assert_int_equal(mkdir(path, 0700), 0);

	/* a file of another build-id at the path: refused */
	snprintf(path, sizeof(path), ".build-id/%.2s/%s.debug", h, h + 2);
	place(fx, "elf_fixture_pie", path, NULL);
	init(&df, 0, NULL, fx->dir);
	assert_int_equal(debug_find__by_build_id(&df, fx->id, fx->id_len, NULL), -1);
	/* the right build-id but no DWARF (the stripped binary itself): refused */
	place(fx, "dwarf_fixture_linked", path, NULL);
	assert_int_equal(debug_find__by_build_id(&df, fx->id, fx->id_len, NULL), -1);
	/* the debug file: taken, and its place noted */
	place(fx, "dwarf_fixture.debug", path, NULL);
	fd = debug_find__debug_file(&df, fx->elf, fx->id, fx->id_len);
	assert_debug_file(fd);
	assert_int_equal(df.source, DWARF_BUILD_ID);
	assert_false(df.found.in_root);
	/* an id too short to split into xx/rest is never looked up */
	assert_int_equal(debug_find__by_build_id(&df, fx->id, 1, NULL), -1);
	debug_find__fini(&df);
}

/* A debuginfod download is handed in: taken only with the binary's build-id. */
static void given_needs_build_id(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];
	struct dwarf_search w = { .given = path };
	struct debug_find df;

	snprintf(path, sizeof(path), "%s/dwarf_fixture.debug", DATA_DIR);
	assert_int_equal(debug_find__init(&df, &w), 0);
	assert_debug_file(debug_find__debug_file(&df, fx->elf, fx->id, fx->id_len));
	assert_int_equal(df.source, DWARF_DEBUGINFOD);
	debug_find__fini(&df);
	snprintf(path, sizeof(path), "%s/elf_fixture_pie", DATA_DIR);
	assert_int_equal(debug_find__init(&df, &w), 0);
	assert_int_equal(debug_find__debug_file(&df, fx->elf, fx->id, fx->id_len), -1);
	assert_int_equal(df.source, DWARF_NONE);
	debug_find__fini(&df);
}

/* dwz's alternate file: next to the file that names it (in the root), checked by build-id. */
static void alt_file(void **state)
{
	struct fixture *fx = *state;
	char dbgdir[PATH_MAX + 8];
	struct debug_find df;

	place(fx, "dwarf_fixture.debug", "alt.dwz", NULL);
	init(&df, (uint32_t)getpid(), fx->bin, NULL);
	df.found.in_root = true;
	snprintf(df.found.path, sizeof(df.found.path), "%s/x.debug", fx->dir);
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "alt.dwz");
	memcpy(df.found.alt_id, fx->id, fx->id_len); /* the .debug's build-id is the binary's */
	df.found.alt_id_len = fx->id_len;
	assert_debug_file(debug_find__alt(&df));
	/* another build-id: refused */
	df.found.alt_id[0] ^= 0xff;
	assert_int_equal(debug_find__alt(&df), -1);
	df.found.alt_id[0] ^= 0xff;
	/* no process: the relative name is not looked up in flamed's file system */
	df.tgid = 0;
	assert_int_equal(debug_find__alt(&df), -1);
	debug_find__fini(&df);

	/* "/usr/lib/debug/..." maps into flamed's debug dirs, but never out of them with ".." */
	snprintf(dbgdir, sizeof(dbgdir), "%s/dbg", fx->dir);
	assert_int_equal(mkdir(dbgdir, 0700), 0);
	init(&df, (uint32_t)getpid(), fx->bin, dbgdir);
	df.found.in_root = true;
	snprintf(df.found.path, sizeof(df.found.path), "%s/x.debug", fx->dir);
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/usr/lib/debug/../alt.dwz");
	memcpy(df.found.alt_id, fx->id, fx->id_len);
	df.found.alt_id_len = fx->id_len;
	assert_int_equal(debug_find__alt(&df), -1); /* DIR/dbg/../alt.dwz is there */
	place(fx, "dwarf_fixture.debug", "dbg/alt.dwz", NULL);
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/usr/lib/debug/alt.dwz");
	assert_debug_file(debug_find__alt(&df));
	debug_find__fini(&df);

	/* an absolute alt path the binary chose, outside /usr/lib/debug: libdw must not go there */
	memset(&df, 0, sizeof(df));
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/tmp/x.dwz");
	assert_true(debug_find__alt_refused(&df));
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/usr/lib/debug/.dwz/x.debug");
	assert_false(debug_find__alt_refused(&df));
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/usr/lib/debug/../../tmp/x.dwz");
	assert_true(debug_find__alt_refused(&df));
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/usr/lib/debug/.dwz/..");
	assert_true(debug_find__alt_refused(&df));
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/usr/lib/debug/.dwz/x..debug");
	assert_false(debug_find__alt_refused(&df));
	df.alt_given = true;
	snprintf(df.found.alt_name, sizeof(df.found.alt_name), "/tmp/x.dwz");
	assert_false(debug_find__alt_refused(&df)); /* we found it: libdw will not look */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(debuglink_in_root_only, setup, teardown),
		cmocka_unit_test_setup_teardown(debuglink_dot_debug_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(debuglink_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(debuglink_no_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(debuglink_not_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(debuglink_host_debug_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(build_id_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(given_needs_build_id, setup, teardown),
		cmocka_unit_test_setup_teardown(alt_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
