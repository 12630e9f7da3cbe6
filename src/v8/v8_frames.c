// SPDX-License-Identifier: MIT
#include "v8/v8_procs_internal.h"

/* --- frame records --- */

void v8_procs__prefetch(void *mod, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			uint32_t nr, uint32_t stamp, uint64_t samples)
{
	struct v8_procs *vp = mod;
	struct v8_proc *p = v8_proc__find(vp, tgid, aspace);

	(void)stamp;
	(void)samples;
	for (uint32_t i = 0; p && i + 1 < nr; i += 2) {
		uint64_t a = FLAMED_V8_WORD_PTR(words[i]), b = FLAMED_V8_WORD_PTR(words[i + 1]);
		struct v8_func *f;
		struct v8_code *c;

		switch (FLAMED_V8_WORD_TYPE(words[i])) {
		case FLAMED_V8_INTERPRETED:
			v8_func__get(vp, p, a, true);
			break;
		case FLAMED_V8_OTHER:
			v8_func__get(vp, p, a, true);
			c = v8_code__at(vp, p, words[i + 1], a, true);
			for (size_t k = 0; c && k < c->nr_literals; k++)
				if (c->literals[k])
					v8_func__get(vp, p, c->literals[k], true);
			break;
		case FLAMED_V8_JIT:
			f = v8_func__get(vp, p, b, true);
			c = v8_code__get(vp, p, a, b, true);
			if (f && c && c->kind == p->bin->elf.meta.code_kind_baseline)
				v8_func__bytecodes(vp, p, f);
			for (size_t k = 0; c && k < c->nr_literals; k++)
				if (c->literals[k])
					v8_func__get(vp, p, c->literals[k], true);
			break;
		default:
			break;
		}
	}
}

/* A frame of function f at script offset off (-1: unknown), the line from its script. */
static void set_frame(struct v8_procs *vp, const struct v8_func *f, int64_t off,
		      struct runtime_frame *ret)
{
	uint32_t line = f->script ? v8_script__line(f->script, off) : 0;

	if (!line) {
		line = f->first_line;
		vp->stats.frames_no_line++;
	}
	*ret = (struct runtime_frame){
		.name = f->name,
		.file = f->script ? f->script->name : NULL,
		.line = line,
		.first_line = f->first_line,
		.named = true,
	};
}

/* Whether f's bytecode is bc (the frame's): the function the sample saw. */
static bool func_runs(struct v8_procs *vp, struct v8_proc *p, uint64_t sfi, struct v8_func **f,
		      uint64_t bc)
{
	if (!*f)
		return false;
	if ((*f)->bytecode == bc)
		return true;
	/* its code may have changed since it was read: look again, once a drain */
	*f = v8_func__get(vp, p, sfi, true);
	return *f && (*f)->bytecode == bc;
}

static size_t frames_interpreted(struct v8_procs *vp, struct v8_proc *p, const uint64_t *rec,
				 struct runtime_frame *ret)
{
	uint64_t sfi = FLAMED_V8_WORD_PTR(rec[0]), bc = FLAMED_V8_WORD_PTR(rec[1]);
	uint32_t off = FLAMED_V8_WORD_OFFSET(rec[1]);
	struct v8_func *f = v8_func__get(vp, p, sfi, false);
	int64_t so = -1;

	if (!func_runs(vp, p, sfi, &f, bc)) {
		vp->stats.frames_stale += f != NULL;
		return 0;
	}
	if (f->positions && off < FLAMED_V8_OFFSET_MAX)
		so = v8_spt__script_offset(v8_spt__position(f->positions, f->positions_len, off));
	set_frame(vp, f, so, ret);
	vp->stats.frames[FLAMED_V8_INTERPRETED]++;
	return 1;
}

/* A baseline frame's script offset: its pc offset to a bytecode offset, then as an interpreted
 * frame's; -1 when unknown. */
static int64_t baseline_position(const struct v8_proc *p, const struct v8_code *c,
				 const struct v8_func *f, uint32_t off)
{
	const struct v8_elf *ve = &p->bin->elf;
	int64_t bo;

	if (!f->bytecodes || !f->positions)
		return -1;
	bo = v8_spt__baseline_offset(c->positions, c->positions_len, off, f->bytecodes,
				     f->bytecodes_len, ve->sizes, ve->nr_bytecodes);
	if (bo < 0)
		return -1;
	return v8_spt__script_offset(
		v8_spt__position(f->positions, f->positions_len, (uint32_t)bo));
}

/* The frames of optimized code c of function f at pc offset off (a return address's when ra):
 * the functions inlined there, innermost first, each at its position, then f. */
static size_t frames_optimized(struct v8_procs *vp, struct v8_proc *p, const struct v8_code *c,
			       const struct v8_func *f, uint32_t off, bool ra,
			       struct runtime_frame *ret, size_t max)
{
	uint64_t pos;
	size_t n = 0;

