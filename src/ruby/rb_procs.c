// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "proc/proc_table.h"
#include "ruby/rb_lines.h"
#include "ruby/rb_names.h"
#include "ruby/rb_offsets.h"
#include "ruby/rb_procs.h"
#include "runtime/rt_files.h"
#include "runtime/rt_mem.h"
#include "util/hashmap.h"

#define RB_MAX_BINS	256		       /* distinct ruby-named files remembered */
#define RB_EXEC_MAX	(64u << 10)	       /* bytes of rb_vm_exec searched for its calls */
#define RB_CORE_MIN	4096		       /* vm_exec_core is larger than any other callee */
#define RB_TEXT_MAX	(2 * RB_NAMES_MAX)     /* sanitized text: each bad byte may become '?' */
#define RB_INFO_MAX	(256u << 10)	       /* bytes of an iseq's line entries and table read */
#define RB_NAME_MAX	(6 * RB_NAMES_MAX + 8) /* a composed frame name */
#define RB_JIT_GAP	(16u << 20) /* anonymous code this close is one JIT block, split */
#define RB_ST_ENTRY_MAX 24	    /* bytes of an st_table_entry (hash, key, record) */

/* What one libruby (or static ruby) holds (ELF virtual addresses), parsed once per file. */
struct rb_bin {
	bool runtime;  /* every symbol found */
	bool reported; /* an unknown version was reported */
	int major, minor;
	uint64_t vm_ptr;  /* ruby_current_vm_ptr */
	uint64_t exec[2]; /* rb_vm_exec: [start, end) */
	uint64_t core[2]; /* vm_exec_core, or rb_vm_exec when it calls no larger function */
	uint64_t symbols; /* ruby_global_symbols, from rb_sym_immortal_count's code; 0: unknown */
	uint64_t cobject; /* rb_cObject (the variable holding the class) */
};

/* An iseq: what names its frames and gives their lines. */
struct rb_iseq {
	uint64_t ident[2]; /* flags and body: what makes it this iseq */
	uint64_t epoch;	   /* the drain it was last checked in */
	char *label, *base_label, *path;
	int64_t first_line;
	uint64_t encoded; /* iseq_encoded: pcs index from it */
	uint64_t local;	  /* local_iseq: the method's iseq of a block */
	uint32_t size;	  /* instruction words */
	bool ok;	  /* read; false: the frame is "[ruby]" */
	struct rb_lines lines;
	size_t bytes;
};

/* What a frame's method entry candidate (ep[-2]) is: a method entry (directly or in an svar),
 * or nothing that names a method (a cref, unreadable). */
struct rb_me {
	uint64_t ident[3]; /* flags, def (an svar: the entry it holds), owner */
	uint64_t epoch;
	bool ment;	   /* a method entry */
	bool singleton;	   /* of a singleton class: "Class.method" */
	uint32_t def_type; /* VM_METHOD_TYPE_* */
	uint64_t iseqptr;  /* an iseq method's iseq */
	char *method;	   /* the method's name (original_id) */
	char *cls;	   /* its class path; NULL when unknown */
	size_t bytes;
};

struct rb_proc {
	uint32_t tgid;
	uint64_t aspace;
	const struct rb_offsets *off;
	uint64_t symbols, cobject; /* run-time addresses, 0: unknown */
	uint64_t classpath_id;	   /* the ID of "__classpath__", 0 until found */
	uint64_t classpath_tried;  /* the drain it was last looked for in */
	struct hashmap iseqs;	   /* address -> struct rb_iseq * */
	struct hashmap mes;	   /* address -> struct rb_me * */
	struct hashmap ids;	   /* ID -> char * (NULL: unreadable) */
	size_t bytes;
};

struct rb_procs {
	struct rt_files *bins;	/* struct rb_bin per file */
	struct hashmap procs;	/* tgid -> struct rb_proc * */
	uint64_t epoch;		/* drains so far */
	char name[RB_NAME_MAX]; /* the frame name frames() returns last */
	struct rb_procs_stats stats;
};

