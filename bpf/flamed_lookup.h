/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The table walker's row lookup (page index, then the page's rows), shared by flamed.bpf.c and
 * tests/unit/test_unwind_loader.c, which runs this very code in userspace against a stub map
 * lookup over real tables: no root and no kernel needed to check it address by address. The
 * includer provides __u32/__u64, bool, __always_inline, barrier_var() and bpf_map_lookup_elem(). */
#ifndef FLAMED_LOOKUP_H
#define FLAMED_LOOKUP_H

#include "flamed.h"

/* Walker variables live in map memory, not on the BPF stack, and the searches read them back
 * through volatile loads: the verifier does not track values loaded from maps, so the states of
 * successive search and walk iterations look alike and are pruned, instead of multiplying
 * (bounded loops over precisely tracked bounds cost the verifier 100k instructions). */
struct walk_vars {
	__u64 pc;
	__u64 sp;
	__u64 bp;
	__u32 stop;  /* metric id of the reason the walk ended; 0 while walking */
	__u32 exact; /* the first pc is exact (sample in user mode), not a return address */
	__u32 lo;    /* binary search bounds and result */
	__u32 hi;
	__u32 found;
	__u32 unknown_pc;   /* a pc fell outside every known mapping: the snapshot is behind */
	__u32 dwarf_frames; /* frames unwound with a table row, this walk */
	__u32 fp_frames;    /* frames unwound with frame pointers, this walk */
	__u32 pending;	    /* a mapping's table was not there yet */
	__u32 last_m;	    /* mapping of the previous frame: callers are mostly in the same one */
	__u32 block;	    /* block of the row search's block pointer */
	__u32 cache_hits;   /* frames whose row came from the row cache, this walk */
	__u64 row;	    /* the row found (struct flamed_unwind_row) */
	/* for runtimes (bpf/runtime.bpf.h) */
	__u32 rt_on;	 /* the process runs a runtime (its flamed_rt_proc is in rt_scratch) */
	__u32 act;	 /* what the runtime did with the current frame (enum rt_action) */
	__u32 leaf;	 /* the frame handed over is the sample's first, pc exact (not a return) */
	__u32 last_mark; /* 1 + index of the last runtime marker in the stack; 0: none yet */
	__u64 r13; /* the sampled r13 (HotSpot's interpreter keeps its bytecode pointer there) */
};

#define NOT_FOUND 0xffffffffu
#define VLOAD(x)  (*(volatile __u32 *)&(x))

/* Copy the row of table for rel into v->row, through the table's page index (blocks: the
 * unwind_blocks map): false when rel has none. The block holding the current element is kept
 * across steps: the rows of one page are adjacent, so a lookup mostly reads one index block and
 * one row block. */
static __always_inline bool find_row(void *blocks, struct walk_vars *v, __u32 table, __u32 pages,
				     __u64 rel)
{
	struct flamed_unwind_block_key k = { .table = table };
	const struct flamed_unwind_block *b;
	const struct flamed_unwind_page *pg;
	__u32 page, idx;

	if (rel >> FLAMED_UNWIND_PAGE_SHIFT >= pages)
		return false;
	page = (__u32)(rel >> FLAMED_UNWIND_PAGE_SHIFT);
	k.block = page / FLAMED_UNWIND_BLOCK_ELEMS;
	b = bpf_map_lookup_elem(blocks, &k);
	if (!b)
		return false;
	idx = page % FLAMED_UNWIND_BLOCK_ELEMS;
	barrier_var(idx);
	if (idx >= FLAMED_UNWIND_BLOCK_ELEMS)
		return false;
	pg = (const struct flamed_unwind_page *)&b->e[idx];
	v->lo = pg->lo;
	v->hi = pg->hi;
	v->block = k.block;
	v->found = NOT_FOUND;
	for (int i = 0; i < FLAMED_UNWIND_SEARCH_STEPS; i++) {
		__u32 lo = VLOAD(v->lo), hi = VLOAD(v->hi), mid;
		const struct flamed_unwind_row *r;

		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		k.block = mid / FLAMED_UNWIND_BLOCK_ELEMS;
		if (k.block != VLOAD(v->block)) {
			b = bpf_map_lookup_elem(blocks, &k);
			if (!b)
				break;
			v->block = k.block;
		}
		idx = mid % FLAMED_UNWIND_BLOCK_ELEMS;
		barrier_var(idx);
		if (idx >= FLAMED_UNWIND_BLOCK_ELEMS)
			break;
		r = (const struct flamed_unwind_row *)&b->e[idx];
		if (r->pc <= (__u32)rel) {
			v->found = mid;
			v->row = b->e[idx];
			v->lo = mid + 1;
		} else {
			v->hi = mid;
		}
	}
	return VLOAD(v->found) != NOT_FOUND;
}

#endif /* FLAMED_LOOKUP_H */
