// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotspot/hs_vmstructs.h"

/* A few pages of the target, cached: the tables' names are packed in libjvm.so's .rodata, so
 * thousands of them come from a handful of pages. */
#define HS_PAGE	 4096
#define HS_PAGES 8

struct reader {
	hs_read_fn rd;
	void *ctx;
	uint64_t page[HS_PAGES]; /* page address + 1; 0: empty */
	uint8_t data[HS_PAGES][HS_PAGE];
	unsigned next;
};

/* The page at addr (page aligned), read on a miss; NULL when unreadable. */
static const uint8_t *page_at(struct reader *r, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < HS_PAGES; i++)
		if (r->page[i] == addr + 1)
			return r->data[i];
	i = r->next++ % HS_PAGES;
	r->page[i] = 0;
	if (r->rd(r->ctx, addr, r->data[i], HS_PAGE))
		return NULL;
	r->page[i] = addr + 1;
	return r->data[i];
}

/* A name at addr: printable ASCII, NUL-terminated within HS_VM_MAX_NAME bytes; false if not. */
static bool read_name(struct reader *r, uint64_t addr, char *out)
{
	const uint8_t *pg = NULL;
	uint64_t base = 0;

	if (!addr)
		return false;
	for (size_t i = 0; i < HS_VM_MAX_NAME; i++) {
		uint64_t a = addr + i;

		if (a < addr)
			return false;
		if (!pg || (a & ~(uint64_t)(HS_PAGE - 1)) != base) {
			base = a & ~(uint64_t)(HS_PAGE - 1);
			pg = page_at(r, base);
			if (!pg)
				return false;
		}
		out[i] = (char)pg[a - base];
		if (!out[i])
			return i > 0;
		if (out[i] < 0x20 || out[i] > 0x7e)
			return false;
	}
	return false;
}

static int read_u64(struct reader *r, uint64_t addr, uint64_t *ret)
{
	*ret = 0;
	return addr ? r->rd(r->ctx, addr, ret, sizeof(*ret)) : -ENOENT;
}

static uint64_t entry_u64(const uint8_t *e, size_t stride, uint64_t off)
{
	uint64_t v = 0;

	if (off <= stride - sizeof(v))
		memcpy(&v, e + off, sizeof(v));
	return v;
}

/* One table: its base, stride, and where an entry keeps its names and values (offsets within
 * the entry; past the stride when the table has no such field). */
struct table {
	uint64_t base, stride;
	uint64_t name1, name2, value, address, type_string;
};

/* The symbols of one table: the variable holding its base, then those holding the stride and
 * each field's offset (0: the table has none). */
struct table_syms {
	uint64_t base, stride, name1, name2, value, address, type_string;
};

enum want_kind { W_OFFSET, W_ADDRESS, W_SIZE, W_INT };

/* One value flamed needs: a field (type::field), a type's size, or an int constant (field NULL
 * for sizes and constants: type is the whole name). */
struct want {
	enum want_kind kind;
	const char *type;
	const char *field;
	size_t dest; /* offsetof(struct hs_layout, ...) */
	int width;   /* 4: uint32_t dest, 8: uint64_t dest */
};

#define L(f) offsetof(struct hs_layout, f)
#define F(t, n, f)                      \
	{                               \
		W_OFFSET, t, n, L(f), 4 \
	}
#define A(t, n, f)                       \
	{                                \
		W_ADDRESS, t, n, L(f), 8 \
	}
#define S(t, f)                          \
	{                                \
		W_SIZE, t, NULL, L(f), 4 \
	}

