// SPDX-License-Identifier: GPL-2.0
/* on_cpu_sample(): runs on every cpu-clock overflow. Filter, capture kernel and user stacks,
 * deduplicate them by hash, and count (thread, address space, stacks) in BPF maps, so only unique
 * stacks and counts cross to userspace.
 *
 * Why bpf_get_stack() and our own 64-bit hash rather than bpf_get_stackid() and a STACK_TRACE
 * map: stack-trace maps index buckets by a 32-bit hash and return -EEXIST on collision, which
 * silently loses hot stacks (bcc#2171, bcc#3389); their entries cannot be safely reused
 * (BPF_F_REUSE_STACKID returns wrong stacks); and the DWARF unwinder of src/unwind/ must write its
 * frames into our own buffer anyway. A 64-bit hash makes collisions negligible, and the stacks
 * map is drained and cleared with the counts (double-buffered by generation). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "flamed.h"
#include "flamed_lookup.h"

#define EEXIST 17 /* vmlinux.h has no errno values */

char LICENSE[] SEC("license") = "GPL";

/* Load-time knobs, set by src/bpf/sampler.c before load. */
const volatile __u32 cfg_self_tgid = 0;			/* flamed's own pid: never sampled */
const volatile __u8 cfg_filter = 0;			/* 1: only tgids in "targets" */
const volatile __u8 cfg_follow_forks = 0;		/* 1: children of targets become targets */
const volatile __u8 cfg_include_idle = 0;		/* 1: keep samples of the idle task */
const volatile __u8 cfg_unwind_mode = FLAMED_UNWIND_FP; /* enum flamed_unwind_mode */
const volatile __u8 cfg_phase_times = 0;		/* 1: FLAMED_METRIC_NS_* (bench only) */

/* Generation counter: its low bit selects the maps the program writes into (0 or 1). Userspace
 * advances it, waits for programs in flight to finish, then drains and clears the maps of the
 * previous value: no sample is lost while it reads. A sample reads it once. */
__u32 active_gen = 0;

/* The last generation whose count slots userspace collected: until then a CPU leaves a slot of
 * an older generation alone (and counts in the map), after it the slot is free. */
__u32 collected_gen = ~0u;

/* Advanced by userspace whenever it adds or removes a CPython process (py_procs): a CPU's note
 * that a process is not one (known_recent) holds only for the value it was taken at. */
__u32 py_epoch = 0;

/* Per-CPU drop and event counters; one slot per enum flamed_metric. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLAMED_METRIC__MAX);
	__type(key, __u32);
	__type(value, __u64);
} metrics SEC(".maps");

/* Sample counts per (thread, address space, stacks, comm), one map per generation. Sized at load
 * time from CPUs x frequency x drain interval (at load time it will be adjusted). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct flamed_count_key);
	__type(value, __u64);
} counts0 SEC(".maps"), counts1 SEC(".maps");

/* Per CPU, the count keys it sampled last and their counts (flamed.h): at 19-99 Hz a hash-map
 * lookup in "counts" is a few cache and TLB misses (measured in bench/RESULTS.md), a slot hit
 * one line. Direct mapped by stack hashes and thread; 16 slots of one cache
 * line, 1 KiB a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flamed_count_slots);
} count_slots SEC(".maps");

/* Unique stacks by 64-bit hash (user and kernel in one map, hashed with different seeds), one map
 * per generation; at most one new entry per sample, so sized like the counts maps. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct flamed_stack);
} stacks0 SEC(".maps"), stacks1 SEC(".maps");

/* Scratch space for the two stacks of the current sample: 2 KiB does not fit the 512-byte BPF
 * stack. Slot 0 = kernel, 1 = user. Per CPU, and perf_event programs do not nest on a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct flamed_stack);
} scratch SEC(".maps");

/* Per CPU, the stacks it stored last, by hash, with the generation they were stored in: a stack
 * seen again in the same generation is known to be in its map, so the hash-map lookup (a few
 * cache misses at 19-99 Hz) is skipped. Direct mapped by hash; an entry of an older generation
 * is a miss. 64 entries, 1 KiB a CPU. */
