/* SPDX-License-Identifier: GPL-2.0 */
/* CPython frames: the FLAMED_RT_PYTHON runtime, included by runtime.bpf.h. py_step() and
 * py_finish() are global functions, verified once on their own. They know no Python version:
 * src/python/ hands them, per process, the address of _PyRuntime.interpreters.head and the
 * offsets of that interpreter's structs.
 *
 * The walk: at the first native frame of the eval loop (or at the end of the native walk if it
 * met none), the sampled thread's PyThreadState (cached per thread id, found by pthread_self(),
 * which is the thread's fs base, in the main interpreter's thread list) and its current frame;
 * then, for each native eval-loop frame, the Python frames that call runs, outwards up to its
 * entry frame, in its place; at the end of the walk the frames left. Every read is
 * bpf_probe_read_user() of memory the process controls: a bad value ends the walk (counted),
 * never more than the word buffer holds. */
#ifndef FLAMED_PYTHON_BPF_H
#define FLAMED_PYTHON_BPF_H

struct py_thread {
	__u64 aspace;	/* the image the thread state belongs to */
	__u64 tstate;	/* its PyThreadState; 0: the thread has none (a native thread) */
	__u64 retry_ns; /* with tstate 0: no new search before this bpf_ktime_get_ns() */
	__u64 head;	/* the thread list's head when it was searched */
};

/* An answer holds while the thread list's head is the one it was found in: a thread state made
 * since moves the head (a thread started; a native thread called into Python: each such call
 * makes a state, pushed at the head, and frees it after), so does freeing the newest one, and
 * the thread is searched again. The thread id alone does not tell: a freed state still holds
 * it, and its frames are gone (a freed state below the head still passes: its walk ends at a
 * bad pointer or no frame, counted). A thread without a thread state (a native thread of a
 * Python process, e.g. a BLAS worker) is searched for again only this often in the same list,
 * not on each of its samples. No answer is kept from a list with a state being set up (none
 * yet, or one without its thread id: 3.12+ binds it after linking it): keeping it would cost a
 * starting process its first 200 ms of Python frames. */
#define PY_NO_THREAD_RETRY_NS 200000000ULL

/* Per thread id: its PyThreadState, so the thread list is searched once per thread, not per
 * sample; checked on every use (the same list head, thread_id still the fs base); or that it
 * has none. LRU: an evicted thread is searched again. 16384 covers the Python threads of a
 * busy host. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct py_thread);
} py_threads SEC(".maps");

/* Walk state: in map memory (not the BPF stack) so the verifier does not track it per loop
 * iteration, like walk_vars. */
struct py_vars {
	__u64 fsbase; /* the sampled thread's pthread_self() */
	__u64 tstate; /* thread list cursor, then the thread's PyThreadState */
	__u64 frame;  /* frame chain cursor: the next Python frame to record */
	__u32 stop;   /* metric id of the reason the walk ended early; 0 otherwise */
	__u32 found;
	__u32 unbound; /* the thread list held a state without a thread id, or none */
	__u32 pad;
	__u32 gen;	 /* the sample's generation (active_gen) */
	__u32 code_hits; /* frames whose code was in codes[], this walk */
	__u64 aspace;	 /* the sampled process's address-space cookie */
	__u32 frames;	 /* Python frames recorded, this walk */
	__u32 one_call;	 /* 1: record the frames of one eval call only (its native frame's) */
};

/* The code objects this CPU's walks read in the current generation, direct mapped by address
 * and keyed by (address space, address): a hot function's frames skip their second read
 * (co_firstlineno; bench/RESULTS.md). Only the line's tag rides on it, and userspace checks the
 * tag against the object it reads at that address: an object replaced within the generation
 * gets its frames counted as replaced, never misnamed. 64 slots, 1.5 KiB a CPU. */
#define PY_CODE_SLOTS 64
struct py_code_seen {
	__u64 code;
	__u64 aspace;
	__s32 first;
	__u32 gen;
};

struct py_scratch {
	struct py_vars v;
	__u8 frame[FLAMED_PY_FRAME_READ]; /* the frame at the cursor, read at once */
	struct py_code_seen codes[PY_CODE_SLOTS];
};

/* Per-CPU: one sample at a time per CPU (perf_event programs do not nest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_scratch);
} py_scratch SEC(".maps");

struct py_ctx {
	const struct flamed_py_proc *p;
	struct py_scratch *s;
	struct rt_out *out;
};

/* Read a pointer-sized word at addr; 0 and a READ_FAULT stop when it faults. */
static __always_inline __u64 py_read_u64(struct py_vars *v, __u64 addr)
{
	__u64 val = 0;

	if (bpf_probe_read_user(&val, sizeof(val), (void *)addr)) {
		v->stop = FLAMED_METRIC_PY_READ_FAULT;
		return 0;
	}
	return val;
}

