// SPDX-License-Identifier: MIT
/* The symbolizer over real ELF fixtures (tests/data): a stripped binary names only its exported
 * functions, and with its separate debug file installed under .build-id/ (as Debian's -dbgsym
 * packages do) it names static functions too. A name is paid for once: a second build over the
 * same addresses reads no file, even after the tables were evicted; the tables' budget evicts
 * least recently used files (read again when a new address needs them), the name cache's its
 * oldest answers; a file rewritten in place is read again, its old names never answered. */
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
#include <sys/stat.h>
#include <cmocka.h>

#include "test_files.h"

#include "proc/proc_table.h"
#include "symbolize/elf_syms.h"
#include "symbolize/symbolizer.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR

/* Address of a function in the nm oracle of a fixture (nm --defined-only -S output). */
static uint64_t nm_addr(const char *variant, const char *name)
{
	char path[PATH_MAX], line[512], sym[256];
	unsigned long long addr = 0, a;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.nm", DATA_DIR, variant);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %*x %*c %255s", &a, sym) == 2 && strcmp(sym, name) == 0)
			addr = a;
	}
	fclose(f);
	assert_true(addr != 0);
	return addr;
}

/* A pretend mapping of the fixture's executable segment (file offset == vaddr for GNU ld's
 * layout, checked through elf_syms) at load bias BIAS, and the file pinned open. */
#define BIAS 0x555500000000ULL

static void map_fixture(const char *variant, struct proc_map *m, struct proc_file *f)
{
	char path[PATH_MAX];
	struct elf_syms *es;
	uint64_t vaddr;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, variant);
	es = elf_syms__open_path(path);
	assert_non_null(es);
	assert_int_equal(elf_syms__offset_to_vaddr(es, 0x1000, &vaddr), 0);
	assert_true(vaddr == 0x1000);
	elf_syms__free(es);
	*m = (struct proc_map){ .start = BIAS + 0x1000,
				.end = BIAS + 0x12000,
				.pgoff = 0x1000,
				.prot_exec = true,
				.prot_read = true,
				.path = path };
	*f = (struct proc_file){ .fd = open(path, O_RDONLY | O_CLOEXEC) };
	assert_true(f->fd >= 0);
}

static const char *resolve(struct symbolizer *s, const struct proc_map *m,
			   const struct proc_file *f, uint64_t vaddr)
{
	struct sym_user res;

	if (symbolizer__user(s, m, f, BIAS + vaddr + 2, &res))
		return NULL;
	return res.name;
}

static void stripped_without_debug_file(void **state)
{
	uint64_t helper = nm_addr("elf_fixture_pie", "flamed_fixture_static_helper");
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	struct proc_map m;
	struct proc_file f;
	struct symbolizer *s;
	struct sym_user res;
	const char *name;

	(void)state;
	setenv("FLAMED_DEBUG_DIR", "/nonexistent", 1);
	s = symbolizer__new(NULL);
	assert_non_null(s);
	map_fixture("elf_fixture_stripped", &m, &f);
	assert_string_equal(resolve(s, &m, &f, leaf), "flamed_fixture_leaf"); /* .dynsym */
	name = resolve(s, &m, &f, helper);
	assert_true(!name || strcmp(name, "flamed_fixture_static_helper") != 0);
	assert_int_equal(symbolizer__stats(s).debug_files, 0);
	/* a static function has no symbol left, but its .eh_frame FDE gives its start */
	assert_int_equal(symbolizer__user(s, &m, &f, BIAS + helper + 2, &res), -ENOENT);
	assert_null(res.name);
	assert_true(res.func_start == helper);
	assert_int_equal(res.offset, 2);
	assert_non_null(res.build_id);
	assert_int_equal(symbolizer__stats(s).user_synthetic, 2); /* resolve() above, and this */
	assert_int_equal(symbolizer__stats(s).funcs_parsed, 1);
	/* an exported one keeps its .dynsym name and no function start */
	assert_int_equal(symbolizer__user(s, &m, &f, BIAS + leaf + 2, &res), 0);
	assert_int_equal(res.func_start, 0);
	symbolizer__free(s);
	proc_file__drop_elf(&f);
	close(f.fd);
}

