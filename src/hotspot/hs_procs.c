// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "elf/elf_file.h"
#include "hotspot/hs_decode.h"
#include "hotspot/hs_procs.h"
#include "hotspot/hs_vmstructs.h"
#include "proc/proc_table.h"
#include "util/hashmap.h"
#include "util/utf8.h"

#define HS_MAX_BINS	256	     /* distinct libjvm.so files remembered */
#define HS_USER_LIMIT	(1ULL << 47) /* every pointer read must be a user address below this */
#define HS_NMETHOD_READ 1024	     /* most bytes of an nmethod's header read */

/* One libjvm.so (by dev, inode): where its gHotSpotVM* symbols are (ELF addresses). */
struct hs_bin {
	uint64_t dev, inode;
	bool ok;	       /* every symbol the tables need is there */
	bool reported;	       /* its tables were said unusable once */
	struct hs_symbols sym; /* ELF virtual addresses */
};

/* A method, named: what a Method* with its ConstMethod* stands for. Keyed by both: a class
 * unloaded leaves its Method's memory to the next class's methods, and a window's samples may
 * name several generations of methods at one address. */
struct hs_method {
	uint64_t addr; /* the Method* */
	uint64_t cm; /* its ConstMethod* (48 bits) when read: with tag, what makes it this method */
	uint32_t tag;	/* FLAMED_HS_TAG of its code */
	char *name;	/* "pkg.Class.method"; NULL when unreadable */
	char *sysname;	/* "pkg.Class.method(signature)" */
	char *file;	/* the class's source file, or NULL */
	uint8_t *lines; /* the compressed line number table, or NULL */
	size_t lines_len;
	int32_t first_line;
	size_t bytes;
};

/* Compiled code: an nmethod and what names its pcs. Keyed by its address and compile id (unique
 * in a JVM's life), so code freed and its memory reused by other code is never confused. */
struct hs_nmethod {
	uint64_t blob;
	uint32_t compile_id; /* what makes it this code */
	uint64_t method;     /* its Method* */
	int comp_level;	     /* 1-3: C1, 4: C2 */
	bool native;	     /* a native method's wrapper */
	bool ok;
	uint8_t *pcs; /* PcDescs */
	size_t nr_pcs;
	uint8_t *scopes;
	size_t scopes_len;
	uint64_t *meta; /* the metadata a scope's method index points into */
	size_t nr_meta;
	struct hs_method **named; /* meta[i] named (read while the JVM lives), NULL until then */
	struct hs_method *self;	  /* the method, named */
	size_t bytes;
};

/* A stub or adapter, by its blob's name. */
struct hs_stub {
	uint32_t name4; /* the name's first 4 bytes, as the walker saw them */
	char *name;
	size_t bytes;
};

struct hs_proc {
	uint32_t tgid;
	uint64_t aspace;
	bool restart; /* over its share of the cache: cleared at the next drain */
	struct hs_layout lay;
	uint64_t gc_count;	 /* &CollectedHeap::_total_collections, 0 when unknown */
	uint8_t ident_mask;	 /* FLAMED_HS_TAG's mask (flamed_hs_proc) */
	struct hashmap methods;	 /* struct hs_method * (key: itself, by address and ConstMethod*) */
	struct hashmap nmethods; /* struct hs_nmethod * (key: itself, by address and compile id) */
	struct hashmap stubs;	 /* CodeBlob* -> struct hs_stub * */
	size_t bytes;
};

struct hs_procs {
	struct hashmap bins;  /* struct hs_bin * (key: itself, by dev and inode) */
	struct hashmap procs; /* tgid -> struct hs_proc * */
	struct hs_procs_stats stats;
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

static int mem_read(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!addr || addr >= HS_USER_LIMIT || len > HS_USER_LIMIT - addr)
		return -EFAULT;
	n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int vm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return mem_read(*(uint32_t *)ctx, addr, buf, len);
}

