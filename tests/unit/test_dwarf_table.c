// SPDX-License-Identifier: MIT
/* The compact DWARF tables: built by hand (units, breakpoints, nested functions, the frame cap),
 * and read from real binaries (the DWARF fixture, cpp_lines, this test program itself, and libc's
 * debug file when it is installed) against libdw asked directly at the same addresses: the unit
 * libdwfl picks, dwarf_getsrc_die's row, and the inline chain of dwarf_getscopes with each
 * caller at its callee's call site. Every unit read at once, and unit by unit on demand. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
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

#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_names.h"
#include "symbolize/dwarf_table.h"

#define DATA_DIR     FLAMED_TEST_DATA_DIR
#define MAX_FRAMES   32
#define ORACLE_ADDRS 40000 /* addresses checked per file, spread over its code */

/* --- by hand --- */

static void units_and_lines(void **state)
{
	struct dwarf_table_range runs[] = { { 0x2000, 0x3000, 10 }, { 0x1000, 0x2000, 20 } };
	struct dwarf_table_range own[] = { { 0x5000, 0x6000, 30 }, { 0x5100, 0x5200, 40 } };
	struct dwarf_table *t = dwarf_table__new();
	struct dwarf_frame fr[4];
	uint32_t a, b;
	uint64_t u;

	(void)state;
	assert_non_null(t);
	assert_int_equal(dwarf_table__set_units(t, 0x100, runs, 2, own, 2), 0);
	assert_int_equal(dwarf_table__nr_units(t), 4);
	/* file addresses are DWARF addresses + bias */
	assert_int_equal(dwarf_table__unit_of(t, 0x1100, &u), 0);
	assert_int_equal(u, 20);
	assert_int_equal(dwarf_table__unit_of(t, 0x2100, &u), 0);
	assert_int_equal(u, 10);
	assert_int_equal(dwarf_table__unit_of(t, 0x5250, &u), 0); /* nested: the inner first */
	assert_int_equal(u, 40);
	assert_int_equal(dwarf_table__unit_of(t, 0x5300, &u), 0); /* looks back past it */
	assert_int_equal(u, 30);
	assert_int_equal(dwarf_table__unit_of(t, 0x3100, &u), -ENOENT);
	assert_int_equal(dwarf_table__unit_of(t, 0x100, &u), -ENOENT);

	assert_int_equal(dwarf_table__begin_unit(t, 20), 0);
	assert_int_equal(dwarf_table__begin_unit(t, 10), -EBUSY);
	a = dwarf_table__string(t, "a.c");
	b = dwarf_table__string(t, "b.c");
	assert_int_equal(dwarf_table__string(t, "a.c"), a); /* one copy per content */
	assert_int_equal(dwarf_table__string(t, NULL), 0);
	assert_true(a && b && a != b);
	assert_int_equal(dwarf_table__add_line(t, 0x1000, a, 5), 0);
	assert_int_equal(dwarf_table__add_line(t, 0x1004, a, 5), 0); /* the same: merged */
	assert_int_equal(dwarf_table__add_line(t, 0x1010, b, 7), 0);
	assert_int_equal(dwarf_table__add_line(t, 0x1010, b, 8), 0); /* replaces at the address */
	assert_int_equal(dwarf_table__add_line(t, 0x1020, 0, 0), 0); /* no row from here */
	assert_int_equal(dwarf_table__add_line(t, 0x1008, a, 1), -EINVAL);
	assert_int_equal(dwarf_table__end_unit(t), 0);
	assert_true(dwarf_table__has_unit(t, 20));
	assert_false(dwarf_table__has_unit(t, 10));
	assert_int_equal(dwarf_table__begin_unit(t, 20), -EEXIST);
	assert_int_equal(dwarf_table__nr_extracted(t), 1);

	/* lines alone (no function DIE): one frame with the line */
	assert_int_equal(dwarf_table__lookup(t, 0x1100 + 0x8, fr, 4), 1);
	assert_null(fr[0].name);
	assert_string_equal(fr[0].file, "a.c");
	assert_int_equal(fr[0].line, 5);
	assert_int_equal(dwarf_table__lookup(t, 0x1100 + 0x1f, fr, 4), 1);
	assert_int_equal(fr[0].line, 8);
	assert_int_equal(dwarf_table__lookup(t, 0x1100 + 0x20, fr, 4), 0);
	assert_int_equal(dwarf_table__lookup(t, 0x2100, fr, 4), 0); /* its unit is not in */
	assert_true(dwarf_table__mem_bytes(t) > 0);
	dwarf_table__free(t);
	dwarf_table__free(NULL);
}