/* Fields of the frame copy; offsets come from userspace, so they are bounded here. */
static __always_inline __u64 frame_u64(const struct py_scratch *s, __u32 off)
{
	if (off > FLAMED_PY_FRAME_READ - 8)
		return 0;
	return *(const __u64 *)&s->frame[off];
}

static __always_inline __s32 frame_s32(const struct py_scratch *s, __u32 off)
{
	if (off > FLAMED_PY_FRAME_READ - 4)
		return 0;
	return *(const __s32 *)&s->frame[off];
}

static __always_inline __u8 frame_u8(const struct py_scratch *s, __u32 off)
{
	if (off > FLAMED_PY_FRAME_READ - 1)
		return 0;
	return s->frame[off];
}

/* bpf_loop callback: is the thread state at the cursor the sampled thread's? */
static long py_thread_step(__u32 idx, void *arg)
{
	struct py_ctx *c = arg;
	struct py_vars *v = &c->s->v;
	__u64 ts = v->tstate, id;

	if (!ts || ts > FLAMED_PY_CODE_MASK)
		return 1;
	id = py_read_u64(v, ts + c->p->tstate_thread_id);
	if (v->stop)
		return 1;
	if (id == v->fsbase) {
		v->found = 1;
		return 1;
	}
	if (!id)
		v->unbound = 1;
	v->tstate = py_read_u64(v, ts + c->p->tstate_next);
	return v->stop ? 1 : 0;
}

/* bpf_loop callback: record the frame at the cursor, then step to its caller; with one_call, stop
 * after the outermost frame of the current eval call. */
static long py_frame_step(__u32 idx, void *arg)
{
	struct py_ctx *c = arg;
	const struct flamed_py_proc *p = c->p;
	struct py_vars *v = &c->s->v;
	struct py_code_seen *seen;
	__u64 frame = v->frame, code, instr, word;
	__u32 size = p->frame_size;
	__s32 first = 0;
	bool entry = false;

	if (!frame)
		return 1;
	if (frame > FLAMED_PY_CODE_MASK) {
		v->stop = FLAMED_METRIC_PY_BAD_POINTER;
		return 1;
	}
	/* one read per frame: every field used sits in its first frame_size bytes */
	if (size > FLAMED_PY_FRAME_READ)
		size = FLAMED_PY_FRAME_READ;
	if (bpf_probe_read_user(c->s->frame, size, (void *)frame)) {
		v->stop = FLAMED_METRIC_PY_READ_FAULT;
		return 1;
	}
	v->frame = frame_u64(c->s, p->frame_back);
	if (p->cstack_owner != 0xff && frame_u8(c->s, p->frame_owner) == p->cstack_owner) {
		/* 3.12+: the shim an eval call pushes below its first frame: the frame recorded
		 * last was the outermost of the call, whose frames end here */
		return v->one_call ? 1 : 0;
	}
	code = frame_u64(c->s, p->frame_code);
	if (p->instr_kind == FLAMED_PY_INSTR_PTR) {
		__u64 base = code + p->code_adaptive;

		instr = frame_u64(c->s, p->frame_instr);
		instr = instr >= base ? (instr - base) / 2 : 0; /* 2-byte code units */
	} else {
		__s32 lasti = frame_s32(c->s, p->frame_instr);

		instr = lasti > 0 ? lasti : 0;
		entry = true; /* up to 3.10 every Python call is its own eval call */
	}
	if (p->frame_is_entry != FLAMED_PY_NONE)
		entry = frame_u8(c->s, p->frame_is_entry) != 0;
	if (v->stop)
		return 1;
	if (!code || code > FLAMED_PY_CODE_MASK || (code & 15)) {
		v->stop = FLAMED_METRIC_PY_BAD_POINTER;
		return 1;
	}
	if (instr > FLAMED_PY_INSTR_MAX)
		instr = FLAMED_PY_INSTR_MAX;
	seen = &c->s->codes[(__u32)((code >> 4) * 0x9e3779b97f4a7c15ULL >> 58) &
			    (PY_CODE_SLOTS - 1)];
	if (seen->code == code && seen->aspace == v->aspace && seen->gen == v->gen) {
		first = seen->first;
		v->code_hits++;
	} else {
		if (bpf_probe_read_user(&first, sizeof(first),
					(void *)(code + p->code_firstlineno))) {
			v->stop = FLAMED_METRIC_PY_READ_FAULT;
			return 1;
		}
		seen->code = code;
		seen->aspace = v->aspace;
		seen->first = first;
		seen->gen = v->gen;
	}
	word = code >> 4 | instr << FLAMED_PY_INSTR_SHIFT |
	       ((__u64)first & FLAMED_PY_TAG_MASK) << FLAMED_PY_TAG_SHIFT;
	if (!rt_emit(c->out, word)) {
		v->stop = FLAMED_METRIC_PY_TRUNCATED;
		return 1;
	}
	v->frames++;
	return entry && v->one_call ? 1 : 0;
}

