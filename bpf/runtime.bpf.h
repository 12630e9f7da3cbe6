/* SPDX-License-Identifier: GPL-2.0 */
/* Language runtimes in the user stack walk, included by unwind.bpf.h. Userspace (src/runtime/)
 * registers a process's runtime in "rt_procs": which one, the code ranges where its frames run
 * (an interpreter loop, a JIT code cache) and its parameters (offsets of its structs). When the
 * walker meets a pc in those ranges it hands the frame over to the runtime (rt_step), which
 * records its frames as words of its own format and says how the walk goes on; the walker puts
 * one marker in the native stack where they belong (bpf/flamed.h FLAMED_RT_MARK), so native and
 * runtime frames keep their order. At the end of the walk the runtime may add frames the walk
 * did not reach (rt_finish), and the words are stored as their own stack, linked from the native
 * one (rt_store).
 *
 * Each runtime's step is a global function: the verifier checks it once, on its own, so a
 * runtime adds its own instructions to the program's verification, never a multiple of
 * on_cpu_sample's paths. A runtime gets the walker's variables (pc, sp, bp: a runtime that
 * unwinds its own frames sets them to the caller's), its process's flamed_rt_proc, and the
 * word buffer; it keeps its per-sample state in its own per-CPU map, reset when out->fresh is
 * set. Adding one: docs/DESIGN.md, "Adding a runtime". */
#ifndef FLAMED_RUNTIME_BPF_H
#define FLAMED_RUNTIME_BPF_H

/* What a runtime's step did with the frame it was handed. */
enum rt_action {
	RT_NATIVE = 0,	 /* not its frame after all: the walker records and unwinds it as native */
	RT_REPLACED = 1, /* recorded the frames this native frame runs; the walker unwinds it */
	RT_UNWOUND = 2,	 /* recorded its frames and set pc, sp and bp to the caller's */
	RT_STOP = 3,	 /* the walk ends here (v->stop says why) */
	/* a native frame, recorded as such, that the runtime unwound (set pc, sp and bp to the
	 * caller's): a frameless stub of the runtime's the tables do not cover */
	RT_NATIVE_UNWOUND = 4,
};

/* Per tgid: the process's runtime (struct flamed_rt_proc, 208 bytes), written by userspace when
 * it finds a runtime it knows in the process. Not preallocated: memory follows the processes
 * registered; sized like unwind_procs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct flamed_rt_proc);
} rt_procs SEC(".maps");

/* The runtime words of the sample being walked and the walk's runtime state. The process's
 * flamed_rt_proc is copied here for the walk: the walker then holds no pointer that may be NULL
 * (the verifier would check every later path once with it and once without). */
struct rt_out {
	__u64 words[FLAMED_RT_MAX_WORDS];
	struct flamed_stack part; /* one part of the words at a time, as rt_store stores them */
	struct flamed_rt_proc rt;
	__u32 nwords;	 /* words recorded */
	__u32 fresh;	 /* set at the start of each walk: the runtime resets its state */
	__u32 gen;	 /* the sample's generation (active_gen) */
	__u32 truncated; /* a runtime had more words than FLAMED_RT_MAX_WORDS */
	__u32 stamp;	 /* the runtime's stamp of the sample, in every marker (flamed.h) */
	__u32 pad;
};

/* Per CPU: one sample at a time per CPU (perf_event programs do not nest). 4.3 KiB a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rt_out);
} rt_scratch SEC(".maps");

/* Record one word; false (and out->truncated) when the buffer is full. */
static __always_inline bool rt_emit(struct rt_out *out, __u64 word)
{
	__u32 i = out->nwords;

	if (i >= FLAMED_RT_MAX_WORDS) {
		out->truncated = 1;
		return false;
	}
	out->words[i] = word;
	out->nwords = i + 1;
	return true;
}

/* Room for n more words (a runtime whose frame takes two words records both or neither). */
static __always_inline bool rt_room(const struct rt_out *out, __u32 n)
{
	return out->nwords + n <= FLAMED_RT_MAX_WORDS;
}

#include "python.bpf.h"
#include "php.bpf.h"
#include "hotspot.bpf.h"
#include "ruby.bpf.h"
#include "v8.bpf.h"

/* Whether pc runs in one of rt's code ranges: the frame is the runtime's to walk. */
static __always_inline bool rt_covers(const struct flamed_rt_proc *rt, __u64 pc)
{
	__u32 nr = rt->nr_ranges;

	for (__u32 i = 0; i < FLAMED_RT_MAX_RANGES; i++) {
		if (i >= nr)
			break;
		if (pc >= rt->ranges[i].start && pc < rt->ranges[i].end)
			return true;
	}
	return false;
}

/* Put the runtime words recorded since before at the end of st: a new marker, or more words in
 * the marker just before (runtime frames one after another, no native frame between). */
