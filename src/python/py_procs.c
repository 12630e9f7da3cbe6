// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "elf/elf_file.h"
#include "proc/proc_table.h"
#include "python/py_linetable.h"
#include "python/py_names.h"
#include "python/py_offsets.h"
#include "python/py_procs.h"
#include "util/hashmap.h"

#define PY_MAX_BINS 1024 /* distinct python-named files remembered */

/* What one interpreter file holds (ELF virtual addresses), parsed once per (dev, inode). */
struct py_bin {
	uint64_t dev, inode;
	bool has_runtime; /* _PyRuntime found: this file is the interpreter */
	bool reported;	  /* an unknown version was reported */
	int major, minor; /* 0 when unknown */
	uint64_t runtime, code_type;
	uint64_t eval[2][2]; /* _PyEval_EvalFrameDefault and its .cold part: [start, end) */
};

struct py_code {
	uint64_t ident[4]; /* type, name, file and line table pointers: what makes it this code */
	uint64_t epoch;	   /* the drain it was last checked in */
	char *name;	   /* "module.qualname" */
	char *qualname;	   /* NULL when unreadable: the frame is "[python]" */
	char *file;
	int64_t first_line;
	uint32_t tag; /* co_firstlineno & FLAMED_PY_TAG_MASK */
	uint8_t *table;
	size_t table_len;
	size_t bytes;
};

struct py_proc {
	uint32_t tgid;
	uint64_t aspace;
	const struct py_offsets *off;
	uint64_t code_type;   /* runtime address of PyCode_Type */
	struct hashmap codes; /* code object address -> struct py_code * */
	size_t bytes;
};

struct py_procs {
	struct hashmap bins;  /* struct py_bin * (key: itself, by dev and inode) */
	struct hashmap procs; /* tgid -> struct py_proc * */
	uint64_t epoch;	      /* drains so far (py_procs__tick) */
	struct py_procs_stats stats;
};

static uint64_t hash_bin(uintptr_t k, void *ctx)
{
	const struct py_bin *b = (const void *)k;

	(void)ctx;
	return hash_u64(b->dev * 0x9e3779b97f4a7c15ULL ^ b->inode);
}

static bool equal_bin(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct py_bin *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->dev == y->dev && x->inode == y->inode;
}

static void *py_procs__new(void)
{
	struct py_procs *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return NULL;
	hashmap__init(&pp->bins, hash_bin, equal_bin, NULL);
	hashmap__init(&pp->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	return pp;
}

static void code_free(struct py_code *pc)
{
	if (!pc)
		return;
	free(pc->name);
	free(pc->qualname);
	free(pc->file);
	free(pc->table);
	free(pc);
}

static void proc_free(struct py_procs *pp, struct py_proc *p)
{
	if (!p)
		return;
	hashmap__for_each (&p->codes, e)
		code_free((struct py_code *)e->value);
	hashmap__clear(&p->codes);
	pp->stats.cache_bytes -= p->bytes;
	free(p);
}

static void py_procs__free(void *m)
{
	struct py_procs *pp = m;

	if (!pp)
		return;
	hashmap__for_each (&pp->procs, e)
		proc_free(pp, (struct py_proc *)e->value);
	hashmap__for_each (&pp->bins, e)
		free((void *)e->key);
	hashmap__clear(&pp->procs);
	hashmap__clear(&pp->bins);
	free(pp);
}

/* --- the interpreter file --- */

/* "python3.11", "libpython3.11.so.1.0", "python3.11d": the version in the name, or false. */
static bool version_from_name(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/');
	int ma, mi, n = 0;

	base = base ? base + 1 : path;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (sscanf(base, "python%d.%d%n", &ma, &mi, &n) != 2 || n == 0 || ma != 3 || mi < 0 ||
	    mi > 99)
		return false;
	*major = ma;
	*minor = mi;
	return true;
}

/* Read 8 bytes at ELF virtual address vaddr from the section holding it. */
static int read_vaddr(Elf *elf, int fd, uint64_t vaddr, uint64_t *ret)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		if (vaddr < sh.sh_addr || vaddr + 8 > sh.sh_addr + sh.sh_size)
			continue;
		if (pread(fd, ret, 8, (off_t)(sh.sh_offset + (vaddr - sh.sh_addr))) != 8)
			return -EIO;
		return 0;
	}
	return -ENOENT;
}

