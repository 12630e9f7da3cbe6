// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_file.h"
#include "hotspot/hs_decode.h"
#include "hotspot/hs_procs_internal.h"
#include "hotspot/hs_vmstructs.h"
#include "proc/proc_table.h"
#include "runtime/rt_mem.h"
#include "util/hashmap.h"

#define HS_MAX_BINS 256 /* distinct libjvm.so files remembered */

/* One libjvm.so (by dev, inode): where its gHotSpotVM* symbols are (ELF addresses). */
struct hs_bin {
	uint64_t dev, inode;
	bool ok;	       /* every symbol the tables need is there */
	bool reported;	       /* its tables were said unusable once */
	struct hs_symbols sym; /* ELF virtual addresses */
};

static uint64_t hash_bin(uintptr_t k, void *ctx)
{
	const struct hs_bin *b = (const void *)k;

	(void)ctx;
	return hash_u64(b->dev * 0x9e3779b97f4a7c15ULL ^ b->inode);
}

static bool equal_bin(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct hs_bin *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->dev == y->dev && x->inode == y->inode;
}

static uint64_t hash_method(uintptr_t k, void *ctx)
{
	const struct hs_method *m = (const void *)k;

	(void)ctx;
	return hash_u64(m->addr * 0x9e3779b97f4a7c15ULL ^ m->cm ^ (uint64_t)m->tag << 48);
}

static bool equal_method(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct hs_method *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->addr == y->addr && x->cm == y->cm && x->tag == y->tag;
}

static uint64_t hash_nmethod(uintptr_t k, void *ctx)
{
	const struct hs_nmethod *n = (const void *)k;

	(void)ctx;
	return hash_u64(n->blob * 0x9e3779b97f4a7c15ULL ^ n->compile_id);
}

static bool equal_nmethod(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct hs_nmethod *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->blob == y->blob && x->compile_id == y->compile_id;
}

static void *hs_procs__new(void)
{
	struct hs_procs *hp = calloc(1, sizeof(*hp));

	if (!hp)
		return NULL;
	hashmap__init(&hp->bins, hash_bin, equal_bin, NULL);
	hashmap__init(&hp->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	return hp;
}

/* --- reading the process --- */

static int vm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return rt_mem__read(*(uint32_t *)ctx, addr, buf, len);
}

uint64_t hs_mem_u64(uint32_t pid, uint64_t addr)
{
	uint64_t v = 0;

	return rt_mem__read(pid, addr, &v, sizeof(v)) ? 0 : v;
}

/* --- the libjvm.so file --- */

static const char *const hs_symbol_names[] = {
	"gHotSpotVMStructs",
	"gHotSpotVMStructEntryArrayStride",
	"gHotSpotVMStructEntryTypeNameOffset",
	"gHotSpotVMStructEntryFieldNameOffset",
	"gHotSpotVMStructEntryTypeStringOffset",
	"gHotSpotVMStructEntryOffsetOffset",
	"gHotSpotVMStructEntryAddressOffset",
	"gHotSpotVMTypes",
	"gHotSpotVMTypeEntryArrayStride",
	"gHotSpotVMTypeEntryTypeNameOffset",
	"gHotSpotVMTypeEntrySizeOffset",
	"gHotSpotVMIntConstants",
	"gHotSpotVMIntConstantEntryArrayStride",
	"gHotSpotVMIntConstantEntryNameOffset",
	"gHotSpotVMIntConstantEntryValueOffset",
	"gHotSpotVMLongConstants",
	"gHotSpotVMLongConstantEntryArrayStride",
	"gHotSpotVMLongConstantEntryNameOffset",
	"gHotSpotVMLongConstantEntryValueOffset",
};
_Static_assert(sizeof(hs_symbol_names) / sizeof(hs_symbol_names[0]) ==
		       sizeof(struct hs_symbols) / sizeof(uint64_t),
	       "one name per hs_symbols field, in its order");

