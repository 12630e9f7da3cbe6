// SPDX-License-Identifier: MIT
/* What names a Java frame, read from the JVM's memory: a method (its class, name, signature,
 * source file and line number table, through its ConstMethod and constant pool), an nmethod (its
 * method, PcDescs, scopes and metadata, per JDK layout) and a stub's name. Each is checked
 * against what the walker saw (ConstMethod* and code tag, compile id, the name's first bytes)
 * and cached in the process's maps under hs_budget. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotspot/hs_decode.h"
#include "hotspot/hs_procs_internal.h"
#include "runtime/rt_mem.h"
#include "util/utf8.h"

#define HS_NMETHOD_READ 1024 /* most bytes of an nmethod's header read */

static uint16_t buf_u16(const uint8_t *buf, size_t len, uint32_t off)
{
	uint16_t v = 0;

	if (off <= len && len - off >= sizeof(v))
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

void hs_method_free(struct hs_method *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->sysname);
	free(m->file);
	free(m->lines);
	free(m);
}

void hs_nmethod_free(struct hs_nmethod *n)
{
	if (!n)
		return;
	free(n->pcs);
	free(n->scopes);
	free(n->meta);
	free(n->named);
	free(n);
}

void hs_stub_free(struct hs_stub *s)
{
	if (s)
		free(s->name);
	free(s);
}

/* --- methods --- */

/* A Symbol's text as a C string (at most HS_MAX_NAME bytes, control bytes as '?', then made
 * valid UTF-8); NULL when unreadable. */
