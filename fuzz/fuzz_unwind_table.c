// SPDX-License-Identifier: MIT
/* Unwind-table builder on outside input. The first byte picks what the rest is:
 *   0: a whole ELF image (libelf + section discovery + CFI)
 *   1: a 32-bit .eh_frame address, then raw .eh_frame bytes (the CFI parser and interpreter
 *      without the ELF layer)
 *   2: the same, the rest split in halves: .eh_frame, .debug_frame (duplicate filtering, both
 *      entry formats)
 * Every table built must be well-formed and answer lookups consistently. */
#include <stdlib.h>

#include "fuzz.h"
#include "unwind/unwind_table.h"

static void check(const struct unwind_table *t)
{
	const struct unwind_row *r = unwind_table__rows(t);
	size_t n = unwind_table__nr(t);
	uint64_t base = unwind_table__base(t);

	for (size_t i = 0; i < n; i++) {
		struct unwind_row got;
		long at = unwind_table__find(t, base + r[i].pc);

		if (at != (long)i)
			abort();
		if (i && (r[i].pc <= r[i - 1].pc ||
			  (r[i].kinds == r[i - 1].kinds && r[i].cfa_off == r[i - 1].cfa_off &&
			   r[i].rbp_off == r[i - 1].rbp_off)))
			abort(); /* unsorted or unmerged */
		if ((unwind_table__lookup(t, base + r[i].pc, &got) == 0) !=
		    (unwind_row_cfa_kind(&r[i]) != UNWIND_CFA_NONE))
			abort();
	}
	if (n && unwind_row_cfa_kind(&r[n - 1]) != UNWIND_CFA_NONE)
		abort(); /* the last row closes the last FDE */
	if (unwind_table__stats(t)->rows != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table_opts opts = { .max_bytes = 1 << 24 };
	struct unwind_table *t = NULL;
	uint64_t vaddr;
	size_t half;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 0) {
		t = unwind_table__build_mem(data + 1, size - 1, &opts);
	} else if (size >= 5) {
		/* 4 bytes: the .eh_frame address (pcrel pointers depend on it) */
		vaddr = data[1] | (uint64_t)data[2] << 8 | (uint64_t)data[3] << 16 |
			(uint64_t)data[4] << 24;
		data += 5;
		size -= 5;
		half = data[-5] % 3 == 1 ? size : size / 2;
		t = unwind_table__build_cfi(data, half, vaddr, data + half, size - half, 0, &opts);
	}
	if (t)
		check(t);
	unwind_table__free(t);
	return 0;
}
