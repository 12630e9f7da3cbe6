/* SPDX-License-Identifier: GPL-2.0 */
/* HotSpot JVM frames: the FLAMED_RT_HOTSPOT runtime, included by runtime.bpf.h. hs_step() is a
 * global function, verified once on its own. It knows no JDK version: src/hotspot/ hands it,
 * per process, the code heaps, the interpreter's code and the offsets of the JVM's structs, all
 * read from the JVM's own gHotSpotVM* tables.
 *
 * The walker hands over every frame whose pc is in the code cache; hs_step unwinds one Java
 * frame and returns to the walker, which hands the next one over again while it stays in the
 * code cache:
 * - the interpreter's code: an interpreted frame, rbp its frame pointer: the Method* and the
 *   bytecode pointer (r13 while it runs, its frame slot at calls) from fixed slots below it;
 * - else the code blob holding the pc, found through the heap's segment map: an nmethod (C1 or
 *   C2 code, or a native method's wrapper) is unwound by the blob's frame size, and recorded
 *   with its compile id; a stub or adapter by its frame size, or its frame pointer when it has
 *   none (the call stub), or its return address alone (vtable stubs).
 * Every read is bpf_probe_read_user() of memory the JVM controls: a bad value ends the walk
 * (counted), and the caller's sp must be above the callee's. */
#ifndef FLAMED_HOTSPOT_BPF_H
#define FLAMED_HOTSPOT_BPF_H

/* The first 4 bytes of a code blob's name, as a little-endian word: the kind of code. */
#define HS_NAME_NMETHOD	    0x74656d6eu /* "nmethod" */
#define HS_NAME_NATIVE	    0x6974616eu /* "native nmethod": a native method's wrapper */
#define HS_NAME_INTERPRETER 0x65746e49u /* "Interpreter" */
#define HS_NAME_VTABLE	    0x62617476u /* "vtable chunks": itable and vtable stubs */

/* A frame is at most this far above the sp of its callee: a bad frame size or fp is caught. */
#define HS_MAX_FRAME (1u << 20)

/* The interpreter frame words read at once: from 8 slots below fp to the return address. */
#define HS_INTERP_LOW  10 /* words below fp read: every slot up to the bcp at -8 or -9 */
#define HS_INTERP_READ (HS_INTERP_LOW + 2)

struct hs_scratch {
	__u8 blob[FLAMED_HS_BLOB_READ];	     /* the code blob's header */
	__u64 frame[HS_INTERP_READ];	     /* an interpreter frame: fp - 80 .. fp + 16 */
	__u64 code[FLAMED_HS_CODE_READ / 8]; /* a ConstMethod from its _code_size on */
};

/* Per CPU: one sample at a time per CPU (perf_event programs do not nest). 0.6 KiB a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_scratch);
} hs_scratch SEC(".maps");

/* Fields of the blob copy; offsets come from userspace, so they are bounded here. */
static __always_inline __u64 blob_u64(const struct hs_scratch *s, __u32 off)
{
	if (off > FLAMED_HS_BLOB_READ - 8)
		return 0;
	return *(const __u64 *)&s->blob[off];
}

static __always_inline __s32 blob_s32(const struct hs_scratch *s, __u32 off)
{
	if (off > FLAMED_HS_BLOB_READ - 4)
		return 0;
	return *(const __s32 *)&s->blob[off];
}

static __always_inline __s16 blob_s16(const struct hs_scratch *s, __u32 off)
{
	if (off > FLAMED_HS_BLOB_READ - 2)
		return 0;
	return *(const __s16 *)&s->blob[off];
}

/* Interpreter frame slot (words from fp, -HS_INTERP_LOW..1) of the copy. */
static __always_inline __u64 interp_slot(const struct hs_scratch *s, __s32 slot)
{
	__u32 i = (__u32)(slot + HS_INTERP_LOW); /* below the copy: a large index */

	barrier_var(i);
	if (i >= HS_INTERP_READ)
		return 0;
	return s->frame[i];
}

/* Two words of one Java frame, or neither (false: the buffer is full, counted). */
static __always_inline bool hs_emit(struct walk_vars *v, struct rt_out *out, __u64 kind, __u64 ptr,
				    __u64 w1)
{
	if (out->nwords + 2 > FLAMED_RT_MAX_WORDS) {
		v->stop = FLAMED_METRIC_HS_TRUNCATED;
		out->truncated = 1;
		return false;
	}
	rt_emit(out, kind << FLAMED_HS_KIND_SHIFT | (ptr & ~(0xfULL << FLAMED_HS_KIND_SHIFT)));
	rt_emit(out, w1);
	count(FLAMED_METRIC_HS_FRAMES);
	return true;
}