#define STACK_SEEN_SLOTS 64
struct stack_seen_entry {
	__u64 hash;
	__u32 gen;
	__u32 pad;
};
struct stack_seen {
	struct stack_seen_entry e[STACK_SEEN_SLOTS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_seen);
} stack_seen SEC(".maps");

/* Processes to profile when cfg_filter is set (-p, or the command after --, and with
 * cfg_follow_forks its descendants). Value unused. Sized at load time (default 8192). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

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

struct aspace_key {
	__u64 aspace;
	__u32 tgid;
	__u32 pad;
};

/* (tgid, address space) pairs already announced to userspace. LRU: an evicted pair is announced
 * again, which only costs userspace a redundant maps read. 16384 covers busy hosts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct aspace_key);
	__type(value, __u8);
} known SEC(".maps");

/* Per CPU, the (tgid, address space) pairs it last found in "known", one per slot (tgid mod
 * KNOWN_RECENT_SLOTS): a CPU mostly samples the processes it sampled last, so most samples skip
 * the hash lookup in "known", and, while py_epoch has not moved, the one in py_procs. A stale
 * slot only means the maps are asked again. 16 slots: 256 bytes a CPU. */
#define KNOWN_RECENT_SLOTS 16
struct recent_proc {
	__u64 aspace;
	__u32 tgid;
	__u32 py; /* py_epoch << 1 | 1 if a CPython process; ~0: not looked up */
};
struct known_recent {
	struct recent_proc pairs[KNOWN_RECENT_SLOTS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct known_recent);
} known_recent SEC(".maps");

/* New-process announcements (40-byte records). 256 KiB holds ~6000 between two reads; a full
 * buffer is counted (FLAMED_METRIC_PROC_EVENT_LOST) and the pair is announced again later. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void add(__u32 metric, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&metrics, &metric);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

static __always_inline void count(__u32 metric)
{
	add(metric, 1);
}

/* Charge the time since *t to metric and restart the clock; nothing unless cfg_phase_times,
 * and then the verifier removes the branch as dead code. */
static __always_inline void phase(__u32 metric, __u64 *t)
{
	__u64 now;

	if (!cfg_phase_times)
		return;
	now = bpf_ktime_get_ns();
	add(metric, now - *t);
	*t = now;
}

/* A global function: the verifier checks it once, on its own, where an inlined loop over 127
 * frames was checked frame by frame at each call site (20k instructions); and unlike a
 * bpf_loop callback it costs no indirect call per frame. */
__noinline __u64 stack_hash(const struct flamed_stack *st, __u64 seed)
{
	__u64 h = 0xcbf29ce484222325ULL ^ seed;
	__u32 nr;

	if (!st)
		return 1;
	nr = st->nr;
	for (__u32 i = 0; i < FLAMED_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= nr;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	return h ? h : 1; /* 0 means "no stack" in flamed_count_key */
}

/* Store st in the stacks map of generation gen; returns its hash, or 0 if it could not be
 * stored. A global function: verified once, not at each of its three callers' states. */
__noinline __u64 store_stack(struct flamed_stack *st, __u32 gen, __u64 seed)
{
	void *stacks = gen & 1 ? (void *)&stacks1 : (void *)&stacks0;
	__u32 zero = 0;
	struct stack_seen *seen = bpf_map_lookup_elem(&stack_seen, &zero);
	struct stack_seen_entry *e = NULL;
	long err;
	__u64 h;

	if (!st)
		return 0;
	h = stack_hash(st, seed);

	if (seen) {
		e = &seen->e[h & (STACK_SEEN_SLOTS - 1)];
		if (e->hash == h && e->gen == gen) {
			count(FLAMED_METRIC_STACK_SEEN_HITS);
			return h;
		}
	}
	/* most stacks repeat: a lookup is cheap, while an update copies the whole 1 KiB value
	 * into a fresh element before it finds the key exists */
	if (!bpf_map_lookup_elem(stacks, &h)) {
		err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count(FLAMED_METRIC_STACK_MAP_FULL);
			return 0;
		}
	}
	if (e) {
		e->hash = h;
		e->gen = gen;
	}
	return h;
}