/* Find the sampled thread's PyThreadState into v->tstate (0: none). */
static __always_inline void py_find_thread(struct py_ctx *c, __u32 tid, __u64 aspace)
{
	const struct flamed_py_proc *p = c->p;
	struct py_vars *v = &c->s->v;
	struct py_thread *t = bpf_map_lookup_elem(&py_threads, &tid);
	struct py_thread nt = { .aspace = aspace };
	__u64 interp, head;

	v->tstate = 0;
	v->found = 0;
	v->unbound = 0;
	interp = py_read_u64(v, p->interp_head);
	if (!interp || interp > FLAMED_PY_CODE_MASK)
		return;
	head = py_read_u64(v, interp + p->interp_tstate_head);
	if (v->stop)
		return;
	if (t && t->aspace == aspace && t->head == head) {
		if (t->tstate) {
			if (py_read_u64(v, t->tstate + p->tstate_thread_id) == v->fsbase &&
			    !v->stop) {
				v->tstate = t->tstate;
				return;
			}
			v->stop = 0; /* a stale entry: search again */
		} else if (bpf_ktime_get_ns() < t->retry_ns) {
			return; /* searched recently in the same list, not found */
		}
	}
	v->tstate = head;
	bpf_loop(FLAMED_PY_MAX_THREADS, py_thread_step, c, 0);
	if (!v->found) {
		v->tstate = 0;
		if (v->stop || v->unbound || !head)
			return; /* no answer: try again at the next sample */
		nt.retry_ns = bpf_ktime_get_ns() + PY_NO_THREAD_RETRY_NS;
	}
	nt.tstate = v->tstate;
	nt.head = head;
	bpf_map_update_elem(&py_threads, &tid, &nt, BPF_ANY);
}

/* The sample's first look at the interpreter: the thread's PyThreadState and its current frame
 * into c->s->v (frame 0: none). Once per walk (out->fresh). */
static __always_inline void py_begin(struct py_ctx *c, const struct flamed_rt_proc *rt)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct py_vars *v = &c->s->v;
	__u64 frame;

	c->out->fresh = 0;
	count(FLAMED_METRIC_PY_WALKS);
	v->stop = 0;
	v->frame = 0;
	v->frames = 0;
	v->code_hits = 0;
	v->gen = c->out->gen;
	v->aspace = rt->aspace;
	v->fsbase = task->thread.fsbase;
	py_find_thread(c, tid, rt->aspace);
	if (!v->tstate)
		return;
	frame = py_read_u64(v, v->tstate + c->p->tstate_frame);
	if (frame && c->p->cframe_frame != FLAMED_PY_NONE && frame <= FLAMED_PY_CODE_MASK)
		frame = py_read_u64(v, frame + c->p->cframe_frame);
	v->frame = v->stop ? 0 : frame;
}

/* Record Python frames of the sampled thread from the cursor on: those of one eval call (the
 * one whose native frame the walker is at) with one_call, else all that are left. The first
 * call of a walk finds the thread's current frame. Returns the frames recorded. A global
 * function: py_step and py_finish share one verification of the walk. */
__noinline int py_frames(struct rt_out *out, int one_call)
{
	struct py_ctx c;
	__u32 zero = 0, before;

	if (!out)
		return 0;
	c.p = &out->rt.params.py;
	c.out = out;
	c.s = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!c.s)
		return 0;
	if (out->fresh)
		py_begin(&c, &out->rt);
	if (!c.s->v.frame || c.s->v.stop)
		return 0;
	before = out->nwords;
	c.s->v.one_call = one_call;
	/* shim frames take iterations too: room for one per recorded frame */
	bpf_loop(2 * FLAMED_RT_MAX_WORDS + 1, py_frame_step, &c, 0);
	return out->nwords - before;
}

/* A native frame of the eval loop: the Python frames of its call go in its place. */
static __always_inline int py_step(struct walk_vars *wv, struct rt_out *out)
{
	return py_frames(out, 1) ? RT_REPLACED : RT_NATIVE;
}

/* The native walk ended: the Python frames it did not reach go at the root side; count how the
 * walk of the thread's Python frames ended. */
static __always_inline void py_finish(struct rt_out *out)
{
	__u32 zero = 0;
	struct py_scratch *s;
	struct py_vars *v;

	py_frames(out, 0);
	s = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!s)
		return;
	v = &s->v;
	add(FLAMED_METRIC_PY_CODE_HITS, v->code_hits);
	add(FLAMED_METRIC_PY_FRAMES, v->frames);
	if (v->stop)
		count(v->stop);
	else if (!v->tstate)
		count(FLAMED_METRIC_PY_NO_THREAD);
	else if (!v->frames)
		count(FLAMED_METRIC_PY_IDLE);
}

#endif /* FLAMED_PYTHON_BPF_H */