/* Find the symbols the walker and the builder need in .dynsym and .symtab. */
struct bin_parse_ctx {
	struct py_bin *b;
	int fd;
	const char *path;
};

static void *bin_parse_elf(Elf *elf, void *arg)
{
	struct bin_parse_ctx *c = arg;
	struct py_bin *b = c->b;
	uint64_t py_version = 0, version_addr = 0;
	bool have_version = false;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t nr;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		nr = data->d_size / sh.sh_entsize;
		for (size_t i = 0; i < nr; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
			    !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || (name[0] != '_' && name[0] != 'P'))
				continue;
			if (!strcmp(name, "_PyRuntime")) {
				b->runtime = s.st_value;
				b->has_runtime = true;
			} else if (!strcmp(name, "PyCode_Type")) {
				b->code_type = s.st_value;
			} else if (!strcmp(name, "Py_Version")) {
				version_addr = s.st_value;
			} else if (!strcmp(name, "_PyEval_EvalFrameDefault") && s.st_size) {
				b->eval[0][0] = s.st_value;
				b->eval[0][1] = s.st_value + s.st_size;
			} else if (!strcmp(name, "_PyEval_EvalFrameDefault.cold") && s.st_size) {
				b->eval[1][0] = s.st_value;
				b->eval[1][1] = s.st_value + s.st_size;
			}
		}
	}
	/* 3.11+ say their version in Py_Version (0xMMmmppRS); older ones in their file name */
	if (version_addr && !read_vaddr(elf, c->fd, version_addr, &py_version))
		have_version = true;
	if (have_version) {
		b->major = (int)(py_version >> 24 & 0xff);
		b->minor = (int)(py_version >> 16 & 0xff);
	} else if (!version_from_name(c->path, &b->major, &b->minor)) {
		b->major = b->minor = 0;
	}
	if (!b->code_type || !b->eval[0][0])
		b->has_runtime = false; /* not an interpreter we can name frames of */
	return NULL;
}

static void bin_parse(struct py_bin *b, int fd, const char *path)
{
	struct bin_parse_ctx c = { .b = b, .fd = fd, .path = path };

	elf_with_fd(fd, bin_parse_elf, &c); /* pread, not mmap: the file may be truncated */
}

static struct py_bin *bin_get(struct py_procs *pp, const struct proc_map *m,
			      const struct proc_file *f)
{
	struct py_bin key = { .dev = f->dev, .inode = f->inode }, *b;
	uintptr_t v;
	int fd;

	if (hashmap__find(&pp->bins, (uintptr_t)&key, &v))
		return (struct py_bin *)v;
	if (pp->bins.len >= PY_MAX_BINS)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	*b = key;
	fd = proc_file__hold(f);
	if (fd >= 0) {
		bin_parse(b, fd, m->path);
		proc_file__release(f);
	}
	if (hashmap__set(&pp->bins, (uintptr_t)b, (uintptr_t)b)) {
		free(b);
		return NULL;
	}
	return b;
}

static bool python_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strstr(base, "python") != NULL;
}

/* Bytes of a frame the walker reads at once: up to the end of the last field it uses. */
static uint16_t frame_size(const struct py_offsets *o)
{
	uint32_t end = o->frame_back + 8;

	if (o->frame_code + 8u > end)
		end = o->frame_code + 8u;
	if (o->frame_instr + (o->instr_kind == FLAMED_PY_INSTR_PTR ? 8u : 4u) > end)
		end = o->frame_instr + (o->instr_kind == FLAMED_PY_INSTR_PTR ? 8u : 4u);
	if (o->frame_owner != FLAMED_PY_NONE && o->frame_owner + 1u > end)
		end = o->frame_owner + 1u;
	if (o->frame_is_entry != FLAMED_PY_NONE && o->frame_is_entry + 1u > end)
		end = o->frame_is_entry + 1u;
	return (uint16_t)end;
}

static int py_procs__detect(void *inst, struct proc_entry *e, struct flamed_rt_proc *rt,
			    struct runtime_detect *what)
{
	struct py_procs *pp = inst;
	const struct py_offsets *off;
	struct py_proc *p;
	struct py_bin *b = NULL;
	uint64_t bias = 0;
	uintptr_t v;
	size_t i;
	int lo, hi;

	if (!e->maps)
		return -ENOENT;
	for (i = 0; i < e->maps->nr; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];