/* Go on at the caller: pc, sp and bp, the caller's sp above this frame's. */
static __always_inline int hs_caller(struct walk_vars *v, __u64 pc, __u64 sp, __u64 bp)
{
	if (sp <= v->sp || sp - v->sp > HS_MAX_FRAME || !pc) {
		v->stop = FLAMED_METRIC_HS_BAD_FRAME;
		return RT_STOP;
	}
	v->pc = pc;
	v->sp = sp;
	v->bp = bp;
	return RT_UNWOUND;
}

/* An interpreted frame: rbp is its frame pointer. */
static __always_inline int hs_interpreted(struct walk_vars *v, struct rt_out *out,
					  const struct flamed_hs_proc *p, struct hs_scratch *s)
{
	__u64 fp = v->bp, method, cm = 0, bcp, bci = FLAMED_HS_NO_BCI, code, tag;

	if (fp <= v->sp || fp - v->sp > HS_MAX_FRAME ||
	    bpf_probe_read_user(s->frame, sizeof(s->frame), (void *)(fp - 8 * HS_INTERP_LOW))) {
		v->stop = FLAMED_METRIC_HS_BAD_FRAME;
		return RT_STOP;
	}
	method = interp_slot(s, p->interp_method);
	if (!method || method > FLAMED_PY_CODE_MASK || (method & 7) ||
	    bpf_probe_read_user(&cm, sizeof(cm), (void *)(method + p->method_const))) {
		v->stop = FLAMED_METRIC_HS_READ_FAULT;
		return RT_STOP;
	}
	/* the method's unchanging fields: its tag (flamed.h) */
	if (bpf_probe_read_user(s->code, FLAMED_HS_CODE_READ, (void *)(cm + p->const_code_size))) {
		v->stop = FLAMED_METRIC_HS_READ_FAULT;
		return RT_STOP;
	}
	tag = FLAMED_HS_TAG(s->code[0], s->code[1], p->ident_mask) & FLAMED_HS_TAG_MASK;
	/* the running frame keeps its bytecode pointer in r13 (but in its entry and exit code);
	 * a caller saved it in its slot */
	code = cm + p->const_size;
	bcp = v->r13;
	if (!v->leaf || bcp < code || bcp - code >= FLAMED_HS_NO_BCI)
		bcp = interp_slot(s, p->interp_bcp);
	if (bcp >= code && bcp - code < FLAMED_HS_NO_BCI)
		bci = bcp - code;
	if (!hs_emit(v, out, FLAMED_HS_INTERPRETED, tag << FLAMED_HS_TAG_SHIFT | method,
		     bci << 48 | (cm & FLAMED_HS_PTR_MASK)))
		return RT_STOP;
	return hs_caller(v, interp_slot(s, 1), interp_slot(s, p->interp_sender_sp),
			 interp_slot(s, 0));
}

/* The code blob holding pc, through its code heap's segment map; 0 when none does. */
static __always_inline __u64 hs_find_blob(const struct flamed_hs_proc *p, __u64 pc)
{
	const struct flamed_hs_heap *h = NULL;
	__u64 seg;
	__u8 tag = 0xff;

	for (int i = 0; i < FLAMED_HS_MAX_HEAPS; i++) {
		if (i < p->nr_heaps && pc >= p->heap[i].lo && pc < p->heap[i].hi) {
			h = &p->heap[i];
			break;
		}
	}
	if (!h || p->segment_shift > 20)
		return 0;
	seg = (pc - h->lo) >> p->segment_shift;
	for (int i = 0; i < FLAMED_HS_SEGMAP_STEPS; i++) {
		if (bpf_probe_read_user(&tag, 1, (void *)(h->segmap + seg)))
			return 0;
		if (tag == 0 || tag == 0xff || tag > seg)
			break;
		seg -= tag;
	}
	if (tag != 0)
		return 0; /* free, or more hops than we take */
	return h->lo + (seg << p->segment_shift) + p->heapblock_size;
}