/* outer() holds two nested inlined callees; ranges are the DWARF's, frames innermost first,
 * each caller at the call site of the callee below; the cap drops the innermost. */
static void inline_chain(void **state)
{
	struct dwarf_table_range run = { 0x1000, 0x2000, 1 };
	struct dwarf_table *t = dwarf_table__new();
	struct dwarf_frame fr[MAX_FRAMES];
	uint32_t f, outer, mid, leaf;
	int32_t o, m, l, sib;

	(void)state;
	assert_int_equal(dwarf_table__set_units(t, 0, &run, 1, NULL, 0), 0);
	assert_int_equal(dwarf_table__begin_unit(t, 1), 0);
	f = dwarf_table__string(t, "x.c");
	outer = dwarf_table__string(t, "outer");
	mid = dwarf_table__string(t, "mid");
	leaf = dwarf_table__string(t, "leaf");
	assert_int_equal(dwarf_table__add_line(t, 0x1000, f, 10), 0);
	assert_int_equal(dwarf_table__add_line(t, 0x1040, f, 40), 0);
	o = dwarf_table__add_fn(
		t, &(struct dwarf_table_fn){
			   .name = outer, .decl_file = f, .decl_line = 3, .parent = -1 });
	assert_int_equal(o, 0);
	assert_int_equal(dwarf_table__add_fn_range(t, 0x1000, 0x1100), 0);
	m = dwarf_table__add_fn(t, &(struct dwarf_table_fn){ .name = mid,
							     .call_file = f,
							     .call_line = 12,
							     .parent = o,
							     .depth = 1,
							     .inlined = true });
	assert_int_equal(dwarf_table__add_fn_range(t, 0x1020, 0x1080), 0);
	l = dwarf_table__add_fn(t, &(struct dwarf_table_fn){ .name = leaf,
							     .call_file = f,
							     .call_line = 22,
							     .parent = m,
							     .depth = 2,
							     .inlined = true });
	assert_int_equal(dwarf_table__add_fn_range(t, 0x1030, 0x1050), 0);
	/* a sibling with two ranges, the second after the first callee's end */
	sib = dwarf_table__add_fn(t, &(struct dwarf_table_fn){ .name = leaf,
							       .call_file = f,
							       .call_line = 33,
							       .parent = o,
							       .depth = 1,
							       .inlined = true });
	assert_int_equal(dwarf_table__add_fn_range(t, 0x1010, 0x1018), 0);
	assert_int_equal(dwarf_table__add_fn_range(t, 0x1090, 0x10a0), 0);
	assert_int_equal(dwarf_table__add_fn_range(t, 0x10a0, 0x1090), -EINVAL);
	assert_int_equal(dwarf_table__add_fn(t, &(struct dwarf_table_fn){ .parent = 9 }), -EINVAL);
	assert_true(l > m && sib > l);
	assert_int_equal(dwarf_table__end_unit(t), 0);

	assert_int_equal(dwarf_table__lookup(t, 0x1044, fr, MAX_FRAMES), 3);
	assert_string_equal(fr[0].name, "leaf");
	assert_true(fr[0].inlined);
	assert_int_equal(fr[0].line, 40);	     /* the address's own row */
	assert_string_equal(fr[0].decl_file, "x.c"); /* none: the code's file */
	assert_string_equal(fr[1].name, "mid");
	assert_int_equal(fr[1].line, 22); /* where leaf was inlined */
	assert_string_equal(fr[2].name, "outer");
	assert_false(fr[2].inlined);
	assert_int_equal(fr[2].line, 12);
	assert_int_equal(fr[2].decl_line, 3);
	/* past leaf, inside mid */
	assert_int_equal(dwarf_table__lookup(t, 0x1060, fr, MAX_FRAMES), 2);
	assert_string_equal(fr[0].name, "mid");
	/* the sibling's second range, after mid's: found through outer's chain */
	assert_int_equal(dwarf_table__lookup(t, 0x1095, fr, MAX_FRAMES), 2);
	assert_string_equal(fr[0].name, "leaf");
	assert_int_equal(fr[1].line, 33);
	assert_int_equal(dwarf_table__lookup(t, 0x1018, fr, MAX_FRAMES), 1); /* a gap of it */
	assert_string_equal(fr[0].name, "outer");
	/* cut at 2: the innermost callee goes, the physical function stays last */
	assert_int_equal(dwarf_table__lookup(t, 0x1044, fr, 2), 2);
	assert_string_equal(fr[0].name, "mid");
	assert_string_equal(fr[1].name, "outer");
	assert_int_equal(dwarf_table__lookup(t, 0x1200, fr, MAX_FRAMES), 1); /* the last line */
	assert_null(fr[0].name);
	assert_int_equal(dwarf_table__lookup(t, 0x2000, fr, MAX_FRAMES), 0); /* no unit */
	dwarf_table__free(t);
}