static const struct want wants[] = {
	A("CodeCache", "_heaps", code_heaps),
	A("CodeCache", "_low_bound", code_low),
	A("CodeCache", "_high_bound", code_high),
	A("AbstractInterpreter", "_code", interp_code),
	A("Universe", "_collectedHeap", collected_heap),
	A("Abstract_VM_Version", "_s_vm_release", vm_release),
	A("Abstract_VM_Version", "_vm_major_version", vm_major_addr),
	A("Abstract_VM_Version", "_vm_minor_version", vm_minor_addr),
	A("Abstract_VM_Version", "_vm_security_version", vm_security_addr),
	S("HeapBlock", heapblock_size),
	S("ConstMethod", constmethod_size),
	S("ConstantPool", constantpool_size),
	S("PcDesc", pcdesc_size),
	S("nmethod", nmethod_size),
	S("CodeBlob", codeblob_size),
	S("Symbol", symbol_size),
	F("GrowableArrayBase", "_len", array_len),
	F("GenericGrowableArray", "_len", array_len),
	F("GrowableArray<int>", "_data", array_data),
	F("CodeHeap", "_memory", heap_memory),
	F("CodeHeap", "_segmap", heap_segmap),
	F("CodeHeap", "_log2_segment_size", heap_log2_seg),
	F("VirtualSpace", "_low_boundary", vs_low_boundary),
	F("VirtualSpace", "_high_boundary", vs_high_boundary),
	F("StubQueue", "_stub_buffer", stubq_buffer),
	F("StubQueue", "_buffer_limit", stubq_limit),
	F("CollectedHeap", "_total_collections", heap_collections),
	F("CodeBlob", "_name", blob_name),
	F("CodeBlob", "_size", blob_size),
	F("CodeBlob", "_frame_size", blob_frame_size),
	F("CodeBlob", "_frame_complete_offset", blob_frame_complete),
	F("CodeBlob", "_code_begin", blob_code_begin),
	F("CodeBlob", "_code_offset", blob_code_begin),
	F("CodeBlob", "_mutable_data", blob_mutable_data),
	F("CodeBlob", "_mutable_data_size", blob_mutable_size),
	F("CodeBlob", "_relocation_size", blob_relocation_size),
	F("CompiledMethod", "_method", nm_method),
	F("nmethod", "_method", nm_method),
	F("nmethod", "_compile_id", nm_compile_id),
	F("nmethod", "_comp_level", nm_comp_level),
	F("nmethod", "_orig_pc_offset", nm_orig_pc),
	F("CompiledMethod", "_deopt_handler_begin", nm_deopt),
	F("nmethod", "_deopt_handler_begin", nm_deopt),
	F("nmethod", "_deopt_handler_offset", nm_deopt),
	F("CompiledMethod", "_scopes_data_begin", nm_scopes_data),
	F("nmethod", "_scopes_data_begin", nm_scopes_data),
	F("nmethod", "_scopes_data_offset", nm_scopes_data),
	F("nmethod", "_scopes_pcs_offset", nm_scopes_pcs),
	F("nmethod", "_dependencies_offset", nm_dependencies),
	F("nmethod", "_metadata_offset", nm_metadata),
	F("nmethod", "_immutable_data", nm_immutable),
	F("nmethod", "_immutable_data_size", nm_immutable_size),
	F("Method", "_constMethod", method_const),
	F("ConstMethod", "_constants", cm_constants),
	F("ConstMethod", "_flags", cm_flags),
	F("ConstMethod", "_flags._flags", cm_flags),
	F("ConstMethod", "_code_size", cm_code_size),
	F("ConstMethod", "_name_index", cm_name_index),
	F("ConstMethod", "_signature_index", cm_signature_index),
	F("ConstMethod", "_max_stack", cm_max_stack),
	F("ConstMethod", "_max_locals", cm_max_locals),
	F("ConstMethod", "_size_of_parameters", cm_params),
	F("ConstantPool", "_pool_holder", cp_holder),
	F("ConstantPool", "_length", cp_length),
	F("ConstantPool", "_source_file_name_index", cp_source_file),
	F("InstanceKlass", "_source_file_name_index", ik_source_file),
	F("Klass", "_name", klass_name),
	F("Symbol", "_length", symbol_length),
	F("Symbol", "_body", symbol_body),
	F("PcDesc", "_pc_offset", pcdesc_pc),
	F("PcDesc", "_scope_decode_offset", pcdesc_scope),
	{ W_INT, "ConstMethod::_has_linenumber_table", NULL, L(has_line_table), 4 },
	{ W_INT, "ConstMethodFlags::_misc_has_linenumber_table", NULL, L(has_line_table), 4 },
};

/* Int constants that are not layout fields but shape it. */
struct consts {
	int32_t sender_sp, last_sp;
	bool have_sender_sp, have_last_sp;
};