/* A frame of compiled code or a stub: its blob says its kind and frame size. */
static __always_inline int hs_compiled(struct walk_vars *v, struct rt_out *out,
				       const struct flamed_hs_proc *p, struct hs_scratch *s)
{
	__u64 pc = v->pc, sp = v->sp, blob, code, name_ptr, deopt, kind, sender, pair[2];
	__u32 size = p->blob_read, name = 0, off;
	__s32 fsize, complete;

	blob = hs_find_blob(p, pc);
	if (!blob) {
		count(FLAMED_METRIC_HS_NO_BLOB);
		return RT_NATIVE; /* the native walker tries its frame pointer */
	}
	if (size > FLAMED_HS_BLOB_READ)
		size = FLAMED_HS_BLOB_READ;
	if (bpf_probe_read_user(s->blob, size, (void *)blob)) {
		v->stop = FLAMED_METRIC_HS_READ_FAULT;
		return RT_STOP;
	}
	name_ptr = blob_u64(s, p->blob_name);
	if (!name_ptr || bpf_probe_read_user(&name, sizeof(name), (void *)name_ptr)) {
		v->stop = FLAMED_METRIC_HS_READ_FAULT;
		return RT_STOP;
	}
	if (name == HS_NAME_INTERPRETER) /* without the interpreter's range */
		return hs_interpreted(v, out, p, s);
	code = p->flags & FLAMED_HS_CODE_OFFSET ? blob + (__u32)blob_s32(s, p->blob_code_begin)
						: blob_u64(s, p->blob_code_begin);
	fsize = blob_s32(s, p->blob_frame_size);
	complete = p->flags & FLAMED_HS_COMPLETE_S16 ? blob_s16(s, p->blob_frame_complete)
						     : blob_s32(s, p->blob_frame_complete);
	if (code < blob || pc < code || pc - code > 0x7fffffff || fsize < 0 ||
	    fsize > (__s32)(HS_MAX_FRAME / 8)) {
		v->stop = FLAMED_METRIC_HS_BAD_FRAME;
		return RT_STOP;
	}
	if (name == HS_NAME_NMETHOD || name == HS_NAME_NATIVE) {
		deopt = p->flags & FLAMED_HS_DEOPT_OFFSET
				? blob + (__u32)blob_s32(s, p->nm_deopt_handler)
				: blob_u64(s, p->nm_deopt_handler);
		if (pc == deopt && !v->leaf) {
			/* deoptimized: the JVM made its callee return to the handler, and kept
			 * where the frame was in it */
			__u64 orig = 0;

			if (!bpf_probe_read_user(&orig, sizeof(orig),
						 (void *)(sp + blob_s32(s, p->nm_orig_pc))) &&
			    orig >= code && orig - code <= 0x7fffffff) {
				pc = orig;
				count(FLAMED_METRIC_HS_DEOPT);
			}
		}
		kind = FLAMED_HS_COMPILED;
		off = (__u32)blob_s32(s, p->nm_compile_id);
	} else {
		kind = FLAMED_HS_STUB;
		off = name;
	}
	if (!hs_emit(v, out, kind, blob, (pc - code) << 32 | off))
		return RT_STOP;
	if (name == HS_NAME_VTABLE || (v->leaf && complete >= 0 && pc < code + complete)) {
		/* no frame (yet): the return address is at sp */
		if (bpf_probe_read_user(&pair[1], 8, (void *)sp)) {
			v->stop = FLAMED_METRIC_HS_READ_FAULT;
			return RT_STOP;
		}
		return hs_caller(v, pair[1], sp + 8, v->bp);
	}
	if (!fsize) {
		/* a stub without a frame size (the call stub): a frame pointer frame */
		if (v->bp <= sp || bpf_probe_read_user(pair, sizeof(pair), (void *)v->bp)) {
			v->stop = FLAMED_METRIC_HS_BAD_FRAME;
			return RT_STOP;
		}
		return hs_caller(v, pair[1], v->bp + 16, pair[0]);
	}
	/* the frame's size covers its return address and the caller's rbp below it */
	sender = sp + 8 * (__u64)fsize;
	if (bpf_probe_read_user(pair, sizeof(pair), (void *)(sender - 16))) {
		v->stop = FLAMED_METRIC_HS_READ_FAULT;
		return RT_STOP;
	}
	return hs_caller(v, pair[1], sender, pair[0]);
}

/* A frame whose pc is in the code cache: record it and unwind it. */
__noinline int hs_step(struct walk_vars *v, struct rt_out *out)
{
	const struct flamed_hs_proc *p;
	struct hs_scratch *s;
	__u32 zero = 0;

	if (!v || !out)
		return RT_STOP;
	p = &out->rt.params.hs;
	s = bpf_map_lookup_elem(&hs_scratch, &zero);
	if (!s)
		return RT_STOP;
	if (out->fresh) {
		/* the sample's stamp: the GC count + 1 (0: unknown), for userspace to know whether
		 * the classes of the frames' code may have been unloaded (only a GC unloads) before
		 * it read them */
		__u32 gcs = 0;

		out->fresh = 0;
		out->stamp =
			bpf_probe_read_user(&gcs, sizeof(gcs), (void *)p->gc_count) ? 0 : gcs + 1;
	}
	if (v->pc >= p->interp_lo && v->pc < p->interp_hi)
		return hs_interpreted(v, out, p, s);
	return hs_compiled(v, out, p, s);
}

#endif /* FLAMED_HOTSPOT_BPF_H */
