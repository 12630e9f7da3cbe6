// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "v8/v8_procs_internal.h"

#define MAX_SCOPE_SLOTS 600 /* slots of a ScopeInfo read (its locals and what follows) */

void v8_script__free(struct v8_script *s)
{
	if (!s)
		return;
	free(s->name);
	v8_lines__release(&s->lines);
	v8_classes__release(&s->classes);
	free(s);
}

void v8_func__free(struct v8_func *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->positions);
	free(f->bytecodes);
	free(f);
}

/* --- scripts: name and line ends --- */

/* One pass over a script's source: its line ends and its classes. */
static int source_chunk(void *arg, const void *chars, size_t n, bool wide)
{
	struct v8_script *s = arg;

	if (wide)
		return v8_lines__feed2(&s->lines, chars, n)
			       ?: v8_classes__feed2(&s->classes, chars, n);
	return v8_lines__feed1(&s->lines, chars, n) ?: v8_classes__feed1(&s->classes, chars, n);
}

struct v8_script *v8_script__get(struct v8_procs *vp, struct v8_proc *p, uint64_t addr)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	struct v8_script *s;
	char name[V8_PROCS_MAX_NAME * 4 + 1];
	uint64_t w[3];
	int64_t len;
	uintptr_t v;

	if (hashmap__find(&p->scripts, addr, &v)) {
		s = (struct v8_script *)v;
		if (s->epoch == vp->epoch)
			return s;
		/* checked once a drain: still this script (its id and source) at the address */
		if (!v8_heap__read(&p->heap, addr, m->script_id, &w[0], 8) &&
		    !v8_heap__read(&p->heap, addr, m->script_source, &w[1], 8) &&
		    v8_heap__smi(m, w[0]) == s->id && w[1] == s->source) {
			s->epoch = vp->epoch;
			return s;
		}
		/* functions may still point at it: they are checked and re-read on their own;
		 * the entry is kept and refreshed in place */
		v8_lines__release(&s->lines);
		v8_classes__release(&s->classes);
		free(s->name);
		v8_procs__account(vp, p, -(ssize_t)s->bytes);
		s->name = NULL;
		s->lines_ok = false;
		s->bytes = 0;
	} else {
		if (v8_procs__over_budget(vp, p))
			return NULL;
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		if (hashmap__set(&p->scripts, addr, (uintptr_t)s)) {
			free(s);
			return NULL;
		}
	}
	s->addr = addr;
	s->epoch = vp->epoch;
	s->id = -1;
	s->source = 0;
	if (v8_heap__type(&p->heap, addr) != (int)m->type_script ||
	    v8_heap__read(&p->heap, addr, m->script_id, &w[0], 8) ||
	    v8_heap__read(&p->heap, addr, m->script_source, &w[1], 8) ||
	    v8_heap__read(&p->heap, addr, m->script_name, &w[2], 8) || !v8_heap__is_smi(w[0]))
		return s; /* no name, no lines */
	s->id = v8_heap__smi(m, w[0]);
	s->source = w[1];
	if (v8_heap__is_object(w[2]) &&
	    !v8_heap__string_utf8(&p->heap, w[2], 0, V8_PROCS_MAX_NAME, name, sizeof(name)) &&
	    name[0])
		s->name = strdup(name);
	len = v8_heap__string_length(&p->heap, w[1]);
	s->lines = (struct v8_lines){ .max_lines = V8_PROCS_MAX_SOURCE };
	v8_classes__init(&s->classes);
	if (len > 0 && len <= V8_PROCS_MAX_SOURCE &&
	    !v8_heap__string_chars(&p->heap, w[1], 0, (uint64_t)len, source_chunk, s)) {
		v8_lines__end(&s->lines);
		v8_classes__end(&s->classes);
		s->lines_ok = true;
	}
	if (!s->lines_ok) {
		v8_lines__release(&s->lines);
		v8_classes__release(&s->classes);
		s->classes.broken = true;
		vp->stats.scripts_no_lines++;
	}
	vp->stats.scripts_read++;
	s->bytes = sizeof(*s) + (s->name ? strlen(s->name) + 1 : 0) + s->lines.cap * 4 +
		   s->classes.cap * sizeof(*s->classes.v) +
		   s->classes.cap_blocks * sizeof(*s->classes.blocks);
	v8_procs__account(vp, p, (ssize_t)s->bytes);
	return s;
}

uint32_t v8_script__line(const struct v8_script *s, int64_t off)
{
	return s && s->lines_ok && off >= 0 ? v8_lines__line(&s->lines, (uint64_t)off) : 0;
}

/* --- functions --- */

/* What kind each slot is, reading heap objects' types. */
static void classify(struct v8_proc *p, const uint64_t *slots, enum v8_slot_kind *kinds, size_t n)
{
	const struct v8_meta *m = &p->bin->elf.meta;

	for (size_t i = 0; i < n; i++) {
		int t;

		if (v8_heap__is_smi(slots[i])) {
			kinds[i] = V8_SLOT_SMI;
			continue;
		}
		t = v8_heap__is_object(slots[i]) ? v8_heap__type(&p->heap, slots[i]) : -1;
		if (t < 0)
			kinds[i] = V8_SLOT_UNKNOWN;
		else if ((uint32_t)t < m->first_nonstring)
			kinds[i] = V8_SLOT_STRING;
		else
			kinds[i] = V8_SLOT_OBJECT;
	}
}