#include "python.bpf.h"

/* Capture the kernel stack into scratch slot 0; returns its hash in this generation's stacks map,
 * or 0 (none). Not called for samples in user mode, which have none. */
static __always_inline __u64 capture_kernel_stack(struct bpf_perf_event_data *ctx, __u32 gen)
{
	__u32 slot = 0;
	struct flamed_stack *st = bpf_map_lookup_elem(&scratch, &slot);
	long len;

	if (!st)
		return 0; /* cannot happen: the verifier needs the check */
	len = bpf_get_stack(ctx, st->ips, sizeof(st->ips), 0);
	if (len < 0) {
		count(FLAMED_METRIC_KSTACK_ERR);
		return 0;
	}
	st->nr = len / sizeof(__u64);
	st->flags = FLAMED_STACK_KERNEL;
	if (st->nr == 0)
		return 0;
	if (st->nr >= FLAMED_MAX_FRAMES) {
		st->flags |= FLAMED_STACK_TRUNCATED;
		count(FLAMED_METRIC_KSTACK_TRUNCATED);
	}
	return store_stack(st, gen, 0x6b65726e);
}

/* --- user stack walking: unwind tables, frame pointers where there are none --- */

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
	__u32 skip_py;	/* ... and notes it is not a CPython process at this py_epoch */
	__s32 py_state; /* -1 not looked up this sample, else whether it is one */
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

/* bpf_loop callback: record the current frame, then step to its caller. */
static long unwind_step(__u32 idx, void *arg)
{
	struct walk_ctx *w = arg;
	struct flamed_stack *st = w->st;
	struct walk_vars *v = w->v;
	const struct flamed_unwind_mapping *m = NULL;
	struct flamed_unwind_row rowv, *row = NULL;
	__u64 lookup_pc, cfa, ra, rel, bp, pair[2];
	__u32 n = st->nr, mi, table_id;
	__s64 off;

	if (n >= FLAMED_MAX_FRAMES) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_DEPTH;
		return 1;
	}
	st->ips[n] = v->pc;
	st->nr = n + 1;
	/* a return address points after the call; the call itself decides the row */
	lookup_pc = (n == 0 && v->exact) ? v->pc : v->pc - 1;

	if (!w->proc) /* --unwind fp, or no tables for this process yet */
		return fp_step(w->ws, v);
	mi = find_mapping(w->proc, v, lookup_pc);
	if (mi == NOT_FOUND)
		v->unknown_pc = 1;
	if (mi < FLAMED_UNWIND_MAX_MAPPINGS) {
		m = &w->proc->m[mi];
		rel = lookup_pc - m->pc_sub;
		table_id = m->table;
		if (table_id == FLAMED_UNWIND_TABLE_PENDING) {
			v->pending = 1;
		} else if (table_id && rel >> FLAMED_UNWIND_PAGE_SHIFT < m->pages) {
			__u64 key = (__u64)table_id << 32 | (__u32)rel, r;
			__u64 mix = key * 0x9e3779b97f4a7c15ULL;
			__u32 slot = (__u32)(mix >> 49),
			      l1 = (__u32)(mix >> 58) & (ROW_L1_SLOTS - 1);
			struct row_cache_entry *ce;

			if (w->ws->rows[l1].key == key) {
				v->cache_hits++;
				r = w->ws->rows[l1].row;
				goto have_row;
			}
			ce = bpf_map_lookup_elem(&row_cache, &slot);
			/* each word read once: the row used is the row checked */
			if (ce && *(volatile __u64 *)&ce->key == key &&
			    (r = *(volatile __u64 *)&ce->row,
			     *(volatile __u64 *)&ce->check == row_check(key, r))) {
				v->cache_hits++; /* r: a row cached for this very pc */
			} else if (find_row_global(v, table_id, m->pages, rel)) {
				r = v->row;
				if (ce) {
					ce->key = key;
					ce->row = r;
					ce->check = row_check(key, r);
				}
			} else {
				goto no_row;
			}
			w->ws->rows[l1].key = key;
			w->ws->rows[l1].row = r;
		have_row:
			__builtin_memcpy(&rowv, &r, sizeof(rowv));
			row = &rowv;
		}
	}