		if (!f || !m->prot_exec || !python_named(m->path))
			continue;
		b = bin_get(pp, m, f);
		if (b && b->has_runtime &&
		    !elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					 m->prot_exec, &bias))
			break;
		b = NULL;
	}
	if (!b)
		return -ENOENT;
	snprintf(what->what, sizeof(what->what), "CPython %d.%d", b->major, b->minor);
	what->path = e->maps->maps[i].path;
	off = py_offsets__find(b->major, b->minor);
	if (off && frame_size(off) > FLAMED_PY_FRAME_READ)
		off = NULL; /* a layout the one-read walker cannot take */
	if (!off) {
		py_offsets__range(&lo, &hi);
		snprintf(what->known, sizeof(what->known), "3.%d to 3.%d", lo, hi);
		what->first_report = !b->reported;
		b->reported = true;
		if (what->first_report)
			pp->stats.unknown_version++;
		return -ENOTSUP;
	}
	if (hashmap__find(&pp->procs, e->tgid, &v)) {
		p = (struct py_proc *)v;
		if (p->aspace != e->aspace || p->off != off) { /* exec'd: a new image */
			hashmap__delete(&pp->procs, e->tgid, NULL);
			proc_free(pp, p);
			p = NULL;
		}
	} else {
		p = NULL;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		hashmap__init(&p->codes, hashmap_hash_int, hashmap_equal_int, NULL);
		if (hashmap__set(&pp->procs, e->tgid, (uintptr_t)p)) {
			free(p);
			return -ENOMEM;
		}
		pp->stats.processes++;
	}
	p->tgid = e->tgid;
	p->aspace = e->aspace;
	p->off = off;
	p->code_type = b->code_type + bias;
	rt->nr_ranges = 0;
	for (int k = 0; k < 2; k++) {
		if (!b->eval[k][0])
			continue;
		rt->ranges[rt->nr_ranges].start = b->eval[k][0] + bias;
		rt->ranges[rt->nr_ranges].end = b->eval[k][1] + bias;
		rt->nr_ranges++;
	}
	rt->params.py = (struct flamed_py_proc){
		.interp_head = b->runtime + bias + off->runtime_interp_head,
		.interp_tstate_head = off->interp_tstate_head,
		.tstate_next = off->tstate_next,
		.tstate_thread_id = off->tstate_thread_id,
		.tstate_frame = off->tstate_frame,
		.cframe_frame = off->cframe_frame,
		.frame_back = off->frame_back,
		.frame_code = off->frame_code,
		.frame_instr = off->frame_instr,
		.frame_owner = off->frame_owner,
		.frame_is_entry = off->frame_is_entry,
		.code_adaptive = off->code_adaptive,
		.instr_kind = off->instr_kind,
		.cstack_owner = off->cstack_owner,
		.frame_size = frame_size(off),
		.code_firstlineno = off->code_firstlineno,
	};
	return 0;
}

/* --- code objects --- */

