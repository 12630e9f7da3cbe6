// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "v8/v8_procs_internal.h"

#define MAX_INLINED	256 /* literals of an optimized code read for its inlined functions */
#define MAX_DEOPT_SLOTS 16  /* DeoptimizationData slots read */
#define SCAN_BYTES	(1u << 20) /* code space searched back from a pc for its code's start */
#define SCAN_CHUNK	4096

void v8_code__free(struct v8_code *c)
{
	if (!c)
		return;
	free(c->positions);
	free(c->inlining);
	free(c->literals);
	free(c);
}

/* --- code objects --- */

/* A weak reference's object (low bits 11, cleared: 3), or a strong one as is. */
static uint64_t strong(uint64_t w)
{
	return (w & 3) == 3 ? (w == 3 ? 0 : w & ~2ULL) : w;
}

/* An optimized code's inlining: its positions and the functions they name. */
static void code_inlining(struct v8_proc *p, struct v8_code *c, const uint64_t *dd, ssize_t n)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t *lit;
	ssize_t nl;

	if (n <= (ssize_t)m->deopt_inlining_positions || n <= (ssize_t)m->deopt_literals ||
	    !v8_heap__is_smi(dd[m->deopt_inlined_count]) ||
	    v8_heap__smi(m, dd[m->deopt_inlined_count]) <= 0)
		return;
	c->inlining = v8_heap__byte_array(&p->heap, dd[m->deopt_inlining_positions],
					  V8_PROCS_MAX_TABLE, &c->inlining_len);
	if (!c->inlining)
		return;
	lit = calloc(MAX_INLINED, sizeof(*lit));
	nl = lit ? v8_heap__slots(&p->heap, dd[m->deopt_literals], lit, MAX_INLINED) : -1;
	if (nl <= 0) {
		free(lit);
		return;
	}
	/* keep the literals the inlining names (the others are constants, maps, bytecode) */
	c->literals = calloc((size_t)nl, sizeof(*c->literals));
	if (c->literals) {
		for (uint32_t id = 1; id <= c->inlining_len / 16; id++) {
			uint64_t pos;
			int32_t fn;

			if (v8_spt__inlining(c->inlining, c->inlining_len, id, &pos, &fn) &&
			    fn >= 0 && fn < nl)
				c->literals[fn] = strong(lit[fn]);
		}
		c->nr_literals = (size_t)nl;
	}
	free(lit);
}

static struct v8_code *code_read(struct v8_procs *vp, struct v8_proc *p, uint64_t code,
				 uint64_t sfi)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	struct v8_code *c = calloc(1, sizeof(*c));
	uint8_t h[V8_OBJ_HEAD + 8];
	uint64_t dd[MAX_DEOPT_SLOTS], w;
	uint32_t flags;
	ssize_t n;
	int32_t size;

	if (!c)
		return NULL;
	c->epoch = vp->epoch;
	if (v8_heap__type(&p->heap, code) != (int)m->type_code ||
	    v8_heap__read(&p->heap, code, 0, h, sizeof(h)))
		goto bad;
	if (m->code_start_inline)
		c->start = code - 1 + m->code_start;
	else
		memcpy(&c->start, h + m->code_start, 8);
	memcpy(&size, h + m->code_size, 4);
	memcpy(&flags, h + m->code_flags, 4);
	if (size <= 0)
		goto bad;
	c->size = (uint32_t)size;
	c->kind = flags >> m->code_kind_shift & m->code_kind_mask;
	memcpy(&w, h + m->code_positions, 8);
	c->positions = v8_heap__byte_array(&p->heap, w, V8_PROCS_MAX_TABLE, &c->positions_len);
	/* the instruction stream's Map: how code found by a pc is recognized */
	if (!m->code_start_inline && !p->istream_map) {
		memcpy(&w, h + m->code_istream, 8);
		if (v8_heap__is_object(w) && !v8_heap__read(&p->heap, w, 0, &w, 8) &&
		    v8_heap__is_object(w))
			p->istream_map = w;
	}
	memcpy(&w, h + m->code_deopt_data, 8);
	if (c->kind == m->code_kind_baseline) {
		/* baseline code: its function's data is this code (or its bytecode) */
		c->sfi = sfi;
		c->bytecode = v8_func__bytecode_of(p, w);
	} else if ((n = v8_heap__slots(&p->heap, w, dd, MAX_DEOPT_SLOTS)) > (ssize_t)m->deopt_sfi) {
		c->sfi = strong(dd[m->deopt_sfi]);
		code_inlining(p, c, dd, n);
	}
	c->bytes = sizeof(*c) + c->positions_len + c->inlining_len + c->nr_literals * 8;
	vp->stats.codes_read++;
	return c;
bad:
	vp->stats.codes_failed++;
	c->bytes = sizeof(*c);
	return c;
}

/* The code object at code (of function sfi, as the frame said), read on first use and checked
 * once per drain (its instruction start: code freed and reused is another's). */