/* The gHotSpotVM* symbols of the file's .dynsym (libjvm.so exports them for debuggers). */
static void *bin_parse_elf(Elf *elf, void *arg)
{
	struct hs_bin *b = arg;
	uint64_t *vals = (uint64_t *)&b->sym;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t nr;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		nr = data ? data->d_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < nr && i < (1u << 20); i++) {
			const char *name;
			GElf_Sym s;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || strncmp(name, "gHotSpotVM", 10))
				continue;
			for (size_t k = 0; k < sizeof(hs_symbol_names) / sizeof(hs_symbol_names[0]);
			     k++)
				if (!strcmp(name, hs_symbol_names[k]))
					vals[k] = s.st_value;
		}
	}
	/* the long constants are not used */
	b->ok = b->sym.structs && b->sym.struct_stride && b->sym.struct_type &&
		b->sym.struct_field && b->sym.struct_offset && b->sym.struct_address &&
		b->sym.types && b->sym.type_stride && b->sym.type_name && b->sym.type_size &&
		b->sym.ints && b->sym.int_stride && b->sym.int_name && b->sym.int_value;
	return NULL;
}

static struct hs_bin *bin_get(struct hs_procs *hp, const struct proc_file *f)
{
	struct hs_bin key = { .dev = f->dev, .inode = f->inode }, *b;
	uintptr_t v;
	int fd;

	if (hashmap__find(&hp->bins, (uintptr_t)&key, &v))
		return (struct hs_bin *)v;
	if (hp->bins.len >= HS_MAX_BINS)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	*b = key;
	fd = proc_file__hold(f);
	if (fd >= 0) {
		elf_with_fd(fd, bin_parse_elf, b); /* pread, not mmap: the file may be truncated */
		proc_file__release(f);
	}
	if (hashmap__set(&hp->bins, (uintptr_t)b, (uintptr_t)b)) {
		free(b);
		return NULL;
	}
	return b;
}

static bool is_libjvm(const char *path)
{
	const char *base = strrchr(path, '/');

	return !strcmp(base ? base + 1 : path, "libjvm.so");
}

/* --- one process --- */

/* Drop everything cached for p (its budget is spent, or it is going). */
static void proc_clear(struct hs_procs *hp, struct hs_proc *p)
{
	hashmap__for_each (&p->methods, e)
		hs_method_free((struct hs_method *)e->value);
	hashmap__for_each (&p->nmethods, e)
		hs_nmethod_free((struct hs_nmethod *)e->value);
	hashmap__for_each (&p->stubs, e)
		hs_stub_free((struct hs_stub *)e->value);
	hashmap__clear(&p->methods);
	hashmap__clear(&p->nmethods);
	hashmap__clear(&p->stubs);
	hp->stats.cache_bytes -= p->bytes;
	p->bytes = 0;
}

static void proc_free(struct hs_procs *hp, struct hs_proc *p)
{
	if (!p)
		return;
	proc_clear(hp, p);
	free(p);
}

static void hs_procs__free(void *m)
{
	struct hs_procs *hp = m;

	if (!hp)
		return;
	hashmap__for_each (&hp->procs, e)
		proc_free(hp, (struct hs_proc *)e->value);
	hashmap__for_each (&hp->bins, e)
		free((void *)e->key);
	hashmap__clear(&hp->procs);
	hashmap__clear(&hp->bins);
	free(hp);
}

static void hs_procs__forget(void *m, uint32_t tgid)
{
	struct hs_procs *hp = m;
	uintptr_t v;

	if (hashmap__delete(&hp->procs, tgid, &v))
		proc_free(hp, (struct hs_proc *)v);
}

/* A drain begins: processes over their share of the cache start over. Nothing else cached
 * changes meaning: its keys hold what identifies it. */
static void hs_procs__tick(void *m)
{
	struct hs_procs *hp = m;

	hashmap__for_each (&hp->procs, e) {
		struct hs_proc *p = (struct hs_proc *)e->value;

		if (p->restart) {
			proc_clear(hp, p);
			p->restart = false;
			hp->stats.evictions++;
		}
	}
}

struct hs_procs_stats hs_procs__stats(const struct hs_procs *hp)
{
	return hp ? hp->stats : (struct hs_procs_stats){ 0 };
}

/* Room for bytes more in p's cache: false when p's share or the whole budget is spent
 * (counted). A process over its share starts over at the next drain (nothing is freed in the
 * middle of a lookup: a frame record's nmethod holds its named methods). */
bool hs_budget(struct hs_procs *hp, struct hs_proc *p, size_t bytes)
{
	if (p->bytes + bytes > HS_PROC_CACHE_BYTES) {
		p->restart = true;
		return false;
	}
	if (hp->stats.cache_bytes + bytes > HS_CACHE_BYTES) {
		hp->stats.over_budget++;
		return false;
	}
	p->bytes += bytes;
	hp->stats.cache_bytes += bytes;
	return true;
}