static void set_want(struct hs_layout *ret, const struct want *w, uint64_t v)
{
	uint8_t *dst = (uint8_t *)ret + w->dest;

	if (w->width == 8) {
		memcpy(dst, &v, 8);
	} else {
		uint32_t v32 = v > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)v;

		memcpy(dst, &v32, 4);
	}
}

/* Note a field's type where its width varies between JDKs. */
static void note_type(struct hs_layout *ret, const char *type, const char *field,
		      const char *type_string)
{
	if (!strcmp(type, "CodeBlob") && !strcmp(field, "_frame_complete_offset"))
		ret->complete_is_s16 = !strcmp(type_string, "int16_t");
	else if (!strcmp(type, "CodeBlob") && !strcmp(field, "_code_offset"))
		ret->code_is_offset = true;
	else if (!strcmp(type, "nmethod") && !strcmp(field, "_deopt_handler_offset"))
		ret->deopt_is_offset = true;
	else if (!strcmp(type, "nmethod") && !strcmp(field, "_scopes_data_offset"))
		ret->scopes_is_offset = true;
	else if (!strcmp(type, "ConstMethod") && !strncmp(field, "_flags", 6))
		ret->cm_flags_size = !strcmp(type_string, "u2") ? 2 : 4;
}

/* Walk one table, giving each wanted entry its value. */
static int walk_table(struct reader *r, const struct table *t, enum want_kind kind,
		      struct hs_layout *ret, struct consts *c)
{
	uint8_t buf[64 * HS_VM_MAX_STRIDE];
	char n1[HS_VM_MAX_NAME], n2[HS_VM_MAX_NAME], ts[HS_VM_MAX_NAME];
	size_t per;
	int err;

	if (!t->base || !t->stride)
		return -EAGAIN; /* the JVM fills them in as it starts */
	if (t->stride < 16 || t->stride > HS_VM_MAX_STRIDE ||
	    t->base + HS_VM_MAX_ENTRIES * t->stride < t->base)
		return -ENOTSUP;
	per = sizeof(buf) / t->stride;
	for (size_t i = 0, n = per; i < HS_VM_MAX_ENTRIES; i += n) {
		/* a chunk of entries; at the table's end it may not all be readable */
		n = per;

		while ((err = r->rd(r->ctx, t->base + i * t->stride, buf, n * t->stride)) && n > 1)
			n /= 2;
		if (err)
			return err;
		for (size_t j = 0; j < n; j++) {
			const uint8_t *e = buf + j * t->stride;
			uint64_t p1 = entry_u64(e, t->stride, t->name1), v;

			if (!p1)
				return 0; /* the terminating entry */
			if (!read_name(r, p1, n1))
				continue;
			if (kind == W_OFFSET &&
			    !read_name(r, entry_u64(e, t->stride, t->name2), n2))
				continue;
			if (kind == W_INT) {
				int32_t v32 = (int32_t)entry_u64(e, t->stride, t->value);

				if (!strcmp(n1, "frame::interpreter_frame_sender_sp_offset")) {
					c->sender_sp = v32;
					c->have_sender_sp = true;
				} else if (!strcmp(n1, "frame::interpreter_frame_last_sp_offset")) {
					c->last_sp = v32;
					c->have_last_sp = true;
				}
			}
			for (size_t k = 0; k < sizeof(wants) / sizeof(wants[0]); k++) {
				const struct want *w = &wants[k];

				if (strcmp(w->type, n1))
					continue;
				if (kind == W_OFFSET) {
					if (w->kind != W_OFFSET && w->kind != W_ADDRESS)
						continue;
					if (strcmp(w->field, n2))
						continue;
					v = w->kind == W_ADDRESS
						    ? entry_u64(e, t->stride, t->address)
						    : entry_u64(e, t->stride, t->value);
					if (read_name(r, entry_u64(e, t->stride, t->type_string),
						      ts))
						note_type(ret, n1, n2, ts);
				} else {
					if (w->kind != kind)
						continue;
					v = entry_u64(e, t->stride, t->value);
					if (kind == W_INT)
						v = (uint32_t)v;
				}
				set_want(ret, w, v);
			}
		}
	}
	return 0;
}