static void *rb_procs__new(void)
{
	struct rb_procs *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	rp->bins = rt_files__new(sizeof(struct rb_bin), RB_MAX_BINS);
	if (!rp->bins) {
		free(rp);
		return NULL;
	}
	hashmap__init(&rp->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	return rp;
}

static void iseq_free(struct rb_iseq *q)
{
	if (!q)
		return;
	free(q->label);
	free(q->base_label);
	free(q->path);
	rb_lines__free(&q->lines);
	free(q);
}

static void me_free(struct rb_me *m)
{
	if (!m)
		return;
	free(m->method);
	free(m->cls);
	free(m);
}

/* Drop everything cached for p (counted as evicted when evict). */
static void proc_clear(struct rb_procs *rp, struct rb_proc *p, bool evict)
{
	hashmap__for_each (&p->iseqs, e) {
		iseq_free((struct rb_iseq *)e->value);
		rp->stats.evicted += evict;
	}
	hashmap__for_each (&p->mes, e) {
		me_free((struct rb_me *)e->value);
		rp->stats.evicted += evict;
	}
	hashmap__for_each (&p->ids, e)
		free((char *)e->value);
	hashmap__clear(&p->iseqs);
	hashmap__clear(&p->mes);
	hashmap__clear(&p->ids);
	rp->stats.cache_bytes -= p->bytes;
	p->bytes = 0;
}

static void proc_free(struct rb_procs *rp, struct rb_proc *p)
{
	if (!p)
		return;
	proc_clear(rp, p, false);
	free(p);
}

static void rb_procs__free(void *m)
{
	struct rb_procs *rp = m;

	if (!rp)
		return;
	hashmap__for_each (&rp->procs, e)
		proc_free(rp, (struct rb_proc *)e->value);
	hashmap__clear(&rp->procs);
	rt_files__free(rp->bins);
	free(rp);
}

/* --- the interpreter's file --- */

/* len bytes at ELF address vaddr of the file, from the PROGBITS section holding them. */
static int read_at(Elf *elf, int fd, uint64_t vaddr, void *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		if (vaddr < sh.sh_addr || len > sh.sh_size || vaddr - sh.sh_addr > sh.sh_size - len)
			continue;
		if (pread(fd, buf, len, (off_t)(sh.sh_offset + (vaddr - sh.sh_addr))) !=
		    (ssize_t)len)
			return -EIO;
		return 0;
	}
	return -ENOENT;
}

/* vm_exec_core has no symbol in a stripped libruby: it is the largest function rb_vm_exec calls
 * directly (its FDE gives the range); without one larger than RB_CORE_MIN the loop is
 * rb_vm_exec's own. */
static void find_core(struct rb_bin *b, Elf *elf, int fd)
{
	size_t len = b->exec[1] - b->exec[0];
	struct elf_funcs *funcs;
	uint8_t *code;

	b->core[0] = b->exec[0];
	b->core[1] = b->exec[1];
	if (len > RB_EXEC_MAX)
		return;
	code = malloc(len);
	funcs = elf_funcs__open_fd(fd);
	if (code && funcs && !read_at(elf, fd, b->exec[0], code, len)) {
		for (size_t i = 0; i + 5 <= len; i++) {
			int32_t rel;
			uint64_t to, start, end;

			if (code[i] != 0xe8) /* call rel32 */
				continue;
			memcpy(&rel, code + i + 1, 4);
			to = b->exec[0] + i + 5 + (int64_t)rel;
			if (elf_funcs__range(funcs, to, &start, &end) || start != to ||
			    end - start < RB_CORE_MIN || end - start <= b->core[1] - b->core[0])
				continue;
			b->core[0] = start;
			b->core[1] = end;
		}
	}
	elf_funcs__free(funcs);
	free(code);
}

/* ruby_global_symbols is hidden; rb_sym_immortal_count returns its first field: its code is
 * "mov eax, [rip + disp32]; ret" (or with a REX.W prefix). */
static void find_symbols(struct rb_bin *b, Elf *elf, int fd, uint64_t fn)
{
	uint8_t code[8];
	int32_t disp;

	if (!fn || read_at(elf, fd, fn, code, sizeof(code)))
		return;
	if (code[0] == 0x8b && code[1] == 0x05 && code[6] == 0xc3) {
		memcpy(&disp, code + 2, 4);
		b->symbols = fn + 6 + (int64_t)disp;
	} else if (code[0] == 0x48 && code[1] == 0x8b && code[2] == 0x05 && code[7] == 0xc3) {
		memcpy(&disp, code + 3, 4);
		b->symbols = fn + 7 + (int64_t)disp;
	}
}

struct bin_ctx {
	struct rb_bin *b;
	int fd;
};

static void *bin_parse_elf(Elf *elf, void *arg)
{
	struct bin_ctx *c = arg;
	struct rb_bin *b = c->b;
	uint64_t version = 0, version_size = 0, immortal = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	char ver[16] = "";

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < data->d_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
			    !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || (name[0] != 'r'))
				continue;
			if (!strcmp(name, "ruby_current_vm_ptr")) {
				b->vm_ptr = s.st_value;
			} else if (!strcmp(name, "rb_vm_exec") && s.st_size) {
				b->exec[0] = s.st_value;
				b->exec[1] = s.st_value + s.st_size;
			} else if (!strcmp(name, "ruby_version") && s.st_size < sizeof(ver)) {
				version = s.st_value; /* RUBY_VERSION: "3.1.2" */
				version_size = s.st_size;
			} else if (!strcmp(name, "rb_sym_immortal_count")) {
				immortal = s.st_value;
			} else if (!strcmp(name, "rb_cObject")) {
				b->cobject = s.st_value;
			}
		}
	}
	if (!version || read_at(elf, c->fd, version, ver, version_size) ||
	    sscanf(ver, "%d.%d", &b->major, &b->minor) != 2 || !b->vm_ptr || !b->exec[0])
		return NULL;
	find_core(b, elf, c->fd);
	find_symbols(b, elf, c->fd, immortal);
	b->runtime = true;
	return NULL;
}

