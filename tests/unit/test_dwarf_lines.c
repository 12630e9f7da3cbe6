// SPDX-License-Identifier: MIT
/* DWARF frames over real fixtures (tests/data/dwarf_fixture.c, -O2 -g), read into compact tables:
 * the always-inline helper mix() is an inline frame of outer() at its marked line, whether the
 * DWARF is the binary's own, in a debug file found by build-id, by .gnu_debuglink (CRC checked)
 * or handed in (debuginfod); malformed input gives no frames; the symbolizer keeps each address's
 * answer and counts the bytes. Also the .gnu_debuglink / .gnu_debugaltlink parsers. */
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
#include <sys/wait.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "test_files.h"

#include "proc/proc_table.h"
#include "symbolize/debuglink.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_table.h"
#include "symbolize/elf_syms.h"
#include "symbolize/fault_guard.h"
#include "symbolize/symbolizer.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR
#define SRC_DIR	 FLAMED_TEST_SRC_DIR
#define BIAS	 0x555500000000ULL

/* Line number of the first line of the fixture's source holding marker. */
static uint32_t source_line(const char *marker)
{
	char path[PATH_MAX], line[512];
	uint32_t n = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data/dwarf_fixture.c", SRC_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker))
			found = n;
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

/* outer's [start, end) from the nm oracle. */
static void outer_range(uint64_t *start, uint64_t *end)
{
	char path[PATH_MAX], line[512], sym[256];
	unsigned long long a, sz;
	FILE *f;

	*start = *end = 0;
	snprintf(path, sizeof(path), "%s/dwarf_fixture.nm", DATA_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %llx %*c %255s", &a, &sz, sym) == 3 &&
		    !strcmp(sym, "outer")) {
			*start = a;
			*end = a + sz;
		}
	fclose(f);
	assert_true(*end > *start);
}

static int open_data(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* dl's DWARF, every unit read into a table. */
static struct dwarf_table *table_of(struct dwarf_lines *dl)
{
	struct dwarf_table *t = dwarf_lines__table(dl);

	assert_non_null(t);
	assert_true(dwarf_lines__extract_all(dl, t, SIZE_MAX, 0) > 0);
	assert_int_equal(dwarf_table__nr_extracted(t), dwarf_table__nr_units(t));
	return t;
}

/* Scan outer: some address must be mix inlined into outer at the MIX-LINE, every address
 * resolves to outer as the physical function. */
static void check_frames(struct dwarf_lines *dl)
{
	struct dwarf_table *t = table_of(dl);
	uint32_t mix_line = source_line("/* MIX-LINE */"),
		 outer_decl = source_line("unsigned outer(");
	struct dwarf_frame fr[8];
	uint64_t start, end;
	size_t inlined = 0;

	outer_range(&start, &end);
	for (uint64_t a = start; a < end; a++) {
		size_t n = dwarf_table__lookup(t, a, fr, 8);

		assert_true(n >= 1);
		assert_string_equal(fr[n - 1].name, "outer");
		assert_false(fr[n - 1].inlined);
		assert_int_equal(fr[n - 1].decl_line, outer_decl);
		assert_true(ends_with(fr[n - 1].decl_file, "dwarf_fixture.c"));
		if (n == 2) {
			assert_string_equal(fr[0].name, "mix");
			assert_true(fr[0].inlined);
			assert_int_equal(fr[0].line, mix_line);
			assert_true(ends_with(fr[0].file, "dwarf_fixture.c"));
			/* the caller's line is the call site, inside outer */
			assert_true(fr[1].line > outer_decl);
			inlined++;
		}
	}
	assert_true(inlined > 0);
	dwarf_table__free(t);
}

static void embedded(void **state)
{
	int fd = open_data("dwarf_fixture");
	struct dwarf_lines *dl = dwarf_lines__open(fd, NULL);

	(void)state;
	close(fd);
	assert_non_null(dl);
	assert_int_equal(dwarf_lines__source(dl), DWARF_EMBEDDED);
	check_frames(dl);
	assert_true(dwarf_lines__mem_bytes(dl) > 0);
	dwarf_lines__free(dl);
}

/* MiniDebugInfo (Fedora): the copy stripped of every symbol and all DWARF names outer only
 * through the xz-compressed .symtab in its .gnu_debugdata (tests/data/make_minidebuginfo.sh);
 * it has no lines to give. */
static void minidebuginfo(void **state)
{
	int fd = open_data("dwarf_fixture_mini");
	struct dwarf_lines *dl = dwarf_lines__open(fd, NULL);
	struct elf_syms *es;
	uint64_t start, end, off;

	(void)state;
	close(fd);
	assert_non_null(dl);
	assert_int_equal(dwarf_lines__source(dl), DWARF_NONE);
	assert_null(dwarf_lines__table(dl)); /* no lines to give */
	es = dwarf_lines__symbols(dl);
	assert_non_null(es);
	outer_range(&start, &end);
	for (uint64_t a = start; a < end; a += 7) {
		assert_string_equal(elf_syms__lookup(es, a, &off), "outer");
		assert_int_equal(off, a - start);
	}
	elf_syms__free(es);
	dwarf_lines__free(dl);

	/* the same stripped file without .gnu_debugdata: no symbols from libdwfl */
	fd = open_data("dwarf_fixture_linked");
	dl = dwarf_lines__open(fd, &(struct dwarf_search){ .tgid = (uint32_t)getpid() });
	close(fd);
	assert_null(dwarf_lines__symbols(dl));
	dwarf_lines__free(dl);
}

static void by_debuglink(void **state)
{
	char path[PATH_MAX];
	int fd = open_data("dwarf_fixture_linked");
	struct dwarf_search w = { .tgid = (uint32_t)getpid(), .path = path };
	struct dwarf_lines *dl;

	(void)state;
	snprintf(path, sizeof(path), "%s/dwarf_fixture_linked", DATA_DIR);
	dl = dwarf_lines__open(fd, &w);
	assert_int_equal(dwarf_lines__source(dl), DWARF_DEBUGLINK);
	check_frames(dl);
	dwarf_lines__free(dl);
	/* without a process, the binary's own directory is not looked at */
	w.tgid = 0;
	dl = dwarf_lines__open(fd, &w);
	assert_int_equal(dwarf_lines__source(dl), DWARF_NONE);
	dwarf_lines__free(dl);
	close(fd);
}

static void debuglink_crc_mismatch(void **state)
{
	char dir[] = "/tmp/flamed-dwarf.XXXXXX", bin[PATH_MAX], dbg[PATH_MAX], src[PATH_MAX];
	struct dwarf_search w = { .tgid = (uint32_t)getpid(), .path = bin };
	struct dwarf_lines *dl;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/dwarf_fixture_linked", dir);
	snprintf(dbg, sizeof(dbg), "%s/dwarf_fixture.debug", dir);
	snprintf(src, sizeof(src), "%s/dwarf_fixture_linked", DATA_DIR);
	test_copy_file(src, bin, NULL);
	snprintf(src, sizeof(src), "%s/dwarf_fixture.debug", DATA_DIR);
	test_copy_file(src, dbg, "x"); /* same name, other CRC */
	fd = open(bin, O_RDONLY | O_CLOEXEC);
	dl = dwarf_lines__open(fd, &w);
	assert_int_equal(dwarf_lines__source(dl), DWARF_NONE);
	dwarf_lines__free(dl);
	close(fd);
	unlink(bin);
	unlink(dbg);
	rmdir(dir);
}

static void by_build_id_and_given(void **state)
{
	char dir[] = "/tmp/flamed-dwarf.XXXXXX", path[PATH_MAX], src[PATH_MAX];
	struct elf_syms *es;
	const char *bid;
	struct dwarf_search w = { 0 };
	struct dwarf_lines *dl;
	int fd = open_data("dwarf_fixture_linked");

	(void)state;
	snprintf(src, sizeof(src), "%s/dwarf_fixture.debug", DATA_DIR);
	es = elf_syms__open_fd(fd);
	assert_non_null(es);
	bid = elf_syms__build_id(es);
	assert_non_null(bid);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.build-id", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.build-id/%.2s", dir, bid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dir, bid, bid + 2);
	test_copy_file(src, path, NULL);
	w.debug_dir = dir;
	dl = dwarf_lines__open(fd, &w);
	assert_int_equal(dwarf_lines__source(dl), DWARF_BUILD_ID);
	check_frames(dl);
	dwarf_lines__free(dl);
	unlink(path);

	/* a file handed in (a debuginfod download) is taken only with the right build-id */
	w = (struct dwarf_search){ .given = src };
	dl = dwarf_lines__open(fd, &w);
	assert_int_equal(dwarf_lines__source(dl), DWARF_DEBUGINFOD);
	check_frames(dl);
	dwarf_lines__free(dl);
	snprintf(src, sizeof(src), "%s/elf_fixture_pie", DATA_DIR);
	dl = dwarf_lines__open(fd, &w);
	assert_int_equal(dwarf_lines__source(dl), DWARF_NONE);
	dwarf_lines__free(dl);

	close(fd);
	snprintf(path, sizeof(path), "%s/.build-id/%.2s", dir, bid);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.build-id", dir);
	rmdir(path);
	rmdir(dir);
	elf_syms__free(es); /* bid is borrowed from it */
}

/* Garbage, a truncated ELF and no file: no frames, no crash. */
static void malformed(void **state)
{
	struct dwarf_lines *dl;
	char buf[8192];
	int fd, in;
	ssize_t n;

	(void)state;
	dl = dwarf_lines__open(-1, NULL);
	assert_non_null(dl);
	assert_null(dwarf_lines__table(dl));
	assert_null(dwarf_lines__symbols(dl));
	assert_int_equal(dwarf_lines__extract(dl, NULL, 0), -EFAULT);
	dwarf_lines__free(dl);
	dwarf_lines__free(NULL);

	in = open_data("dwarf_fixture");
	n = read(in, buf, sizeof(buf));
	close(in);
	assert_true(n == (ssize_t)sizeof(buf));
	for (int variant = 0; variant < 2; variant++) {
		fd = memfd_create("dwarf", MFD_CLOEXEC);
		assert_true(fd >= 0);
		if (variant)
			memset(buf + 64, 0xa5, sizeof(buf) - 64); /* headers kept, the rest noise */
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		dl = dwarf_lines__open(fd, NULL);
		assert_non_null(dl);
		assert_null(dwarf_lines__table(dl));
		dwarf_lines__free(dl);
		close(fd);
	}
}

/* The file is truncated after it was opened (its owner may do that): the reads of mapped pages
 * past the new end raise SIGBUS, caught; the object gives no frames from then on. */
/* The child of truncated_under_us: 0 when a lookup in the truncated file was caught and the
 * object then refused every lookup, 1 when not, 2 when the setup failed. */
static int truncated_child(const char *path)
{
	uint64_t before = fault_guard__caught();
	struct dwarf_table *t;
	struct dwarf_lines *dl;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 2;
	dl = dwarf_lines__open(fd, NULL);
	if (dwarf_lines__source(dl) != DWARF_EMBEDDED)
		return 2;
	t = dwarf_lines__table(dl);
	if (!t || ftruncate(fd, 4096))
		return 2;
	if (dwarf_lines__extract_all(dl, t, SIZE_MAX, 0) != -EFAULT ||
	    fault_guard__caught() <= before || !dwarf_lines__faulted(dl) ||
	    dwarf_lines__extract(dl, t, 0) != -EFAULT)
		return 1;
	dwarf_table__free(t);
	dwarf_lines__free(dl);
	return 0;
}

/* A file truncated by its owner while flamed reads it: SIGBUS caught, the object abandoned.
 * In a child: what libdw held when the fault jumped out of it is left behind on purpose (it may
 * be inconsistent; bounded to one object per file), which LeakSanitizer would report at exit;
 * _exit skips that check in the child only. */
static void truncated_under_us(void **state)
{
	char dir[] = "/tmp/flamed-dwarf.XXXXXX", path[PATH_MAX], src[PATH_MAX];
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dwarf_fixture", dir);
	snprintf(src, sizeof(src), "%s/dwarf_fixture", DATA_DIR);
	test_copy_file(src, path, NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(truncated_child(path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(dir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void parse_debuglink(void **state)
{
	static const char ok[] = "foo.debug\0\0\0\x78\x56\x34\x12";
	static const char be[] = "ab\0\0\x12\x34\x56\x78";
	const char *name;
	uint32_t crc;

	(void)state;
	assert_int_equal(debuglink__parse(ok, sizeof(ok) - 1, 1, &name, &crc), 0);
	assert_string_equal(name, "foo.debug");
	assert_true(crc == 0x12345678);
	assert_int_equal(debuglink__parse(be, sizeof(be) - 1, 0, &name, &crc), 0);
	assert_true(crc == 0x12345678);
	/* CRC cut short, no NUL, empty, a path, ".." */
	assert_int_equal(debuglink__parse(ok, sizeof(ok) - 2, 1, &name, &crc), -EINVAL);
	assert_int_equal(debuglink__parse("abc", 3, 1, &name, &crc), -EINVAL);
	assert_int_equal(debuglink__parse("\0\0\0\0\0\0\0\0", 8, 1, &name, &crc), -EINVAL);
	assert_int_equal(debuglink__parse("a/b\0\1\2\3\4", 8, 1, &name, &crc), -EINVAL);
	assert_int_equal(debuglink__parse("..\0\0\1\2\3\4", 8, 1, &name, &crc), -EINVAL);
	assert_int_equal(debuglink__parse(NULL, 0, 1, &name, &crc), -EINVAL);
}

static void parse_altlink(void **state)
{
	static const char alt[] = "/usr/lib/debug/.dwz/x.debug\0\x01\x02\x03";
	const uint8_t *id;
	const char *name;
	size_t len;

	(void)state;
	assert_int_equal(debuglink__parse_alt(alt, sizeof(alt) - 1, &name, &id, &len), 0);
	assert_string_equal(name, "/usr/lib/debug/.dwz/x.debug");
	assert_int_equal(len, 3);
	assert_int_equal(id[2], 3);
	/* no build-id, no NUL */
	assert_int_equal(debuglink__parse_alt(alt, 28, &name, &id, &len), -EINVAL);
	assert_int_equal(debuglink__parse_alt("abc", 3, &name, &id, &len), -EINVAL);
}

static void crc_of_file(void **state)
{
	int fd = memfd_create("crc", MFD_CLOEXEC);
	uint32_t crc;

	(void)state;
	assert_int_equal(write(fd, "123456789", 9), 9);
	assert_int_equal(debuglink__crc32_fd(fd, &crc), 0);
	assert_true(crc == 0xcbf43926); /* the CRC-32 check value */
	close(fd);
	assert_true(debuglink__crc32_fd(-1, &crc) < 0);
}

/* The symbolizer: frames per address with the ELF name last, each address resolved once (the
 * second round from the name cache, the tables not read again), the DWARF's bytes in the tables'
 * budget. */
static void symbolizer_frames(void **state)
{
	char path[PATH_MAX];
	struct proc_map m = { .start = BIAS + 0x1000, .end = BIAS + 0x2000, .pgoff = 0x1000 };
	struct proc_file f = { .path = path };
	struct symbolizer *s = symbolizer__new("/nonexistent");
	const struct sym_frame *fr;
	struct symbolizer_stats st;
	struct sym_user res;
	uint64_t start, end, inl = 0;
	size_t n;

	(void)state;
	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/dwarf_fixture", DATA_DIR);
	f.fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(f.fd >= 0);
	m.path = path;
	outer_range(&start, &end);
	assert_true(symbolizer__has_lines(s, 0, &f));
	for (int round = 0; round < 2; round++)
		for (uint64_t a = start; a < end; a++) {
			assert_int_equal(symbolizer__frames(s, 0, &m, &f, BIAS + a, &res, &fr, &n),
					 0);
			assert_true(n >= 1);
			assert_string_equal(fr[n - 1].name, "outer");
			assert_string_equal(res.name, "outer");
			inl += n == 2 && !strcmp(fr[0].name, "mix") && fr[0].inlined;
		}
	st = symbolizer__stats(s);
	assert_true(inl > 0 && inl % 2 == 0);
	assert_int_equal(st.frame_lookups, 2 * (end - start));
	assert_int_equal(st.frame_hits, end - start); /* the second round, from the cache */
	assert_int_equal(st.dwarf_found, 1);
	assert_true(st.dwarf_bytes > 0 && st.dwarf_bytes <= st.cache_bytes);
	assert_int_equal(st.dwarf_reads, 1);
	assert_int_equal(st.elf_parsed, 1);
	symbolizer__set_cache_budget(s, st.cache_bytes);
	assert_int_equal(symbolizer__frames(s, 0, &m, &f, BIAS + start, &res, &fr, &n), 0);
	assert_string_equal(fr[n - 1].name, "outer");
	st = symbolizer__stats(s);
	assert_int_equal(st.evicted, 0);
	symbolizer__set_cache_budget(s, 0);
	st = symbolizer__stats(s);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.dwarf_bytes, 0);
	assert_int_equal(st.cache_bytes, 0);
	symbolizer__free(s);
	proc_file__drop_elf(&f); /* a hand-made file keeps its ELF object (proc_table.h) */
	close(f.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(embedded),
		cmocka_unit_test(by_debuglink),
		cmocka_unit_test(minidebuginfo),
		cmocka_unit_test(debuglink_crc_mismatch),
		cmocka_unit_test(by_build_id_and_given),
		cmocka_unit_test(malformed),
		cmocka_unit_test(truncated_under_us),
		cmocka_unit_test(parse_debuglink),
		cmocka_unit_test(parse_altlink),
		cmocka_unit_test(crc_of_file),
		cmocka_unit_test(symbolizer_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
