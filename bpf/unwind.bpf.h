/* SPDX-License-Identifier: GPL-2.0 */
/* The user stack walker, included by flamed.bpf.c: per frame, the row of the binary's unwind
 * table (src/unwind/) that gives the caller's stack pointer, return address and rbp, or frame
 * pointers where no table covers the pc. Runs as a bpf_loop callback over up to
 * FLAMED_MAX_FRAMES frames; every read is of memory the process controls, so a bad value ends
 * the walk (one stop reason per walk, counted), never more. */
#ifndef FLAMED_UNWIND_BPF_H
#define FLAMED_UNWIND_BPF_H

/* The unwind tables of every loaded binary, in blocks of 496 elements (flamed.h). Not
 * preallocated: memory follows the tables loaded, up to --unwind-memory (max_entries is set from
 * it at load time; src/unwind/ evicts cached tables before it is reached). Only userspace
 * writes it; a deleted block is freed once no program in flight uses it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct flamed_unwind_block_key);
	__type(value, struct flamed_unwind_block);
} unwind_blocks SEC(".maps");

/* Rows found recently, by (table id, pc): most return addresses of a workload recur sample after
 * sample (main, the dispatch loops, the callers of its hot functions), and at 19-99 Hz a hit is
 * one cache miss where a table lookup is several (two block lookups and the rows). Direct
 * mapped, shared by all CPUs: an entry written by two CPUs at once may be torn, so it carries a
 * check word over its key and row and is used only when they agree. Table ids are never reused,
 * so an entry cannot outlive its table's meaning. 32768 entries, 768 KiB. */
struct row_cache_entry {
	__u64 key; /* table id << 32 | pc offset */
	__u64 row; /* struct flamed_unwind_row */
	__u64 check;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLAMED_UNWIND_ROW_CACHE);
	__type(key, __u32);
	__type(value, struct row_cache_entry);
} row_cache SEC(".maps");

/* Per process (tgid): its executable mappings and their table ranges. Values are 8 KiB, so the
 * map is not preallocated: memory follows the number of processes with tables. Only userspace
 * writes it, so the program never allocates here. Sized at load time (default 4096). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct flamed_unwind_proc);
} unwind_procs SEC(".maps");

/* A window of the user stack, read at once: callers' frames are adjacent, so the next frame's
 * saved rbp and return address are mostly in the bytes already read, and one 512-byte read
 * replaces several small ones, each a bpf_probe_read_user() call (bench/RESULTS.md). */
#define STACK_WIN_WORDS 64
#define ROW_L1_SLOTS	64
struct walk_state {
	struct walk_vars v;
	/* the sample's own facts, kept here rather than in registers: the verifier tracks a flag
	 * held in a register through every later path (each doubling the states it explores,
	 * bpf_loop's callback included), while a value read back from map memory is unknown */
	__u32 hit;	/* this CPU's recent slot holds the (tgid, address space) */
	__u32 skip_rt;	/* ... and notes it runs no runtime flamed walks, at this rt_epoch */
	__s32 rt_state; /* -1 not looked up this sample, else whether it runs one */
	/* an off-CPU event is being walked on this CPU (bpf/offcpu.bpf.h): its program runs with
	 * interrupts on, so a CPU sample may interrupt it, and then leaves the per-CPU state the
	 * walk uses (this, scratch, rt_scratch, py_scratch...) alone */
	__u32 busy;
	__u64 win_base; /* user address of win[0]; 0: nothing read yet */
	__u64 win[STACK_WIN_WORDS];
	/* the rows this CPU's walks found last, by (table id, pc), in front of row_cache: a
	 * row_cache hit is a cache and a TLB miss at 19-99 Hz (its 768 KiB span ~190 pages), and a
	 * stack of distinct return addresses (an interpreter's, a compiler's) pays one per frame
	 * (bench/RESULTS.md). A CPU mostly samples the stacks it
	 * sampled last; its own rows sit next to the rest of its walk state. Per CPU, never torn:
	 * no check word. */
	struct {
		__u64 key; /* table id << 32 | pc offset; 0: empty (table ids start at 1) */
		__u64 row;
	} rows[ROW_L1_SLOTS];
};

