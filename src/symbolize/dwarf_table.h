/* SPDX-License-Identifier: MIT */
/* One file's DWARF answers in a compact form that needs no libdw: which unit holds an address,
 * and per unit extracted so far its line breakpoints (address -> file:line, exactly as libdw
 * answers them), its functions and inlined subroutines (sorted ranges, each with its enclosing
 * one) and their names, declaration and call sites, all strings in one pool. dwarf_lines.c fills
 * it from libdw unit by unit; lookups are binary searches. Units are added whole and never
 * removed (the table is dropped whole). */
#ifndef FLAMED_DWARF_TABLE_H
#define FLAMED_DWARF_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dwarf_table;

/* A frame: strings borrowed from the table. */
struct dwarf_frame {
	const char *name;      /* linkage name when there is one (mangled), else the plain name */
	const char *file;      /* source file of the address (or of the call site, for callers) */
	uint32_t line;	       /* 0 = unknown */
	const char *decl_file; /* where the function is declared; NULL unknown */
	uint32_t decl_line;
	bool inlined; /* an inlined callee (all frames but the last) */
};

/* An address range of a unit (DIE offset). */
struct dwarf_table_range {
	uint64_t lo, hi; /* [lo, hi) */
	uint64_t unit;
};

/* New empty table. NULL on ENOMEM. */
struct dwarf_table *dwarf_table__new(void);

/* Where the units are, in DWARF addresses (the file's addresses minus bias): the runs of
 * .debug_aranges as libdwfl searches them first (a run ends where the next begins: the gaps
 * belong to the unit before), then the units' own ranges (for addresses no run covers: clang's
 * default has no aranges), each in any order. Copied. 0 or -ENOMEM. */
int dwarf_table__set_units(struct dwarf_table *t, uint64_t bias,
			   const struct dwarf_table_range *aranges, size_t nr_aranges,
			   const struct dwarf_table_range *ranges, size_t nr_ranges);

/* The unit holding vaddr (the file's address): 0 and its DIE offset, or -ENOENT. */
int dwarf_table__unit_of(const struct dwarf_table *t, uint64_t vaddr, uint64_t *ret_unit);

/* The unit was extracted (its answers are in the table). */
bool dwarf_table__has_unit(const struct dwarf_table *t, uint64_t unit);

/* Units known (set_units) and extracted. */
size_t dwarf_table__nr_units(const struct dwarf_table *t);
size_t dwarf_table__nr_extracted(const struct dwarf_table *t);

/* --- filling a unit (dwarf_lines.c), one at a time: begin, strings/lines/functions, end --- */

/* Start unit (its DIE offset). -EEXIST when it is in already, -EBUSY when another is open. */
int dwarf_table__begin_unit(struct dwarf_table *t, uint64_t unit);

/* A string's id in the pool (copied once per distinct content); 0 is NULL. On ENOMEM 0. */
uint32_t dwarf_table__string(struct dwarf_table *t, const char *s);

/* From DWARF address addr on (until the next breakpoint) an address's row is (file, line);
 * both 0: no row. Breakpoints come in increasing address order, within 4 GiB of the first.
 * 0, -EINVAL (out of order) or -ENOMEM. */
int dwarf_table__add_line(struct dwarf_table *t, uint64_t addr, uint32_t file, uint32_t line);

/* A function (subprogram, or inlined subroutine when inlined) with code, in DIE order; parent is
 * the index (as returned) of its enclosing one, -1 none. Returns its index, or -ENOMEM,
 * -EINVAL. */
struct dwarf_table_fn {
	uint32_t name, decl_file, decl_line; /* name: linkage name (mangled) or plain name */
	uint32_t call_file, call_line;	     /* call site, for an inlined subroutine */
	int32_t parent;
	uint16_t depth; /* DIE nesting (ties on range starts: the outer first) */
	bool inlined;
};
int32_t dwarf_table__add_fn(struct dwarf_table *t, const struct dwarf_table_fn *fn);

/* One address range [lo, hi) (DWARF addresses) of the function just added. 0 or -ENOMEM,
 * -EINVAL. */
int dwarf_table__add_fn_range(struct dwarf_table *t, uint64_t lo, uint64_t hi);

/* Commit the unit (sorts its ranges). 0 or -ENOMEM (the unit is then dropped). */
int dwarf_table__end_unit(struct dwarf_table *t);

/* Drop the unit being filled (its strings stay in the pool). */
void dwarf_table__abort_unit(struct dwarf_table *t);

/* --- lookups --- */

/* Frames of vaddr (the file's address; its unit must be extracted: else 0) into frames[0..max):
 * inlined callees first, the physical function last, each caller at the call site of the callee
 * below it; more than max are cut from the inner end. Strings borrowed from the table until the
 * next change to it (a unit added may move the pool). */
size_t dwarf_table__lookup(const struct dwarf_table *t, uint64_t vaddr, struct dwarf_frame *frames,
			   size_t max);

/* Bytes held. */
size_t dwarf_table__mem_bytes(const struct dwarf_table *t);

/* NULL-safe. */
void dwarf_table__free(struct dwarf_table *t);

#endif /* FLAMED_DWARF_TABLE_H */