static void bin_parse(void *rec, int fd, void *ctx)
{
	struct bin_ctx c = { .b = rec, .fd = fd };

	(void)ctx;
	elf_with_fd(fd, bin_parse_elf, &c); /* pread, not mmap: the file may be truncated */
}

static bool ruby_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libruby", 7) || !strncmp(base, "ruby", 4);
}

static struct rb_proc *proc_find(const struct rb_procs *rp, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&rp->procs, tgid, &v))
		return NULL;
	return ((struct rb_proc *)v)->aspace == aspace ? (struct rb_proc *)v : NULL;
}

/* The process's record for this image, made or started afresh. */
static struct rb_proc *proc_get(struct rb_procs *rp, const struct proc_entry *e,
				const struct rb_offsets *off)
{
	struct rb_proc *p;
	uintptr_t v;

	if (hashmap__find(&rp->procs, e->tgid, &v)) {
		p = (struct rb_proc *)v;
		if (p->aspace == e->aspace && p->off == off)
			return p;
		hashmap__delete(&rp->procs, e->tgid, NULL); /* exec'd: a new image */
		proc_free(rp, p);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	hashmap__init(&p->iseqs, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&p->mes, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&p->ids, hashmap_hash_int, hashmap_equal_int, NULL);
	if (hashmap__set(&rp->procs, e->tgid, (uintptr_t)p)) {
		free(p);
		return NULL;
	}
	p->tgid = e->tgid;
	p->aspace = e->aspace;
	p->off = off;
	rp->stats.processes++;
	return p;
}

/* YJIT's code: the process's anonymous executable mappings, merged where they are less than
 * RB_JIT_GAP apart (YJIT maps one block and makes the pages it writes to writable meanwhile,
 * which splits it), the largest first, into the ranges left after the interpreter's. The
 * walker steps over a frame there only when it finds the return into the interpreter; other
 * code (another JIT's) is left to the native walk. */
static void add_jit_ranges(const struct proc_entry *e, struct flamed_rt_proc *rt)
{
	while (rt->nr_ranges < FLAMED_RT_MAX_RANGES) {
		uint64_t best[2] = { 0, 0 }, cur[2] = { 0, 0 };

		for (size_t i = 0; i <= e->maps->nr; i++) {
			const struct proc_map *m = i < e->maps->nr ? &e->maps->maps[i] : NULL;
			bool taken = false;

			if (m && (!m->prot_exec || m->inode || m->path[0]))
				continue;
			for (uint32_t r = 2; m && r < rt->nr_ranges; r++)
				taken |= m->start >= rt->ranges[r].start &&
					 m->end <= rt->ranges[r].end;
			if (m && !taken && cur[1] && m->start - cur[1] < RB_JIT_GAP) {
				cur[1] = m->end; /* the same block, split */
				continue;
			}
			if (cur[1] - cur[0] > best[1] - best[0])
				memcpy(best, cur, sizeof(best));
			cur[0] = m && !taken ? m->start : 0;
			cur[1] = m && !taken ? m->end : 0;
		}
		if (!best[1])
			return;
		rt->ranges[rt->nr_ranges].start = best[0];
		rt->ranges[rt->nr_ranges].end = best[1];
		rt->nr_ranges++;
	}
}

static int rb_procs__detect(void *inst, struct proc_entry *e, struct flamed_rt_proc *rt,
			    struct runtime_detect *what)
{
	struct rb_procs *rp = inst;
	const struct rb_offsets *off;
	struct flamed_rb_proc *pr = &rt->params.rb;
	struct rb_bin *b = NULL;
	struct rb_proc *p;
	uint64_t bias = 0;
	size_t i;

	if (!e->maps)
		return -ENOENT;
	for (i = 0; i < e->maps->nr; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];

		if (!f || !m->prot_exec || !ruby_named(m->path))
			continue;
		b = rt_files__get(rp->bins, f, bin_parse, NULL);
		if (b && b->runtime &&
		    !elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					 m->prot_exec, &bias))
			break;
		b = NULL;
	}
	if (!b)
		return -ENOENT;
	what->path = e->maps->maps[i].path;
	off = rb_offsets__find(b->major, b->minor);
	if (!off) {
		snprintf(what->what, sizeof(what->what), "Ruby %d.%d", b->major, b->minor);
		rb_offsets__range(what->known, sizeof(what->known));
		what->first_report = !b->reported;
		b->reported = true;
		rp->stats.unknown_version += what->first_report;
		return -ENOTSUP;
	}
	snprintf(what->what, sizeof(what->what), "Ruby %d.%d", off->major, off->minor);
	p = proc_get(rp, e, off);
	if (!p)
		return -ENOMEM;
	p->symbols = b->symbols ? b->symbols + bias : 0;
	p->cobject = b->cobject ? b->cobject + bias : 0;
	rt->ranges[0].start = b->core[0] + bias;
	rt->ranges[0].end = b->core[1] + bias;
	rt->ranges[1].start = b->exec[0] + bias;
	rt->ranges[1].end = b->exec[1] + bias;
	rt->nr_ranges = 2;
	add_jit_ranges(e, rt);
	*pr = (struct flamed_rb_proc){
		.vm_ptr = b->vm_ptr + bias,
		.text_start = e->maps->maps[i].start,
		.text_end = e->maps->maps[i].end,
		.exec_start = b->exec[0] + bias,
		.exec_end = b->exec[1] + bias,
		.frame_cframe = off->frame_cframe,
		.frame_finish = off->frame_finish,
		.env_local = off->env_local,
		.magic_mask = off->magic_mask,
		.magic_cfunc = off->magic_cfunc,
		.vm_main_ractor = off->vm_main_ractor,
		.ractor_threads = off->ractor_threads,
		.th_node = off->th_node,
		.th_ec = off->th_ec,
		.th_thread_id = off->th_thread_id,
		.ec_vm_stack = off->ec_vm_stack,
		.ec_vm_stack_size = off->ec_vm_stack_size,
		.ec_cfp = off->ec_cfp,
		.cfp_size = off->cfp_size,
		.cfp_pc = off->cfp_pc,
		.cfp_iseq = off->cfp_iseq,
		.cfp_ep = off->cfp_ep,
	};
	return 0;
}