/* --- detection: the tables, the code heaps, the interpreter --- */

/* Fill the walker's parameters from p's layout and the JVM's code heaps: 0, -EAGAIN while the
 * JVM has not set them up yet, -ENOTSUP when they are not believable (what says how). */
static int read_heaps(uint32_t pid, const struct hs_layout *l, struct flamed_rt_proc *rt,
		      struct runtime_detect *what)
{
	struct flamed_hs_proc *hs = &rt->params.hs;
	uint64_t arr = hs_mem_u64(pid, l->code_heaps), data, lo = UINT64_MAX, hi = 0, q;
	uint32_t len = 0, shift = 0, limit = 0;

	if (!arr || rt_mem__read(pid, arr + l->array_len, &len, sizeof(len)) || !len)
		return -EAGAIN; /* CodeCache::initialize has not run yet */
	data = hs_mem_u64(pid, arr + l->array_data);
	if (len > FLAMED_HS_MAX_HEAPS || !data) {
		snprintf(what->what, sizeof(what->what), "HotSpot with %u code heaps", len);
		return -ENOTSUP;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint64_t heap = hs_mem_u64(pid, data + 8 * i);
		struct flamed_hs_heap *h = &hs->heap[i];

		if (!heap)
			return -EAGAIN;
		h->lo = hs_mem_u64(pid, heap + l->heap_memory + l->vs_low_boundary);
		h->hi = hs_mem_u64(pid, heap + l->heap_memory + l->vs_high_boundary);
		h->segmap = hs_mem_u64(pid, heap + l->heap_segmap + l->vs_low_boundary);
		if (rt_mem__read(pid, heap + l->heap_log2_seg, &shift, sizeof(shift)) || !h->lo ||
		    h->hi <= h->lo || h->hi - h->lo > (4ULL << 30) || h->hi >= HS_USER_LIMIT ||
		    !h->segmap || shift < 4 || shift > 20) {
			snprintf(what->what, sizeof(what->what),
				 "HotSpot (code heap %u unreadable)", i);
			return -ENOTSUP;
		}
		lo = h->lo < lo ? h->lo : lo;
		hi = h->hi > hi ? h->hi : hi;
	}
	hs->nr_heaps = (uint8_t)len;
	hs->segment_shift = (uint8_t)shift;
	/* the template interpreter's code, in the non-nmethods heap */
	q = hs_mem_u64(pid, l->interp_code);
	if (!q)
		return -EAGAIN;
	hs->interp_lo = hs_mem_u64(pid, q + l->stubq_buffer);
	if (rt_mem__read(pid, q + l->stubq_limit, &limit, sizeof(limit)) || !hs->interp_lo ||
	    hs->interp_lo < lo || limit > hi - hs->interp_lo)
		return -EAGAIN;
	hs->interp_hi = hs->interp_lo + limit;
	/* the GC count: a sample's stamp (bpf/hotspot.bpf.h) */
	if (l->collected_heap != HS_VM_MISSING && l->heap_collections < HS_VM_MAX_STRUCT) {
		uint64_t heap = hs_mem_u64(pid, l->collected_heap);

		if (!heap)
			return -EAGAIN;
		hs->gc_count = heap + l->heap_collections;
	}
	rt->ranges[0] = (struct flamed_rt_range){ .start = lo, .end = hi };
	rt->nr_ranges = 1;
	return 0;
}

/* FLAMED_HS_TAG's mask: the u2 fields of a ConstMethod that never change for its life (not
 * its bytecodes, which the interpreter rewrites as they first run, nor its flags or idnum,
 * which class redefinition may change) among the FLAMED_HS_CODE_READ bytes from _code_size. */
static uint8_t ident_mask(const struct hs_layout *l)
{
	const uint32_t fields[] = { l->cm_code_size, l->cm_name_index, l->cm_signature_index,
				    l->cm_max_stack, l->cm_max_locals, l->cm_params };
	uint8_t mask = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint32_t off = fields[i] - l->cm_code_size;

		if (fields[i] != HS_VM_MISSING && fields[i] >= l->cm_code_size &&
		    fields[i] + 2 <= l->constmethod_size && off + 2 <= FLAMED_HS_CODE_READ &&
		    !(off & 1))
			mask |= (uint8_t)(1u << (off / 2));
	}
	return mask;
}

