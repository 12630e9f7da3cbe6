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

#define EEXIST 17 /* vmlinux.h has no errno values */

char LICENSE[] SEC("license") = "GPL";

/* Load-time knobs, set by src/bpf/sampler.c before load. */
const volatile __u32 cfg_self_tgid = 0;			/* flamed's own pid: never sampled */
const volatile __u8 cfg_filter = 0;			/* 1: only tgids in "targets" */
const volatile __u8 cfg_follow_forks = 0;		/* 1: children of targets become targets */
const volatile __u8 cfg_include_idle = 0;		/* 1: keep samples of the idle task */
const volatile __u8 cfg_unwind_mode = FLAMED_UNWIND_FP; /* enum flamed_unwind_mode */

/* Generation the program writes into (0 or 1). Userspace flips it, waits for programs in flight
 * to finish, then drains and clears the other generation: no sample is lost while it reads. */
__u32 active_gen = 0;

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

/* Processes to profile when cfg_filter is set (-p, or the command after --, and with
 * cfg_follow_forks its descendants). Value unused. Sized at load time (default 8192). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Unwind rows of every loaded table, back to back; userspace writes them through mmap and hands
 * out ranges per file (src/bpf/sampler.c). 8 bytes a row; sized at load time (2M rows = 16 MiB
 * by default, 1 row with --unwind fp). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flamed_unwind_row);
} unwind_rows SEC(".maps");

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

static __always_inline __u64 stack_hash(const struct flamed_stack *st, __u64 seed)
{
	__u64 h = 0xcbf29ce484222325ULL ^ seed;

	for (__u32 i = 0; i < FLAMED_MAX_FRAMES; i++) {
		if (i >= st->nr)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= st->nr;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	return h ? h : 1; /* 0 means "no stack" in flamed_count_key */
}

/* Store st in the stacks map of this generation; returns its hash, or 0 if it could not be
 * stored. */
static __always_inline __u64 store_stack(void *stacks, struct flamed_stack *st, __u64 seed)
{
	__u64 h = stack_hash(st, seed);
	long err;

	/* most stacks repeat: a lookup is cheap, while an update copies the whole 1 KiB value
	 * into a fresh element before it finds the key exists */
	if (bpf_map_lookup_elem(stacks, &h))
		return h;
	err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count(FLAMED_METRIC_STACK_MAP_FULL);
		return 0;
	}
	return h;
}

#include "python.bpf.h"

/* Capture the kernel stack into scratch slot 0; returns its hash in this generation's stacks map,
 * or 0 (none: the sample hit user mode). */
static __always_inline __u64 capture_kernel_stack(struct bpf_perf_event_data *ctx, void *stacks)
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
	return store_stack(stacks, st, 0x6b65726e);
}

/* --- user stack walking: unwind tables, frame pointers where there are none --- */

/* Walker variables live in map memory, not on the BPF stack: the verifier does not track values
 * loaded from maps, so the states of successive search and walk iterations look alike and are
 * pruned, instead of multiplying (bounded loops with precise stack scalars blow past the
 * verifier's 1M-instruction budget). */
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
	__u32 pad;
};

/* Per-CPU walker variables; one slot, perf_event programs do not nest on a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_vars);
} walk_scratch SEC(".maps");

/* What the bpf_loop callback needs besides the variables: pointers, kept on the stack. */
struct walk_ctx {
	struct flamed_stack *st;
	const struct flamed_unwind_proc *proc;
	struct walk_vars *v;
};

#define NOT_FOUND 0xffffffffu

/* Index of the mapping of proc containing pc, or NOT_FOUND. */
static __always_inline __u32 find_mapping(const struct flamed_unwind_proc *proc,
					  struct walk_vars *v, __u64 pc)
{
	v->lo = 0;
	v->hi = proc->nr;
	v->found = NOT_FOUND;
	for (int i = 0; i < 10; i++) { /* log2(256) + 1 */
		__u32 lo = v->lo, hi = v->hi, mid;
		const struct flamed_unwind_mapping *m;

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
			break;
		}
	}
	return v->found;
}

/* Index (into unwind_rows) of the last row of the table [start, start + count) whose pc <= rel,
 * or NOT_FOUND. */