/* Read the ScopeInfo at obj: *ret, and its slots into slots/kinds (n). -errno. */
static int read_scope(struct v8_proc *p, uint64_t obj, uint64_t *slots, enum v8_slot_kind *kinds,
		      size_t *n, struct v8_scope *ret)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	int type = v8_heap__type(&p->heap, obj);
	uint64_t head[8];
	size_t want;

	if (type < 0 || (m->type_scope_info && (uint32_t)type != m->type_scope_info) ||
	    v8_heap__is_string_type(&p->heap, type) ||
	    v8_heap__read(&p->heap, obj, m->scope_info_slots, head, sizeof(head)) ||
	    !v8_heap__is_smi(head[m->scope_nlocals]))
		return -EINVAL;
	want = v8_names__scope_slots(m->scope_nlocals, v8_heap__smi(m, head[m->scope_nlocals]),
				     MAX_SCOPE_SLOTS);
	if (v8_heap__read(&p->heap, obj, m->scope_info_slots, slots, want * 8)) {
		/* the last slots may be past the heap's end: the head alone */
		want = sizeof(head) / 8;
		memcpy(slots, head, sizeof(head));
	}
	classify(p, slots, kinds, want);
	*n = want;
	return v8_names__scope(slots, kinds, want, m->scope_nlocals,
			       p->bin->elf.meta.version >= V8_VERSION(12, 8, 44), ret);
}

/* The name of the function whose head (V8_OBJ_HEAD bytes) is h, into f->name. */
static void func_name(struct v8_procs *vp, struct v8_proc *p, struct v8_func *f, const uint8_t *h)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t nos, *slots = calloc(MAX_SCOPE_SLOTS, sizeof(*slots));
	enum v8_slot_kind *kinds = calloc(MAX_SCOPE_SLOTS, sizeof(*kinds));
	char name[V8_PROCS_MAX_NAME * 4 + 1] = "", inferred[V8_PROCS_MAX_NAME * 4 + 1] = "";
	const char *cls = NULL;
	struct v8_scope sc;
	size_t n;
	int t;

	memcpy(&nos, h + m->sfi_name_or_scope_info, 8);
	if (!slots || !kinds)
		goto out;
	t = v8_heap__is_object(nos) ? v8_heap__type(&p->heap, nos) : -1;
	if (v8_heap__is_string_type(&p->heap, t)) {
		v8_heap__string_utf8(&p->heap, nos, 0, V8_PROCS_MAX_NAME, name, sizeof(name));
	} else if (t >= 0 && !read_scope(p, nos, slots, kinds, &n, &sc)) {
		if (sc.name >= 0)
			v8_heap__string_utf8(&p->heap, slots[sc.name], 0, V8_PROCS_MAX_NAME, name,
					     sizeof(name));
		if (sc.inferred >= 0)
			v8_heap__string_utf8(&p->heap, slots[sc.inferred], 0, V8_PROCS_MAX_NAME,
					     inferred, sizeof(inferred));
		if (sc.start >= 0 && f->script) {
			f->first_line = v8_script__line(f->script, sc.start);
			if (name[0] && f->script->lines_ok)
				cls = v8_classes__of(&f->script->classes, (uint64_t)sc.start);
		}
	}
out:
	v8_names__compose(cls, name, inferred, f->script ? f->script->name : NULL, f->first_line,
			  vp->name, sizeof(vp->name));
	f->name = strdup(vp->name);
	free(slots);
	free(kinds);
}

/* The BytecodeArray of function data fd: itself, a baseline code's (at code_deopt_data), or
 * an interpreter data's (among its first fields); 0 when none. */
uint64_t v8_func__bytecode_of(struct v8_proc *p, uint64_t fd)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t w[3];
	int t;

	for (int depth = 0; depth < 2; depth++) {
		t = v8_heap__is_object(fd) ? v8_heap__type(&p->heap, fd) : -1;
		if (t == (int)m->type_bytecode_array)
			return fd;
		if (t != (int)m->type_code)
			break;
		if (v8_heap__read(&p->heap, fd, m->code_deopt_data, &fd, 8))
			return 0;
	}
	if (t < 0 || v8_heap__read(&p->heap, fd, 8, w, sizeof(w)))
		return 0;
	for (int i = 0; i < 3; i++)
		if (v8_heap__is_object(w[i]) &&
		    v8_heap__type(&p->heap, w[i]) == (int)m->type_bytecode_array)
			return w[i];
	return 0;
}

/* The source positions of f's bytecode, if V8 has made them by now (lazily: an error's stack
 * trace, the inspector). */