struct v8_code *v8_code__get(struct v8_procs *vp, struct v8_proc *p, uint64_t code, uint64_t sfi,
			     bool check)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	struct v8_code *c;
	uint64_t start;
	uintptr_t v;

	if (hashmap__find(&p->codes, code, &v)) {
		c = (struct v8_code *)v;
		if (!check || c->epoch == vp->epoch)
			return c;
		c->epoch = vp->epoch;
		if (m->code_start_inline ||
		    v8_heap__read(&p->heap, code, m->code_start, &start, 8) || start == c->start)
			return c;
		hashmap__delete(&p->codes, code, NULL);
		v8_procs__account(vp, p, -(ssize_t)c->bytes);
		v8_code__free(c);
	}
	if (v8_procs__over_budget(vp, p))
		return NULL;
	c = code_read(vp, p, code, sfi);
	if (!c)
		return NULL;
	if (hashmap__set(&p->codes, code, (uintptr_t)c)) {
		v8_code__free(c);
		return NULL;
	}
	v8_procs__account(vp, p, (ssize_t)c->bytes);
	return c;
}

/* Whether the instruction stream at raw address x holds pc: its Code points back at it and
 * its instructions span pc. The Code (tagged), or 0. */
static uint64_t istream_code(struct v8_proc *p, uint64_t x, uint64_t pc)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t code, back, start;
	int32_t size;

	if (v8_heap__read(&p->heap, x + 1, 8, &code, 8) || !v8_heap__is_object(code) ||
	    v8_heap__read(&p->heap, code, m->code_istream, &back, 8) || back != x + 1 ||
	    v8_heap__read(&p->heap, code, m->code_start, &start, 8) ||
	    v8_heap__read(&p->heap, code, m->code_size, &size, 4) || size <= 0 || pc < start ||
	    pc - start >= (uint64_t)size)
		return 0;
	return code;
}

/* Whether w is the instruction streams' Map: the one learned, or (none yet) a Map whose instance
 * type is the instruction stream's. */
static bool is_istream_map(struct v8_proc *p, uint64_t w)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint16_t type;

	if (p->istream_map)
		return w == p->istream_map;
	return m->type_istream && v8_heap__is_object(w) &&
	       !v8_heap__read(&p->heap, w, m->map_instance_type, &type, 2) &&
	       type == m->type_istream;
}

/* The code object holding pc (a frame of function sfi), found the way V8 finds one: the
 * instruction stream that starts before it, recognized by its Map, whose Code points back at
 * it. NULL when not found (nothing is shown then but the function's name). */
struct v8_code *v8_code__at(struct v8_procs *vp, struct v8_proc *p, uint64_t pc, uint64_t sfi,
			    bool search)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint32_t slot = (uint32_t)(hash_u64(pc >> 4) % V8_FOUND_SLOTS);
	uint64_t *buf, lo, code = 0;
	struct v8_code *c;
	uintptr_t v;

	if (m->code_start_inline || (!p->istream_map && !m->type_istream) || !pc)
		return NULL;
	/* a code found earlier for a pc near this one */
	for (size_t i = 0; i < V8_FOUND_SLOTS; i++) {
		if (!p->found[i] || !hashmap__find(&p->codes, p->found[i], &v))
			continue;
		c = (struct v8_code *)v;
		if (pc >= c->start && pc - c->start < c->size)
			return c;
	}
	if (p->missed_epoch != vp->epoch) {
		memset(p->missed, 0, sizeof(p->missed));
		p->missed_epoch = vp->epoch;
	}
	if (!search || p->missed[slot] == pc)
		return NULL;
	buf = malloc(SCAN_CHUNK);
	lo = pc > SCAN_BYTES ? pc - SCAN_BYTES : 0;
	/* back from pc, a chunk at a time, for a word that is the instruction stream's Map (until
	 * one is known: a Map whose instance type says so) */
	for (uint64_t at = (pc & ~7ULL); buf && !code && at > lo;) {
		uint64_t from = at > lo + SCAN_CHUNK ? at - SCAN_CHUNK : lo;

		if (v8_heap__read(&p->heap, from + 1, 0, buf, (size_t)(at - from)))
			break;
		for (size_t k = (size_t)(at - from) / 8; k-- > 0 && !code;)
			if (is_istream_map(p, buf[k]))
				code = istream_code(p, from + k * 8, pc);
		at = from;
	}
	/* the Map that recognized it is the one to look for from now on */
	if (code && !p->istream_map && !v8_heap__read(&p->heap, code, m->code_istream, &lo, 8) &&
	    v8_heap__read(&p->heap, lo, 0, &p->istream_map, 8))
		p->istream_map = 0;
	free(buf);
	c = code ? v8_code__get(vp, p, code, sfi, true) : NULL;
	if (!c || c->sfi != sfi) {
		p->missed[slot] = pc;
		return NULL;
	}
	p->found[slot] = code;
	return c;
}