/* The walker's offsets, each small enough for it (it reads a blob's first 512 bytes). */
static int fill_params(const struct hs_layout *l, struct flamed_hs_proc *hs,
		       struct runtime_detect *what)
{
	uint32_t blob[] = { l->blob_name,	l->blob_frame_size, l->blob_frame_complete,
			    l->blob_code_begin, l->nm_compile_id,   l->nm_orig_pc,
			    l->nm_deopt },
		 end = 0;

	for (size_t i = 0; i < sizeof(blob) / sizeof(blob[0]); i++) {
		if (blob[i] >= FLAMED_HS_BLOB_READ - 8) {
			snprintf(what->what, sizeof(what->what), "HotSpot (a CodeBlob field at %u)",
				 blob[i]);
			return -ENOTSUP;
		}
		end = blob[i] + 8 > end ? blob[i] + 8 : end;
	}
	hs->blob_read = (uint16_t)end;
	hs->blob_name = (uint16_t)l->blob_name;
	hs->blob_frame_size = (uint16_t)l->blob_frame_size;
	hs->blob_frame_complete = (uint16_t)l->blob_frame_complete;
	hs->blob_code_begin = (uint16_t)l->blob_code_begin;
	hs->nm_compile_id = (uint16_t)l->nm_compile_id;
	hs->nm_orig_pc = (uint16_t)l->nm_orig_pc;
	hs->nm_deopt_handler = (uint16_t)l->nm_deopt;
	hs->method_const = (uint16_t)l->method_const;
	hs->const_size = (uint16_t)l->constmethod_size;
	if (l->cm_code_size + 2 > l->constmethod_size) {
		snprintf(what->what, sizeof(what->what), "HotSpot (ConstMethod::_code_size at %u)",
			 l->cm_code_size);
		return -ENOTSUP;
	}
	hs->const_code_size = (uint16_t)l->cm_code_size;
	hs->ident_mask = ident_mask(l);
	hs->heapblock_size = (uint8_t)l->heapblock_size;
	hs->interp_method = (int8_t)l->interp_method;
	hs->interp_bcp = (int8_t)l->interp_bcp;
	hs->interp_sender_sp = (int8_t)l->interp_sender_sp;
	hs->flags = (l->code_is_offset ? FLAMED_HS_CODE_OFFSET : 0) |
		    (l->deopt_is_offset ? FLAMED_HS_DEOPT_OFFSET : 0) |
		    (l->complete_is_s16 ? FLAMED_HS_COMPLETE_S16 : 0);
	return 0;
}

static struct hs_proc *proc_find(const struct hs_procs *hp, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&hp->procs, tgid, &v))
		return NULL;
	return ((struct hs_proc *)v)->aspace == aspace ? (struct hs_proc *)v : NULL;
}

static int hs_procs__detect(void *inst, struct proc_entry *e, struct flamed_rt_proc *rt,
			    struct runtime_detect *what)
{
	struct hs_procs *hp = inst;
	struct hs_symbols sym;
	struct hs_bin *b = NULL;
	struct hs_layout lay;
	struct hs_proc *p;
	uint64_t bias = 0, *s;
	char why[96];
	uintptr_t v;
	size_t i;
	int err;

	if (!e->maps)
		return -ENOENT;
	for (i = 0; i < e->maps->nr; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];