static void stripped_with_debug_file(void **state)
{
	uint64_t helper = nm_addr("elf_fixture_pie", "flamed_fixture_static_helper");
	char dir[] = "/tmp/flamed-dbg.XXXXXX", sub[PATH_MAX], link[PATH_MAX + 64], target[PATH_MAX];
	const char *bid;
	struct proc_map m;
	struct proc_file f;
	struct symbolizer *s;
	struct elf_syms *es;
	uint64_t bias;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/elf_fixture_pie", DATA_DIR);
	es = elf_syms__open_path(target); /* the unstripped build: same build-id, full .symtab */
	assert_non_null(es);
	bid = elf_syms__build_id(es);
	assert_non_null(bid);
	snprintf(sub, sizeof(sub), "%s/.build-id", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/.build-id/%.2s", dir, bid);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(link, sizeof(link), "%s/%s.debug", sub, bid + 2);
	assert_int_equal(symlink(target, link), 0);
	elf_syms__free(es);

	setenv("FLAMED_DEBUG_DIR", dir, 1);
	s = symbolizer__new(NULL);
	assert_non_null(s);
	map_fixture("elf_fixture_stripped", &m, &f);
	assert_string_equal(resolve(s, &m, &f, helper), "flamed_fixture_static_helper");
	assert_int_equal(symbolizer__stats(s).debug_files, 1);
	assert_int_equal(
		elf_file__load_bias(proc_file__elf(&f), m.start, m.end, m.pgoff, true, &bias), 0);
	assert_true(bias == BIAS);
	symbolizer__free(s);
	proc_file__drop_elf(&f);
	close(f.fd);

	unlink(link);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/.build-id", dir);
	rmdir(sub);
	rmdir(dir);
}

static void no_file_no_symbol(void **state)
{
	struct proc_map m = { .start = BIAS, .end = BIAS + 0x1000, .path = "" };
	struct proc_file f = { .fd = -1 };
	struct symbolizer *s = symbolizer__new(NULL);
	struct sym_user res;

	(void)state;
	assert_non_null(s);
	assert_int_equal(symbolizer__user(s, &m, &f, BIAS + 10, &res), -ENOENT);
	assert_int_equal(symbolizer__user(s, &m, NULL, BIAS + 10, &res), -ENOENT);
	assert_null(res.name);
	assert_int_equal(symbolizer__stats(s).user_misses, 2);
	symbolizer__free(s);
	symbolizer__free(NULL);
}

/* A symbolizer (no debug dir) and the two fixtures it names: the PIE and its stripped copy. */
static struct symbolizer *two_files(struct proc_map *m1, struct proc_file *f1, struct proc_map *m2,
				    struct proc_file *f2)
{
	struct symbolizer *s;

	setenv("FLAMED_DEBUG_DIR", "/nonexistent", 1);
	map_fixture("elf_fixture_pie", m1, f1);
	map_fixture("elf_fixture_stripped", m2, f2);
	s = symbolizer__new(NULL);
	assert_non_null(s);
	return s;
}

static void two_files_free(struct symbolizer *s, struct proc_file *f1, struct proc_file *f2)
{
	symbolizer__free(s);
	proc_file__drop_elf(f1);
	proc_file__drop_elf(f2);
	close(f1->fd);
	close(f2->fd);
}

/* A budget smaller than two files' tables: the least recently used is evicted, counted, and
 * parsed again (with the same names) when it is needed again (no name cache here: every lookup
 * goes to the tables). */
static void cache_budget_evicts(void **state)
{
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	struct proc_map m1, m2;
	struct proc_file f1, f2;
	struct symbolizer *s;
	struct symbolizer_stats st;

	(void)state;
	setenv("FLAMED_DEBUG_DIR", "/nonexistent", 1);
	s = symbolizer__new(NULL);
	assert_non_null(s);
	symbolizer__set_names_budget(s, 0);
	map_fixture("elf_fixture_pie", &m1, &f1);
	map_fixture("elf_fixture_stripped", &m2, &f2);
	assert_string_equal(resolve(s, &m1, &f1, leaf), "flamed_fixture_leaf");
	st = symbolizer__stats(s);
	assert_true(st.cache_bytes > 0);
	/* room for about one file: the second parse evicts the first */
	symbolizer__set_cache_budget(s, st.cache_bytes + 1);
	assert_string_equal(resolve(s, &m2, &f2, leaf), "flamed_fixture_leaf");
	st = symbolizer__stats(s);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.cache_misses, 2);
	assert_string_equal(resolve(s, &m1, &f1, leaf), "flamed_fixture_leaf"); /* parsed again */
	st = symbolizer__stats(s);
	assert_int_equal(st.cache_misses, 3);
	/* within a build the file it used may stay over the budget (up to the slack): the end of
	 * the build evicts it */
	symbolizer__release_pages(s);
	st = symbolizer__stats(s);
	assert_int_equal(st.evicted, 2);
	assert_string_equal(resolve(s, &m1, &f1, leaf + 1), "flamed_fixture_leaf"); /* a hit */
	assert_int_equal(symbolizer__stats(s).cache_hits, 1);
	assert_true(symbolizer__stats(s).cache_bytes <= st.cache_peak);
	symbolizer__set_cache_budget(s, 0); /* evicts everything */
	assert_int_equal(symbolizer__stats(s).cache_bytes, 0);
	two_files_free(s, &f1, &f2);
}