/* --- against libdw --- */

/* What the table answers, asked of libdw itself (dwarf_lines.c's walk of the DIE tree is not
 * used: dwarf_getscopes finds the scopes holding the address on its own). Names as
 * dwarf_names.h builds them (tested on their own by test_dwarf_names). */
static struct dwarf_names *names;

static const char *die_name(Dwarf_Die *die)
{
	const char *name = dwarf_names__linkage(die);
	Dwarf_Die decl;

	if (name)
		return name;
	dwarf_names__decl(die, &decl);
	name = dwarf_names__qualified(names, &decl);
	return name ? name : dwarf_names__plain(die);
}

static size_t oracle(Dwfl_Module *mod, uint64_t pc, struct dwarf_frame *fr, size_t max)
{
	const char *file = NULL;
	uint32_t line = 0;
	Dwarf_Die *cu, *scopes = NULL;
	Dwarf_Addr bias;
	Dwarf_Line *row;
	size_t n = 0;
	int nsc;

	cu = dwfl_module_addrdie(mod, pc, &bias);
	if (!cu)
		return SIZE_MAX; /* no unit: not compared */
	row = dwarf_getsrc_die(cu, pc - bias);
	if (row) {
		int l = 0;

		file = dwarf_linesrc(row, NULL, NULL);
		if (dwarf_lineno(row, &l) == 0 && l > 0)
			line = (uint32_t)l;
	}
	/* the scopes holding pc, innermost first; past an inlined instance, dwarf_getscopes goes on
	 * with its abstract definition's scopes, so the concrete callers come from
	 * dwarf_getscopes_die on the instance (as eu-addr2line -i does) */
	nsc = dwarf_getscopes(cu, pc - bias, &scopes);
	for (int i = 0; i < nsc; i++) {
		int tag = dwarf_tag(&scopes[i]), decl = 0;
		Dwarf_Attribute attr;
		Dwarf_Die *outer;
		Dwarf_Word w = 0;

		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		if (n == max)
			memmove(fr, fr + 1, --n * sizeof(*fr));
		fr[n] = (struct dwarf_frame){ .name = die_name(&scopes[i]),
					      .file = file,
					      .line = line,
					      .decl_file = dwarf_decl_file(&scopes[i]),
					      .inlined = tag == DW_TAG_inlined_subroutine };
		if (dwarf_decl_line(&scopes[i], &decl) == 0 && decl > 0)
			fr[n].decl_line = (uint32_t)decl;
		if (!fr[n].decl_file)
			fr[n].decl_file = file;
		if (!fr[n++].inlined)
			break;
		/* the caller's position: this callee's call site, in its unit's file table */
		file = NULL;
		line = 0;
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &w) == 0)
			line = (uint32_t)w;
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &w) == 0) {
			Dwarf_Files *files;
			size_t nf;

			if (dwarf_getsrcfiles(cu, &files, &nf) == 0 && w < nf)
				file = dwarf_filesrc(files, w, NULL, NULL);
		}
		/* scopes holding the instance: [0] is itself, its concrete callers after it */
		nsc = dwarf_getscopes_die(&scopes[i], &outer);
		free(scopes);
		scopes = outer;
		i = 0;
	}
	free(scopes);
	if (!n && (file || line)) {
		fr[0] = (struct dwarf_frame){ .file = file, .line = line };
		n = 1;
	}
	if (n && fr[n - 1].inlined)
		fr[n - 1].inlined = false;
	return n;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void expect_same(uint64_t pc, const struct dwarf_frame *want, size_t nw,
			const struct dwarf_frame *got, size_t ng)
{
	bool ok = nw == ng;

	for (size_t i = 0; ok && i < nw; i++)
		ok = same_str(want[i].name, got[i].name) && same_str(want[i].file, got[i].file) &&
		     want[i].line == got[i].line && same_str(want[i].decl_file, got[i].decl_file) &&
		     want[i].decl_line == got[i].decl_line && want[i].inlined == got[i].inlined;
	if (ok)
		return;
	print_error("0x%llx: libdw %zu frames, table %zu\n", (unsigned long long)pc, nw, ng);
	for (size_t i = 0; i < nw || i < ng; i++)
		print_error("  [%zu] %s %s:%u | %s %s:%u\n", i, i < nw ? want[i].name : "-",
			    i < nw ? want[i].file : "-", i < nw ? want[i].line : 0,
			    i < ng ? got[i].name : "-", i < ng ? got[i].file : "-",
			    i < ng ? got[i].line : 0);
	fail();
}