/* Per-CPU walker variables; one slot, perf_event programs do not nest on a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_state);
} walk_scratch SEC(".maps");

/* What the bpf_loop callback needs besides the variables: pointers, kept on the stack. */
struct walk_ctx {
	struct flamed_stack *st;
	const struct flamed_unwind_proc *proc;
	struct walk_vars *v;
	struct walk_state *ws;
	struct rt_out *out; /* runtime words, and the process's runtime with v->rt_on */
};

/* words (1 or 2, a constant) words of the user stack from addr up into out, from the window when
 * it holds them, else through a new window read at addr; 0 or the read's error. */
static __always_inline long stack_read(struct walk_state *ws, __u64 addr, __u64 *out,
				       const __u32 words)
{
	__u64 off = addr - ws->win_base, idx;

	if (!(addr & 7) && ws->win_base && off <= (STACK_WIN_WORDS - words) * 8) {
		idx = off >> 3;
		barrier_var(idx);
		if (idx <= STACK_WIN_WORDS - words) {
			out[0] = ws->win[idx];
			if (words == 2)
				out[1] = ws->win[idx + 1];
			return 0;
		}
	}
	if (!(addr & 7) && !bpf_probe_read_user(ws->win, sizeof(ws->win), (void *)addr)) {
		ws->win_base = addr;
		out[0] = ws->win[0];
		if (words == 2)
			out[1] = ws->win[1];
		return 0;
	}
	/* unaligned, or the window would cross the end of the stack's mapping */
	ws->win_base = 0;
	return bpf_probe_read_user(out, words * sizeof(__u64), (void *)addr);
}

/* Index of the mapping of proc containing pc, or NOT_FOUND. The previous frame's mapping is
 * tried first: a walk mostly stays in one binary. */
static __always_inline __u32 find_mapping(const struct flamed_unwind_proc *proc,
					  struct walk_vars *v, __u64 pc)
{
	__u32 last = VLOAD(v->last_m);
	const struct flamed_unwind_mapping *m;

	if (last < FLAMED_UNWIND_MAX_MAPPINGS) {
		m = &proc->m[last];
		if (pc >= m->start && pc < m->end)
			return last;
	}
	v->lo = 0;
	v->hi = proc->nr;
	v->found = NOT_FOUND;
	for (int i = 0; i < 9; i++) { /* log2(256) + 1 */
		__u32 lo = VLOAD(v->lo), hi = VLOAD(v->hi), mid;

		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		if (mid >= FLAMED_UNWIND_MAX_MAPPINGS)
			break;
		m = &proc->m[mid];
		if (pc < m->start) {
			v->hi = mid;
		} else if (pc >= m->end) {
			v->lo = mid + 1;
		} else {
			v->found = mid;
			v->last_m = mid;
			break;
		}
	}
	return VLOAD(v->found);
}

/* find_row() of flamed_lookup.h as a global function: the verifier checks its search loop once,
 * on its own, instead of at every state in which the walker's callback reaches it. */
__noinline bool find_row_global(struct walk_vars *v, __u32 table, __u32 pages, __u64 rel)
{
	if (!v)
		return false;
	return find_row(&unwind_blocks, v, table, pages, rel);
}

static __always_inline __u64 row_check(__u64 key, __u64 row)
{
	__u64 h = (key ^ 0x5851f42d4c957f2dULL) * 0xbf58476d1ce4e5b9ULL;

	return (h ^ row ^ (h >> 31)) * 0x94d049bb133111ebULL;
}

/* One frame-pointer step: the fallback where no table covers pc, and all of --unwind fp. Like the
 * kernel's user callchain walker, a return address is kept even when the saved rbp beside it is
 * no frame pointer (code built without them): the chain then ends at the next step. */