/* --- objects of the process --- */

/* A String's text at addr, sanitized, into out (RB_TEXT_MAX bytes); false when unreadable. */
static bool read_str(const struct rb_proc *p, uint64_t addr, char *out)
{
	uint8_t obj[RB_NAMES_OBJ], data[RB_NAMES_MAX];
	const uint8_t *text = data;
	struct rb_str s;
	size_t len;

	if (!rb_names__ptr(addr) || rt_mem__read(p->tgid, addr, obj, sizeof(obj)) ||
	    !rb_names__str(obj, sizeof(obj), p->off, &s))
		return false;
	len = s.len < sizeof(data) ? s.len : sizeof(data);
	if (s.embedded)
		text = obj + s.off;
	else if (len && rt_mem__read(p->tgid, s.ptr, data, len))
		return false;
	rt_mem__text(text, len, out, RB_TEXT_MAX);
	return true;
}

static char *dup_str(const struct rb_proc *p, uint64_t addr)
{
	char text[RB_TEXT_MAX];

	return read_str(p, addr, text) ? strdup(text) : NULL;
}

/* Element i of the Array at addr; 0 when it has none or cannot be read. */
static uint64_t ary_at(const struct rb_proc *p, uint64_t addr, uint64_t i)
{
	uint8_t obj[RB_NAMES_OBJ];
	struct rb_ary a;
	uint64_t v = 0;

	if (!rb_names__ptr(addr) || rt_mem__read(p->tgid, addr, obj, sizeof(obj)) ||
	    !rb_names__ary(obj, sizeof(obj), addr, p->off, &a) || i >= a.len)
		return 0;
	if (a.ptr == addr + p->off->ary_embed_ptr)
		return rt_mem__word(obj, sizeof(obj), p->off->ary_embed_ptr + i * 8);
	return rt_mem__read(p->tgid, a.ptr + i * 8, &v, sizeof(v)) ? 0 : v;
}

/* The source file of an iseq: pathobj is its path, or [path, realpath] (the absolute one is
 * shown when there is one). */
static char *read_path(const struct rb_proc *p, uint64_t pathobj)
{
	uint64_t flags = 0, real;
	char *s;

	if (!rb_names__ptr(pathobj) || rt_mem__read(p->tgid, pathobj, &flags, sizeof(flags)))
		return NULL;
	if (rb_names__type(flags, p->off) == p->off->t_string)
		return dup_str(p, pathobj);
	real = ary_at(p, pathobj, 1);
	if (real && (s = dup_str(p, real)))
		return s;
	return dup_str(p, ary_at(p, pathobj, 0));
}

/* The name of ID id, from the symbol table (cached per process); NULL when unreadable. */
static const char *id_name(struct rb_procs *rp, struct rb_proc *p, uint64_t id)
{
	const struct rb_offsets *o = p->off;
	uint64_t serial = rb_names__id_serial(id, o), ids = 0, chunk, i, sym;
	uintptr_t v;
	char *s = NULL;

	if (hashmap__find(&p->ids, id, &v))
		return (const char *)v;
	if (p->symbols && !rt_mem__read(p->tgid, p->symbols + o->symbols_ids, &ids, sizeof(ids)) &&
	    (chunk = ary_at(p, ids, serial / o->id_entry_unit))) {
		i = (serial % o->id_entry_unit) * o->id_entry_size;
		sym = ary_at(p, chunk, i + 1);
		/* a static symbol carries its ID (ID << 8 | 0x0c): the entry must be id's */
		if ((sym & 0xff) != 0x0c || sym >> 8 == id)
			s = dup_str(p, ary_at(p, chunk, i));
	}
	if (hashmap__set(&p->ids, id, (uintptr_t)s)) {
		free(s);
		return NULL;
	}
	p->bytes += 32 + (s ? strlen(s) : 0);
	rp->stats.cache_bytes += 32 + (s ? strlen(s) : 0);
	return s;
}

