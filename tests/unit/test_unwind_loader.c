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
#include <sys/stat.h>
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
	/* the table alone is more than 5/8 of the array: refused for good, not "full" */
	assert_int_equal(unwind_loader__stats(l).refused[UNWIND_REFUSED_BINARY], 1);
	assert_int_equal(unwind_loader__stats(l).rows_full, 0);
	unwind_loader__free(l);
	close(exe);
	free(p);
}

/* ---- attacks: forged build-ids and the rows budget ---- */

#ifdef FLAMED_UNWIND_FIXTURE_DIR
#define FIXTURE_DIR FLAMED_UNWIND_FIXTURE_DIR
#else
#define FIXTURE_DIR DATA_DIR "/../unwind_fixtures"
#endif

/* The bytes of path, or fails the test. */
static uint8_t *slurp(const char *path, size_t *ret_size)
{
	uint8_t *buf;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("%s missing: build target flamed_unwind_fixtures", path);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*ret_size = (size_t)st.st_size;
	return buf;
}

/* A new file (in /tmp, unlinked at once) holding buf, owned by uid; an O_RDONLY fd to it. */
static int file_with(const uint8_t *buf, size_t size, uid_t uid)
{
	char path[] = "/tmp/flamed-loader-XXXXXX";
	int w = mkstemp(path), fd;

	assert_true(w >= 0);
	assert_int_equal(write(w, buf, size), (ssize_t)size);
	if (uid != geteuid())
		assert_int_equal(fchown(w, uid, (gid_t)-1), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	unlink(path);
	close(w);
	return fd;
}

static struct unwind_loader_mapping mapping_of(const int *fd)
{
	return (struct unwind_loader_mapping){ .start = 0x7f0000000000,
					       .end = 0x7f0000100000,
					       .load_bias = 0x7f0000000000,
					       .fd = *fd,
					       .file_id = fd };
}

/* An attacker links a library with the victim's build-id and "return address undefined" over
 * the victim's code, and maps it first. The victim must get its own table, not the attacker's. */
static void forged_build_id_not_shared(void **state)
{
	static const uint8_t placeholder[20] = { 0xf1, 0xa3, 0xed, 0xf1, 0xa3, 0xed, 0xf1,
						 0xa3, 0xed, 0xf1, 0xa3, 0xed, 0xf1, 0xa3,
						 0xed, 0xf1, 0xa3, 0xed, 0xf1, 0xa3 };
	struct flamed_unwind_row *rows = calloc(CAP, sizeof(*rows));
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int victim = open_fixture("libelf_fixture.so"), forged;
	struct unwind_table *vt = unwind_table__build_fd(victim, NULL), *ft;
	const uint8_t *victim_id;
	size_t size, id_len;
	uint8_t *img = slurp(FIXTURE_DIR "/atk_poison.so", &size), *at;
	struct unwind_loader_mapping m;
	struct unwind_loader *l;

	(void)state;
	assert_non_null(vt);
	victim_id = unwind_table__build_id(vt, &id_len);
	assert_int_equal(id_len, sizeof(placeholder));
	at = memmem(img, size, placeholder, sizeof(placeholder));
	assert_non_null(at);
	memcpy(at, victim_id, id_len);
	forged = file_with(img, size, geteuid());
	ft = unwind_table__build_fd(forged, NULL);
	assert_non_null(ft);
	assert_memory_equal(unwind_table__build_id(ft, NULL), victim_id, id_len);

	l = unwind_loader__new(rows, CAP);
	assert_non_null(l);
	m = mapping_of(&forged);
	assert_int_equal(unwind_loader__describe(l, 1, 1, &m, 1, p), 0);
	assert_int_equal(p->m[0].row_count, unwind_table__nr(ft));
	m = mapping_of(&victim);
	assert_int_equal(unwind_loader__describe(l, 2, 2, &m, 1, p), 0);
	assert_int_equal(unwind_loader__stats(l).tables_shared, 0);
	assert_int_equal(unwind_loader__stats(l).tables_loaded, 2);
	assert_int_equal(p->m[0].row_count, unwind_table__nr(vt));
	assert_memory_equal(rows + p->m[0].row_start, unwind_table__rows(vt),
			    unwind_table__nr(vt) * sizeof(*rows));

	unwind_loader__free(l);
	unwind_table__free(ft);
	unwind_table__free(vt);
	close(forged);
	close(victim);
	free(img);
	free(p);
	free(rows);
}

/* Copies of one binary at other inodes (containers) share one table. */
static void identical_copies_share(void **state)
{
	struct flamed_unwind_row *rows = calloc(CAP, sizeof(*rows));
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int orig = open_fixture("elf_fixture_pie"), copy;
	size_t size;
	uint8_t *img = slurp(DATA_DIR "/elf_fixture_pie", &size);
	struct unwind_loader_mapping m;
	struct unwind_loader *l = unwind_loader__new(rows, CAP);
	uint32_t start;

	(void)state;
	assert_non_null(l);
	copy = file_with(img, size, geteuid());
	m = mapping_of(&orig);
	assert_int_equal(unwind_loader__describe(l, 1, 1, &m, 1, p), 0);
	start = p->m[0].row_start;
	assert_true(p->m[0].row_count > 0);
	m = mapping_of(&copy);
	assert_int_equal(unwind_loader__describe(l, 2, 2, &m, 1, p), 0);
	assert_int_equal(p->m[0].row_start, start);
	assert_int_equal(unwind_loader__stats(l).tables_loaded, 1);
	assert_int_equal(unwind_loader__stats(l).tables_shared, 1);
	unwind_loader__free(l);
	close(copy);
	close(orig);
	free(img);
	free(p);
	free(rows);
}

struct refusals {
	int n[UNWIND_REFUSED__MAX];
	uint32_t uid;
};

static void on_refused(const struct unwind_loader_mapping *m, enum unwind_refusal why,
		       uint64_t rows, uint32_t uid, void *ctx)
{
	struct refusals *r = ctx;

	assert_non_null(m);
	assert_true(rows > 0);
	r->n[why]++;
	r->uid = uid;
}

/* Per binary: a table over 5/8 of the array is refused for good (built once, not per process).
 * Per process: tables over 3/4 of the array in one process. Per owner: files of a user other than
 * flamed's over 3/4 in all, across processes; flamed's own user's files are not capped so. */
static void caps_binary_process_owner(void **state)
{
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int a = open_fixture("elf_fixture_pie"), b = open_fixture("libelf_fixture.so");
	size_t na = table_rows(a), nb = table_rows(b), big = na > nb ? na : nb;
	uint32_t cap = (uint32_t)((na + nb) * 4 / 3 - 1);
	struct flamed_unwind_row *rows = calloc(cap, sizeof(*rows));
	struct unwind_loader_mapping ma = mapping_of(&a), mb = mapping_of(&b), both[2];
	struct refusals r = { { 0 }, 0 };
	struct unwind_loader *l;
	struct unwind_loader_stats st;
	uint64_t build_ns;

	(void)state;
	mb.start = ma.end; /* two mappings of one process */
	mb.end = mb.start + 0x1000;
	both[0] = ma;
	both[1] = mb;
	assert_true(big <= (uint64_t)cap * 5 / 8 && na + nb > (uint64_t)cap * 3 / 4);

	/* binary: an array where the bigger table is over 5/8 */
	l = unwind_loader__new(rows, (uint32_t)(big * 8 / 5 - 1));
	assert_non_null(l);
	unwind_loader__on_refused(l, on_refused, &r);
	assert_int_equal(unwind_loader__describe(l, 1, 1, na > nb ? &ma : &mb, 1, p), 0);
	assert_int_equal(p->m[0].row_count, 0);
	build_ns = unwind_loader__stats(l).build_ns;
	assert_int_equal(unwind_loader__describe(l, 2, 2, na > nb ? &ma : &mb, 1, p), 0);
	st = unwind_loader__stats(l);
	assert_int_equal(st.refused[UNWIND_REFUSED_BINARY], 1);
	assert_int_equal(r.n[UNWIND_REFUSED_BINARY], 1);
	assert_true(st.build_ns == build_ns); /* not built again */
	unwind_loader__free(l);

	/* process: both fit the array and the per-binary cap, not one process's share */
	memset(&r, 0, sizeof(r));
	l = unwind_loader__new(rows, cap);
	assert_non_null(l);
	unwind_loader__on_refused(l, on_refused, &r);
	assert_int_equal(unwind_loader__describe(l, 1, 1, both, 2, p), 0);
	assert_int_equal(p->m[0].row_count, na);
	assert_int_equal(p->m[1].row_count, 0);
	assert_int_equal(unwind_loader__stats(l).refused[UNWIND_REFUSED_PROC], 1);
	/* another process gets the second one */
	assert_int_equal(unwind_loader__describe(l, 2, 2, &mb, 1, p), 0);
	assert_int_equal(p->m[0].row_count, nb);
	/* both loaded now: sharing them costs no rows, but a process still gets 3/4 at most */
	assert_int_equal(unwind_loader__describe(l, 3, 3, both, 2, p), 0);
	assert_int_equal(p->m[0].row_count, na);
	assert_int_equal(p->m[1].row_count, 0);
	assert_int_equal(unwind_loader__stats(l).tables_shared, 1);
	unwind_loader__free(l);

	/* owner: the same two binaries, as files of another user, in two processes */
	if (geteuid() == 0) {
		size_t sa, sb;
		uint8_t *ia = slurp(DATA_DIR "/elf_fixture_pie", &sa);
		uint8_t *ib = slurp(DATA_DIR "/libelf_fixture.so", &sb);
		int oa = file_with(ia, sa, 65534), ob = file_with(ib, sb, 65534);
		struct unwind_loader_mapping moa = mapping_of(&oa), mob = mapping_of(&ob);

		memset(&r, 0, sizeof(r));
		l = unwind_loader__new(rows, cap);
		assert_non_null(l);
		unwind_loader__on_refused(l, on_refused, &r);
		assert_int_equal(unwind_loader__describe(l, 1, 1, &moa, 1, p), 0);
		assert_int_equal(p->m[0].row_count, na);
		assert_int_equal(unwind_loader__describe(l, 2, 2, &mob, 1, p), 0);
		assert_int_equal(p->m[0].row_count, 0);
		assert_int_equal(unwind_loader__stats(l).refused[UNWIND_REFUSED_OWNER], 1);
		assert_int_equal(r.uid, 65534);
		/* the system's (flamed's user's) copy of the same binary is not the user's to pay */
		assert_int_equal(unwind_loader__describe(l, 3, 3, &mb, 1, p), 0);
		assert_int_equal(p->m[0].row_count, nb);
		/* the user's first process exits: its rows come back to the user after the grace */
		unwind_loader__forget(l, 1);
		unwind_loader__tick(l);
		unwind_loader__tick(l);
		assert_int_equal(unwind_loader__describe(l, 2, 2, &mob, 1, p), 0);
		assert_int_equal(p->m[0].row_count, nb);
		unwind_loader__free(l);
		close(oa);
		close(ob);
		free(ia);
		free(ib);
	}
	close(a);
	close(b);
	free(rows);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(share_release_reload),
		cmocka_unit_test(too_small_array_falls_back),
		cmocka_unit_test(forged_build_id_not_shared),
		cmocka_unit_test(identical_copies_share),
		cmocka_unit_test(caps_binary_process_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