static __always_inline long fp_step(struct walk_state *ws, struct walk_vars *v)
{
	__u64 frame[2]; /* saved rbp, return address */
	__u64 bp = v->bp;

	if (!bp || stack_read(ws, bp, frame, 2) || !frame[1]) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_FP_END;
		return 1;
	}
	v->sp = bp + 16;
	v->bp = frame[0] > bp ? frame[0] : 0; /* the stack grows down: callers are above */
	v->pc = frame[1];
	v->fp_frames++;
	return 0;
}

/* The row of the table of mapping m for rel (its pc offset in that table) into *ret_row: this
 * CPU's recent rows first, then row_cache, then the table itself; false when it has none (or is
 * still being built: v->pending). */
static __always_inline bool row_for_pc(struct walk_ctx *w, const struct flamed_unwind_mapping *m,
				       __u64 rel, __u64 *ret_row)
{
	struct walk_vars *v = w->v;
	__u32 table_id = m->table, slot, l1;
	struct row_cache_entry *ce;
	__u64 key, mix, r;

	if (table_id == FLAMED_UNWIND_TABLE_PENDING) {
		v->pending = 1;
		return false;
	}
	if (!table_id || rel >> FLAMED_UNWIND_PAGE_SHIFT >= m->pages)
		return false;
	key = (__u64)table_id << 32 | (__u32)rel;
	mix = key * 0x9e3779b97f4a7c15ULL;
	slot = (__u32)(mix >> 49);
	l1 = (__u32)(mix >> 58) & (ROW_L1_SLOTS - 1);
	if (w->ws->rows[l1].key == key) {
		v->cache_hits++;
		*ret_row = w->ws->rows[l1].row;
		return true;
	}
	ce = bpf_map_lookup_elem(&row_cache, &slot);
	/* each word read once: the row used is the row checked */
	if (ce && READ_ONCE(ce->key) == key &&
	    (r = READ_ONCE(ce->row), READ_ONCE(ce->check) == row_check(key, r))) {
		v->cache_hits++; /* r: a row cached for this very pc */
	} else if (find_row_global(v, table_id, m->pages, rel)) {
		r = v->row;
		if (ce) {
			ce->key = key;
			ce->row = r;
			ce->check = row_check(key, r);
		}
	} else {
		return false;
	}
	w->ws->rows[l1].key = key;
	w->ws->rows[l1].row = r;
	*ret_row = r;
	return true;
}

/* The caller's rbp by the row's rbp rule, given the CFA and the callee's rbp (0: unknown). */
static __always_inline __u64 saved_rbp(struct walk_state *ws, const struct flamed_unwind_row *row,
				       __u64 cfa, __u64 bp)
{
	switch (row->kinds >> 4) {
	case FLAMED_RBP_UNCHANGED:
		return bp;
	case FLAMED_RBP_AT_CFA:
		return stack_read(ws, cfa + (__s64)row->rbp_off * 8, &bp, 1) ? 0 : bp;
	case FLAMED_RBP_AT_RBP:
		if (bpf_probe_read_user(&bp, sizeof(bp), (void *)(bp + (__s64)row->rbp_off * 8)))
			return 0;
		return bp;
	default:
		return 0; /* unknown: only tables can go on from here */
	}
}

/* Step to the caller of the frame at v->pc by its table row: the CFA, then the return address
 * and the caller's rbp. 0 to go on, 1 when the walk ends (v->stop says why). */