/* The entries of class klass's ivar table (st_table_entry records, at most RB_NAMES_ST_READ)
 * into ents; their bytes, 0 when unreadable. */
static size_t class_ivars(const struct rb_proc *p, uint64_t klass, uint8_t *ents)
{
	const struct rb_offsets *o = p->off;
	uint8_t tbl[64];
	uint64_t ext = 0, iv = 0, start, bound, entries;
	size_t n;

	if (rt_mem__read(p->tgid, klass + o->class_ext, &ext, sizeof(ext)) || !rb_names__ptr(ext) ||
	    rt_mem__read(p->tgid, ext + o->ext_iv_tbl, &iv, sizeof(iv)) || !rb_names__ptr(iv) ||
	    rt_mem__read(p->tgid, iv, tbl, sizeof(tbl)))
		return 0;
	start = rt_mem__word(tbl, sizeof(tbl), o->st_entries_start);
	bound = rt_mem__word(tbl, sizeof(tbl), o->st_entries_bound);
	entries = rt_mem__word(tbl, sizeof(tbl), o->st_entries);
	if (bound <= start || !rb_names__ptr(entries) || o->st_entry_size > RB_ST_ENTRY_MAX)
		return 0;
	n = (bound - start < RB_NAMES_ST_READ ? bound - start : RB_NAMES_ST_READ) *
	    o->st_entry_size;
	return rt_mem__read(p->tgid, entries + start * o->st_entry_size, ents, n) ? 0 : n;
}

/* The value of ivar id of class klass; 0 when absent or unreadable. */
static uint64_t class_ivar(const struct rb_proc *p, uint64_t klass, uint64_t id)
{
	uint8_t ents[RB_NAMES_ST_READ * RB_ST_ENTRY_MAX];
	size_t n = id ? class_ivars(p, klass, ents) : 0;

	return n ? rb_names__st_find(ents, n, p->off, id) : 0;
}

/* The ID of "__classpath__" (interned at start-up, so not a constant): the key of rb_cObject's
 * own ivar whose value is the String "Object". Looked for at most once a drain until found. */
static uint64_t classpath_id(struct rb_procs *rp, struct rb_proc *p)
{
	const struct rb_offsets *o = p->off;
	uint8_t ents[RB_NAMES_ST_READ * RB_ST_ENTRY_MAX];
	uint64_t object = 0;
	char text[RB_TEXT_MAX];
	size_t n;

	if (p->classpath_id || p->classpath_tried == rp->epoch + 1 || !p->cobject)
		return p->classpath_id;
	p->classpath_tried = rp->epoch + 1;
	if (rt_mem__read(p->tgid, p->cobject, &object, sizeof(object)) || !rb_names__ptr(object) ||
	    !(n = class_ivars(p, object, ents)))
		return 0;
	for (size_t at = 0; at + o->st_entry_size <= n; at += o->st_entry_size) {
		const uint8_t *ent = ents + at;
		uint64_t val = rt_mem__word(ent, o->st_entry_size, o->st_entry_record);

		if (rt_mem__word(ent, o->st_entry_size, 0) != UINT64_MAX &&
		    read_str(p, val, text) && !strcmp(text, "Object")) {
			p->classpath_id = rt_mem__word(ent, o->st_entry_size, o->st_entry_key);
			break;
		}
	}
	return p->classpath_id;
}

/* The path of class (or module) klass, and whether it is a singleton class (whose attached
 * class's path is given); NULL when unknown (anonymous, unreadable). */
static char *class_path(struct rb_procs *rp, struct rb_proc *p, uint64_t klass, bool *singleton)
{
	const struct rb_offsets *o = p->off;
	uint64_t flags = 0, id = classpath_id(rp, p), attached;
	uint32_t t;

	*singleton = false;
	if (!rb_names__ptr(klass) || rt_mem__read(p->tgid, klass, &flags, sizeof(flags)))
		return NULL;
	t = rb_names__type(flags, o);
	if (t == o->t_iclass) { /* a module's copy in a class's ancestry: the module */
		if (rt_mem__read(p->tgid, klass + 8, &klass, sizeof(klass)) ||
		    !rb_names__ptr(klass) || rt_mem__read(p->tgid, klass, &flags, sizeof(flags)))
			return NULL;
		t = rb_names__type(flags, o);
	}
	if (t != o->t_class && t != o->t_module)
		return NULL;
	if (flags & o->fl_singleton) {
		attached = class_ivar(p, klass, o->id_attached);
		if (!rb_names__ptr(attached) ||
		    rt_mem__read(p->tgid, attached, &flags, sizeof(flags)))
			return NULL;
		t = rb_names__type(flags, o);
		if (t != o->t_class && t != o->t_module)
			return NULL; /* an object's own singleton class */
		*singleton = true;
		klass = attached;
	}
	return dup_str(p, class_ivar(p, klass, id));
}