static __always_inline __u32 find_row(struct walk_vars *v, __u32 start, __u32 count, __u32 rel)
{
	v->lo = start;
	v->hi = start + count;
	v->found = NOT_FOUND;
	for (int i = 0; i < FLAMED_UNWIND_SEARCH_STEPS; i++) {
		__u32 lo = v->lo, hi = v->hi, mid;
		const struct flamed_unwind_row *r;

		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		r = bpf_map_lookup_elem(&unwind_rows, &mid);
		if (!r)
			break;
		if (r->pc <= rel) {
			v->found = mid;
			v->lo = mid + 1;
		} else {
			v->hi = mid;
		}
	}
	return v->found;
}

/* One frame-pointer step: the fallback where no table covers pc, and all of --unwind fp. Like the
 * kernel's user callchain walker, a return address is kept even when the saved rbp beside it is
 * no frame pointer (code built without them): the chain then ends at the next step. */
static __always_inline long fp_step(struct walk_vars *v)
{
	__u64 frame[2]; /* saved rbp, return address */
	__u64 bp = v->bp;

	if (!bp || bpf_probe_read_user(frame, sizeof(frame), (void *)bp) || !frame[1]) {
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
	const struct flamed_unwind_row *row = NULL;
	__u64 lookup_pc, cfa, ra, rel, bp;
	__u32 n = st->nr, mi, ri;
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
		return fp_step(v);
	mi = find_mapping(w->proc, v, lookup_pc);
	if (mi == NOT_FOUND)
		v->unknown_pc = 1;
	if (mi < FLAMED_UNWIND_MAX_MAPPINGS) {
		m = &w->proc->m[mi];
		rel = lookup_pc - m->pc_sub;
		if (m->row_count && rel <= 0xffffffffULL) {
			ri = find_row(v, m->row_start, m->row_count, (__u32)rel);
			if (ri != NOT_FOUND)
				row = bpf_map_lookup_elem(&unwind_rows, &ri);
		}
	}
	if (!row || (row->kinds & 0xf) == FLAMED_CFA_NONE) {
		if (cfg_unwind_mode == FLAMED_UNWIND_DWARF) {
			v->stop = m ? FLAMED_METRIC_UNWIND_STOP_NO_ROW
				    : FLAMED_METRIC_UNWIND_STOP_NO_MAPPING;
			return 1;
		}
		if (fp_step(v)) {
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
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8))) {
		v->stop = FLAMED_METRIC_UNWIND_STOP_READ_FAULT;
		return 1;
	}
	switch (row->kinds >> 4) {
	case FLAMED_RBP_UNCHANGED:
		break;
	case FLAMED_RBP_AT_CFA:
		if (bpf_probe_read_user(&bp, sizeof(bp), (void *)(cfa + (__s64)row->rbp_off * 8)))
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

/* Walk the user stack with the process's unwind tables into scratch slot 1. Returns the stack's
 * hash in this generation's stacks map, or 0. */
static __always_inline __u64 walk_user_stack(struct bpf_perf_event_data *ctx, void *stacks,
					     struct task_struct *task,
					     const struct flamed_unwind_proc *proc,
					     bool *ret_unknown)
{
	__u32 slot = 1, zero = 0;
	struct walk_ctx w = { .proc = proc };
	struct pt_regs *regs;
	__u64 cs;

	w.st = bpf_map_lookup_elem(&scratch, &slot);
	w.v = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!w.st || !w.v)
		return 0;
	w.st->nr = 0;
	w.st->flags = 0;
	w.v->stop = 0;
	w.v->unknown_pc = 0;
	w.v->dwarf_frames = 0;
	w.v->fp_frames = 0;
	/* the context allows only 8-byte loads; cs shares its word with padding */
	cs = *(volatile __u64 *)((void *)&ctx->regs + __builtin_offsetof(struct pt_regs, cs));
	if ((cs & 3) == 3) { /* the sample hit user mode: its registers are exact */
		w.v->pc = ctx->regs.ip;
		w.v->sp = ctx->regs.sp;
		w.v->bp = ctx->regs.bp;
		w.v->exact = 1;
	} else { /* in the kernel: the user registers saved at kernel entry */
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if (!regs) {
			count(FLAMED_METRIC_USTACK_ERR);
			return 0;
		}
		w.v->pc = BPF_CORE_READ(regs, ip);
		w.v->sp = BPF_CORE_READ(regs, sp);
		w.v->bp = BPF_CORE_READ(regs, bp);
		w.v->exact = 0;
	}
	count(FLAMED_METRIC_UNWIND_WALKS);
	bpf_loop(FLAMED_MAX_FRAMES + 1, unwind_step, &w, 0);
	if (w.v->stop)
		count(w.v->stop);
	add(FLAMED_METRIC_UNWIND_FRAMES_DWARF, w.v->dwarf_frames);
	add(FLAMED_METRIC_UNWIND_FRAMES_FP, w.v->fp_frames);
	if (w.v->stop == FLAMED_METRIC_UNWIND_STOP_DEPTH) {
		w.st->flags |= FLAMED_STACK_TRUNCATED;
		count(FLAMED_METRIC_USTACK_TRUNCATED);
	}
	*ret_unknown = w.v->unknown_pc;
	if (w.st->nr == 0)
		return 0;
	py_walk(w.st, active_gen); /* a CPython process: its Python frames, linked at the end */
	return store_stack(stacks, w.st, 0x75736572);
}

/* Address-space cookie: the mm pointer mixed with the process's start time. The kernel reuses
 * pids and mm_struct slots alike, so a process that gets both from one that exited still gets a
 * new cookie (and a fresh maps snapshot). 0 only without an mm (kernel threads). */
static __always_inline __u64 aspace_cookie(struct task_struct *task)
{
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);

	if (!mm)
		return 0;
	return (mm ^ (BPF_CORE_READ(task, group_leader, start_time) * 0x9e3779b97f4a7c15ULL)) | 1;
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

static __always_inline void announce(__u32 tgid, __u64 aspace, struct task_struct *task)
{
	struct aspace_key ak = { .aspace = aspace, .tgid = tgid };
	__u8 one = 1;

	if (bpf_map_lookup_elem(&known, &ak))
		return;
	/* not marked known when the event is lost: the next sample announces it again */
	if (send_event(FLAMED_EVENT_NEW_ASPACE, tgid, aspace, task))
		bpf_map_update_elem(&known, &ak, &one, BPF_ANY);
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

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct flamed_count_key key = {};
	struct task_struct *task;
	__u64 pid_tgid, *val, one = 1;
	void *counts, *stacks;
	long err;

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

	if (active_gen) {
		counts = &counts1;
		stacks = &stacks1;
	} else {
		counts = &counts0;
		stacks = &stacks0;
	}

	task = bpf_get_current_task_btf();
	key.aspace = aspace_cookie(task);
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kern_stack = capture_kernel_stack(ctx, stacks);
	if (key.aspace) { /* kernel threads have no mm and no user stack */
		struct flamed_unwind_proc *proc = NULL;
		bool unknown = false;

		if (cfg_unwind_mode != FLAMED_UNWIND_FP) {
			proc = bpf_map_lookup_elem(&unwind_procs, &key.tgid);
			if (proc && proc->aspace != key.aspace)
				proc = NULL; /* stale: the process exec'd since */
			if (!proc)
				count(FLAMED_METRIC_UNWIND_NO_PROC);
		}
		/* without tables the same walker follows frame pointers, ~30% cheaper per frame
		 * than the kernel's user callchain walk behind bpf_get_stack() */
		key.user_stack = walk_user_stack(ctx, stacks, task, proc, &unknown);
		if (proc && unknown)
			request_remap(proc, key.tgid, key.aspace, task);
	}

	val = bpf_map_lookup_elem(counts, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
	} else {
		err = bpf_map_update_elem(counts, &key, &one, BPF_NOEXIST);
		if (err == -EEXIST) { /* another CPU inserted it first */
			val = bpf_map_lookup_elem(counts, &key);
			if (val)
				__sync_fetch_and_add(val, 1);
		} else if (err) {
			count(FLAMED_METRIC_COUNT_MAP_FULL);
			return 0;
		}
	}
	count(FLAMED_METRIC_COUNTED);
	if (key.aspace)
		announce(key.tgid, key.aspace, task);
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