no_row:
	if (!row || (row->kinds & 0xf) == FLAMED_CFA_NONE) {
		if (cfg_unwind_mode == FLAMED_UNWIND_DWARF) {
			v->stop = m ? FLAMED_METRIC_UNWIND_STOP_NO_ROW
				    : FLAMED_METRIC_UNWIND_STOP_NO_MAPPING;
			return 1;
		}
		if (fp_step(w->ws, v)) {
			/* say why the tables did not help, unless reading failed */
			if (v->stop == FLAMED_METRIC_UNWIND_STOP_FP_END)
				v->stop = m ? FLAMED_METRIC_UNWIND_STOP_NO_ROW
					    : FLAMED_METRIC_UNWIND_STOP_NO_MAPPING;
			return 1;
		}
		return 0;
	}

	off = (__s64)row->cfa_off * 8;
	bp = v->bp;
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
		goto have_ra;
	}
	if (stack_read(w->ws, cfa - 8, &ra, 1)) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_READ_FAULT;
		return 1;
	}
	switch (row->kinds >> 4) {
	case FLAMED_RBP_UNCHANGED:
		break;
	case FLAMED_RBP_AT_CFA:
		if (stack_read(w->ws, cfa + (__s64)row->rbp_off * 8, &bp, 1))
			bp = 0;
		break;
	case FLAMED_RBP_AT_RBP:
		if (bpf_probe_read_user(&bp, sizeof(bp), (void *)(bp + (__s64)row->rbp_off * 8)))
			bp = 0;
		break;
	default:
		bp = 0; /* unknown: only tables can go on from here */
		break;
	}
have_ra:
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

/* Walk the user stack (with proc's unwind tables, or frame pointers) into scratch slot 1 and
 * store it in the stacks map of generation gen; returns its hash or 0. Sets ws->py_state unless
 * ws->skip_py, and ws->v.unknown_pc when the maps snapshot is behind. */
static __always_inline __u64 walk_user_stack(struct bpf_perf_event_data *ctx, __u32 gen,
					     struct task_struct *task,
					     const struct flamed_unwind_proc *proc,
					     struct walk_state *ws, __u64 *t)
{
	__u32 slot = 1;
	struct walk_ctx w = { .proc = proc, .ws = ws, .v = &ws->v };
	struct pt_regs *regs;
	int py;

	w.st = bpf_map_lookup_elem(&scratch, &slot);
	if (!w.st)
		return 0;
	w.st->nr = 0;
	w.st->flags = 0;
	w.ws->win_base = 0;
	w.v->stop = 0;
	w.v->unknown_pc = 0;
	w.v->dwarf_frames = 0;
	w.v->fp_frames = 0;
	w.v->pending = 0;
	w.v->cache_hits = 0;
	w.v->last_m = NOT_FOUND;
	if (VLOAD(w.v->exact)) { /* the sample hit user mode: its registers are exact */
		w.v->pc = ctx->regs.ip;
		w.v->sp = ctx->regs.sp;
		w.v->bp = ctx->regs.bp;
	} else { /* in the kernel: the user registers saved at kernel entry */
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if (!regs) {
			count(FLAMED_METRIC_USTACK_ERR);
			return 0;
		}
		w.v->pc = BPF_CORE_READ(regs, ip);
		w.v->sp = BPF_CORE_READ(regs, sp);
		w.v->bp = BPF_CORE_READ(regs, bp);
	}
	count(FLAMED_METRIC_UNWIND_WALKS);
	bpf_loop(FLAMED_MAX_FRAMES + 1, unwind_step, &w, 0);
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
	if (w.st->nr == 0)
		return 0;
	if (!VLOAD(ws->skip_py)) {
		/* a CPython process: its Python frames, linked at the end */
		py = py_walk(w.st, gen);
		ws->py_state = py >= 0;
	}
	phase(FLAMED_METRIC_NS_PY, t);
	return store_stack(w.st, gen, 0x75736572);
}