/* Account an object's bytes to p and the module; false (and nothing kept) past the budgets. A
 * process past its own starts over when may_clear (at a drain: no object of it is held). */
static bool charge(struct rb_procs *rp, struct rb_proc *p, size_t bytes, bool may_clear)
{
	if (p->bytes >= RB_PROCS_PROC_CACHE_BYTES && may_clear)
		proc_clear(rp, p, true); /* a process that names this much starts over */
	if (p->bytes >= RB_PROCS_PROC_CACHE_BYTES ||
	    rp->stats.cache_bytes + bytes > RB_PROCS_CACHE_BYTES) {
		rp->stats.over_budget++;
		return false;
	}
	p->bytes += bytes;
	rp->stats.cache_bytes += bytes;
	return true;
}

static void discharge(struct rb_procs *rp, struct rb_proc *p, size_t bytes)
{
	p->bytes -= bytes;
	rp->stats.cache_bytes -= bytes;
}

/* The flags and body of the iseq at addr (its identity); false when it is none. */
static bool iseq_ident(const struct rb_proc *p, uint64_t addr, uint64_t id[2])
{
	uint8_t obj[RB_NAMES_OBJ];

	if (rt_mem__read(p->tgid, addr, obj, sizeof(obj)))
		return false;
	id[0] = rt_mem__word(obj, sizeof(obj), 0);
	id[1] = rt_mem__word(obj, sizeof(obj), p->off->iseq_body);
	return rb_names__imemo(id[0], p->off, p->off->imemo_iseq) && rb_names__ptr(id[1]);
}

/* An iseq's line table (insns_info entries and the succinct table), within RB_INFO_MAX bytes. */
static void read_lines(const struct rb_proc *p, const struct rb_body *b, struct rb_lines *ret)
{
	const struct rb_offsets *o = p->off;
	size_t info = (size_t)b->info_size * o->insn_info_size;
	size_t table = b->info_size > 1 ? rb_lines__table_bytes(b->iseq_size) : 0;
	uint8_t *buf;

	if (!b->info_size || b->info_size > RB_LINES_MAX_ENTRIES || !rb_names__ptr(b->info) ||
	    info + table > RB_INFO_MAX || (b->info_size > 1 && (!table || !rb_names__ptr(b->succ))))
		return;
	buf = malloc(info + table + 1);
	if (!buf)
		return;
	if (!rt_mem__read(p->tgid, b->info, buf, info) &&
	    (!table || !rt_mem__read(p->tgid, b->succ, buf + info, table)))
		rb_lines__decode(buf + info, table, b->iseq_size, buf, info, b->info_size,
				 o->insn_info_size, o->insn_info_line, ret);
	free(buf);
}

static struct rb_iseq *iseq_read(struct rb_procs *rp, const struct rb_proc *p, uint64_t addr)
{
	uint8_t buf[RB_NAMES_BODY];
	struct rb_iseq *q = calloc(1, sizeof(*q));
	struct rb_body b;

	if (!q)
		return NULL;
	q->epoch = rp->epoch;
	if (!iseq_ident(p, addr, q->ident) ||
	    rt_mem__read(p->tgid, q->ident[1], buf, sizeof(buf)) ||
	    !rb_names__body(buf, sizeof(buf), p->off, &b) || !(q->label = dup_str(p, b.label))) {
		rp->stats.iseq_failed++;
		q->bytes = sizeof(*q);
		return q;
	}
	q->base_label = dup_str(p, b.base_label);
	q->path = read_path(p, b.path);
	q->first_line = b.first_line;
	q->encoded = b.encoded;
	q->local = b.local_iseq ? b.local_iseq : addr;
	q->size = b.iseq_size;
	read_lines(p, &b, &q->lines);
	q->ok = true;
	q->bytes = sizeof(*q) + strlen(q->label) + (q->base_label ? strlen(q->base_label) : 0) +
		   (q->path ? strlen(q->path) : 0) + rb_lines__bytes(&q->lines);
	rp->stats.iseq_read++;
	return q;
}

/* The iseq at addr of p, read on first use; with check, once per drain its identity is read
 * again (a freed iseq's slot holds another object). NULL when over budget. */
static struct rb_iseq *iseq_get(struct rb_procs *rp, struct rb_proc *p, uint64_t addr, bool check)
{
	struct rb_iseq *q;
	uint64_t id[2];
	uintptr_t v;