/* Within a build, the files it uses stay up to half the budget over it (LRU-strict eviction
 * re-parsed them stack after stack); the end of the build evicts down to the budget. */
static void build_keeps_working_set(void **state)
{
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	struct proc_map m1, m2;
	struct proc_file f1, f2;
	struct symbolizer *s;
	size_t both;

	(void)state;
	s = two_files(&m1, &f1, &m2, &f2);
	resolve(s, &m1, &f1, leaf);
	resolve(s, &m2, &f2, leaf);
	both = symbolizer__stats(s).cache_bytes;
	symbolizer__free(s);

	s = symbolizer__new(NULL); /* the same two files with room for all but a byte */
	assert_non_null(s);
	symbolizer__set_names_budget(s, 0);
	symbolizer__set_cache_budget(s, both - 1);
	assert_string_equal(resolve(s, &m1, &f1, leaf), "flamed_fixture_leaf");
	assert_string_equal(resolve(s, &m2, &f2, leaf), "flamed_fixture_leaf");
	assert_string_equal(resolve(s, &m1, &f1, leaf + 1), "flamed_fixture_leaf");
	assert_int_equal(symbolizer__stats(s).evicted, 0);
	assert_int_equal(symbolizer__stats(s).cache_misses, 2);
	symbolizer__release_pages(s); /* the build ends */
	assert_int_equal(symbolizer__stats(s).evicted, 1);
	assert_true(symbolizer__stats(s).cache_bytes <= both - 1);
	two_files_free(s, &f1, &f2);
}

/* Two builds over the same addresses of two files: the second reads nothing (every answer from
 * the name cache), also when the tables were evicted in between; the answers are the same. */
static void second_build_parses_nothing(void **state)
{
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	uint64_t helper = nm_addr("elf_fixture_pie", "flamed_fixture_static_helper");
	struct symbolizer_stats st, st2;
	struct proc_map m1, m2;
	struct proc_file f1, f2;
	struct symbolizer *s;

	(void)state;
	s = two_files(&m1, &f1, &m2, &f2);
	for (int build = 0; build < 3; build++) {
		for (uint64_t a = 0; a < 3; a++) { /* the helper is 5 bytes, resolve adds 2 */
			assert_string_equal(resolve(s, &m1, &f1, leaf + a), "flamed_fixture_leaf");
			assert_string_equal(resolve(s, &m1, &f1, helper + a),
					    "flamed_fixture_static_helper");
			assert_string_equal(resolve(s, &m2, &f2, leaf + a), "flamed_fixture_leaf");
			assert_null(resolve(s, &m2, &f2, helper + a)); /* by function start only */
		}
		symbolizer__release_pages(s); /* the build ends */
		st2 = symbolizer__stats(s);
		if (build == 0) {
			st = st2;
			assert_int_equal(st.elf_parsed, 2);
			assert_int_equal(st.funcs_parsed, 1); /* the stripped file's .eh_frame */
			assert_int_equal(st.frame_hits, 0);
			symbolizer__set_cache_budget(s, 0); /* every table evicted */
			symbolizer__set_cache_budget(s, SYMBOLIZER_CACHE_BYTES);
			continue;
		}
		assert_int_equal(st2.elf_parsed, st.elf_parsed);
		assert_int_equal(st2.funcs_parsed, st.funcs_parsed);
		assert_int_equal(st2.dwarf_reads, st.dwarf_reads);
		assert_int_equal(st2.cache_misses, st.cache_misses);
		assert_int_equal(st2.frame_hits, (uint64_t)build * 12);
		assert_int_equal(st2.parses_max, 1);
		assert_int_equal(st2.files_reparsed, 0);
	}
	assert_int_equal(symbolizer__stats(s).user_synthetic, 3 * 3);
	two_files_free(s, &f1, &f2);
}

/* The name cache's budget: the oldest answers go; asked again, they come from the tables kept
 * (nothing read again). */
static void names_budget_evicts(void **state)
{
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	struct symbolizer_stats st;
	struct proc_map m;
	struct proc_file f;
	struct symbolizer *s;

	(void)state;
	setenv("FLAMED_DEBUG_DIR", "/nonexistent", 1);
	map_fixture("elf_fixture_pie", &m, &f);
	s = symbolizer__new(NULL);
	assert_non_null(s);
	assert_string_equal(resolve(s, &m, &f, leaf), "flamed_fixture_leaf");
	st = symbolizer__stats(s);
	assert_int_equal(st.names_entries, 1);
	/* room for about one answer */
	symbolizer__set_names_budget(s, st.names_bytes + 16);
	assert_string_equal(resolve(s, &m, &f, leaf + 1), "flamed_fixture_leaf");
	st = symbolizer__stats(s);
	assert_int_equal(st.names_entries, 1);
	assert_int_equal(st.names_evicted, 1);
	assert_true(st.names_bytes <= st.names_peak);
	assert_string_equal(resolve(s, &m, &f, leaf), "flamed_fixture_leaf"); /* evicted: asked */
	st = symbolizer__stats(s);
	assert_int_equal(st.frame_hits, 0);
	assert_int_equal(st.names_evicted, 2);
	assert_int_equal(st.elf_parsed, 1); /* from the tables kept */
	assert_int_equal(st.cache_hits, 2);
	symbolizer__free(s);
	proc_file__drop_elf(&f);
	close(f.fd);
}