		if (!f || !m->prot_exec || !is_libjvm(m->path))
			continue;
		b = bin_get(hp, f);
		if (b && b->ok &&
		    !elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					 m->prot_exec, &bias))
			break;
		b = NULL;
	}
	if (!b)
		return -ENOENT;
	what->path = e->maps->maps[i].path;
	snprintf(what->what, sizeof(what->what), "HotSpot");
	snprintf(what->known, sizeof(what->known), "JDK 9 and later with usable gHotSpotVMStructs");
	/* the symbols' addresses in this process */
	sym = b->sym;
	s = (uint64_t *)&sym;
	for (size_t k = 0; k < sizeof(sym) / sizeof(uint64_t); k++)
		s[k] = s[k] ? s[k] + bias : 0;
	/* the same image with the same libjvm, asked again (its maps re-read as its JIT code
	 * grows, up to once a second): the VM's layout cannot have changed, and reading its
	 * tables again was a tenth of a busy host's daemon CPU */
	p = proc_find(hp, e->tgid, e->aspace);
	if (p && p->jvm_bias == bias) {
		lay = p->lay;
		err = 0;
	} else {
		err = hs_vmstructs__read(vm_read, &e->tgid, &sym, &lay, why, sizeof(why));
	}
	if (!err && lay.major < 9) {
		snprintf(why, sizeof(why), "JDK %d", lay.major);
		err = -ENOTSUP;
	}
	if (err == -ENOTSUP) {
		snprintf(what->what, sizeof(what->what), "HotSpot (%.100s)", why);
		what->first_report = !b->reported;
		b->reported = true;
		hp->stats.unsupported += what->first_report;
		return -ENOTSUP;
	}
	if (err)
		return -EAGAIN; /* the process's memory not readable now */
	snprintf(what->what, sizeof(what->what), "HotSpot %d.%d.%d", lay.major, lay.minor,
		 lay.security);
	err = fill_params(&lay, &rt->params.hs, what);
	if (!err)
		err = read_heaps(e->tgid, &lay, rt, what);
	if (err)
		return err;
	if (hashmap__find(&hp->procs, e->tgid, &v)) {
		p = (struct hs_proc *)v;
		if (p->aspace != e->aspace) { /* exec'd: a new image */
			hashmap__delete(&hp->procs, e->tgid, NULL);
			proc_free(hp, p);
			p = NULL;
		}
	} else {
		p = NULL;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		hashmap__init(&p->methods, hash_method, equal_method, NULL);
		hashmap__init(&p->nmethods, hash_nmethod, equal_nmethod, NULL);
		hashmap__init(&p->stubs, hashmap_hash_int, hashmap_equal_int, NULL);
		if (hashmap__set(&hp->procs, e->tgid, (uintptr_t)p)) {
			free(p);
			return -ENOMEM;
		}
		hp->stats.processes++;
	}
	p->tgid = e->tgid;
	p->aspace = e->aspace;
	p->lay = lay;
	p->gc_count = rt->params.hs.gc_count;
	p->ident_mask = rt->params.hs.ident_mask;
	p->jvm_bias = bias;
	return 0;
}

/* --- frames --- */

static void method_frame(const struct hs_proc *p, const struct hs_method *m, int32_t bci,
			 struct runtime_frame *f)
{
	*f = (struct runtime_frame){
		.name = m->name,
		.system_name = m->sysname,
		.file = m->file,
		.first_line = m->first_line,
		.named = true,
	};
	if (m->lines && bci >= -1)
		f->line = hs_line_for_bci(m->lines, m->lines_len, p->lay.unsigned5_x,
					  bci < 0 ? 0 : (uint32_t)bci, NULL, NULL);
}

/* The frames of a compiled frame at pc offset pc_off: its scopes, innermost first. */
static size_t compiled_frames(struct hs_procs *hp, struct hs_proc *p, struct hs_nmethod *n,
			      uint32_t pc_off, struct runtime_frame *out, size_t max, bool resolve)
{
	struct hs_scope sc[HS_MAX_SCOPES];
	struct hs_method *m;
	uint32_t scope = 0;
	size_t nr = 0, k = 0;

	if (!n->native && n->pcs &&
	    hs_pcdesc_find(n->pcs, n->nr_pcs, p->lay.pcdesc_size, p->lay.pcdesc_pc,
			   p->lay.pcdesc_scope, pc_off, &scope))
		nr = hs_scopes(n->scopes, n->scopes_len, p->lay.unsigned5_x, scope, sc,
			       max < HS_MAX_SCOPES ? max : HS_MAX_SCOPES);
	for (size_t i = 0; i < nr; i++) {
		uint32_t mi = sc[i].method_index;

		if (!mi || mi > n->nr_meta)
			break;
		m = n->named[mi - 1];
		if (!m && resolve)
			m = n->named[mi - 1] = hs_method_vouched(hp, p, n->meta[mi - 1]);
		if (!m)
			break;
		method_frame(p, m, sc[i].bci, &out[k++]);
	}
	if (k)
		return k;
	/* no scope for the pc (a native method's wrapper, or no debug info): the method */
	if (!n->self && resolve)
		n->self = hs_method_vouched(hp, p, n->method);
	m = n->self;
	if (!m)
		return 0;
	method_frame(p, m, -2, &out[0]);
	return 1;
}

/* The frames of one frame record; 0 when it cannot be named. resolve: compiled code's methods
 * may be read now (no GC, so no class unloaded, since the sample). */