	if (hashmap__find(&p->iseqs, addr, &v)) {
		q = (struct rb_iseq *)v;
		if (!check || q->epoch == rp->epoch)
			return q;
		q->epoch = rp->epoch;
		if (!iseq_ident(p, addr, id) || !memcmp(id, q->ident, sizeof(id)))
			return q; /* gone with its process, or still the same */
		hashmap__delete(&p->iseqs, addr, NULL);
		discharge(rp, p, q->bytes);
		rp->stats.replaced++;
		iseq_free(q);
	}
	q = iseq_read(rp, p, addr);
	if (!q)
		return NULL;
	if (!charge(rp, p, q->bytes, check)) {
		iseq_free(q);
		return NULL;
	}
	if (hashmap__set(&p->iseqs, addr, (uintptr_t)q)) {
		discharge(rp, p, q->bytes);
		iseq_free(q);
		return NULL;
	}
	return q;
}

/* What identifies the object at addr as a frame's method entry candidate: its flags, then for a
 * method entry its def and owner, for an svar the entry it holds. false when unreadable. */
static bool me_ident(const struct rb_proc *p, uint64_t addr, uint64_t id[3], uint8_t obj[])
{
	const struct rb_offsets *o = p->off;

	if (rt_mem__read(p->tgid, addr, obj, RB_NAMES_OBJ))
		return false;
	id[0] = rt_mem__word(obj, RB_NAMES_OBJ, 0);
	id[1] = rt_mem__word(obj, RB_NAMES_OBJ, o->cme_def);
	id[2] = rt_mem__word(obj, RB_NAMES_OBJ, o->cme_owner);
	if (rb_names__imemo(id[0], o, o->imemo_svar)) {
		id[1] = rt_mem__word(obj, RB_NAMES_OBJ, o->svar_cref_or_me);
		id[2] = 0;
	}
	return true;
}

static struct rb_me *me_read(struct rb_procs *rp, struct rb_proc *p, uint64_t addr)
{
	const struct rb_offsets *o = p->off;
	struct rb_me *m = calloc(1, sizeof(*m));
	uint8_t obj[RB_NAMES_OBJ], def[64];
	uint64_t owner, id;
	const char *name;

	if (!m)
		return NULL;
	m->epoch = rp->epoch;
	m->bytes = sizeof(*m);
	if (!me_ident(p, addr, m->ident, obj)) {
		rp->stats.me_failed++;
		return m;
	}
	if (rb_names__imemo(m->ident[0], o, o->imemo_svar)) {
		/* $~ or $_ set in the method: its entry moved into an svar */
		addr = m->ident[1];
		if (!rb_names__ptr(addr) || rt_mem__read(p->tgid, addr, obj, sizeof(obj)))
			return m;
	}
	if (!rb_names__imemo(rt_mem__word(obj, sizeof(obj), 0), o, o->imemo_ment))
		return m; /* a cref: a file's or class body's frame, no method */
	owner = rt_mem__word(obj, sizeof(obj), o->cme_owner);
	if (!owner)
		owner = rt_mem__word(obj, sizeof(obj), o->cme_defined_class);
	if (!rb_names__ptr(rt_mem__word(obj, sizeof(obj), o->cme_def)) ||
	    rt_mem__read(p->tgid, rt_mem__word(obj, sizeof(obj), o->cme_def), def, sizeof(def)) ||
	    (size_t)o->def_original_id + 8 > sizeof(def) ||
	    (size_t)o->def_iseqptr + 8 > sizeof(def)) {
		rp->stats.me_failed++;
		return m;
	}
	m->ment = true;
	m->def_type = rt_mem__u32(def, sizeof(def), 0) & o->def_type_mask;
	m->iseqptr = rt_mem__word(def, sizeof(def), o->def_iseqptr);
	id = rt_mem__word(def, sizeof(def), o->def_original_id);
	name = id_name(rp, p, id);
	m->method = name ? strdup(name) : NULL;
	m->cls = class_path(rp, p, owner, &m->singleton);
	m->bytes += (m->method ? strlen(m->method) : 0) + (m->cls ? strlen(m->cls) : 0);
	rp->stats.me_read++;
	return m;
}

/* The method entry candidate at addr of p, read on first use, its identity checked once per
 * drain with check. NULL when over budget. */
static struct rb_me *me_get(struct rb_procs *rp, struct rb_proc *p, uint64_t addr, bool check)
{
	uint8_t obj[RB_NAMES_OBJ];
	struct rb_me *m;
	uint64_t id[3];
	uintptr_t v;