static void func_positions(struct v8_procs *vp, struct v8_proc *p, struct v8_func *f)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t t;

	if (f->positions || !f->bytecode ||
	    v8_heap__read(&p->heap, f->bytecode, m->bytecode_positions, &t, 8))
		return;
	f->positions = v8_heap__byte_array(&p->heap, t, V8_PROCS_MAX_TABLE, &f->positions_len);
	if (f->positions) {
		f->bytes += f->positions_len;
		v8_procs__account(vp, p, (ssize_t)f->positions_len);
	}
}

/* Read the function's head at sfi into h: its type checked. */
static bool func_head(struct v8_proc *p, uint64_t sfi, uint8_t *h, uint64_t ident[3], uint32_t *tag)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t tagbytes, map;

	/* one read: the head holds the map (its first word), whose type is cached */
	if (v8_heap__read(&p->heap, sfi, 0, h, V8_OBJ_HEAD))
		return false;
	memcpy(&map, h, 8);
	if (v8_heap__map_type(&p->heap, map) != (int)m->type_sfi)
		return false;
	memcpy(&ident[0], h + m->sfi_name_or_scope_info, 8);
	memcpy(&ident[1], h + m->sfi_script, 8);
	memcpy(&tagbytes, h + m->sfi_length, 8);
	ident[2] = tagbytes & 0x00ffffffffffffffULL;
	*tag = FLAMED_V8_SFI_TAG(tagbytes);
	return true;
}

static void func_forget(struct v8_procs *vp, struct v8_proc *p, uint64_t sfi, struct v8_func *f)
{
	hashmap__delete(&p->funcs, sfi, NULL);
	v8_procs__account(vp, p, -(ssize_t)f->bytes);
	v8_func__free(f);
}

/* The function at sfi, read on first use; with check, once per drain its identity is read
 * again (its name, script and immutable fields): another object at the address is read anew.
 * NULL when over budget, out of memory, or not a function. */
struct v8_func *v8_func__get(struct v8_procs *vp, struct v8_proc *p, uint64_t sfi, bool check)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint8_t h[V8_OBJ_HEAD];
	uint64_t ident[3], sc;
	struct v8_func *f;
	uint32_t tag;
	uintptr_t v;

	if (hashmap__find(&p->funcs, sfi, &v)) {
		f = (struct v8_func *)v;
		if (!check || f->epoch == vp->epoch)
			return f;
		f->epoch = vp->epoch;
		if (!func_head(p, sfi, h, ident, &tag))
			return f; /* gone with its process, or moved away: records will not match */
		if (!memcmp(ident, f->ident, sizeof(ident))) {
			uint64_t fd;

			/* the same function; its code may have changed (baseline, flushed) */
			memcpy(&fd, h + m->sfi_function_data, 8);
			if (fd != f->data) {
				f->data = fd;
				f->bytecode = v8_func__bytecode_of(p, fd);
			}
			func_positions(vp, p, f);
			return f;
		}
		vp->stats.functions_moved++;
		func_forget(vp, p, sfi, f);
	}
	if (v8_procs__over_budget(vp, p))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->epoch = vp->epoch;
	if (!func_head(p, sfi, h, f->ident, &f->tag)) {
		vp->stats.functions_failed++;
		free(f);
		return NULL;
	}
	memcpy(&f->data, h + m->sfi_function_data, 8);
	f->bytecode = v8_func__bytecode_of(p, f->data);
	memcpy(&sc, h + m->sfi_script, 8);
	if (v8_heap__is_object(sc))
		f->script = v8_script__get(vp, p, sc);
	func_name(vp, p, f, h);
	if (!f->name || hashmap__set(&p->funcs, sfi, (uintptr_t)f)) {
		v8_func__free(f);
		return NULL;
	}
	f->bytes = sizeof(*f) + strlen(f->name) + 1;
	v8_procs__account(vp, p, (ssize_t)f->bytes);
	func_positions(vp, p, f);
	vp->stats.functions_read++;
	return f;
}

/* f's bytecode itself (to map a baseline code's pcs to bytecode offsets), read at a drain while
 * the process lives. */
void v8_func__bytecodes(struct v8_procs *vp, struct v8_proc *p, struct v8_func *f)
{
	const struct v8_meta *m = &p->bin->elf.meta;
	uint64_t len_w;
	int64_t len;

	if (f->bytecodes || !f->bytecode || !p->bin->elf.nr_bytecodes ||
	    v8_heap__read(&p->heap, f->bytecode, m->fixed_array_length, &len_w, 8) ||
	    !v8_heap__is_smi(len_w))
		return;
	len = v8_heap__smi(m, len_w);
	if (len <= 0 || len > V8_PROCS_MAX_TABLE || v8_procs__over_budget(vp, p))
		return;
	f->bytecodes = malloc((size_t)len);
	if (!f->bytecodes ||
	    v8_heap__read(&p->heap, f->bytecode, m->bytecode_data, f->bytecodes, (size_t)len)) {
		free(f->bytecodes);
		f->bytecodes = NULL;
		return;
	}
	f->bytecodes_len = (size_t)len;
	f->bytes += (size_t)len;
	v8_procs__account(vp, p, (ssize_t)len);
}