/* Read a table's base, stride and entry field offsets from its symbols. */
static int load_table(struct reader *r, const struct table_syms *ts, struct table *t)
{
	const uint64_t syms[] = { ts->name1, ts->name2, ts->value, ts->address, ts->type_string };
	uint64_t *dst[] = { &t->name1, &t->name2, &t->value, &t->address, &t->type_string };
	int err;

	err = read_u64(r, ts->base, &t->base);
	if (!err)
		err = read_u64(r, ts->stride, &t->stride);
	for (size_t i = 0; !err && i < sizeof(syms) / sizeof(syms[0]); i++) {
		*dst[i] = UINT64_MAX; /* absent: entry_u64 gives 0 */
		if (syms[i])
			err = read_u64(r, syms[i], dst[i]);
	}
	return err;
}

#define CHECK(cond, ...)                                       \
	do {                                                   \
		if (!(cond)) {                                 \
			snprintf(what, what_len, __VA_ARGS__); \
			return -ENOTSUP;                       \
		}                                              \
	} while (0)

/* Every offset flamed reads of a struct lies inside it (and the struct is of a believable
 * size). */
static int check_layout(const struct hs_layout *l, char *what, size_t what_len)
{
	const struct {
		const char *name;
		uint32_t size;
		uint32_t offs[12];
	} structs[] = {
		{ "CodeBlob",
		  l->nmethod_size,
		  { l->blob_name, l->blob_size, l->blob_frame_size, l->blob_frame_complete,
		    l->blob_code_begin, l->nm_method, l->nm_compile_id, l->nm_orig_pc, l->nm_deopt,
		    l->nm_scopes_data, l->nm_scopes_pcs, HS_VM_MISSING } },
		{ "ConstMethod",
		  l->constmethod_size,
		  { l->cm_constants, l->cm_flags, l->cm_code_size, l->cm_name_index,
		    l->cm_signature_index, HS_VM_MISSING } },
		{ "PcDesc", l->pcdesc_size, { l->pcdesc_pc, l->pcdesc_scope, HS_VM_MISSING } },
		{ "ConstantPool",
		  l->constantpool_size,
		  { l->cp_holder, l->cp_length, HS_VM_MISSING } },
	};

	CHECK(l->code_heaps && l->code_heaps != HS_VM_MISSING, "CodeCache::_heaps missing");
	CHECK(l->interp_code && l->interp_code != HS_VM_MISSING,
	      "AbstractInterpreter::_code missing");
	CHECK(l->heapblock_size < 256, "sizeof(HeapBlock) missing or %u", l->heapblock_size);
	CHECK(l->pcdesc_size >= 8 && l->pcdesc_size < 256, "sizeof(PcDesc) missing or %u",
	      l->pcdesc_size);
	CHECK(l->symbol_body < 64 && l->symbol_length < 64, "Symbol::_length/_body missing");
	CHECK(l->klass_name < HS_VM_MAX_STRUCT && l->method_const < HS_VM_MAX_STRUCT,
	      "Klass::_name or Method::_constMethod missing");
	CHECK(l->cp_source_file < HS_VM_MAX_STRUCT || l->ik_source_file < HS_VM_MAX_STRUCT,
	      "no source file name index");
	CHECK(l->array_len < 64 && l->array_data < 64, "GrowableArray _len/_data missing");
	CHECK(l->heap_memory < 1024 && l->heap_segmap < 1024 && l->heap_log2_seg < 1024 &&
		      l->vs_low_boundary < 128 && l->vs_high_boundary < 128,
	      "CodeHeap or VirtualSpace fields missing");
	CHECK(l->stubq_buffer < 256 && l->stubq_limit < 256, "StubQueue fields missing");
	CHECK(l->has_line_table && l->has_line_table != HS_VM_MISSING,
	      "the ConstMethod line number table flag missing");
	CHECK(l->nm_dependencies < HS_VM_MAX_STRUCT || (l->nm_immutable < HS_VM_MAX_STRUCT &&
							l->nm_immutable_size < HS_VM_MAX_STRUCT),
	      "the nmethod's PcDescs cannot be located");
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++) {
		CHECK(structs[i].size && structs[i].size < HS_VM_MAX_STRUCT, "sizeof(%s) is %u",
		      structs[i].name, structs[i].size);
		for (size_t j = 0; j < 12 && structs[i].offs[j] != HS_VM_MISSING; j++)
			CHECK(structs[i].offs[j] + 4 <= structs[i].size,
			      "a field of %s at %u is past its size %u", structs[i].name,
			      structs[i].offs[j], structs[i].size);
	}
	return 0;
}