/* A file rewritten in place (same inode, new size and times): the next build reads it again and
 * answers its new names, never the old ones from the name cache. */
static void replaced_in_place(void **state)
{
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	char dir[] = "/tmp/flamed-symcache.XXXXXX", path[PATH_MAX], src[PATH_MAX];
	struct symbolizer_stats st;
	struct proc_map m;
	struct proc_file f;
	struct symbolizer *s;
	struct stat st1, st2;

	(void)state;
	setenv("FLAMED_DEBUG_DIR", "/nonexistent", 1);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bin", dir);
	snprintf(src, sizeof(src), "%s/elf_fixture_pie", DATA_DIR);
	test_copy_file(src, path, NULL);
	map_fixture("elf_fixture_pie", &m, &f);
	close(f.fd);
	f.fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(f.fd >= 0);
	assert_int_equal(fstat(f.fd, &st1), 0);
	s = symbolizer__new(NULL);
	assert_non_null(s);
	assert_string_equal(resolve(s, &m, &f, leaf), "flamed_fixture_leaf");
	symbolizer__release_pages(s);
	assert_string_equal(resolve(s, &m, &f, leaf), "flamed_fixture_leaf"); /* unchanged */
	assert_int_equal(symbolizer__stats(s).frame_hits, 1);
	symbolizer__release_pages(s);

	/* cp writes over the same inode: a new file for the symbolizer from the next build on */
	usleep(10000); /* a later mtime even on coarse clocks */
	snprintf(src, sizeof(src), "%s/elf_fixture_renamed", DATA_DIR);
	test_copy_file(src, path, NULL);
	assert_int_equal(fstat(f.fd, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino);
	assert_string_equal(resolve(s, &m, &f, leaf), "flamed_fixture_renamed_leaf");
	assert_string_equal(resolve(s, &m, &f, leaf + 1), "flamed_fixture_renamed_leaf");
	st = symbolizer__stats(s);
	assert_int_equal(st.files_replaced, 1);
	assert_int_equal(st.elf_parsed, 2);
	assert_int_equal(st.frame_hits, 1); /* only the unchanged round */
	assert_int_equal(st.files, 2);
	symbolizer__free(s);
	proc_file__drop_elf(&f);
	close(f.fd);
	unlink(path);
	rmdir(dir);
}

/* A long-lived symbolizer drops what no build used in SYMBOLIZER_IDLE_BUILDS builds (the tables
 * of a file, the answers of an address); what builds keep using stays. */
static void idle_files_expire(void **state)
{
	uint64_t leaf = nm_addr("elf_fixture_pie", "flamed_fixture_leaf");
	struct symbolizer_stats st;
	struct proc_map m1, m2;
	struct proc_file f1, f2;
	struct symbolizer *s;

	(void)state;
	s = two_files(&m1, &f1, &m2, &f2);
	symbolizer__set_long_lived(s, true);
	assert_string_equal(resolve(s, &m2, &f2, leaf), "flamed_fixture_leaf");
	for (int b = 0; b <= SYMBOLIZER_IDLE_BUILDS + 1; b++) {
		assert_string_equal(resolve(s, &m1, &f1, leaf), "flamed_fixture_leaf");
		symbolizer__release_pages(s);
	}
	st = symbolizer__stats(s);
	assert_int_equal(st.expired, 1); /* the stripped file's tables */
	assert_int_equal(st.names_expired, 1);
	assert_int_equal(st.names_entries, 1);
	assert_int_equal(st.elf_parsed, 2);
	/* asked again: read again, once */
	assert_string_equal(resolve(s, &m2, &f2, leaf), "flamed_fixture_leaf");
	assert_int_equal(symbolizer__stats(s).elf_parsed, 3);
	assert_int_equal(symbolizer__stats(s).parses_max, 2);
	two_files_free(s, &f1, &f2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stripped_without_debug_file),
		cmocka_unit_test(stripped_with_debug_file),
		cmocka_unit_test(no_file_no_symbol),
		cmocka_unit_test(cache_budget_evicts),
		cmocka_unit_test(build_keeps_working_set),
		cmocka_unit_test(second_build_parses_nothing),
		cmocka_unit_test(names_budget_evicts),
		cmocka_unit_test(replaced_in_place),
		cmocka_unit_test(idle_files_expire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