static int read_mem(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!addr || addr > FLAMED_PY_CODE_MASK)
		return -EFAULT;
	n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static uint64_t word_at(const uint8_t *buf, size_t len, size_t off)
{
	uint64_t v = 0;

	if (off + sizeof(v) <= len)
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* A str object as UTF-8 (compact strings only, as code objects' names are), at most
 * PY_PROCS_MAX_NAME characters; NULL when unreadable. */
static char *read_str(uint32_t pid, const struct py_offsets *o, uint64_t addr)
{
	uint8_t head[96], data[PY_PROCS_MAX_NAME * 4];
	uint32_t state, kind;
	uint64_t len;
	size_t doff;
	char *out;

	if (read_mem(pid, addr, head, sizeof(head)))
		return NULL;
	len = word_at(head, sizeof(head), o->unicode_length);
	memcpy(&state, head + o->unicode_state, sizeof(state));
	kind = state >> 2 & 7; /* bits: interned 2, kind 3, compact 1, ascii 1 (3.8-3.13) */
	if (!(state >> 5 & 1) || (kind != 1 && kind != 2 && kind != 4) || len > (1u << 20))
		return NULL;
	if (len > PY_PROCS_MAX_NAME)
		len = PY_PROCS_MAX_NAME;
	doff = (state >> 6 & 1) ? o->unicode_ascii_data : o->unicode_compact_data;
	if (len && read_mem(pid, addr + doff, data, len * kind))
		return NULL;
	out = malloc(len * 4 + 1);
	if (out)
		py_names__utf8(kind, data, len, out);
	return out;
}

/* A bytes object's contents, at most PY_PROCS_MAX_TABLE; NULL when unreadable. */
static uint8_t *read_bytes(uint32_t pid, const struct py_offsets *o, uint64_t addr, size_t *ret_len)
{
	uint8_t head[48];
	uint64_t len;
	uint8_t *out;

	if (read_mem(pid, addr, head, sizeof(head)))
		return NULL;
	len = word_at(head, sizeof(head), o->bytes_size);
	if (len == 0 || len > PY_PROCS_MAX_TABLE)
		return NULL;
	out = malloc(len);
	if (!out)
		return NULL;
	if (read_mem(pid, addr + o->bytes_data, out, len)) {
		free(out);
		return NULL;
	}
	*ret_len = len;
	return out;
}

#define PY_CODE_HEAD 256 /* bytes of a code object read: every field used is in them */

/* The fields that make a code object what it is; false when unreadable. */
static bool code_ident(const struct py_proc *p, uint64_t addr, uint8_t *obj, uint64_t ident[4])
{
	const struct py_offsets *o = p->off;

	if (read_mem(p->tgid, addr, obj, PY_CODE_HEAD))
		return false;
	ident[0] = word_at(obj, PY_CODE_HEAD, o->object_type);
	ident[1] = word_at(obj, PY_CODE_HEAD,
			   o->code_qualname != FLAMED_PY_NONE ? o->code_qualname : o->code_name);
	ident[2] = word_at(obj, PY_CODE_HEAD, o->code_filename);
	ident[3] = word_at(obj, PY_CODE_HEAD, o->code_linetable);
	return ident[0] == p->code_type;
}

static struct py_code *code_read(struct py_procs *pp, const struct py_proc *p, uint64_t addr)
{
	const struct py_offsets *o = p->off;
	struct py_code *pc = calloc(1, sizeof(*pc));
	uint8_t obj[PY_CODE_HEAD];
	char module[PY_PROCS_MAX_NAME * 4 + 1];
	int32_t first = 0;
	uint64_t qn;

	if (!pc)
		return NULL;
	pc->epoch = pp->epoch;
	if (!code_ident(p, addr, obj, pc->ident))
		goto bad;
	qn = pc->ident[1];
	pc->qualname = read_str(p->tgid, o, qn);
	pc->file = read_str(p->tgid, o, pc->ident[2]);
	if (!pc->qualname || !pc->file)
		goto bad;
	memcpy(&first, obj + o->code_firstlineno, sizeof(first));
	pc->first_line = first > 0 ? first : 0;
	pc->tag = (uint32_t)first & FLAMED_PY_TAG_MASK; /* as the walker tags its frames */
	pc->table = read_bytes(p->tgid, o, pc->ident[3], &pc->table_len);
	py_names__module(pc->file, module, sizeof(module));
	if (asprintf(&pc->name, "%s%s%s", module, module[0] ? "." : "", pc->qualname) < 0) {
		pc->name = NULL;
		goto bad;
	}
	pc->bytes = sizeof(*pc) + strlen(pc->name) * 2 + strlen(pc->file) + pc->table_len + 64;
	pp->stats.code_read++;
	return pc;
bad:
	free(pc->qualname);
	free(pc->file);
	pc->qualname = pc->file = NULL;
	pc->bytes = sizeof(*pc) + 32;
	pp->stats.code_failed++;
	return pc;
}

/* Drop the cached code object at addr of p: its memory now holds another one. */
static void code_forget(struct py_procs *pp, struct py_proc *p, uint64_t addr, struct py_code *pc)
{
	hashmap__delete(&p->codes, addr, NULL);
	p->bytes -= pc->bytes;
	pp->stats.cache_bytes -= pc->bytes;
	pp->stats.code_replaced++;
	code_free(pc);
}

/* The code object at addr of p, read on first use; with check, once per drain its identity is
 * read again, since a freed code object's memory is reused by the next (a module's body after
 * its import). NULL when over budget or out of memory. */
static struct py_code *code_get(struct py_procs *pp, struct py_proc *p, uint64_t addr, bool check)
{
	struct py_code *pc;
	uint64_t ident[4];
	uint8_t obj[PY_CODE_HEAD];
	uintptr_t v;

	if (hashmap__find(&p->codes, addr, &v)) {
		pc = (struct py_code *)v;
		if (!check || pc->epoch == pp->epoch)
			return pc;
		pc->epoch = pp->epoch;
		if (!code_ident(p, addr, obj, ident) || !memcmp(ident, pc->ident, sizeof(ident)))
			return pc; /* gone with its process, or still the same */
		code_forget(pp, p, addr, pc);
	}
	if (pp->stats.cache_bytes >= PY_PROCS_CACHE_BYTES ||
	    p->bytes >= PY_PROCS_PROC_CACHE_BYTES) {
		pp->stats.code_over_budget++;
		return NULL;
	}
	pc = code_read(pp, p, addr);
	if (!pc)
		return NULL;
	if (hashmap__set(&p->codes, addr, (uintptr_t)pc)) {
		code_free(pc);
		return NULL;
	}
	p->bytes += pc->bytes;
	pp->stats.cache_bytes += pc->bytes;
	return pc;
}

static struct py_proc *proc_find(const struct py_procs *pp, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&pp->procs, tgid, &v))
		return NULL;
	return ((struct py_proc *)v)->aspace == aspace ? (struct py_proc *)v : NULL;
}

