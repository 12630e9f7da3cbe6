/* SPDX-License-Identifier: GPL-2.0 */
/* V8 frames: the FLAMED_RT_V8 runtime, included by runtime.bpf.h. V8 keeps the frame pointer in
 * every frame it builds, so the native walker gets through its frames by itself (frame pointers:
 * neither the code space nor the embedded builtins have unwind tables); what it hands over is
 * each frame's identity. v8_frame(), a global function verified once on its own, looks at the
 * frame the walker stands at (its frame pointer) and records, for a JavaScript frame:
 *   interpreted (the pc in the embedded builtins: the interpreter's trampoline and bytecode
 *   handlers): its function's SharedFunctionInfo, the frame's BytecodeArray and bytecode offset;
 *   baseline, Maglev, TurboFan (the pc in the code space, in the code its JSFunction points to):
 *   the Code, the SharedFunctionInfo and the pc's offset;
 *   any other JavaScript frame (on-stack replacement, code deoptimized since): the
 *   SharedFunctionInfo and a tag of it.
 * Entry, exit, stub and builtin frames carry a marker in the context slot, builtin functions a
 * builtin id in their function data: they stay native frames, named by the binary's symbols.
 * It knows no V8 version: src/v8/ hands it the slots and fields from the binary's own
 * post-mortem metadata. Every read is bpf_probe_read_user() of memory the process controls: a
 * value that is not what it should be leaves the frame native (counted), never more. */
#ifndef FLAMED_V8_BPF_H
#define FLAMED_V8_BPF_H

/* An object's first bytes, read at once, as words and as 32-bit fields. */
union v8_obj {
	__u64 q[FLAMED_V8_OBJECT_READ / 8];
	__u32 d[FLAMED_V8_OBJECT_READ / 4];
};

struct v8_scratch {
	__u64 slots[FLAMED_V8_FRAME_READ / 8]; /* the frame's fixed slots: [fp - 48, fp) */
	union v8_obj fn;		       /* the JSFunction, from its start */
	union v8_obj code;		       /* the Code, from code_read */
	__u32 frames;			       /* this walk's tallies, added up by v8_finish */
	__u32 native;
	__u32 code_unknown;
	__u32 bad;
	__u32 faults;
	__u32 stop; /* FLAMED_METRIC_V8_TRUNCATED once the word buffer is full */
	__u32 seen; /* the walk met a V8 frame */
};

/* Per CPU: one sample at a time per CPU (perf_event programs do not nest). 200 bytes a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct v8_scratch);
} v8_scratch SEC(".maps");

/* A tagged heap pointer (low bits 01, 8-byte aligned object) in user space, or 0. */
static __always_inline __u64 v8_heap_ptr(__u64 w)
{
	return (w & 7) == 1 && w < FLAMED_RT_USER_MAX ? w : 0;
}

/* The frame slot at fp + off (off negative, from userspace: bounded here). */
static __always_inline __u64 v8_slot(const struct v8_scratch *s, __s32 off)
{
	__u32 i = (__u32)(FLAMED_V8_FRAME_READ + off) / 8;

	barrier_var(i);
	if (i >= FLAMED_V8_FRAME_READ / 8)
		return 0;
	return s->slots[i];
}

/* The word at byte off of an object's copy (8-byte aligned fields). */
static __always_inline __u64 v8_field64(const union v8_obj *obj, __u32 off)
{
	__u32 i = off / 8;

	barrier_var(i);
	if (i >= FLAMED_V8_OBJECT_READ / 8)
		return 0;
	return obj->q[i];
}

/* The 32-bit field at byte off (4-byte aligned). */
static __always_inline __u32 v8_field32(const union v8_obj *obj, __u32 off)
{
	__u32 i = off / 4;

	barrier_var(i);
	if (i >= FLAMED_V8_OBJECT_READ / 4)
		return 0;
	return obj->d[i];
}

/* Record a frame's two words; false (and the walk's stop) when the buffer is full. */
static __always_inline bool v8_emit(struct rt_out *out, struct v8_scratch *s, __u64 w0, __u64 w1)
{
	if (!rt_room(out, 2)) {
		out->truncated = 1;
		s->stop = FLAMED_METRIC_V8_TRUNCATED;
		return false;
	}
	rt_emit(out, w0);
	rt_emit(out, w1);
	s->frames++;
	return true;
}

static __always_inline __u64 v8_word(__u64 type, __u64 tag, __u64 a)
{
	return type << FLAMED_V8_TYPE_SHIFT | (tag & FLAMED_V8_TAG_MASK) << FLAMED_V8_TAG_SHIFT |
	       (a >> 3 & FLAMED_V8_PTR_MASK);
}