/* Address-space cookie: the mm pointer mixed with the process's start time. The kernel reuses
 * pids and mm_struct slots alike, so a process that gets both from one that exited still gets a
 * new cookie (and a fresh maps snapshot). 0 only without an mm (kernel threads). */
static __always_inline __u64 aspace_cookie(struct task_struct *task)
{
	/* mm through bpf_probe_read_kernel(): a pointer loaded directly stays a pointer to the
	 * verifier, which refuses to mix it into a hash; the start time by direct loads through
	 * the BTF-typed task (relocated by CO-RE all the same), two helper calls fewer a sample */
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);

	if (!mm)
		return 0;
	return (mm ^ (task->group_leader->start_time * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Send a process event; false (and counted) when the ring buffer is full. */
static __always_inline bool send_event(__u32 type, __u32 tgid, __u64 aspace,
				       struct task_struct *task)
{
	struct flamed_proc_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count(FLAMED_METRIC_PROC_EVENT_LOST);
		return false;
	}
	ev->aspace = aspace;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->tgid = tgid;
	ev->type = type;
	BPF_CORE_READ_STR_INTO(&ev->comm, task, group_leader, comm);
	bpf_ringbuf_submit(ev, 0);
	return true;
}

/* This CPU's recent slot for tgid (NULL only if the map lookup fails) */
static __always_inline struct recent_proc *recent_slot(__u32 tgid)
{
	__u32 zero = 0;
	struct known_recent *recent = bpf_map_lookup_elem(&known_recent, &zero);

	return recent ? &recent->pairs[tgid & (KNOWN_RECENT_SLOTS - 1)] : NULL;
}

/* Make sure userspace knows (tgid, aspace). ws->hit: this CPU's slot already holds the pair (no
 * hash lookup: at 19-99 Hz the lookup in "known" is a cold one; bench/RESULTS.md). ws->py_state, when looked up, is noted in the slot for py_ep. */
static __always_inline void announce(struct walk_state *ws, struct recent_proc *slot, __u32 tgid,
				     __u64 aspace, struct task_struct *task, __u32 py_ep)
{
	struct aspace_key ak = { .aspace = aspace, .tgid = tgid };
	__s32 py_state;
	__u8 one = 1;

	if (!VLOAD(ws->hit)) {
		if (!bpf_map_lookup_elem(&known, &ak)) {
			/* not marked known when the event is lost: the next sample announces it
			 * again */
			if (!send_event(FLAMED_EVENT_NEW_ASPACE, tgid, aspace, task))
				return;
			bpf_map_update_elem(&known, &ak, &one, BPF_ANY);
		}
		slot->aspace = aspace;
		slot->tgid = tgid;
		slot->py = ~0u;
	}
	py_state = *(volatile __s32 *)&ws->py_state;
	if (py_state >= 0)
		slot->py = py_ep << 1 | (__u32)py_state;
}

/* The walker met code outside every mapping userspace described (a library loaded after the
 * snapshot, or a sample during exec): ask for a re-read, once in flight and at most once a
 * second per process. */
static __always_inline void request_remap(struct flamed_unwind_proc *proc, __u32 tgid, __u64 aspace,
					  struct task_struct *task)
{
	if (proc->remap_requested || bpf_ktime_get_ns() < proc->remap_after_ns)
		return;
	if (send_event(FLAMED_EVENT_REMAP, tgid, aspace, task)) {
		proc->remap_requested = 1;
		count(FLAMED_METRIC_UNWIND_REMAPS);
	}
}

/* Add n samples of key to the counts map; 0, or -1 when the map is full (counted, samples lost). */
static __always_inline int add_count(void *counts, struct flamed_count_key *key, __u64 n)
{
	__u64 *val = bpf_map_lookup_elem(counts, key);
	long err;

	if (val) {
		__sync_fetch_and_add(val, n);
		return 0;
	}
	err = bpf_map_update_elem(counts, key, &n, BPF_NOEXIST);
	if (err == -EEXIST) { /* another CPU inserted it first */
		val = bpf_map_lookup_elem(counts, key);
		if (val)
			__sync_fetch_and_add(val, n);
		return 0;
	}
	if (err) {
		add(FLAMED_METRIC_COUNT_MAP_FULL, n);
		return -1;
	}
	return 0;
}

static __always_inline bool same_key(const struct flamed_count_key *a,
				     const struct flamed_count_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	for (__u32 i = 0; i < sizeof(*a) / 8; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* Count the sample in this CPU's slot for key: true when done there, false when the slot belongs
 * to an older generation userspace has not collected yet (the caller counts in the map). A slot
 * of another key of this generation is moved to the map first. */
static __always_inline bool count_in_slot(struct flamed_count_key *key, __u32 gen, void *counts)
{
	__u32 zero = 0, i, n, sgen;
	struct flamed_count_slots *slots = bpf_map_lookup_elem(&count_slots, &zero);
	struct flamed_count_slot *cs;

	if (!slots)
		return false;
	i = (__u32)(((key->user_stack ^ key->kern_stack ^ key->tid) * 0x9e3779b97f4a7c15ULL) >> 60);
	cs = &slots->s[i & (FLAMED_COUNT_SLOTS - 1)];
	n = cs->n;
	sgen = cs->gen;
	if (n && sgen == gen && same_key(&cs->key, key)) {
		cs->n = n + 1;
		count(FLAMED_METRIC_COUNT_SLOT_HITS);
		return true;
	}
	if (n && sgen != gen) {
		if ((__s32)(*(volatile __u32 *)&collected_gen - sgen) < 0)
			return false; /* userspace has yet to collect it */
	} else if (n) {
		/* the slot's key moves to the map; a full map loses its samples: counted as
		 * count_map_full, and no longer as counted */
		if (add_count(counts, &cs->key, n))
			add(FLAMED_METRIC_COUNTED, -(__u64)n);
	}
	cs->key = *key;
	cs->gen = gen;
	cs->n = 1;
	return true;
}

/* Count one sample of key in generation gen: in this CPU's slot, else in the counts map; 0, or -1
 * when it was lost to a full map (counted). A global function: verified once, apart from the
 * walker's states. */
__noinline int count_sample(struct flamed_count_key *key, __u32 gen)
{
	void *counts = gen & 1 ? (void *)&counts1 : (void *)&counts0;

	if (!key)
		return -1;
	if (count_in_slot(key, gen, counts))
		return 0;
	return add_count(counts, key, 1);
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct flamed_count_key key = {};
	struct task_struct *task;
	__u64 pid_tgid, t = 0, cs;
	struct recent_proc *slot;
	struct walk_state *ws;
	__u32 gen, py_ep, zero = 0;

	if (cfg_phase_times)
		t = bpf_ktime_get_ns();
	count(FLAMED_METRIC_SAMPLES);
	pid_tgid = bpf_get_current_pid_tgid();
	key.tgid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	if (key.tid == 0 && !cfg_include_idle) {
		count(FLAMED_METRIC_IDLE);
		return 0;
	}
	if (key.tgid == cfg_self_tgid) {
		count(FLAMED_METRIC_SELF);
		return 0;
	}
	if (cfg_filter && !bpf_map_lookup_elem(&targets, &key.tgid)) {
		count(FLAMED_METRIC_FILTERED);
		return 0;
	}

	gen = *(volatile __u32
			*)&active_gen; /* once: every map of this sample from one generation */
	ws = bpf_map_lookup_elem(&walk_scratch, &zero);
	slot = recent_slot(key.tgid);
	if (!ws || !slot)
		return 0; /* cannot happen (per-CPU arrays, key 0): the verifier needs the check */

	task = bpf_get_current_task_btf();
	key.aspace = aspace_cookie(task);
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	py_ep = *(volatile __u32 *)&py_epoch;
	ws->hit = key.aspace && slot->tgid == key.tgid && slot->aspace == key.aspace;
	/* this CPU found it is not a CPython process, and none was registered since */
	ws->skip_py = ws->hit && slot->py == py_ep << 1;
	ws->py_state = -1;
	/* the context allows only 8-byte loads; cs shares its word with padding */
	cs = *(volatile __u64 *)((void *)&ctx->regs + __builtin_offsetof(struct pt_regs, cs));
	ws->v.exact = (cs & 3) == 3; /* the sample hit user mode */
	phase(FLAMED_METRIC_NS_HEAD, &t);
	/* a sample in user mode has no kernel stack: bpf_get_stack() would only say so, after
	 * touching cold caches (bench/RESULTS.md) */
	if (!VLOAD(ws->v.exact))
		key.kern_stack = capture_kernel_stack(ctx, gen);
	phase(FLAMED_METRIC_NS_KSTACK, &t);
	if (key.aspace) { /* kernel threads have no mm and no user stack */
		struct flamed_unwind_proc *proc = NULL;

		if (cfg_unwind_mode != FLAMED_UNWIND_FP) {
			proc = bpf_map_lookup_elem(&unwind_procs, &key.tgid);
			if (proc && proc->aspace != key.aspace)
				proc = NULL; /* stale: the process exec'd since */
			if (!proc)
				count(FLAMED_METRIC_UNWIND_NO_PROC);
		}
		/* without tables the same walker follows frame pointers, cheaper per frame than the
		 * kernel's user callchain walk behind bpf_get_stack() */
		ws->v.unknown_pc = 0;
		key.user_stack = walk_user_stack(ctx, gen, task, proc, ws, &t);
		if (proc && VLOAD(ws->v.unknown_pc))
			request_remap(proc, key.tgid, key.aspace, task);
		phase(FLAMED_METRIC_NS_USTORE, &t);
	}

	if (count_sample(&key, gen))
		return 0;
	count(FLAMED_METRIC_COUNTED);
	phase(FLAMED_METRIC_NS_COUNT, &t);
	if (key.aspace)
		announce(ws, slot, key.tgid, key.aspace, task, py_ep);
	phase(FLAMED_METRIC_NS_ANNOUNCE, &t);
	return 0;
}

/* Follow children of target processes (the command after "--" and what it starts). Threads share
 * their parent's tgid and need nothing. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid, ctgid;
	__u8 one = 1;

	if (!cfg_follow_forks)
		return 0;
	ptgid = BPF_CORE_READ(parent, tgid);
	ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY))
		count(FLAMED_METRIC_TARGETS_FULL);
	else
		count(FLAMED_METRIC_TARGET_FORKS);
	return 0;
}

/* An exec completed: the process has its new address space and its final name (a sample taken
 * during the exec sees the new mm with the old comm and no libraries yet). Announce it now, even
 * if a sample already did, so userspace snapshots the finished image. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct aspace_key ak = {};

	ak.tgid = BPF_CORE_READ(p, tgid);
	if (cfg_filter && !bpf_map_lookup_elem(&targets, &ak.tgid))
		return 0;
	ak.aspace = aspace_cookie(p);
	if (!ak.aspace || ak.tgid == cfg_self_tgid)
		return 0;
	/* not marked known: userspace reads a process only once a sample shows it runs (an exec
	 * storm of processes never sampled costs no snapshots), then its first sample after the
	 * exec announces it; this event only refreshes a process announced already */
	send_event(FLAMED_EVENT_EXEC, ak.tgid, ak.aspace, p);
	return 0;
}

/* A process with unwind tables ended (its last thread): userspace releases its tables, so rows of
 * binaries no process maps any more are reused. Only processes in "unwind_procs" are reported. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid;

	if (cfg_unwind_mode == FLAMED_UNWIND_FP)
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* other threads live on */
	tgid = BPF_CORE_READ(p, tgid);
	if (!bpf_map_lookup_elem(&unwind_procs, &tgid))
		return 0;
	send_event(FLAMED_EVENT_EXIT, tgid, 0, p);
	return 0;
}