static __always_inline long caller_from_row(struct walk_ctx *w, const struct flamed_unwind_row *row,
					    __u64 lookup_pc)
{
	struct walk_vars *v = w->v;
	__s64 off = (__s64)row->cfa_off * 8;
	__u64 cfa, ra, bp = v->bp, pair[2];

	switch (row->kinds & 0xf) {
	case FLAMED_CFA_RSP:
		cfa = v->sp + off;
		break;
	case FLAMED_CFA_RBP:
		cfa = bp + off;
		break;
	case FLAMED_CFA_PLT:
		cfa = v->sp + off + ((lookup_pc & 15) >= (__u64)row->rbp_off ? 8 : 0);
		break;
	case FLAMED_CFA_DEREF_RBP:
		if (bpf_probe_read_user(&cfa, sizeof(cfa), (void *)(bp + off))) {
			v->stop = FLAMED_METRIC_UNWIND_STOP_READ_FAULT;
			return 1;
		}
		break;
	case FLAMED_CFA_END:
		v->stop = FLAMED_METRIC_UNWIND_STOP_END;
		return 1;
	default:
		v->stop = FLAMED_METRIC_UNWIND_STOP_UNSUPPORTED;
		return 1;
	}
	/* the common frame (push rbp after the call) keeps rbp right below the return address:
	 * one read for both; if it faults (the pair straddles a page), read them one by one */
	if ((row->kinds >> 4) == FLAMED_RBP_AT_CFA && row->rbp_off == -2 &&
	    !stack_read(w->ws, cfa - 16, pair, 2)) {
		bp = pair[0];
		ra = pair[1];
	} else if (stack_read(w->ws, cfa - 8, &ra, 1)) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_READ_FAULT;
		return 1;
	} else {
		bp = saved_rbp(w->ws, row, cfa, bp);
	}
	v->dwarf_frames++;
	if (!ra) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_END;
		return 1;
	}
	v->bp = bp;
	v->sp = cfa;
	v->pc = ra;
	return 0;
}

/* No row for the frame (m: its mapping, NULL when none): stop with --unwind dwarf, else follow
 * frame pointers, saying why the tables did not help if that fails too. */
static __always_inline long step_without_row(struct walk_ctx *w,
					     const struct flamed_unwind_mapping *m)
{
	struct walk_vars *v = w->v;
	__u32 why = m ? FLAMED_METRIC_UNWIND_STOP_NO_ROW : FLAMED_METRIC_UNWIND_STOP_NO_MAPPING;

	if (cfg_unwind_mode == FLAMED_UNWIND_DWARF) {
		v->stop = why;
		return 1;
	}
	if (fp_step(w->ws, v)) {
		/* say why the tables did not help, unless reading failed */
		if (v->stop == FLAMED_METRIC_UNWIND_STOP_FP_END)
			v->stop = why;
		return 1;
	}
	return 0;
}

#include "runtime.bpf.h"

/* bpf_loop callback: record the current frame, then step to its caller. */
static long unwind_step(__u32 idx, void *arg)
{
	struct walk_ctx *w = arg;
	struct flamed_stack *st = w->st;
	struct walk_vars *v = w->v;
	const struct flamed_unwind_mapping *m = NULL;
	struct flamed_unwind_row row;
	__u64 lookup_pc, r;
	__u32 n = st->nr, mi, act;

	if (n >= FLAMED_MAX_FRAMES) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_DEPTH;
		return 1;
	}
	/* a return address points after the call; the call itself decides the row */
	v->leaf = n == 0 && v->exact;
	lookup_pc = VLOAD(v->leaf) ? v->pc : v->pc - 1;
	/* recorded, or handed over to the process's runtime: the outcome in map memory, read
	 * back, so that the paths after it converge for the verifier */
	v->act = rt_frame(st, v, w->out, lookup_pc);
	act = VLOAD(v->act);
	if (act == RT_UNWOUND)
		return 0;
	if (act == RT_STOP)
		return 1;

	if (!w->proc) /* --unwind fp, or no tables for this process yet */
		return fp_step(w->ws, v);
	mi = find_mapping(w->proc, v, lookup_pc);
	if (mi == NOT_FOUND)
		v->unknown_pc = 1;
	if (mi < FLAMED_UNWIND_MAX_MAPPINGS) {
		m = &w->proc->m[mi];
		if (row_for_pc(w, m, lookup_pc - m->pc_sub, &r)) {
			__builtin_memcpy(&row, &r, sizeof(row));
			if ((row.kinds & 0xf) != FLAMED_CFA_NONE)
				return caller_from_row(w, &row, lookup_pc);
		}
	}
	return step_without_row(w, m);
}