static char *read_symbol(const struct hs_proc *p, uint64_t addr)
{
	const struct hs_layout *l = &p->lay;
	uint8_t buf[64 + HS_MAX_NAME];
	size_t want = l->symbol_body + 64, len;
	char text[HS_MAX_NAME + 1];

	addr &= ~1ULL; /* a constant pool entry's low bit is a tag */
	if (rt_mem__read(p->tgid, addr, buf, want))
		return NULL;
	len = buf_u16(buf, want, l->symbol_length);
	if (!len)
		return NULL;
	if (len > HS_MAX_NAME)
		len = HS_MAX_NAME;
	if (l->symbol_body + len > want &&
	    rt_mem__read(p->tgid, addr + l->symbol_body, buf + l->symbol_body, len))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[l->symbol_body + i];

		text[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	text[len] = 0;
	return utf8_sanitize(text);
}

/* The Symbol of constant pool entry idx of cp (base, length); NULL when out of range. */
static char *pool_symbol(const struct hs_proc *p, uint64_t cp, uint32_t length, uint32_t idx)
{
	if (!idx || idx >= length)
		return NULL;
	return read_symbol(p, hs_mem_u64(p->tgid, cp + p->lay.constantpool_size + 8ULL * idx));
}

/* A method's line number table (after its bytecodes): read in growing chunks until it ends. */
static void read_lines(const struct hs_proc *p, struct hs_method *m, uint64_t addr)
{
	size_t len = 256, end = 0;
	uint8_t *buf = NULL, *nb;

	while (len <= HS_MAX_LINE_TABLE) {
		nb = realloc(buf, len);
		if (!nb)
			break;
		buf = nb;
		if (rt_mem__read(p->tgid, addr, buf, len)) {
			/* near the end of the mapping: a shorter read */
			if (len == 256 && !rt_mem__read(p->tgid, addr, buf, 64))
				len = 64;
			else
				break;
		}
		hs_line_for_bci(buf, len, p->lay.unsigned5_x, 0, &m->first_line, &end);
		if (end)
			break;
		len *= 2;
	}
	if (!end) {
		free(buf);
		return;
	}
	m->lines = realloc(buf, end) ?: buf;
	m->lines_len = end;
}

/* "pkg.Class.method" from "pkg/Class" and "method"; a hidden class's address suffix ("+0x..."
 * inside the JVM, "/0x..." as Java prints it: new for every class defined, a lambda's) dropped,
 * so that one lambda is one frame from run to run. */
static char *java_name(const char *klass, const char *method)
{
	size_t kl = strlen(klass);
	const char *hidden = strstr(klass, "+0x");
	char *out;

	if (!hidden)
		hidden = strstr(klass, "/0x");
	if (hidden)
		kl = (size_t)(hidden - klass);
	if (asprintf(&out, "%.*s.%s", (int)kl, klass, method) < 0)
		return NULL;
	for (size_t i = 0; i < kl; i++)
		if (out[i] == '/')
			out[i] = '.';
	return out;
}

/* What identifies the method at addr now: its ConstMethod* (48 bits) into *ret_cm, and its
 * tag (FLAMED_HS_TAG) into *ret_tag; the ConstMethod's first bytes into cmb (constmethod_size).
 * False when unreadable. */
static bool method_ident(const struct hs_proc *p, uint64_t addr, uint8_t *cmb, uint64_t *ret_cm,
			 uint32_t *ret_tag)
{
	const struct hs_layout *l = &p->lay;
	uint64_t cm = hs_mem_u64(p->tgid, addr + l->method_const), w[FLAMED_HS_CODE_READ / 8];

	if (!cm || rt_mem__read(p->tgid, cm, cmb, l->constmethod_size) ||
	    rt_mem__read(p->tgid, cm + l->cm_code_size, w, sizeof(w)))
		return false;
	*ret_cm = cm & FLAMED_HS_PTR_MASK;
	*ret_tag = (uint32_t)(FLAMED_HS_TAG(w[0], w[1], p->ident_mask) & FLAMED_HS_TAG_MASK);
	return true;
}

/* Read and name the method at addr, if it is the one the walker saw: ConstMethod* cm_want (48
 * bits) and code tag tag_want. NULL when unreadable or not that method. */
static struct hs_method *method_read(struct hs_procs *hp, struct hs_proc *p, uint64_t addr,
				     uint64_t cm_want, uint32_t tag_want)
{
	const struct hs_layout *l = &p->lay;
	uint8_t cmb[256], cpb[256];
	uint64_t cm, cp, holder;
	uint32_t length, flags, code_size, src_idx, tag;
	char *klass = NULL, *mname = NULL, *sig = NULL;
	struct hs_method *m;

	if (l->constmethod_size > sizeof(cmb) || l->constantpool_size > sizeof(cpb) ||
	    !method_ident(p, addr, cmb, &cm, &tag) || cm != cm_want || tag != tag_want)
		return NULL; /* another method than the one sampled, or unreadable */
	cp = rt_mem__word(cmb, l->constmethod_size, l->cm_constants);
	if (rt_mem__read(p->tgid, cp, cpb, l->constantpool_size))
		return NULL;
	holder = rt_mem__word(cpb, l->constantpool_size, l->cp_holder);
	length = rt_mem__u32(cpb, l->constantpool_size, l->cp_length);

	if (length > 65536)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->addr = addr;
	m->cm = cm;
	m->tag = tag;
	klass = read_symbol(p, hs_mem_u64(p->tgid, holder + l->klass_name));
	mname = pool_symbol(p, cp, length, buf_u16(cmb, l->constmethod_size, l->cm_name_index));
	sig = pool_symbol(p, cp, length, buf_u16(cmb, l->constmethod_size, l->cm_signature_index));
	if (l->cp_source_file < HS_VM_MAX_STRUCT) {
		src_idx = buf_u16(cpb, l->constantpool_size, l->cp_source_file);
	} else {
		uint16_t i16 = 0;

		rt_mem__read(p->tgid, holder + l->ik_source_file, &i16, sizeof(i16));
		src_idx = i16;
	}
	m->file = pool_symbol(p, cp, length, src_idx);
	if (klass && mname) {
		m->name = java_name(klass, mname);
		if (m->name && asprintf(&m->sysname, "%s%s", m->name, sig ? sig : "") < 0)
			m->sysname = NULL;
	}
	flags = l->cm_flags_size == 2 ? buf_u16(cmb, l->constmethod_size, l->cm_flags)
				      : rt_mem__u32(cmb, l->constmethod_size, l->cm_flags);
	code_size = buf_u16(cmb, l->constmethod_size, l->cm_code_size);
	if (m->name && (flags & l->has_line_table))
		read_lines(p, m,
			   hs_mem_u64(p->tgid, addr + l->method_const) + l->constmethod_size +
				   code_size);
	free(klass);
	free(mname);
	free(sig);
	m->bytes = sizeof(*m) + m->lines_len + 64 + (m->name ? strlen(m->name) * 2 : 0) +
		   (m->file ? strlen(m->file) : 0) + (m->sysname ? strlen(m->sysname) : 0);
	if (m->name)
		hp->stats.methods_read++;
	else
		hp->stats.methods_failed++;
	return m;
}

/* The named method at addr of p with ConstMethod* cm (48 bits) and code tag tag: cached, else
 * read now (while the JVM lives), if the Method* still is that method. NULL when it cannot be
 * named as that method. */
struct hs_method *hs_method_get(struct hs_procs *hp, struct hs_proc *p, uint64_t addr, uint64_t cm,
				uint32_t tag)
{
	struct hs_method key = { .addr = addr, .cm = cm, .tag = tag }, *m;
	uintptr_t v;

	if (!addr || addr >= HS_USER_LIMIT || (addr & 7) || !cm)
		return NULL;
	if (hashmap__find(&p->methods, (uintptr_t)&key, &v))
		return ((struct hs_method *)v)->name ? (struct hs_method *)v : NULL;
	m = method_read(hp, p, addr, cm, tag);
	if (!m)
		return NULL;
	if (!hs_budget(hp, p, m->bytes) || hashmap__set(&p->methods, (uintptr_t)m, (uintptr_t)m)) {
		hs_method_free(m); /* the frame is shown unnamed rather than kept past the budget */
		return NULL;
	}
	return m->name ? m : NULL;
}

/* The named method at addr that the JVM vouches for (an nmethod's own metadata: alive as long
 * as the nmethod is): what identifies it read now, so that a cached method of another class
 * once at this address is not taken for it. */
struct hs_method *hs_method_vouched(struct hs_procs *hp, struct hs_proc *p, uint64_t addr)
{
	uint8_t cmb[256];
	uint64_t cm;
	uint32_t tag;

	if (!addr || addr >= HS_USER_LIMIT || p->lay.constmethod_size > sizeof(cmb) ||
	    !method_ident(p, addr, cmb, &cm, &tag))
		return NULL;
	return hs_method_get(hp, p, addr, cm, tag);
}

/* --- compiled code --- */

/* A region [addr, end) of an nmethod's data, copied (at most HS_MAX_CODE_DATA bytes). */
static uint8_t *read_region(const struct hs_proc *p, uint64_t addr, uint64_t end, size_t *ret_len)
{
	uint8_t *buf;

	*ret_len = 0;
	if (!addr || end < addr || end - addr > HS_MAX_CODE_DATA)
		return NULL;
	if (end == addr)
		return NULL;
	buf = malloc(end - addr);
	if (buf && rt_mem__read(p->tgid, addr, buf, end - addr)) {
		free(buf);
		return NULL;
	}
	if (buf)
		*ret_len = end - addr;
	return buf;
}

/* The nmethod at blob: its method, PcDescs, scopes and metadata; NULL when it is not compiled
 * code of that compile id (any more). */
static struct hs_nmethod *nmethod_read(struct hs_procs *hp, struct hs_proc *p, uint64_t blob,
				       uint32_t compile_id)
{
	const struct hs_layout *l = &p->lay;
	uint8_t h[HS_NMETHOD_READ];
	size_t hl = l->nmethod_size < sizeof(h) ? l->nmethod_size : sizeof(h), len;
	uint64_t pcs = 0, pcs_end = 0, sc = 0, sc_end = 0, meta = 0, meta_end = 0;
	char name[8] = { 0 };
	struct hs_nmethod *n;

	if (rt_mem__read(p->tgid, blob, h, hl) ||
	    rt_mem__u32(h, hl, l->nm_compile_id) != compile_id ||
	    rt_mem__read(p->tgid, rt_mem__word(h, hl, l->blob_name), name, 7) ||
	    (strcmp(name, "nmethod") && strncmp(name, "native ", 7)))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->blob = blob;
	n->compile_id = compile_id;
	n->method = rt_mem__word(h, hl, l->nm_method);
	n->native = !strncmp(name, "native ", 7);
	n->comp_level = l->nm_comp_level < hl ? (int)rt_mem__u32(h, hl, l->nm_comp_level) : 0;
	n->ok = true;
	if (l->nm_immutable < hl && l->scopes_is_offset) {
		/* JDK 23+: PcDescs, then scopes, in the immutable data */
		uint64_t imm = rt_mem__word(h, hl, l->nm_immutable);

		pcs = imm + rt_mem__u32(h, hl, l->nm_scopes_pcs);
		pcs_end = sc = imm + rt_mem__u32(h, hl, l->nm_scopes_data);
		sc_end = imm + rt_mem__u32(h, hl, l->nm_immutable_size);
		if (l->blob_mutable_data < hl) { /* JDK 25+: the metadata in the mutable data */
			uint64_t mut = rt_mem__word(h, hl, l->blob_mutable_data);

			meta = mut + rt_mem__u32(h, hl, l->blob_relocation_size);
			meta_end = mut + rt_mem__u32(h, hl, l->blob_mutable_size);
		}
	} else if (l->nm_dependencies < hl) {
		/* JDK 9-22: metadata, scopes, PcDescs, then the dependencies, in the blob */
		pcs = blob + rt_mem__u32(h, hl, l->nm_scopes_pcs);
		pcs_end = blob + rt_mem__u32(h, hl, l->nm_dependencies);
		sc = l->scopes_is_offset ? blob + rt_mem__u32(h, hl, l->nm_scopes_data)
					 : rt_mem__word(h, hl, l->nm_scopes_data);
		sc_end = pcs;
		meta = blob + rt_mem__u32(h, hl, l->nm_metadata);
		meta_end = sc;
	}
	n->pcs = read_region(p, pcs, pcs_end, &len);
	n->nr_pcs = len / l->pcdesc_size;
	n->scopes = read_region(p, sc, sc_end, &n->scopes_len);
	n->meta = (uint64_t *)read_region(p, meta, meta_end, &len);
	n->nr_meta = len / 8;
	n->named = n->nr_meta ? calloc(n->nr_meta, sizeof(*n->named)) : NULL;
	if (!n->named)
		n->nr_meta = 0;
	n->bytes = sizeof(*n) + n->nr_pcs * l->pcdesc_size + n->scopes_len + n->nr_meta * 16;
	hp->stats.nmethods_read++;
	return n;
}

/* The nmethod at blob of that compile id: cached, else read now (while the JVM lives), if the
 * blob is still that code. */
struct hs_nmethod *hs_nmethod_get(struct hs_procs *hp, struct hs_proc *p, uint64_t blob,
				  uint32_t compile_id)
{
	struct hs_nmethod key = { .blob = blob, .compile_id = compile_id }, *n;
	uintptr_t v;

	if (hashmap__find(&p->nmethods, (uintptr_t)&key, &v))
		return (struct hs_nmethod *)v;
	n = nmethod_read(hp, p, blob, compile_id);
	if (!n) {
		hp->stats.nmethods_failed++;
		return NULL;
	}
	if (!hs_budget(hp, p, n->bytes) || hashmap__set(&p->nmethods, (uintptr_t)n, (uintptr_t)n)) {
		hs_nmethod_free(n);
		return NULL;
	}
	return n;
}

struct hs_stub *hs_stub_get(struct hs_procs *hp, struct hs_proc *p, uint64_t blob, uint32_t name4)
{
	struct hs_stub *s;
	char name[64] = { 0 };
	uintptr_t v;

	if (hashmap__find(&p->stubs, blob, &v)) {
		s = (struct hs_stub *)v;
		if (s->name4 == name4)
			return s;
		hashmap__delete(&p->stubs, blob, NULL);
		p->bytes -= s->bytes;
		hp->stats.cache_bytes -= s->bytes;
		hs_stub_free(s);
	}
	if (rt_mem__read(p->tgid, hs_mem_u64(p->tgid, blob + p->lay.blob_name), name,
			 sizeof(name) - 1))
		return NULL;
	for (size_t i = 0; name[i]; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			name[i] = '?';
	if (memcmp(name, &name4, 4))
		return NULL; /* not the blob the walker saw */
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name4 = name4;
	s->name = strdup(name);
	s->bytes = sizeof(*s) + sizeof(name);
	if (!s->name || !hs_budget(hp, p, s->bytes) ||
	    hashmap__set(&p->stubs, blob, (uintptr_t)s)) {
		hs_stub_free(s);
		return NULL;
	}
	return s;
}