static uint64_t buf_u64(const uint8_t *buf, size_t len, uint32_t off)
{
	uint64_t v = 0;

	if (off <= len && len - off >= sizeof(v))
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint32_t buf_u32(const uint8_t *buf, size_t len, uint32_t off)
{
	uint32_t v = 0;

	if (off <= len && len - off >= sizeof(v))
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint16_t buf_u16(const uint8_t *buf, size_t len, uint32_t off)
{
	uint16_t v = 0;

	if (off <= len && len - off >= sizeof(v))
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint64_t mem_u64(uint32_t pid, uint64_t addr)
{
	uint64_t v = 0;

	return mem_read(pid, addr, &v, sizeof(v)) ? 0 : v;
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

static void method_free(struct hs_method *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->sysname);
	free(m->file);
	free(m->lines);
	free(m);
}

static void nmethod_free(struct hs_nmethod *n)
{
	if (!n)
		return;
	free(n->pcs);
	free(n->scopes);
	free(n->meta);
	free(n->named);
	free(n);
}

static void stub_free(struct hs_stub *s)
{
	if (s)
		free(s->name);
	free(s);
}

/* Drop everything cached for p (its budget is spent, or it is going). */
static void proc_clear(struct hs_procs *hp, struct hs_proc *p)
{
	hashmap__for_each (&p->methods, e)
		method_free((struct hs_method *)e->value);
	hashmap__for_each (&p->nmethods, e)
		nmethod_free((struct hs_nmethod *)e->value);
	hashmap__for_each (&p->stubs, e)
		stub_free((struct hs_stub *)e->value);
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
static bool budget(struct hs_procs *hp, struct hs_proc *p, size_t bytes)
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
	uint64_t arr = mem_u64(pid, l->code_heaps), data, lo = UINT64_MAX, hi = 0, q;
	uint32_t len = 0, shift = 0, limit = 0;

	if (!arr || mem_read(pid, arr + l->array_len, &len, sizeof(len)) || !len)
		return -EAGAIN; /* CodeCache::initialize has not run yet */
	data = mem_u64(pid, arr + l->array_data);
	if (len > FLAMED_HS_MAX_HEAPS || !data) {
		snprintf(what->what, sizeof(what->what), "HotSpot with %u code heaps", len);
		return -ENOTSUP;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint64_t heap = mem_u64(pid, data + 8 * i);
		struct flamed_hs_heap *h = &hs->heap[i];

		if (!heap)
			return -EAGAIN;
		h->lo = mem_u64(pid, heap + l->heap_memory + l->vs_low_boundary);
		h->hi = mem_u64(pid, heap + l->heap_memory + l->vs_high_boundary);
		h->segmap = mem_u64(pid, heap + l->heap_segmap + l->vs_low_boundary);
		if (mem_read(pid, heap + l->heap_log2_seg, &shift, sizeof(shift)) || !h->lo ||
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
	q = mem_u64(pid, l->interp_code);
	if (!q)
		return -EAGAIN;
	hs->interp_lo = mem_u64(pid, q + l->stubq_buffer);
	if (mem_read(pid, q + l->stubq_limit, &limit, sizeof(limit)) || !hs->interp_lo ||
	    hs->interp_lo < lo || limit > hi - hs->interp_lo)
		return -EAGAIN;
	hs->interp_hi = hs->interp_lo + limit;
	/* the GC count: a sample's stamp (bpf/hotspot.bpf.h) */
	if (l->collected_heap != HS_VM_MISSING && l->heap_collections < HS_VM_MAX_STRUCT) {
		uint64_t heap = mem_u64(pid, l->collected_heap);

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
	err = hs_vmstructs__read(vm_read, &e->tgid, &sym, &lay, why, sizeof(why));
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
	return 0;
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
	if (mem_read(p->tgid, addr, buf, want))
		return NULL;
	len = buf_u16(buf, want, l->symbol_length);
	if (!len)
		return NULL;
	if (len > HS_MAX_NAME)
		len = HS_MAX_NAME;
	if (l->symbol_body + len > want &&
	    mem_read(p->tgid, addr + l->symbol_body, buf + l->symbol_body, len))
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
	return read_symbol(p, mem_u64(p->tgid, cp + p->lay.constantpool_size + 8ULL * idx));
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
		if (mem_read(p->tgid, addr, buf, len)) {
			/* near the end of the mapping: a shorter read */
			if (len == 256 && !mem_read(p->tgid, addr, buf, 64))
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
	uint64_t cm = mem_u64(p->tgid, addr + l->method_const), w[FLAMED_HS_CODE_READ / 8];

	if (!cm || mem_read(p->tgid, cm, cmb, l->constmethod_size) ||
	    mem_read(p->tgid, cm + l->cm_code_size, w, sizeof(w)))
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
	cp = buf_u64(cmb, l->constmethod_size, l->cm_constants);
	if (mem_read(p->tgid, cp, cpb, l->constantpool_size))
		return NULL;
	holder = buf_u64(cpb, l->constantpool_size, l->cp_holder);
	length = buf_u32(cpb, l->constantpool_size, l->cp_length);

	if (length > 65536)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->addr = addr;
	m->cm = cm;
	m->tag = tag;
	klass = read_symbol(p, mem_u64(p->tgid, holder + l->klass_name));
	mname = pool_symbol(p, cp, length, buf_u16(cmb, l->constmethod_size, l->cm_name_index));
	sig = pool_symbol(p, cp, length, buf_u16(cmb, l->constmethod_size, l->cm_signature_index));
	if (l->cp_source_file < HS_VM_MAX_STRUCT) {
		src_idx = buf_u16(cpb, l->constantpool_size, l->cp_source_file);
	} else {
		uint16_t i16 = 0;

		mem_read(p->tgid, holder + l->ik_source_file, &i16, sizeof(i16));
		src_idx = i16;
	}
	m->file = pool_symbol(p, cp, length, src_idx);
	if (klass && mname) {
		m->name = java_name(klass, mname);
		if (m->name && asprintf(&m->sysname, "%s%s", m->name, sig ? sig : "") < 0)
			m->sysname = NULL;
	}
	flags = l->cm_flags_size == 2 ? buf_u16(cmb, l->constmethod_size, l->cm_flags)
				      : buf_u32(cmb, l->constmethod_size, l->cm_flags);
	code_size = buf_u16(cmb, l->constmethod_size, l->cm_code_size);
	if (m->name && (flags & l->has_line_table))
		read_lines(p, m,
			   mem_u64(p->tgid, addr + l->method_const) + l->constmethod_size +
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
static struct hs_method *method_get(struct hs_procs *hp, struct hs_proc *p, uint64_t addr,
				    uint64_t cm, uint32_t tag)
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
	if (!budget(hp, p, m->bytes) || hashmap__set(&p->methods, (uintptr_t)m, (uintptr_t)m)) {
		method_free(m); /* the frame is shown unnamed rather than kept past the budget */
		return NULL;
	}
	return m->name ? m : NULL;
}

/* The named method at addr that the JVM vouches for (an nmethod's own metadata: alive as long
 * as the nmethod is): what identifies it read now, so that a cached method of another class
 * once at this address is not taken for it. */
static struct hs_method *method_vouched(struct hs_procs *hp, struct hs_proc *p, uint64_t addr)
{
	uint8_t cmb[256];
	uint64_t cm;
	uint32_t tag;

	if (!addr || addr >= HS_USER_LIMIT || p->lay.constmethod_size > sizeof(cmb) ||
	    !method_ident(p, addr, cmb, &cm, &tag))
		return NULL;
	return method_get(hp, p, addr, cm, tag);
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
	if (buf && mem_read(p->tgid, addr, buf, end - addr)) {
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

	if (mem_read(p->tgid, blob, h, hl) || buf_u32(h, hl, l->nm_compile_id) != compile_id ||
	    mem_read(p->tgid, buf_u64(h, hl, l->blob_name), name, 7) ||
	    (strcmp(name, "nmethod") && strncmp(name, "native ", 7)))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->blob = blob;
	n->compile_id = compile_id;
	n->method = buf_u64(h, hl, l->nm_method);
	n->native = !strncmp(name, "native ", 7);
	n->comp_level = l->nm_comp_level < hl ? (int)buf_u32(h, hl, l->nm_comp_level) : 0;
	n->ok = true;
	if (l->nm_immutable < hl && l->scopes_is_offset) {
		/* JDK 23+: PcDescs, then scopes, in the immutable data */
		uint64_t imm = buf_u64(h, hl, l->nm_immutable);

		pcs = imm + buf_u32(h, hl, l->nm_scopes_pcs);
		pcs_end = sc = imm + buf_u32(h, hl, l->nm_scopes_data);
		sc_end = imm + buf_u32(h, hl, l->nm_immutable_size);
		if (l->blob_mutable_data < hl) { /* JDK 25+: the metadata in the mutable data */
			uint64_t mut = buf_u64(h, hl, l->blob_mutable_data);

			meta = mut + buf_u32(h, hl, l->blob_relocation_size);
			meta_end = mut + buf_u32(h, hl, l->blob_mutable_size);
		}
	} else if (l->nm_dependencies < hl) {
		/* JDK 9-22: metadata, scopes, PcDescs, then the dependencies, in the blob */
		pcs = blob + buf_u32(h, hl, l->nm_scopes_pcs);
		pcs_end = blob + buf_u32(h, hl, l->nm_dependencies);
		sc = l->scopes_is_offset ? blob + buf_u32(h, hl, l->nm_scopes_data)
					 : buf_u64(h, hl, l->nm_scopes_data);
		sc_end = pcs;
		meta = blob + buf_u32(h, hl, l->nm_metadata);
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
static struct hs_nmethod *nmethod_get(struct hs_procs *hp, struct hs_proc *p, uint64_t blob,
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
	if (!budget(hp, p, n->bytes) || hashmap__set(&p->nmethods, (uintptr_t)n, (uintptr_t)n)) {
		nmethod_free(n);
		return NULL;
	}
	return n;
}

static struct hs_stub *stub_get(struct hs_procs *hp, struct hs_proc *p, uint64_t blob,
				uint32_t name4)
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
		stub_free(s);
	}
	if (mem_read(p->tgid, mem_u64(p->tgid, blob + p->lay.blob_name), name, sizeof(name) - 1))
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
	if (!s->name || !budget(hp, p, s->bytes) || hashmap__set(&p->stubs, blob, (uintptr_t)s)) {
		stub_free(s);
		return NULL;
	}
	return s;
}

/* --- frames --- */

static struct hs_proc *proc_find(const struct hs_procs *hp, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&hp->procs, tgid, &v))
		return NULL;
	return ((struct hs_proc *)v)->aspace == aspace ? (struct hs_proc *)v : NULL;
}

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
			m = n->named[mi - 1] = method_vouched(hp, p, n->meta[mi - 1]);
		if (!m)
			break;
		method_frame(p, m, sc[i].bci, &out[k++]);
	}
	if (k)
		return k;
	/* no scope for the pc (a native method's wrapper, or no debug info): the method */
	if (!n->self && resolve)
		n->self = method_vouched(hp, p, n->method);
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
		m = method_get(hp, p, ptr, rec[1] & FLAMED_HS_PTR_MASK, tag);
		if (!m)
			return 0;
		method_frame(p, m,
			     (rec[1] >> 48) == FLAMED_HS_NO_BCI ? -2 : (int32_t)(rec[1] >> 48),
			     &out[0]);
		return 1;
	case FLAMED_HS_COMPILED:
		n = nmethod_get(hp, p, ptr, (uint32_t)rec[1]);
		return n ? compiled_frames(hp, p, n, (uint32_t)(rec[1] >> 32), out, max, resolve)
			 : 0;
	case FLAMED_HS_STUB:
		s = stub_get(hp, p, ptr, (uint32_t)rec[1]);
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
	resolve = !p->gc_count ||
		  (stamp && !mem_read(tgid, p->gc_count, &gcs, sizeof(gcs)) && gcs + 1 == stamp);

	for (uint32_t i = 0; p && i + 1 < nr; i += 2) {
		uint64_t kind = words[i] >> FLAMED_HS_KIND_SHIFT;

		k = record_frames(hp, p, &words[i], fr, RUNTIME_MAX_FRAMES, resolve);
		if (!k) {
			uint8_t probe;

			/* its code changed since the sample, or the JVM is gone */
			if (mem_read(tgid, words[i] & FLAMED_HS_PTR_MASK, &probe, 1) == -ESRCH)
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
			n = nmethod_get(hp, p, words[i] & FLAMED_HS_PTR_MASK,
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