int hs_vmstructs__read(hs_read_fn rd, void *ctx, const struct hs_symbols *sym,
		       struct hs_layout *ret, char *what, size_t what_len)
{
	const struct table_syms tables[3] = {
		{ sym->structs, sym->struct_stride, sym->struct_type, sym->struct_field,
		  sym->struct_offset, sym->struct_address, sym->struct_type_string },
		{ sym->types, sym->type_stride, sym->type_name, 0, sym->type_size, 0, 0 },
		{ sym->ints, sym->int_stride, sym->int_name, 0, sym->int_value, 0, 0 },
	};
	const enum want_kind kinds[3] = { W_OFFSET, W_SIZE, W_INT };
	const char *names[3] = { "gHotSpotVMStructs", "gHotSpotVMTypes", "gHotSpotVMIntConstants" };
	struct reader *r = calloc(1, sizeof(*r));
	struct consts c = { 0 };
	struct table t;
	int32_t v;
	int err = 0;

	if (!r)
		return -ENOMEM;
	memset(ret, 0xff, sizeof(*ret)); /* every field HS_VM_MISSING until found */
	ret->code_is_offset = ret->deopt_is_offset = ret->scopes_is_offset = false;
	ret->complete_is_s16 = false;
	ret->cm_flags_size = 2;
	*r = (struct reader){ .rd = rd, .ctx = ctx };
	what[0] = 0;
	for (int i = 0; !err && i < 3; i++) {
		err = load_table(r, &tables[i], &t);
		if (!err)
			err = walk_table(r, &t, kinds[i], ret, &c);
		if (err == -ENOTSUP || err == -EFAULT) {
			snprintf(what, what_len, "%s unreadable", names[i]);
			err = -ENOTSUP;
		}
	}
	free(r);
	if (err)
		return err;
	err = check_layout(ret, what, what_len);
	if (err)
		return err;

	ret->major = ret->minor = ret->security = 0;
	if (!rd(ctx, ret->vm_major_addr, &v, sizeof(v)))
		ret->major = v;
	if (!rd(ctx, ret->vm_minor_addr, &v, sizeof(v)))
		ret->minor = v;
	if (!rd(ctx, ret->vm_security_addr, &v, sizeof(v)))
		ret->security = v;
	CHECK(ret->major >= 8 && ret->major < 1000, "JDK version %d", ret->major);
	/* not in the tables: the compressed streams' excluded byte (UNSIGNED5 from JDK 20), and
	 * the interpreter frame's Method* and bcp slots, below its last sp (a mirror slot since
	 * JDK 9 between the Method* and the bcp) */
	ret->unsigned5_x = ret->major >= 20 ? 1 : 0;
	CHECK(c.have_sender_sp && c.have_last_sp && c.last_sp < 0 && c.last_sp > -8 &&
		      c.sender_sp < 0 && c.sender_sp > -8,
	      "the interpreter frame's offsets missing");
	ret->interp_sender_sp = c.sender_sp;
	ret->interp_method = c.last_sp - 1;
	ret->interp_bcp = ret->interp_method - (ret->major >= 9 ? 5 : 4);
	return 0;
}

struct image {
	const uint8_t *img;
	size_t len;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *im = ctx;

	if (addr < HS_VM_IMAGE_BASE || addr - HS_VM_IMAGE_BASE > im->len ||
	    len > im->len - (addr - HS_VM_IMAGE_BASE))
		return -EFAULT;
	memcpy(buf, im->img + (addr - HS_VM_IMAGE_BASE), len);
	return 0;
}

int hs_vmstructs__read_image(const uint8_t *img, size_t len, struct hs_layout *ret, char *what,
			     size_t what_len)
{
	struct image im = { .img = img, .len = len };
	struct hs_symbols sym;
	uint64_t *s = (uint64_t *)&sym;

	for (size_t i = 0; i < sizeof(sym) / sizeof(uint64_t); i++)
		s[i] = HS_VM_IMAGE_BASE + 8 * i;
	return hs_vmstructs__read(image_read, &im, &sym, ret, what, what_len);
}