static size_t record_frames(struct hs_procs *hp, struct hs_proc *p, const uint64_t *rec,
			    struct runtime_frame *out, size_t max, bool resolve)
{
	uint64_t kind = rec[0] >> FLAMED_HS_KIND_SHIFT, ptr = rec[0] & FLAMED_HS_PTR_MASK;
	uint32_t tag = (uint32_t)(rec[0] >> FLAMED_HS_TAG_SHIFT & FLAMED_HS_TAG_MASK);
	struct hs_nmethod *n;
	struct hs_method *m;
	struct hs_stub *s;

	switch (kind) {
	case FLAMED_HS_INTERPRETED:
		m = hs_method_get(hp, p, ptr, rec[1] & FLAMED_HS_PTR_MASK, tag);
		if (!m)
			return 0;
		method_frame(p, m,
			     (rec[1] >> 48) == FLAMED_HS_NO_BCI ? -2 : (int32_t)(rec[1] >> 48),
			     &out[0]);
		return 1;
	case FLAMED_HS_COMPILED:
		n = hs_nmethod_get(hp, p, ptr, (uint32_t)rec[1]);
		return n ? compiled_frames(hp, p, n, (uint32_t)(rec[1] >> 32), out, max, resolve)
			 : 0;
	case FLAMED_HS_STUB:
		s = hs_stub_get(hp, p, ptr, (uint32_t)rec[1]);
		if (!s)
			return 0;
		out[0] = (struct runtime_frame){ .name = s->name, .named = true };
		return 1;
	default:
		return 0;
	}
}

static size_t hs_procs__frames(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			       struct runtime_frame *out, size_t max)
{
	struct hs_procs *hp = m;
	struct hs_proc *p = proc_find(hp, tgid, aspace);
	size_t n;

	if (!max)
		return 0;
	n = p ? record_frames(hp, p, rec, out, max, false) : 0;
	if (n)
		return n;
	hp->stats.frames_unnamed++;
	out[0] = (struct runtime_frame){ .name = "[java]" };
	return 1;
}

/* At a drain: read what names a sample's frames. Compiled code names the methods in its
 * metadata, which the JVM frees with their class: they are read only when no GC (which alone
 * unloads classes) ran since the sample, and once read they name that code for good. */
static void hs_procs__prefetch(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			       uint32_t nr, uint32_t stamp, uint64_t samples)
{
	struct hs_procs *hp = m;
	struct hs_proc *p = proc_find(hp, tgid, aspace);
	struct runtime_frame fr[RUNTIME_MAX_FRAMES];
	struct hs_nmethod *n;
	uint32_t gcs = 0;
	bool resolve;
	size_t k;

	if (!p)
		return;
	resolve = !p->gc_count || (stamp && !rt_mem__read(tgid, p->gc_count, &gcs, sizeof(gcs)) &&
				   gcs + 1 == stamp);

	for (uint32_t i = 0; p && i + 1 < nr; i += 2) {
		uint64_t kind = words[i] >> FLAMED_HS_KIND_SHIFT;

		k = record_frames(hp, p, &words[i], fr, RUNTIME_MAX_FRAMES, resolve);
		if (!k) {
			uint8_t probe;

			/* its code changed since the sample, or the JVM is gone */
			if (rt_mem__read(tgid, words[i] & FLAMED_HS_PTR_MASK, &probe, 1) == -ESRCH)
				hp->stats.gone += samples;
			else
				hp->stats.stale += samples;
			continue;
		}
		if (kind == FLAMED_HS_INTERPRETED) {
			hp->stats.interpreted += samples;
		} else if (kind == FLAMED_HS_STUB) {
			hp->stats.stubs += samples;
		} else {
			n = hs_nmethod_get(hp, p, words[i] & FLAMED_HS_PTR_MASK,
					   (uint32_t)words[i + 1]);
			if (n && n->native)
				hp->stats.native += samples;
			else if (n && n->comp_level == 4)
				hp->stats.c2 += samples;
			else
				hp->stats.c1 += samples;
			hp->stats.inlined += samples * (k - 1);
		}
	}
}

const struct runtime_ops hs_runtime_ops = {
	.name = "hotspot",
	.language = "Java",
	.id = FLAMED_RT_HOTSPOT,
	.mapping = "[java]",
	.words_per_frame = 2,
	.new = hs_procs__new,
	.free = hs_procs__free,
	.detect = hs_procs__detect,
	.forget = hs_procs__forget,
	.tick = hs_procs__tick,
	.prefetch = hs_procs__prefetch,
	.frames = hs_procs__frames,
};
