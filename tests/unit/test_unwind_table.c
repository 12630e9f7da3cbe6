// SPDX-License-Identifier: MIT
/* Unwind-table builder on ELF fixtures built by tests/unwind_fixtures/ (exact CFI at
 * known labels), plus an oracle comparison of every libc FDE against readelf's interpretation. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_files.h"

#include "unwind/unwind_table.h"

#ifdef FLAMED_UNWIND_FIXTURE_DIR
#define FIXTURE_DIR FLAMED_UNWIND_FIXTURE_DIR
#else
#define FIXTURE_DIR FLAMED_TEST_DATA_DIR "/../unwind_fixtures"
#endif

#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"

/* ---- fixture helpers ---- */

struct fixture {
	char path[512];
	struct unwind_table *t;
	void *image; /* the file's bytes */
	size_t size;
};

static void fixture_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", FIXTURE_DIR, name);
}

static void fixture_open(struct fixture *fx, const char *name)
{
	fixture_path(name, fx->path, sizeof(fx->path));
	if (access(fx->path, R_OK))
		fail_msg("fixture %s missing: build target flamed_unwind_fixtures "
			 "(tests/CMakeLists.txt needs add_subdirectory(unwind_fixtures))",
			 fx->path);
	fx->image = test_read_file(fx->path, &fx->size);
	fx->t = unwind_table__build_path(fx->path, NULL);
	if (!fx->t)
		fail_msg("building %s: %s", fx->path, strerror(errno));
}

static void fixture_close(struct fixture *fx)
{
	unwind_table__free(fx->t);
	free(fx->image);
}

/* Symbol value (and size) from .symtab, or the start of a section when name starts with '.'. */
static uint64_t sym_addr(const struct fixture *fx, const char *name, uint64_t *ret_size)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	uint64_t addr = 0;
	bool found = false;

	elf_version(EV_CURRENT);
	elf = elf_memory(fx->image, fx->size);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		assert_non_null(gelf_getshdr(scn, &sh));
		if (name[0] == '.') {
			const char *sn = elf_strptr(elf, shstrndx, sh.sh_name);

			if (sn && !strcmp(sn, name)) {
				addr = sh.sh_addr;
				if (ret_size)
					*ret_size = sh.sh_size;
				found = true;
			}
			continue;
		}
		if (sh.sh_type != SHT_SYMTAB || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *sn;

			if (!gelf_getsym(d, (int)i, &s))
				continue;
			sn = elf_strptr(elf, sh.sh_link, s.st_name);
			if (sn && !strcmp(sn, name) && s.st_shndx != SHN_UNDEF) {
				addr = s.st_value;
				if (ret_size)
					*ret_size = s.st_size;
				found = true;
				break;
			}
		}
	}
	elf_end(elf);
	if (!found)
		fail_msg("symbol %s not in %s", name, fx->path);
	return addr;
}

/* Check the row at label+delta. cfa_off/rbp_off are bytes; for UNSUPPORTED rows cfa_off is the
 * reason, for PLT rows rbp_off is the threshold. */
static void expect_row_at(const struct fixture *fx, const char *label, int64_t delta,
			  unsigned int cfa_kind, int64_t cfa_off, unsigned int rbp_kind,
			  int64_t rbp_off)
{
	uint64_t addr = sym_addr(fx, label, NULL) + delta;
	struct unwind_row r;
	int64_t got_cfa, got_rbp;

	if (unwind_table__lookup(fx->t, addr, &r))
		fail_msg("%s%+lld (0x%llx): no row", label, (long long)delta,
			 (unsigned long long)addr);
	got_cfa = unwind_row_cfa_kind(&r) == UNWIND_CFA_UNSUPPORTED ? r.cfa_off
								    : unwind_row_cfa_offset(&r);
	got_rbp = unwind_row_cfa_kind(&r) == UNWIND_CFA_PLT ? r.rbp_off : unwind_row_rbp_offset(&r);
	if (unwind_row_cfa_kind(&r) != cfa_kind || got_cfa != cfa_off ||
	    unwind_row_rbp_kind(&r) != rbp_kind || got_rbp != rbp_off)
		fail_msg("%s%+lld: got cfa %s %lld rbp %u %lld, want cfa %s %lld rbp %u %lld",
			 label, (long long)delta, unwind_cfa_kind_str(unwind_row_cfa_kind(&r)),
			 (long long)got_cfa, unwind_row_rbp_kind(&r), (long long)got_rbp,
			 unwind_cfa_kind_str(cfa_kind), (long long)cfa_off, rbp_kind,
			 (long long)rbp_off);
}

static void expect_row(const struct fixture *fx, const char *label, unsigned int cfa_kind,
		       int64_t cfa_off, unsigned int rbp_kind, int64_t rbp_off)
{
	expect_row_at(fx, label, 0, cfa_kind, cfa_off, rbp_kind, rbp_off);
}