	if (hashmap__find(&p->mes, addr, &v)) {
		m = (struct rb_me *)v;
		if (!check || m->epoch == rp->epoch)
			return m;
		m->epoch = rp->epoch;
		if (!me_ident(p, addr, id, obj) || !memcmp(id, m->ident, sizeof(id)))
			return m;
		hashmap__delete(&p->mes, addr, NULL);
		discharge(rp, p, m->bytes);
		rp->stats.replaced++;
		me_free(m);
	}
	m = me_read(rp, p, addr);
	if (!m)
		return NULL;
	if (!charge(rp, p, m->bytes, check)) {
		me_free(m);
		return NULL;
	}
	if (hashmap__set(&p->mes, addr, (uintptr_t)m)) {
		discharge(rp, p, m->bytes);
		me_free(m);
		return NULL;
	}
	return m;
}

static void rb_procs__prefetch(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			       uint32_t nr, uint32_t stamp, uint64_t samples)
{
	struct rb_procs *rp = m;
	struct rb_proc *p = proc_find(rp, tgid, aspace);

	(void)stamp;
	(void)samples;
	for (uint32_t i = 0; p && i + 1 < nr; i += 2) {
		uint64_t obj = FLAMED_RB_WORD_ADDR(words[i]),
			 me = FLAMED_RB_WORD_ADDR(words[i + 1]);

		if (words[i] & FLAMED_RB_CFUNC) {
			if (obj)
				me_get(rp, p, obj, true);
			continue;
		}
		if (obj)
			iseq_get(rp, p, obj, true);
		if (me)
			me_get(rp, p, me, true);
	}
}

/* The line of a Ruby frame's pc (its low bits in the word): the pc indexes iseq_encoded in
 * VALUEs, and the instruction is the one before it (Ruby's calc_pos). 0 when unknown. */
static int64_t frame_line(const struct rb_iseq *q, uint64_t word)
{
	uint64_t mask = (1ULL << FLAMED_RB_PC_BITS) - 1;
	uint64_t idx = ((word >> FLAMED_RB_PC_SHIFT) - (q->encoded >> 3)) & mask;

	if (!q->lines.nr || idx > q->size)
		return 0;
	return rb_lines__line(&q->lines, idx ? (uint32_t)idx - 1 : 0);
}

static size_t rb_procs__frames(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			       struct runtime_frame *ret, size_t max)
{
	struct rb_procs *rp = m;
	struct rb_proc *p = proc_find(rp, tgid, aspace);
	uint64_t obj = FLAMED_RB_WORD_ADDR(rec[0]), mref = FLAMED_RB_WORD_ADDR(rec[1]);
	struct rb_me *me = NULL;
	struct rb_iseq *q;
	bool method;

	if (!max)
		return 0;
	*ret = (struct runtime_frame){ .name = "[ruby]" };
	if (!p || !obj) {
		rp->stats.frames_unnamed++;
		return 1;
	}
	if (rec[0] & FLAMED_RB_CFUNC) {
		me = me_get(rp, p, obj, false);
		if (!me || !me->ment || !me->method) {
			rp->stats.frames_unnamed++;
			return 1;
		}
		rp->stats.no_class += !me->cls;
		rb_names__label(NULL, me->method, me->cls, me->singleton, true, rp->name,
				sizeof(rp->name));
		ret->name = rp->name;
		ret->named = true;
		return 1;
	}
	q = iseq_get(rp, p, obj, false);
	if (!q || !q->ok) {
		rp->stats.frames_unnamed++;
		return 1;
	}
	if (mref)
		me = me_get(rp, p, mref, false);
	/* the entry names this frame's method only if it runs the iseq the frame belongs to */
	method = me && me->ment && me->def_type == p->off->method_iseq && me->iseqptr == q->local;
	rp->stats.no_class += method && !me->cls;
	rb_names__label(q->label, q->base_label, method ? me->cls : NULL, method && me->singleton,
			method, rp->name, sizeof(rp->name));
	ret->name = rp->name;
	ret->named = true;
	ret->file = q->path;
	ret->first_line = q->first_line;
	ret->line = frame_line(q, rec[1]);
	rp->stats.no_line += !ret->line;
	return 1;
}

static void rb_procs__forget(void *m, uint32_t tgid)
{
	struct rb_procs *rp = m;
	uintptr_t v;

	if (hashmap__delete(&rp->procs, tgid, &v))
		proc_free(rp, (struct rb_proc *)v);
}

static void rb_procs__tick(void *m)
{
	((struct rb_procs *)m)->epoch++;
}

struct rb_procs_stats rb_procs__stats(const struct rb_procs *rp)
{
	return rp ? rp->stats : (struct rb_procs_stats){ 0 };
}

const struct runtime_ops rb_runtime_ops = {
	.name = "ruby",
	.language = "Ruby",
	.id = FLAMED_RT_RUBY,
	.mapping = "[ruby]",
	.words_per_frame = 2,
	.new = rb_procs__new,
	.free = rb_procs__free,
	.detect = rb_procs__detect,
	.forget = rb_procs__forget,
	.tick = rb_procs__tick,
	.prefetch = rb_procs__prefetch,
	.frames = rb_procs__frames,
};