static __always_inline void rt_mark(struct flamed_stack *st, struct walk_vars *v,
				    struct rt_out *out, __u32 before)
{
	__u32 added = out->nwords - before, n = st->nr, last = v->last_mark;

	if (!added)
		return;
	if (last && last == n && last - 1 < FLAMED_MAX_FRAMES) {
		st->ips[last - 1] += added;
	} else if (n < FLAMED_MAX_FRAMES) {
		st->ips[n] = FLAMED_RT_MARK | (__u64)out->stamp << 16 | added;
		st->nr = n + 1;
		v->last_mark = n + 1;
	}
	/* else no room: the words go at the root side, after the native frames */
}

/* The frame at v->pc (lookup_pc: the pc that decides its code): handed over to the process's
 * runtime when it has one whose code ranges cover it (its frames marked in st), else recorded
 * in st as a native frame. An enum rt_action. A global function, called for every frame: the
 * walker's callback then has one path on, whether or not the process runs a runtime. */
__noinline int rt_frame(struct flamed_stack *st, struct walk_vars *v, struct rt_out *out,
			__u64 lookup_pc)
{
	__u64 pc = v ? v->pc : 0;
	__u32 before, n;
	int act = RT_NATIVE;

	if (!st || !v || !out)
		return RT_STOP;
	if (v->rt_on && rt_covers(&out->rt, lookup_pc)) {
		before = out->nwords;
		switch (out->rt.runtime) {
		case FLAMED_RT_PYTHON:
			act = py_step(v, out);
			break;
		case FLAMED_RT_PHP:
			act = php_step(v, out, lookup_pc);
			break;
		case FLAMED_RT_HOTSPOT:
			act = hs_step(v, out);
			break;
		case FLAMED_RT_RUBY:
			act = rb_step(v, out, lookup_pc);
			break;
		case FLAMED_RT_V8:
			act = v8_frame(v, out);
			break;
		default:
			break;
		}
		rt_mark(st, v, out, before);
	}
	if (act == RT_NATIVE || act == RT_NATIVE_UNWOUND) {
		n = st->nr;
		if (n >= FLAMED_MAX_FRAMES) {
			v->stop = FLAMED_METRIC_UNWIND_STOP_DEPTH;
			return RT_STOP;
		}
		st->ips[n] = pc;
		st->nr = n + 1;
	}
	return act == RT_NATIVE_UNWOUND ? RT_UNWOUND : act;
}

/* The native walk ended: the runtime records what it has left (an interpreter's frames the walk
 * did not reach go at the root side, marked at the end of st) and counts the walk's outcome. */
__noinline int rt_finish(struct flamed_stack *st, struct walk_vars *v, struct rt_out *out)
{
	__u32 before;

	if (!st || !v || !out)
		return 0;
	before = out->nwords;
	switch (out->rt.runtime) {
	case FLAMED_RT_PYTHON:
		py_finish(out);
		break;
	case FLAMED_RT_PHP:
		php_finish(out);
		break;
	case FLAMED_RT_RUBY:
		rb_finish(out);
		break;
	case FLAMED_RT_V8:
		v8_finish();
		break;
	default:
		break;
	}
	rt_mark(st, v, out, before);
	return 0;
}

/* Store the sample's runtime words in the stacks map of generation gen, in parts of
 * FLAMED_RT_PART_WORDS, the last first so that each can end in the hash of the next; returns the
 * first part's hash, 0 when there are none or a part could not be stored. */
__noinline __u64 rt_store(struct rt_out *out, __u32 gen)
{
	struct flamed_stack *st;
	__u32 n, nr, base;
	__u64 next = 0;

	if (!out)
		return 0;
	st = &out->part;
	n = out->nwords;
	if (!n || n > FLAMED_RT_MAX_WORDS)
		return 0;
	for (int i = FLAMED_RT_PARTS - 1; i >= 0; i--) {
		base = i * FLAMED_RT_PART_WORDS;
		if (base >= n)
			continue;
		nr = n - base;
		if (nr > FLAMED_RT_PART_WORDS)
			nr = FLAMED_RT_PART_WORDS;
		/* a copy within this CPU's map value, one helper call rather than a loop */
		if (nr < 1 || bpf_probe_read_kernel(st->ips, nr * sizeof(__u64), &out->words[base]))
			return 0;
		st->flags = FLAMED_STACK_RT_FRAMES | (out->truncated ? FLAMED_STACK_TRUNCATED : 0);
		if (next) {
			st->ips[nr] = next; /* nr is FLAMED_RT_PART_WORDS: there is room */
			nr++;
			st->flags |= FLAMED_STACK_RT_MORE;
		}
		st->nr = nr;
		/* the words are not addresses: unique per runtime frame, and the seed differs */
		next = store_stack(st, gen, 0x72756e74);
		if (!next)
			return 0;
	}
	return next;
}

#endif /* FLAMED_RUNTIME_BPF_H */