static void expect_no_row(const struct fixture *fx, const char *label, int64_t delta)
{
	uint64_t addr = sym_addr(fx, label, NULL) + delta;

	if (unwind_table__lookup(fx->t, addr, NULL) != -ENOENT)
		fail_msg("%s%+lld: expected no row", label, (long long)delta);
}

/* Table invariants: strictly increasing pcs, no identical neighbours, a gap row last. */
static void check_well_formed(const struct unwind_table *t)
{
	const struct unwind_row *r = unwind_table__rows(t);
	size_t n = unwind_table__nr(t);

	if (!n)
		return;
	for (size_t i = 1; i < n; i++) {
		assert_true(r[i].pc > r[i - 1].pc);
		assert_false(r[i].cfa_off == r[i - 1].cfa_off && r[i].kinds == r[i - 1].kinds &&
			     r[i].rbp_off == r[i - 1].rbp_off);
	}
	assert_int_equal(unwind_row_cfa_kind(&r[n - 1]), UNWIND_CFA_NONE);
	assert_int_equal(unwind_table__stats(t)->rows, n);
}

/* ---- hand-written CFI (fx_asm.so) ---- */

static void frame_pointer_rows(void **state)
{
	struct fixture fx;

	(void)state;
	fixture_open(&fx, "fx_asm.so");
	expect_row(&fx, "fx_fp", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_fp_pushed", UNWIND_CFA_RSP, 16, UNWIND_RBP_AT_CFA, -16);
	expect_row(&fx, "fx_fp_framed", UNWIND_CFA_RBP, 16, UNWIND_RBP_AT_CFA, -16);
	expect_row(&fx, "fx_fp_left", UNWIND_CFA_RSP, 8, UNWIND_RBP_AT_CFA, -16);
	/* boundaries: the byte before a label still has the previous rule */
	expect_row_at(&fx, "fx_fp_pushed", -1, UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row_at(&fx, "fx_fp_framed", -1, UNWIND_CFA_RSP, 16, UNWIND_RBP_AT_CFA, -16);
	expect_row_at(&fx, "fx_fp_end", -1, UNWIND_CFA_RSP, 8, UNWIND_RBP_AT_CFA, -16);
	/* between FDEs and outside the table: no row */
	expect_no_row(&fx, "fx_fp_end", 0);
	expect_no_row(&fx, "fx_gap", 0);
	expect_no_row(&fx, "fx_gap_end", -1);
	expect_no_row(&fx, "fx_fp", -1);
	assert_int_equal(unwind_table__lookup(fx.t, 0, NULL), -ENOENT);
	assert_int_equal(unwind_table__lookup(fx.t, UINT64_MAX, NULL), -ENOENT);
	assert_true(unwind_table__find(fx.t, sym_addr(&fx, "fx_gap", NULL)) >= 0); /* a gap row */
	expect_row(&fx, "fx_gap_end", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	check_well_formed(fx.t);
	fixture_close(&fx);
}

static void rsp_rows_and_state_stack(void **state)
{
	struct fixture fx;

	(void)state;
	fixture_open(&fx, "fx_asm.so");
	expect_row(&fx, "fx_nofp", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_nofp_pushed", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_nofp_sub", UNWIND_CFA_RSP, 48, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_nofp_add", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_nofp_pop", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	/* remember_state / restore_state bring back CFA and rbp rules */
	expect_row(&fx, "fx_rem_popped", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_rem_restored", UNWIND_CFA_RSP, 16, UNWIND_RBP_AT_CFA, -16);
	expect_row_at(&fx, "fx_rem_popped", -1, UNWIND_CFA_RSP, 16, UNWIND_RBP_AT_CFA, -16);
	/* outermost frame */
	expect_row(&fx, "fx_start", UNWIND_CFA_END, 0, UNWIND_RBP_UNCHANGED, 0);
	assert_true(unwind_table__stats(fx.t)->end_rows >= 1);
	fixture_close(&fx);
}

static void identical_rows_merge(void **state)
{
	const struct unwind_table_stats *st;
	struct fixture fx;
	long a, b, c;

	(void)state;
	fixture_open(&fx, "fx_asm.so");
	/* the rbx and r12 rules start new raw rows that are identical for the walker */
	expect_row(&fx, "fx_merge_a", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_merge_b", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_merge_c", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	a = unwind_table__find(fx.t, sym_addr(&fx, "fx_merge_a", NULL));
	b = unwind_table__find(fx.t, sym_addr(&fx, "fx_merge_b", NULL));
	c = unwind_table__find(fx.t, sym_addr(&fx, "fx_merge_c", NULL));
	assert_true(a >= 0);
	assert_int_equal(a, b);
	assert_int_equal(a, c);
	assert_int_equal(unwind_table__rows(fx.t)[a].pc,
			 sym_addr(&fx, "fx_merge_a", NULL) - unwind_table__base(fx.t));
	st = unwind_table__stats(fx.t);
	assert_true(st->rows_raw > st->rows - st->gap_rows);
	assert_int_equal(unwind_table__mem_bytes(fx.t) >= st->rows * sizeof(struct unwind_row), 1);
	check_well_formed(fx.t);
	fixture_close(&fx);
}

static void offsets_and_expressions(void **state)
{
	const struct unwind_table_stats *st;
	struct fixture fx;

	(void)state;
	fixture_open(&fx, "fx_asm.so");
	expect_row(&fx, "fx_big_sub", UNWIND_CFA_RSP, 0x20008, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_huge_sub", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_OFFSET,
		   UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_odd_sub", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_OFFSET,
		   UNWIND_RBP_UNCHANGED, 0);
	/* DRAP: r10 window unsupported, then CFA = *(rbp-8) with rbp saved at rbp+0 */
	expect_row(&fx, "fx_drap", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_drap_r10", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_CFA_REG,
		   UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_drap_deref", UNWIND_CFA_DEREF_RBP, -8, UNWIND_RBP_AT_RBP, 0);
	expect_row(&fx, "fx_drap_end", UNWIND_CFA_RSP, 8, UNWIND_RBP_AT_RBP, 0);
	/* PLT expressions keep their threshold; other expressions are marked */
	expect_row(&fx, "fx_plt", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_plt_expr", UNWIND_CFA_PLT, 8, UNWIND_RBP_UNCHANGED, 11);
	expect_row(&fx, "fx_plt_ibt_expr", UNWIND_CFA_PLT, 8, UNWIND_RBP_UNCHANGED, 10);
	expect_row(&fx, "fx_expr_deref", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_CFA_EXPR,
		   UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_expr_simple", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	/* registers */
	expect_row(&fx, "fx_regs_cfa_r11", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_CFA_REG,
		   UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_regs_rbp_in_rax", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNSUPPORTED, 0);
	expect_row(&fx, "fx_regs_ra_moved", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_RA_RULE,
		   UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_regs_rbp_undef", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNDEFINED, 0);
	expect_row(&fx, "fx_sig", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_SIGNAL, UNWIND_RBP_UNCHANGED,
		   0);
	st = unwind_table__stats(fx.t);
	assert_true(st->unsupported[UNWIND_UNSUP_OFFSET] >= 2);
	assert_true(st->unsupported[UNWIND_UNSUP_CFA_REG] >= 2);
	assert_true(st->unsupported[UNWIND_UNSUP_SIGNAL] >= 1);
	assert_true(st->rbp_unsupported >= 1);
	assert_int_equal(st->plt_rows, 2);
	assert_string_equal(unwind_unsupported_str(UNWIND_UNSUP_SIGNAL), "signal-frame");
	fixture_close(&fx);
}

static void debug_frame(void **state)
{
	struct unwind_table_opts opts = { .skip_debug_frame = 1 };
	const struct unwind_table_stats *st;
	struct unwind_table *no_dbg;
	struct fixture fx;
	size_t len = 1;

	(void)state;
	fixture_open(&fx, "fx_dbg.so");
	expect_row(&fx, "fxd_only", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fxd_only_framed", UNWIND_CFA_RBP, 16, UNWIND_RBP_AT_CFA, -16);
	expect_row(&fx, "fxd_both_pushed", UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	/* an unknown opcode: the rows before stand, the rest of the FDE is marked */
	expect_row_at(&fx, "fx_badop", 1, UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&fx, "fx_badop_after", UNWIND_CFA_UNSUPPORTED, UNWIND_UNSUP_BAD_CFI,
		   UNWIND_RBP_UNCHANGED, 0);
	st = unwind_table__stats(fx.t);
	assert_int_equal(st->fdes_eh_frame, 1);
	assert_int_equal(st->fdes_debug_frame, 3);
	assert_int_equal(st->fdes_duplicate, 1);
	assert_int_equal(st->unsupported[UNWIND_UNSUP_BAD_CFI], 1);
	assert_null(unwind_table__build_id(fx.t, &len));
	assert_int_equal(len, 0);
	check_well_formed(fx.t);

	no_dbg = unwind_table__build_mem(fx.image, fx.size, &opts);
	assert_non_null(no_dbg);
	assert_int_equal(unwind_table__lookup(no_dbg, sym_addr(&fx, "fxd_only", NULL), NULL),
			 -ENOENT);
	assert_int_equal(unwind_table__lookup(no_dbg, sym_addr(&fx, "fxd_both", NULL), NULL), 0);
	unwind_table__free(no_dbg);
	fixture_close(&fx);
}

/* A compressed .debug_frame gives the same rows, from a file and from read-only memory (libelf
 * would write into the image while decompressing). */
static void compressed_debug_frame(void **state)
{
	struct fixture plain, z;
	struct unwind_table *t;
	void *ro;

	(void)state;
	fixture_open(&plain, "fx_dbg.so");
	fixture_open(&z, "fx_dbg_z.so");
	assert_int_equal(unwind_table__stats(z.t)->fdes_debug_frame, 3);
	assert_int_equal(unwind_table__nr(z.t), unwind_table__nr(plain.t));
	assert_memory_equal(unwind_table__rows(z.t), unwind_table__rows(plain.t),
			    unwind_table__nr(z.t) * sizeof(struct unwind_row));
	ro = mmap(NULL, z.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	memcpy(ro, z.image, z.size);
	assert_int_equal(mprotect(ro, z.size, PROT_READ), 0);
	t = unwind_table__build_mem(ro, z.size, NULL);
	assert_non_null(t);
	assert_int_equal(unwind_table__nr(t), unwind_table__nr(plain.t));
	assert_memory_equal(unwind_table__rows(t), unwind_table__rows(plain.t),
			    unwind_table__nr(t) * sizeof(struct unwind_row));
	unwind_table__free(t);
	munmap(ro, z.size);
	fixture_close(&plain);
	fixture_close(&z);
}

/* ---- compiled C (gcc/clang CFI) ---- */

static bool range_has(const struct unwind_table *t, uint64_t begin, uint64_t end,
		      unsigned int cfa_kind, int64_t cfa_off, unsigned int rbp_kind,
		      int64_t rbp_off)
{
	for (uint64_t a = begin; a < end; a++) {
		struct unwind_row r;

		if (unwind_table__lookup(t, a, &r))
			continue;
		if (unwind_row_cfa_kind(&r) == cfa_kind &&
		    (cfa_off < 0 || unwind_row_cfa_offset(&r) == cfa_off) &&
		    (rbp_kind > 15 ||
		     (unwind_row_rbp_kind(&r) == rbp_kind && unwind_row_rbp_offset(&r) == rbp_off)))
			return true;
	}
	return false;
}

static int64_t max_rsp_offset(const struct unwind_table *t, uint64_t begin, uint64_t end)
{
	int64_t max = 0;

	for (uint64_t a = begin; a < end; a++) {
		struct unwind_row r;

		if (!unwind_table__lookup(t, a, &r) && unwind_row_cfa_kind(&r) == UNWIND_CFA_RSP &&
		    unwind_row_cfa_offset(&r) > max)
			max = unwind_row_cfa_offset(&r);
	}
	return max;
}

static void compiled_programs(void **state)
{
	struct fixture fp, nofp, lib;
	uint64_t work, work_size, plt_size, twice, twice_size;
	size_t id_len = 0;

	(void)state;
	fixture_open(&fp, "fx_prog_fp");
	fixture_open(&nofp, "fx_prog_nofp");
	fixture_open(&lib, "libfx_lib.so");

	/* -fno-omit-frame-pointer: fx_work runs on CFA = rbp+16 with rbp saved at CFA-16 */
	work = sym_addr(&fp, "fx_work", &work_size);
	assert_true(work_size > 0);
	expect_row(&fp, "fx_work", UNWIND_CFA_RSP, 8, UNWIND_RBP_UNCHANGED, 0);
	assert_true(range_has(fp.t, work, work + work_size, UNWIND_CFA_RBP, 16, UNWIND_RBP_AT_CFA,
			      -16));
	/* -fomit-frame-pointer: only rsp-based rows, and the frame is bigger than the RA */
	work = sym_addr(&nofp, "fx_work", &work_size);
	assert_false(range_has(nofp.t, work, work + work_size, UNWIND_CFA_RBP, -1, 99, 0));
	assert_true(max_rsp_offset(nofp.t, work, work + work_size) >= 256 + 8); /* int buf[64] */
	/* non-PIE: rows are relative to the first PT_LOAD */
	assert_int_equal(unwind_table__base(nofp.t), 0x400000);
	assert_int_equal(unwind_table__base(fp.t), 0);

	/* crt1's _start marks the return address undefined */
	expect_row(&fp, "_start", UNWIND_CFA_END, 0, UNWIND_RBP_UNCHANGED, 0);
	expect_row(&nofp, "_start", UNWIND_CFA_END, 0, UNWIND_RBP_UNCHANGED, 0);

	/* lazy PLT: PLT0 pushes twice, entries use the rip&15 expression */
	(void)sym_addr(&nofp, ".plt", &plt_size);
	assert_true(plt_size >= 48);
	expect_row_at(&nofp, ".plt", 0, UNWIND_CFA_RSP, 16, UNWIND_RBP_UNCHANGED, 0);
	expect_row_at(&nofp, ".plt", 6, UNWIND_CFA_RSP, 24, UNWIND_RBP_UNCHANGED, 0);
	expect_row_at(&nofp, ".plt", 16, UNWIND_CFA_PLT, 8, UNWIND_RBP_UNCHANGED, 11);
	expect_row_at(&nofp, ".plt", (int64_t)plt_size - 1, UNWIND_CFA_PLT, 8, UNWIND_RBP_UNCHANGED,
		      11);
	expect_row_at(&fp, ".plt", 32 + 11, UNWIND_CFA_PLT, 8, UNWIND_RBP_UNCHANGED, 11);

	/* the shared library: frame-pointer rows in a non-leaf function, a build-id */
	twice = sym_addr(&lib, "fx_lib_twice", &twice_size);
	assert_true(range_has(lib.t, twice, twice + twice_size, UNWIND_CFA_RBP, 16,
			      UNWIND_RBP_AT_CFA, -16));
	assert_non_null(unwind_table__build_id(lib.t, &id_len));
	assert_int_equal(id_len, 20);
	check_well_formed(fp.t);
	check_well_formed(nofp.t);
	check_well_formed(lib.t);
	fixture_close(&fp);
	fixture_close(&nofp);
	fixture_close(&lib);
}

/* Without section headers the builder finds .eh_frame through PT_GNU_EH_FRAME. */
static void no_section_headers(void **state)
{
	struct fixture fx;
	Elf64_Ehdr *eh;
	struct unwind_table *t;
	uint8_t *copy;

	(void)state;
	fixture_open(&fx, "libfx_lib.so");
	copy = malloc(fx.size);
	assert_non_null(copy);
	memcpy(copy, fx.image, fx.size);
	eh = (Elf64_Ehdr *)copy;
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;
	t = unwind_table__build_mem(copy, fx.size, NULL);
	assert_non_null(t);
	assert_int_equal(unwind_table__nr(t), unwind_table__nr(fx.t));
	assert_memory_equal(unwind_table__rows(t), unwind_table__rows(fx.t),
			    unwind_table__nr(t) * sizeof(struct unwind_row));
	assert_non_null(unwind_table__build_id(t, NULL)); /* from PT_NOTE */
	unwind_table__free(t);
	free(copy);
	fixture_close(&fx);
}

/* ---- bad input ---- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_maybe(const void *buf, size_t len)
{
	struct unwind_table *t = unwind_table__build_mem(buf, len, NULL);

	if (!t) {
		assert_true(errno == ENOEXEC || errno == ENOTSUP || errno == ENOMEM);
		return;
	}
	check_well_formed(t);
	unwind_table__free(t);
}

static void bad_input(void **state)
{
	struct unwind_table_opts small = { .max_bytes = 64 };
	uint64_t eh_frame, eh_size, seed = 0x9e3779b97f4a7c15ULL;
	struct fixture fx;
	uint8_t garbage[4096], *copy;
	Elf64_Ehdr *eh;

	(void)state;
	errno = 0;
	assert_null(unwind_table__build_mem(NULL, 0, NULL));
	assert_int_equal(errno, ENOEXEC);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)rng_next(&seed);
	assert_null(unwind_table__build_mem(garbage, sizeof(garbage), NULL));
	assert_int_equal(errno, ENOEXEC);
	assert_null(unwind_table__build_path("/nonexistent/flamed", NULL));
	assert_int_equal(errno, ENOENT);

	fixture_open(&fx, "fx_asm.so");
	copy = malloc(fx.size);
	assert_non_null(copy);

	/* every truncation point (step 7): an error or a well-formed table */
	for (size_t len = 1; len < fx.size; len += 7)
		check_maybe(fx.image, len);

	/* another machine */
	memcpy(copy, fx.image, fx.size);
	eh = (Elf64_Ehdr *)copy;
	eh->e_machine = EM_AARCH64;
	errno = 0;
	assert_null(unwind_table__build_mem(copy, fx.size, NULL));
	assert_int_equal(errno, ENOTSUP);

	/* a budget smaller than the table */
	errno = 0;
	assert_null(unwind_table__build_mem(fx.image, fx.size, &small));
	assert_int_equal(errno, E2BIG);

	/* random corruption of .eh_frame bytes */
	eh_frame = sym_addr(&fx, ".eh_frame", &eh_size);
	assert_true(eh_size > 64 && eh_frame + eh_size <= fx.size); /* vaddr == offset here */
	for (int round = 0; round < 2000; round++) {
		memcpy(copy, fx.image, fx.size);
		for (int k = 0; k < 1 + round % 8; k++) {
			uint64_t at = eh_frame + rng_next(&seed) % eh_size;

			copy[at] = (uint8_t)rng_next(&seed);
		}
		check_maybe(copy, fx.size);
	}
	free(copy);
	fixture_close(&fx);
}

/* ---- oracle: readelf's interpretation of every libc FDE ---- */

struct oracle_row {
	uint64_t loc;
	char cfa[32], rbp[32], ra[32];
};

struct oracle {
	const struct unwind_table *t;
	/* current FDE */
	bool in_fde;
	uint64_t begin, end, cie;
	struct oracle_row *rows;
	size_t nr, cap;
	/* CIEs seen: offset, initial row, signal flag */
	struct {
		uint64_t off;
		struct oracle_row init;
		bool signal;
	} cies[64];
	size_t nr_cies;
	bool in_cie;
	/* column names of the current LOC header */
	char cols[40][16];
	int ncols;
	size_t fdes, checked, bad;
};

/* What readelf's columns say, against our row. */
static bool oracle_match(const struct oracle_row *o, bool signal, const struct unwind_row *r)
{
	unsigned int k = unwind_row_cfa_kind(r), rk = unwind_row_rbp_kind(r);
	char reg[16];
	long off;
	int n = 0;

	if (signal)
		return k == UNWIND_CFA_UNSUPPORTED && r->cfa_off == UNWIND_UNSUP_SIGNAL;
	if (!strcmp(o->ra, "u"))
		return k == UNWIND_CFA_END;
	if (strcmp(o->ra, "c-8"))
		return k == UNWIND_CFA_UNSUPPORTED && r->cfa_off == UNWIND_UNSUP_RA_RULE;
	if (!strcmp(o->cfa, "exp")) {
		if (k == UNWIND_CFA_PLT)
			return true;
		if (k == UNWIND_CFA_UNSUPPORTED)
			return r->cfa_off == UNWIND_UNSUP_CFA_EXPR;
		if (k != UNWIND_CFA_DEREF_RBP)
			return false;
	} else if (sscanf(o->cfa, "%15[a-z0-9]%ld%n", reg, &off, &n) == 2 && !o->cfa[n]) {
		bool rsp = !strcmp(reg, "rsp"), rbp = !strcmp(reg, "rbp");

		if (!rsp && !rbp)
			return k == UNWIND_CFA_UNSUPPORTED && r->cfa_off == UNWIND_UNSUP_CFA_REG;
		if (off % 8 || off / 8 > INT16_MAX || off / 8 < INT16_MIN)
			return k == UNWIND_CFA_UNSUPPORTED && r->cfa_off == UNWIND_UNSUP_OFFSET;
		if (k != (rsp ? UNWIND_CFA_RSP : UNWIND_CFA_RBP) || unwind_row_cfa_offset(r) != off)
			return false;
	} else {
		return false;
	}
	/* rbp: "u" is both "never mentioned" and DW_CFA_undefined for readelf */
	if (!o->rbp[0] || !strcmp(o->rbp, "u") || !strcmp(o->rbp, "s"))
		return rk == UNWIND_RBP_UNCHANGED || rk == UNWIND_RBP_UNDEFINED;
	if (o->rbp[0] == 'c' && sscanf(o->rbp + 1, "%ld%n", &off, &n) == 1 && !o->rbp[1 + n])
		return (rk == UNWIND_RBP_AT_CFA && unwind_row_rbp_offset(r) == off) ||
		       (rk == UNWIND_RBP_UNSUPPORTED &&
			(off % 8 || off / 8 > INT8_MAX || off / 8 < INT8_MIN));
	if (!strcmp(o->rbp, "exp"))
		return rk == UNWIND_RBP_AT_RBP || rk == UNWIND_RBP_UNSUPPORTED;
	return rk == UNWIND_RBP_UNSUPPORTED;
}

static void oracle_check_at(struct oracle *o, const struct oracle_row *row, bool signal,
			    uint64_t addr)
{
	struct unwind_row r;

	o->checked++;
	if (unwind_table__lookup(o->t, addr, &r) || !oracle_match(row, signal, &r)) {
		if (o->bad++ < 10)
			print_message("mismatch at 0x%llx: readelf cfa %s rbp '%s' ra %s, ours %s "
				      "%d rbp %u %d\n",
				      (unsigned long long)addr, row->cfa, row->rbp, row->ra,
				      unwind_cfa_kind_str(unwind_row_cfa_kind(&r)), r.cfa_off,
				      unwind_row_rbp_kind(&r), r.rbp_off);
	}
}

static void oracle_flush(struct oracle *o)
{
	struct oracle_row init = { .cfa = "rsp+8", .ra = "c-8" };
	bool signal = false;

	if (!o->in_fde)
		return;
	o->in_fde = false;
	o->fdes++;
	for (size_t i = 0; i < o->nr_cies; i++) {
		if (o->cies[i].off == o->cie) {
			init = o->cies[i].init;
			signal = o->cies[i].signal;
		}
	}
	if (!o->nr) { /* no instructions: the CIE's initial row */
		init.loc = o->begin;
		oracle_check_at(o, &init, signal, o->begin);
		oracle_check_at(o, &init, signal, o->end - 1);
		return;
	}
	for (size_t i = 0; i < o->nr; i++) {
		uint64_t next = i + 1 < o->nr ? o->rows[i + 1].loc : o->end;

		if (next > o->end)
			next = o->end;
		if (o->rows[i].loc < o->begin || o->rows[i].loc >= next)
			continue; /* outside the FDE, or replaced by a row at the same loc */
		oracle_check_at(o, &o->rows[i], signal, o->rows[i].loc);
		if (next - 1 > o->rows[i].loc)
			oracle_check_at(o, &o->rows[i], signal, next - 1);
	}
}

/* Tokens of a row line; "r10 (r10)" is one value. */
static int split_row(char *line, char *tok[], int max)
{
	int n = 0;

	for (char *p = strtok(line, " \n"); p && n < max; p = strtok(NULL, " \n")) {
		if (p[0] == '(' && n > 0)
			continue; /* the register's name after its number */
		tok[n++] = p;
	}
	return n;
}

static void oracle_line(struct oracle *o, char *line)
{
	unsigned long long off, len, id, b, e;
	char kind[8], aug[32] = "";
	char *tok[48];
	int n;

	if (sscanf(line, "%llx %llx %llx FDE cie=%llx pc=%llx..%llx", &off, &len, &id, &id, &b,
		   &e) == 6) {
		oracle_flush(o);
		o->in_cie = false;
		o->in_fde = true;
		o->cie = id;
		o->begin = b;
		o->end = e;
		o->nr = 0;
		return;
	}
	if (sscanf(line, "%llx %llx %llx %7s \"%31[^\"]\"", &off, &len, &id, kind, aug) >= 4 &&
	    !strcmp(kind, "CIE")) {
		oracle_flush(o);
		assert_true(o->nr_cies < 64);
		o->in_cie = true;
		o->cies[o->nr_cies].off = off;
		o->cies[o->nr_cies].signal = strchr(aug, 'S') != NULL;
		memset(&o->cies[o->nr_cies].init, 0, sizeof(o->cies[0].init));
		o->nr_cies++;
		return;
	}
	if (strstr(line, "LOC") && strstr(line, "CFA")) {
		n = split_row(line, tok, 40);
		o->ncols = n;
		for (int i = 0; i < n; i++)
			snprintf(o->cols[i], sizeof(o->cols[i]), "%s", tok[i]);
		return;
	}
	if (strlen(line) < 17 || line[16] != ' ' || strspn(line, "0123456789abcdef") != 16)
		return;
	n = split_row(line, tok, 48);
	if (n < 2 || n > o->ncols)
		return;
	{
		struct oracle_row r = { .loc = strtoull(tok[0], NULL, 16) };

		snprintf(r.cfa, sizeof(r.cfa), "%s", tok[1]);
		for (int i = 2; i < n; i++) {
			if (!strcmp(o->cols[i], "rbp"))
				snprintf(r.rbp, sizeof(r.rbp), "%s", tok[i]);
			else if (!strcmp(o->cols[i], "ra"))
				snprintf(r.ra, sizeof(r.ra), "%s", tok[i]);
		}
		if (o->in_cie) {
			o->cies[o->nr_cies - 1].init = r;
			o->in_cie = false;
		} else if (o->in_fde) {
			if (o->nr == o->cap) {
				o->cap = o->cap ? o->cap * 2 : 64;
				o->rows = realloc(o->rows, o->cap * sizeof(*o->rows));
				assert_non_null(o->rows);
			}
			o->rows[o->nr++] = r;
		}
	}
}

static void libc_matches_readelf(void **state)
{
	struct oracle o;
	struct unwind_table *t;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	(void)state;
	if (access(LIBC_PATH, R_OK) || system("readelf --version >/dev/null 2>&1")) {
		skip(); /* needs libc and binutils' readelf */
		return;
	}
	t = unwind_table__build_path(LIBC_PATH, NULL);
	assert_non_null(t);
	check_well_formed(t);
	memset(&o, 0, sizeof(o));
	o.t = t;
	f = popen("readelf -W --debug-dump=frames-interp " LIBC_PATH, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0)
		oracle_line(&o, line);
	oracle_flush(&o);
	(void)pclose(f); /* readelf exits 1 here even on success (no .debug_info); the FDE count
			   below proves it printed everything */
	print_message("libc: %zu FDEs, %zu addresses compared with readelf, %zu mismatches\n",
		      o.fdes, o.checked, o.bad);
	assert_int_equal(o.fdes, unwind_table__stats(t)->fdes_eh_frame);
	assert_true(o.checked > 1000);
	assert_int_equal(o.bad, 0);
	free(line);
	free(o.rows);
	unwind_table__free(t);
}

/* ---- files that lie or change: bounded reads, no SIGBUS ---- */

/* The section header named name in an ELF64 image (hand-parsed: the point is to corrupt it). */
static Elf64_Shdr *image_section(void *image, size_t size, const char *name)
{
	Elf64_Ehdr *eh = image;
	Elf64_Shdr *sh, *strtab;

	assert_true(size >= sizeof(*eh) &&
		    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) <= size);
	sh = (Elf64_Shdr *)((char *)image + eh->e_shoff);
	strtab = &sh[eh->e_shstrndx];
	for (int i = 0; i < eh->e_shnum; i++) {
		if (!strcmp((char *)image + strtab->sh_offset + sh[i].sh_name, name))
			return &sh[i];
	}
	fail_msg("no section %s", name);
	return NULL;
}

/* A section header or a compression header claiming more than MAX_CFI_BYTES is refused before
 * anything that size is allocated or inflated. */
static void oversized_sections_refused(void **state)
{
	struct fixture asm_fx, z;
	Elf64_Shdr *sh;
	Elf64_Chdr *ch;

	(void)state;
	fixture_open(&asm_fx, "fx_asm.so");
	sh = image_section(asm_fx.image, asm_fx.size, ".eh_frame");
	sh->sh_size = 512ull << 20;
	errno = 0;
	assert_null(unwind_table__build_mem(asm_fx.image, asm_fx.size, NULL));
	assert_int_equal(errno, E2BIG);

	fixture_open(&z, "fx_dbg_z.so");
	sh = image_section(z.image, z.size, ".debug_frame");
	assert_true(sh->sh_flags & SHF_COMPRESSED);
	ch = (Elf64_Chdr *)((char *)z.image + sh->sh_offset);
	ch->ch_size = 1ull << 30; /* a zip bomb's claim */
	errno = 0;
	assert_null(unwind_table__build_mem(z.image, z.size, NULL));
	assert_int_equal(errno, E2BIG);
	fixture_close(&asm_fx);
	fixture_close(&z);
}

/* The owner of the file truncates it before the k-th read of a build: this test's pread (libelf's
 * and flamed's reads come here; the kernel's pread does the reading) cuts the file at that point,
 * so every point of a build meets a file changed under it, the same on every host. */
static int trunc_rd = -1, trunc_wr = -1;
static long trunc_at, trunc_reads;

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	if (fd == trunc_rd && ++trunc_reads == trunc_at && ftruncate(trunc_wr, 4096))
		abort();
	return syscall(SYS_pread64, fd, buf, n, off);
}

/* mmap-based reading dies of SIGBUS here; reading with pread gives a clean "changed" (EIO) or,
 * truncated before the headers are read, "not ELF". */
static void truncated_while_building(void **state)
{
	char tmp[] = "/tmp/flamed-unwind-XXXXXX";
	struct unwind_table *t;
	long reads, changed = 0;
	size_t size;
	void *image;
	int fd, rd;

	(void)state;
	if (access(LIBC_PATH, R_OK))
		skip();
	image = test_read_file(LIBC_PATH, &size);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, image, size), (ssize_t)size);
	rd = open(tmp, O_RDONLY | O_CLOEXEC);
	assert_true(rd >= 0);
	trunc_rd = rd;
	trunc_wr = fd;
	t = unwind_table__build_fd(rd, NULL);
	reads = trunc_reads;
	assert_non_null(t);
	unwind_table__free(t);
	assert_true(reads > 1);
	for (long k = 1; k <= reads; k++) {
		assert_int_equal(pwrite(fd, image, size, 0), (ssize_t)size);
		trunc_reads = 0;
		trunc_at = k;
		errno = 0;
		t = unwind_table__build_fd(rd, NULL);
		assert_null(t);
		assert_true(errno == EIO || errno == ENOEXEC);
		changed += errno == EIO;
	}
	printf("libc: %ld reads a build, truncated before each: %ld builds said changed, %ld not "
	       "ELF\n",
	       reads, changed, reads - changed);
	assert_true(changed > 0);
	trunc_rd = trunc_wr = -1;
	close(rd);
	close(fd);
	unlink(tmp);
	free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_pointer_rows),
		cmocka_unit_test(rsp_rows_and_state_stack),
		cmocka_unit_test(identical_rows_merge),
		cmocka_unit_test(offsets_and_expressions),
		cmocka_unit_test(debug_frame),
		cmocka_unit_test(compressed_debug_frame),
		cmocka_unit_test(compiled_programs),
		cmocka_unit_test(no_section_headers),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(libc_matches_readelf),
		cmocka_unit_test(oversized_sections_refused),
		cmocka_unit_test(truncated_while_building),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