static __always_inline __u64 v8_offset_word(__u64 off, __u64 b)
{
	if (off > FLAMED_V8_OFFSET_MAX)
		off = FLAMED_V8_OFFSET_MAX;
	return off << FLAMED_V8_OFFSET_SHIFT | (b >> 3 & FLAMED_V8_PTR_MASK);
}

/* Whether pc runs in the embedded builtins (the first nr_builtin_ranges code ranges). */
static __always_inline bool v8_in_builtins(const struct flamed_rt_proc *rt, __u64 pc)
{
	__u32 nr = rt->params.v8.nr_builtin_ranges;

	for (__u32 i = 0; i < FLAMED_RT_MAX_RANGES; i++) {
		if (i >= nr)
			break;
		if (pc >= rt->ranges[i].start && pc < rt->ranges[i].end)
			return true;
	}
	return false;
}

/* Whether the frame's slots are an interpreted frame's: its BytecodeArray, and its bytecode
 * offset as a Smi. */
static __always_inline bool v8_interpreter_slots(const struct v8_scratch *s,
						 const struct flamed_v8_proc *p)
{
	return v8_heap_ptr(v8_slot(s, p->fp_bytecode_array)) &&
	       !(v8_slot(s, p->fp_bytecode_offset) & 1);
}

/* An interpreted frame of sfi: its BytecodeArray and bytecode offset from the frame's slots. */
static __always_inline int v8_interpreted(struct rt_out *out, struct v8_scratch *s,
					  const struct flamed_v8_proc *p, __u64 sfi)
{
	__u64 bc = v8_heap_ptr(v8_slot(s, p->fp_bytecode_array));
	__u64 raw = v8_slot(s, p->fp_bytecode_offset);
	__s64 off;

	if (!v8_interpreter_slots(s, p)) {
		s->bad++;
		return RT_NATIVE;
	}
	/* the slot counts from the array's tagged pointer, header included */
	off = (__s64)raw >> (p->smi_shift & 63);
	off -= (__s64)p->bytecode_data - 1;
	if (off < 0)
		off = FLAMED_V8_OFFSET_MAX;
	if (!v8_emit(out, s, v8_word(FLAMED_V8_INTERPRETED, 0, sfi), v8_offset_word(off, bc)))
		return RT_NATIVE;
	return RT_REPLACED;
}

/* A JavaScript frame whose code is unknown: its function, with a tag of its immutable fields,
 * and its pc. */
static __always_inline int v8_other(struct rt_out *out, struct v8_scratch *s,
				    const struct flamed_v8_proc *p, __u64 sfi, __u64 pc, __u64 ra)
{
	__u64 fields = 0;

	if (bpf_probe_read_user(&fields, sizeof(fields), (void *)(sfi - 1 + p->sfi_tag))) {
		s->faults++;
		return RT_NATIVE;
	}
	s->code_unknown++;
	if (!v8_emit(out, s, v8_word(FLAMED_V8_OTHER, FLAMED_V8_SFI_TAG(fields), sfi) | ra,
		     pc & FLAMED_RT_USER_MAX))
		return RT_NATIVE;
	return RT_REPLACED;
}

/* Read the Code at code into s->code: its instruction start, size and kind; false when it
 * cannot be read. */
static __always_inline bool v8_read_code(struct v8_scratch *s, const struct flamed_v8_proc *p,
					 __u64 code, __u64 *start, __u64 *size, __u32 *kind)
{
	__u32 flags;

	if (!code ||
	    bpf_probe_read_user(&s->code, sizeof(s->code), (void *)(code - 1 + p->code_read))) {
		if (code)
			s->faults++;
		return false;
	}
	*start = p->code_start_inline ? code - 1 + p->code_start
				      : v8_field64(&s->code, p->code_start - p->code_read);
	*size = v8_field32(&s->code, p->code_size - p->code_read);
	flags = v8_field32(&s->code, p->code_flags - p->code_read);
	*kind = flags >> (p->code_kind_shift & 31) & p->code_kind_mask;
	return true;
}

/* The sample's pc in a builtin that builds no frame (a baseline code's arithmetic, an inline
 * cache), called by the baseline or optimized code of the frame at bp: the frame pointer is
 * its caller's, and its return address is at the top of the stack. Recorded as the native frame
 * it is, and unwound to that caller, which is then walked as any JavaScript frame. */
static __always_inline int v8_frameless(struct walk_vars *wv, struct v8_scratch *s,
					const struct flamed_v8_proc *p, __u64 code)
{
	__u64 start, size, ret = 0;
	__u32 kind;

	if (!v8_read_code(s, p, code, &start, &size, &kind) || kind <= p->code_kind_interpreted ||
	    bpf_probe_read_user(&ret, sizeof(ret), (void *)wv->sp) || ret - 1 - start >= size) {
		s->bad++;
		return RT_NATIVE;
	}
	wv->pc = ret;
	wv->sp += 8;
	s->native++;
	return RT_NATIVE_UNWOUND;
}