/* The code ranges of the file's units (from libdw's .debug_aranges), as a list of addresses to
 * check: at most ORACLE_ADDRS, evenly spread, plus each range's first and last byte. */
static uint64_t *addresses(Dwarf *dw, size_t *ret_n)
{
	Dwarf_Aranges *ar;
	uint64_t total = 0, step, *out;
	size_t n = 0, nar = 0, cap;

	assert_int_equal(dwarf_getaranges(dw, &ar, &nar), 0);
	assert_true(nar > 0);
	for (size_t i = 0; i < nar; i++) {
		Dwarf_Addr a;
		Dwarf_Word len;
		Dwarf_Off off;

		assert_int_equal(dwarf_getarangeinfo(dwarf_onearange(ar, i), &a, &len, &off), 0);
		total += len;
	}
	step = total / ORACLE_ADDRS + 1;
	cap = ORACLE_ADDRS + 3 * nar + 8;
	out = malloc(cap * sizeof(*out));
	assert_non_null(out);
	for (size_t i = 0; i < nar; i++) {
		Dwarf_Addr a;
		Dwarf_Word len;
		Dwarf_Off off;

		dwarf_getarangeinfo(dwarf_onearange(ar, i), &a, &len, &off);
		for (uint64_t p = a; p < a + len && n + 3 < cap; p += step)
			out[n++] = p;
		if (len && n + 2 < cap) {
			out[n++] = a + len - 1;
			out[n++] = a + len; /* just past it: a gap, or the next */
		}
	}
	*ret_n = n;
	return out;
}

enum mode { ALL, ON_DEMAND, CHUNKED };

/* Every checked address of the file at path: the table (all units at once, each on demand, or
 * all in chunks with libdw started over after each) answers as libdw does. Returns how many
 * addresses had frames. */