/* The user registers a thread saved when it last entered the kernel (the top of its kernel
 * stack) into v, to start a walk from: those of a sample taken in the kernel, or of a thread
 * that is off the CPU. false when it has none. */
static __always_inline bool task_user_regs(struct task_struct *task, struct walk_vars *v)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	if (!regs)
		return false;
	v->pc = BPF_CORE_READ(regs, ip);
	v->sp = BPF_CORE_READ(regs, sp);
	v->bp = BPF_CORE_READ(regs, bp);
	v->r13 = BPF_CORE_READ(regs, r13);
	return true;
}

/* Walk the user stack from the registers in ws->v (pc, sp, bp, r13; ws->v.exact: the pc is the
 * sampled instruction, not a return address), with proc's unwind tables or frame pointers,
 * into scratch slot 1 and store it in the stacks map of generation gen; returns its hash or 0.
 * Sets ws->v.unknown_pc when the maps snapshot is behind. */
static __always_inline __u64 walk_user_stack(__u32 gen, const struct flamed_unwind_proc *proc,
					     struct rt_out *out, struct walk_state *ws, __u64 *t)
{
	__u32 slot = 1;
	struct walk_ctx w = { .proc = proc, .ws = ws, .v = &ws->v, .out = out };
	__u64 h;

	w.st = bpf_map_lookup_elem(&scratch, &slot);
	if (!w.st)
		return 0;
	if (VLOAD(w.v->rt_on)) {
		w.out->nwords = 0;
		w.out->fresh = 1;
		w.out->gen = gen;
		w.out->truncated = 0;
		w.out->stamp = 0;
	}
	w.st->nr = 0;
	w.st->flags = 0;
	w.ws->win_base = 0;
	w.v->stop = 0;
	w.v->unknown_pc = 0;
	w.v->dwarf_frames = 0;
	w.v->fp_frames = 0;
	w.v->pending = 0;
	w.v->cache_hits = 0;
	w.v->last_mark = 0;
	w.v->last_m = NOT_FOUND;
	count(FLAMED_METRIC_UNWIND_WALKS);
	/* runtime frames a runtime unwinds itself take iterations too */
	bpf_loop(FLAMED_MAX_FRAMES + FLAMED_RT_MAX_WORDS + 1, unwind_step, &w, 0);
	if (w.v->stop)
		count(w.v->stop);
	add(FLAMED_METRIC_UNWIND_FRAMES_DWARF, w.v->dwarf_frames);
	add(FLAMED_METRIC_UNWIND_FRAMES_FP, w.v->fp_frames);
	if (w.v->pending)
		count(FLAMED_METRIC_UNWIND_TABLE_PENDING);
	add(FLAMED_METRIC_UNWIND_ROW_CACHE_HITS, w.v->cache_hits);
	if (w.v->stop == FLAMED_METRIC_UNWIND_STOP_DEPTH) {
		w.st->flags |= FLAMED_STACK_TRUNCATED;
		count(FLAMED_METRIC_USTACK_TRUNCATED);
	}
	phase(FLAMED_METRIC_NS_UWALK, t);
	if (VLOAD(w.v->rt_on)) {
		/* what the runtime has left goes at the root side; its words are linked at the
		 * end, in the outermost native frame's place if the stack is full */
		rt_finish(w.st, w.v, w.out);
		h = rt_store(w.out, gen);
		if (h && w.st->nr) {
			__u32 n = w.st->nr;

			if (n >= FLAMED_MAX_FRAMES) {
				n = FLAMED_MAX_FRAMES - 1;
				w.st->flags |= FLAMED_STACK_TRUNCATED;
			}
			w.st->ips[n] = h;
			w.st->nr = n + 1;
			w.st->flags |= FLAMED_STACK_RUNTIME;
		}
	}
	phase(FLAMED_METRIC_NS_RT, t);
	if (w.st->nr == 0)
		return 0;
	return store_stack(w.st, gen, 0x75736572);
}

#endif /* FLAMED_UNWIND_BPF_H */