/* The frame at the walker's pc and frame pointer, when pc is in V8's code: its JavaScript
 * function recorded in its place (RT_REPLACED: the walker then steps by the frame pointer), or
 * RT_NATIVE. */
__noinline int v8_frame(struct walk_vars *wv, struct rt_out *out)
{
	const struct flamed_v8_proc *p;
	struct v8_scratch *s;
	__u64 fp, pc, fn, sfi, code, start, size, fd, lookup, ra;
	__u32 zero = 0, kind;

	if (!wv || !out)
		return RT_NATIVE;
	s = bpf_map_lookup_elem(&v8_scratch, &zero);
	if (!s)
		return RT_NATIVE;
	p = &out->rt.params.v8;
	if (out->fresh) {
		out->fresh = 0;
		s->frames = s->native = s->code_unknown = s->bad = s->faults = s->stop = 0;
		s->seen = 1;
	}
	if (s->stop)
		return RT_NATIVE;
	fp = wv->bp;
	pc = wv->pc;
	ra = wv->leaf ? 0 : FLAMED_V8_RETURN_ADDRESS;
	/* the frame pointer of a frame above the stack pointer, in user space */
	if ((fp & 7) || fp < wv->sp || fp > FLAMED_RT_USER_MAX || fp < FLAMED_V8_FRAME_READ) {
		s->bad++;
		return RT_NATIVE;
	}
	if (bpf_probe_read_user(s->slots, sizeof(s->slots), (void *)(fp - FLAMED_V8_FRAME_READ))) {
		s->faults++;
		return RT_NATIVE;
	}
	/* typed frames (entry, exit, stub, builtin...) hold a marker, a Smi-like word, where
	 * JavaScript frames hold their context, a heap object */
	if (!(v8_slot(s, p->fp_context) & 1)) {
		s->native++;
		return RT_NATIVE;
	}
	fn = v8_heap_ptr(v8_slot(s, p->fp_function));
	if (!fn) {
		s->bad++;
		return RT_NATIVE;
	}
	if (bpf_probe_read_user(&s->fn, sizeof(s->fn), (void *)(fn - 1))) {
		s->faults++;
		return RT_NATIVE;
	}
	sfi = v8_heap_ptr(v8_field64(&s->fn, p->jsf_shared));
	code = v8_heap_ptr(v8_field64(&s->fn, p->jsf_code));
	if (!sfi) {
		s->bad++;
		return RT_NATIVE;
	}
	if (v8_in_builtins(&out->rt, pc)) {
		/* the interpreter, or a builtin function (its function data is its builtin id, a
		 * Smi), which its native symbol names */
		if (bpf_probe_read_user(&fd, sizeof(fd),
					(void *)(sfi - 1 + p->sfi_function_data))) {
			s->faults++;
			return RT_NATIVE;
		}
		if (!(fd & 1)) {
			s->native++;
			return RT_NATIVE;
		}
		if (wv->leaf && !v8_interpreter_slots(s, p))
			return v8_frameless(wv, s, p, code);
		return v8_interpreted(out, s, p, sfi);
	}
	if (!v8_read_code(s, p, code, &start, &size, &kind))
		return v8_other(out, s, p, sfi, pc, ra);
	/* a return address is past its call: the call decides which code the frame runs */
	lookup = wv->leaf ? pc : pc - 1;
	if (lookup - start >= size)
		return v8_other(out, s, p, sfi, pc, ra);
	if (kind <= p->code_kind_interpreted) /* a copy of the interpreter's trampoline */
		return v8_interpreted(out, s, p, sfi);
	if (!v8_emit(out, s,
		     v8_word(FLAMED_V8_JIT, start >> 6, code) |
			     (__u64)(kind & 15) << FLAMED_V8_KIND_SHIFT | ra,
		     v8_offset_word(pc - start, sfi)))
		return RT_NATIVE;
	return RT_REPLACED;
}

/* The walk ended: count what it met of V8's frames. */
static __always_inline void v8_finish(void)
{
	__u32 zero = 0;
	struct v8_scratch *s = bpf_map_lookup_elem(&v8_scratch, &zero);

	if (!s || !s->seen)
		return;
	s->seen = 0;
	count(FLAMED_METRIC_V8_WALKS);
	add(FLAMED_METRIC_V8_FRAMES, s->frames);
	add(FLAMED_METRIC_V8_NATIVE, s->native);
	add(FLAMED_METRIC_V8_CODE_UNKNOWN, s->code_unknown);
	add(FLAMED_METRIC_V8_BAD_FRAME, s->bad);
	add(FLAMED_METRIC_V8_READ_FAULT, s->faults);
	if (s->stop)
		count(s->stop);
}

#endif /* FLAMED_V8_BPF_H */