static void py_procs__prefetch(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			       uint32_t nr, uint32_t stamp, uint64_t samples)
{
	struct py_procs *pp = m;
	struct py_proc *p = proc_find(pp, tgid, aspace);

	(void)stamp;
	(void)samples;
	for (uint32_t i = 0; p && i < nr; i++)
		code_get(pp, p, FLAMED_PY_WORD_CODE(words[i]), true);
}

/* The frame of one word (FLAMED_PY_*) of process (tgid, aspace): "[python]" when its code
 * object is unknown, unreadable, or not the one sampled. */
static size_t py_procs__frames(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			       struct runtime_frame *ret, size_t max)
{
	struct py_procs *pp = m;
	struct py_proc *p = proc_find(pp, tgid, aspace);
	uint64_t word = rec[0];
	struct py_code *pc;
	uint32_t instr;

	if (!max)
		return 0;
	*ret = (struct runtime_frame){ .name = "[python]" };
	pc = p ? code_get(pp, p, FLAMED_PY_WORD_CODE(word), false) : NULL;
	if (!pc || !pc->qualname) {
		pp->stats.frames_unnamed++;
		return 1;
	}
	if (pc->tag != (word >> FLAMED_PY_TAG_SHIFT & FLAMED_PY_TAG_MASK)) {
		/* the object read is not the one sampled: its address was reused */
		pp->stats.frames_unnamed++;
		pp->stats.frames_mismatched++;
		return 1;
	}
	ret->name = pc->name;
	ret->system_name = pc->qualname;
	ret->file = pc->file;
	ret->first_line = pc->first_line;
	ret->named = true;
	instr = (uint32_t)(word >> FLAMED_PY_INSTR_SHIFT & FLAMED_PY_INSTR_MAX);
	if (instr < FLAMED_PY_INSTR_MAX) /* saturated: somewhere past it, no line */
		ret->line = py_linetable__line(p->off->minor, pc->table, pc->table_len,
					       pc->first_line, instr);
	return 1;
}

static void py_procs__forget(void *m, uint32_t tgid)
{
	struct py_procs *pp = m;
	uintptr_t v;

	if (hashmap__delete(&pp->procs, tgid, &v))
		proc_free(pp, (struct py_proc *)v);
}

static void py_procs__tick(void *m)
{
	((struct py_procs *)m)->epoch++;
}

struct py_procs_stats py_procs__stats(const struct py_procs *pp)
{
	return pp ? pp->stats : (struct py_procs_stats){ 0 };
}

/* --- the registry's face (runtime.h) --- */

const struct runtime_ops py_runtime_ops = {
	.name = "python",
	.language = "Python",
	.id = FLAMED_RT_PYTHON,
	.mapping = "[python]",
	.words_per_frame = 1,
	.new = py_procs__new,
	.free = py_procs__free,
	.detect = py_procs__detect,
	.forget = py_procs__forget,
	.tick = py_procs__tick,
	.prefetch = py_procs__prefetch,
	.frames = py_procs__frames,
};