	/* a return address is past its call: the call's position */
	if (ra && off)
		off--;
	pos = c->positions ? v8_spt__position(c->positions, c->positions_len, off) : 0;
	for (uint32_t id = v8_spt__inlining_id(pos), guard = 0; id && n + 1 < max && guard < 64;
	     guard++) {
		uint64_t caller;
		int32_t fn;
		struct v8_func *g;

		if (!v8_spt__inlining(c->inlining, c->inlining_len, id, &caller, &fn) || fn < 0 ||
		    (size_t)fn >= c->nr_literals || !c->literals[fn])
			break;
		g = v8_func__get(vp, p, c->literals[fn], false);
		if (!g)
			break;
		set_frame(vp, g, v8_spt__script_offset(pos), &ret[n++]);
		vp->stats.frames[0]++;
		if (v8_spt__inlining_id(caller) >= id)
			break; /* ids only decrease towards the code's own function */
		pos = caller;
		id = v8_spt__inlining_id(pos);
	}
	set_frame(vp, f, v8_spt__inlining_id(pos) ? -1 : v8_spt__script_offset(pos), &ret[n++]);
	return n;
}

static size_t frames_jit(struct v8_procs *vp, struct v8_proc *p, const uint64_t *rec,
			 struct runtime_frame *ret, size_t max)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t code = FLAMED_V8_WORD_PTR(rec[0]), sfi = FLAMED_V8_WORD_PTR(rec[1]);
	uint32_t off = FLAMED_V8_WORD_OFFSET(rec[1]), kind = FLAMED_V8_WORD_KIND(rec[0]);
	struct v8_code *c = v8_code__get(vp, p, code, sfi, false);
	struct v8_func *f = v8_func__get(vp, p, sfi, false);

	/* the code the sample ran: its kind, start and function as recorded */
	if (!c || !f || c->kind != kind || c->sfi != sfi || off >= c->size ||
	    ((c->start >> 6) & FLAMED_V8_TAG_MASK) != FLAMED_V8_WORD_TAG(rec[0])) {
		vp->stats.frames_stale += c && f;
		return 0;
	}
	vp->stats.frames[FLAMED_V8_JIT]++;
	if (kind == m->code_kind_baseline) {
		if (f->data != code && (!c->bytecode || c->bytecode != f->bytecode)) {
			vp->stats.frames_stale++;
			return 0;
		}
		set_frame(vp, f, baseline_position(p, c, f, off), ret);
		vp->stats.frames_baseline++;
		return 1;
	}
	return frames_optimized(vp, p, c, f, off, rec[0] & FLAMED_V8_RETURN_ADDRESS, ret, max);
}

/* A JS frame in code its function does not point to: named by its function (its tag checked),
 * and where the code that holds the pc is found (on-stack replacement), its lines and inlined
 * functions too. */
static size_t frames_other(struct v8_procs *vp, struct v8_proc *p, const uint64_t *rec,
			   struct runtime_frame *ret, size_t max)
{
	uint64_t sfi = FLAMED_V8_WORD_PTR(rec[0]), pc = rec[1];
	struct v8_func *f = v8_func__get(vp, p, sfi, false);
	struct v8_code *c;

	if (!f || f->tag != FLAMED_V8_WORD_TAG(rec[0])) {
		vp->stats.frames_stale += f != NULL;
		return 0;
	}
	vp->stats.frames[FLAMED_V8_OTHER]++;
	c = v8_code__at(vp, p, pc, sfi, false);
	if (c && c->sfi == sfi && c->kind != p->bin->elf.meta.code_kind_baseline)
		return frames_optimized(vp, p, c, f, (uint32_t)(pc - c->start),
					rec[0] & FLAMED_V8_RETURN_ADDRESS, ret, max);
	set_frame(vp, f, -1, ret);
	return 1;
}

/* The frames of one record (FLAMED_V8_*): "[js]" when its objects are unknown, unreadable, or
 * no longer the ones sampled. */
size_t v8_procs__frames(void *mod, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			struct runtime_frame *ret, size_t max)
{
	struct v8_procs *vp = mod;
	struct v8_proc *p = v8_proc__find(vp, tgid, aspace);
	size_t n = 0;

	if (!max)
		return 0;
	if (p) {
		switch (FLAMED_V8_WORD_TYPE(rec[0])) {
		case FLAMED_V8_INTERPRETED:
			n = frames_interpreted(vp, p, rec, ret);
			break;
		case FLAMED_V8_JIT:
			n = frames_jit(vp, p, rec, ret, max);
			break;
		case FLAMED_V8_OTHER:
			n = frames_other(vp, p, rec, ret, max);
			break;
		default:
			break;
		}
	}
	if (!n) {
		ret[0] = (struct runtime_frame){ .name = "[js]" };
		vp->stats.frames_unnamed++;
		n = 1;
	}
	return n;
}