static size_t against_libdw(const char *path, enum mode mode)
{
	static const Dwfl_Callbacks cb = { .section_address = dwfl_offline_section_address };
	struct dwarf_frame want[MAX_FRAMES], got[MAX_FRAMES];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ofd;
	struct dwarf_table *t;
	struct dwarf_lines *dl;
	size_t n, named = 0;
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	uint64_t *pcs;
	Dwfl *dwfl;

	assert_true(fd >= 0);
	dl = dwarf_lines__open(fd, NULL);
	assert_int_not_equal(dwarf_lines__source(dl), DWARF_NONE);
	t = dwarf_lines__table(dl);
	assert_non_null(t);
	if (mode == ALL)
		assert_true(dwarf_lines__extract_all(dl, t, SIZE_MAX, 0) > 0);
	for (int rounds = 0; mode == CHUNKED; rounds++) {
		int ret = dwarf_lines__extract_all(dl, t, SIZE_MAX, 1); /* a unit at a time */

		assert_true(ret == -EAGAIN || ret >= 0);
		if (ret != -EAGAIN)
			break;
		assert_true(rounds < 100000);
		dwarf_lines__free(dl);
		dl = dwarf_lines__open(fd, NULL);
	}
	/* every unit with addresses is in; a unit without any (a file of data only, as in
	 * sanitizer builds) is extracted too but was never counted as known */
	if (mode == CHUNKED)
		assert_true(dwarf_table__nr_extracted(t) >= dwarf_table__nr_units(t));

	ofd = open(path, O_RDONLY | O_CLOEXEC);
	dwfl = dwfl_begin(&cb);
	assert_non_null(dwfl);
	mod = dwfl_report_elf(dwfl, "oracle", path, ofd, 0, false);
	assert_non_null(mod);
	dwfl_report_end(dwfl, NULL, NULL);
	pcs = addresses(dwfl_module_getdwarf(mod, &bias), &n);
	names = dwarf_names__new();
	for (size_t i = 0; i < n; i++) {
		size_t nw = oracle(mod, pcs[i], want, MAX_FRAMES), ng;
		uint64_t unit;

		if (nw == SIZE_MAX)
			continue;
		if (mode == ON_DEMAND && !dwarf_table__unit_of(t, pcs[i], &unit) &&
		    !dwarf_table__has_unit(t, unit))
			assert_int_equal(dwarf_lines__extract(dl, t, unit), 0);
		ng = dwarf_table__lookup(t, pcs[i], got, MAX_FRAMES);
		expect_same(pcs[i], want, nw, got, ng);
		named += ng > 0;
	}
	free(pcs);
	dwarf_names__free(names);
	dwfl_end(dwfl);
	dwarf_table__free(t);
	dwarf_lines__free(dl);
	close(fd);
	return named;
}

static void fixture_vs_libdw(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/dwarf_fixture", DATA_DIR);
	assert_true(against_libdw(path, ALL) > 0);
	assert_true(against_libdw(path, ON_DEMAND) > 0);
	assert_true(against_libdw(path, CHUNKED) > 0);
	/* a C++ program full of inlined templates, when the build has a C++ compiler */
	snprintf(path, sizeof(path), "%s/../workloads/cpp_lines", DATA_DIR);
	if (!access(path, R_OK)) {
		assert_true(against_libdw(path, ALL) > 0);
		assert_true(against_libdw(path, ON_DEMAND) > 0);
	}
}

/* This program (flamed's core, -g, optimised in most builds: inlined static functions). */
static void self_vs_libdw(void **state)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	(void)state;
	assert_true(n > 0);
	path[n] = '\0';
	assert_true(against_libdw(path, ALL) > 100);
	assert_true(against_libdw(path, CHUNKED) > 100);
}

/* libc's separate debug file (Debian's libc6-dbg), where installed: compressed sections, dwz
 * not used, thousands of units. Not every machine has it: skipped then. */
static void libc_debug_vs_libdw(void **state)
{
	FILE *p = popen("readelf -n /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | "
			"sed -n 's/.*Build ID: \\([0-9a-f]*\\).*/\\1/p'",
			"r");
	char id[128] = "", path[PATH_MAX];

	(void)state;
	if (!p || !fgets(id, sizeof(id), p)) {
		if (p)
			pclose(p);
		skip();
	}
	pclose(p);
	id[strcspn(id, "\n")] = '\0';
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	if (strlen(id) < 3 || access(path, R_OK))
		skip();
	assert_true(against_libdw(path, ALL) > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(units_and_lines),     cmocka_unit_test(inline_chain),
		cmocka_unit_test(fixture_vs_libdw),    cmocka_unit_test(self_vs_libdw),
		cmocka_unit_test(libc_debug_vs_libdw),
	};

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
