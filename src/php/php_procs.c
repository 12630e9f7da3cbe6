// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_file.h"
#include "php/php_names.h"
#include "php/php_offsets.h"
#include "php/php_procs.h"
#include "proc/proc_table.h"
#include "runtime/rt_files.h"
#include "runtime/rt_mem.h"
#include "util/hashmap.h"

#define PHP_MAX_BINS	256	   /* distinct php-named files remembered */
#define PHP_RODATA_SCAN (8u << 20) /* bytes of .rodata searched for the module build id */

/* What one engine file holds (ELF virtual addresses), parsed once per (dev, inode). */
struct php_bin {
	bool engine;	  /* executor_globals and execute_ex found */
	bool reported;	  /* an unknown version was reported */
	bool thread_safe; /* a ZTS build: globals per thread, not walked */
	uint32_t api;	  /* module API number, 0 when not found */
	uint64_t eg;	  /* executor_globals */
	uint64_t exec[2]; /* execute_ex: [start, end) */
};

struct php_fn {
	uint64_t ident[4]; /* type, name, scope and file pointers: what makes it this function */
	uint64_t epoch;	   /* the drain it was last checked in */
	char *name;	   /* "Class::method", NULL when unreadable: the frame is "[php]" */
	char *file;	   /* NULL for internal functions */
	int64_t first_line;
	uint64_t last_line;
	bool user;
	size_t bytes;
};

struct php_proc {
	uint32_t tgid;
	uint64_t aspace;
	const struct php_offsets *off;
	struct hashmap fns; /* zend_function address -> struct php_fn * */
	size_t bytes;
};

struct php_procs {
	struct rt_files *bins; /* struct php_bin per engine file */
	struct hashmap procs;  /* tgid -> struct php_proc * */
	uint64_t epoch;	       /* drains so far */
	struct php_procs_stats stats;
};

static void *php_procs__new(void)
{
	struct php_procs *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return NULL;
	pp->bins = rt_files__new(sizeof(struct php_bin), PHP_MAX_BINS);
	if (!pp->bins) {
		free(pp);
		return NULL;
	}
	hashmap__init(&pp->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	return pp;
}

static void fn_free(struct php_fn *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->file);
	free(f);
}

/* Drop every function cached for p (counted as evicted when evict). */
static void proc_clear(struct php_procs *pp, struct php_proc *p, bool evict)
{
	hashmap__for_each (&p->fns, e) {
		fn_free((struct php_fn *)e->value);
		pp->stats.fn_evicted += evict;
	}
	hashmap__clear(&p->fns);
	pp->stats.cache_bytes -= p->bytes;
	p->bytes = 0;
}

static void proc_free(struct php_procs *pp, struct php_proc *p)
{
	if (!p)
		return;
	proc_clear(pp, p, false);
	free(p);
}

static void php_procs__free(void *m)
{
	struct php_procs *pp = m;

	if (!pp)
		return;
	hashmap__for_each (&pp->procs, e)
		proc_free(pp, (struct php_proc *)e->value);
	hashmap__clear(&pp->procs);
	rt_files__free(pp->bins);
	free(pp);
}

/* --- the engine file --- */

/* "API20220829,NTS" (ZEND_MODULE_BUILD_ID, in every engine's .rodata): its number and whether
 * the build is thread-safe ("TS"). */
static void find_build_id(struct php_bin *b, const char *data, size_t len)
{
	for (const char *p = data; (p = memmem(p, len - (size_t)(p - data), "API", 3)); p++) {
		size_t left = len - (size_t)(p - data);
		unsigned api;
		int n = 0;
		char ts[4];

		if (left < 16 || sscanf(p, "API%8u,%3[NTS]%n", &api, ts, &n) != 2 || n < 14 ||
		    api < 20000000)
			continue;
		b->api = api;
		b->thread_safe = !strcmp(ts, "TS");
		return;
	}
}

static void *bin_parse_elf(Elf *elf, void *arg)
{
	struct php_bin *b = arg;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sname && !strcmp(sname, ".rodata") && sh.sh_type == SHT_PROGBITS &&
		    sh.sh_size <= PHP_RODATA_SCAN) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf)
				find_build_id(b, data->d_buf, data->d_size);
			continue;
		}
		if (sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < data->d_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
			    !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || (name[0] != 'e'))
				continue;
			if (!strcmp(name, "executor_globals"))
				b->eg = s.st_value;
			else if (!strcmp(name, "execute_ex") && s.st_size) {
				b->exec[0] = s.st_value;
				b->exec[1] = s.st_value + s.st_size;
			}
		}
	}
	b->engine = b->eg && b->exec[0];
	return NULL;
}

static void bin_parse(void *rec, int fd, void *ctx)
{
	(void)ctx;
	elf_with_fd(fd, bin_parse_elf, rec); /* pread, not mmap: the file may be truncated */
}

static bool php_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "php", 3) || !strncmp(base, "libphp", 6);
}

static struct php_proc *proc_find(const struct php_procs *pp, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&pp->procs, tgid, &v))
		return NULL;
	return ((struct php_proc *)v)->aspace == aspace ? (struct php_proc *)v : NULL;
}

/* The process's record for this image, made or started afresh. */
static struct php_proc *proc_get(struct php_procs *pp, const struct proc_entry *e,
				 const struct php_offsets *off)
{
	struct php_proc *p;
	uintptr_t v;

	if (hashmap__find(&pp->procs, e->tgid, &v)) {
		p = (struct php_proc *)v;
		if (p->aspace == e->aspace && p->off == off)
			return p;
		hashmap__delete(&pp->procs, e->tgid, NULL); /* exec'd: a new image */
		proc_free(pp, p);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	hashmap__init(&p->fns, hashmap_hash_int, hashmap_equal_int, NULL);
	if (hashmap__set(&pp->procs, e->tgid, (uintptr_t)p)) {
		free(p);
		return NULL;
	}
	p->tgid = e->tgid;
	p->aspace = e->aspace;
	p->off = off;
	pp->stats.processes++;
	return p;
}

static int php_procs__detect(void *inst, struct proc_entry *e, struct flamed_rt_proc *rt,
			     struct runtime_detect *what)
{
	struct php_procs *pp = inst;
	const struct php_offsets *off;
	struct flamed_php_proc *pr = &rt->params.php;
	struct php_bin *b = NULL;
	uint64_t bias = 0;
	size_t i;

	if (!e->maps)
		return -ENOENT;
	for (i = 0; i < e->maps->nr; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];

		if (!f || !m->prot_exec || !php_named(m->path))
			continue;
		b = rt_files__get(pp->bins, f, bin_parse, NULL);
		if (b && b->engine &&
		    !elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					 m->prot_exec, &bias))
			break;
		b = NULL;
	}
	if (!b)
		return -ENOENT;
	what->path = e->maps->maps[i].path;
	off = b->thread_safe ? NULL : php_offsets__find(b->api);
	if (off)
		snprintf(what->what, sizeof(what->what), "PHP %d.%d", off->major, off->minor);
	else
		snprintf(what->what, sizeof(what->what), "a PHP engine of module API %u%s", b->api,
			 b->thread_safe ? " (thread-safe build)" : "");
	if (!off) {
		php_offsets__range(what->known, sizeof(what->known));
		strncat(what->known, ", not thread-safe",
			sizeof(what->known) - 1 - strlen(what->known));
		what->first_report = !b->reported;
		b->reported = true;
		pp->stats.unknown_version += what->first_report;
		return -ENOTSUP;
	}
	if (!proc_get(pp, e, off))
		return -ENOMEM;
	rt->ranges[0].start = b->exec[0] + bias;
	rt->ranges[0].end = b->exec[1] + bias;
	rt->nr_ranges = 1;
	*pr = (struct flamed_php_proc){
		.current_execute_data = b->eg + bias + off->eg_current_execute_data,
		/* execute_ex keeps one frame size past its prologue: its middle is in the body */
		.jit_return = b->exec[0] + bias + (b->exec[1] - b->exec[0]) / 2,
		.call_top = off->call_top,
		.ex_opline = off->ex_opline,
		.ex_func = off->ex_func,
		.ex_call_info = off->ex_call_info,
		.ex_prev = off->ex_prev,
		.op_lineno = off->op_lineno,
		.fn_type = off->fn_type,
		.internal_function = off->internal_function,
	};
	/* the OPcache JIT buffer: executable shared memory (the opcache segment) */
	for (i = 0; i < e->maps->nr && rt->nr_ranges < FLAMED_RT_MAX_RANGES; i++) {
		const struct proc_map *m = &e->maps->maps[i];

		if (!m->prot_exec || m->is_private || strcmp(m->path, "/dev/zero"))
			continue;
		pr->jit_start = m->start;
		pr->jit_end = m->end;
		rt->ranges[rt->nr_ranges].start = m->start;
		rt->ranges[rt->nr_ranges].end = m->end;
		rt->nr_ranges++;
		break;
	}
	return 0;
}

/* --- functions --- */

/* A zend_string's text, sanitized, at most PHP_NAMES_MAX bytes; NULL when unreadable. */
static char *read_zstr(uint32_t pid, const struct php_offsets *o, uint64_t addr)
{
	uint8_t head[64], data[PHP_NAMES_MAX];
	char out[PHP_NAMES_MAX * 2];
	uint64_t len;

	if (o->str_val > sizeof(head) || rt_mem__read(pid, addr, head, o->str_val) ||
	    !php_names__zstr_len(head, o->str_val, o, &len))
		return NULL;
	if (len > sizeof(data))
		len = sizeof(data);
	if (len && rt_mem__read(pid, addr + o->str_val, data, len))
		return NULL;
	rt_mem__text(data, len, out, sizeof(out));
	return strdup(out);
}

static bool fn_ident(const struct php_proc *p, uint64_t addr, struct php_func *f, uint64_t id[4])
{
	uint8_t buf[PHP_NAMES_FN_READ];
	size_t len = sizeof(buf);

	/* an internal function's struct is shorter than a user function's: read its common
	 * part again when the whole does not fit before the end of its mapping */
	if (rt_mem__read(p->tgid, addr, buf, len)) {
		len = PHP_NAMES_FN_COMMON;
		if (rt_mem__read(p->tgid, addr, buf, len))
			return false;
	}
	if (!php_names__func(buf, len, p->off, f))
		return false;
	id[0] = f->type;
	id[1] = f->name;
	id[2] = f->scope;
	id[3] = f->filename;
	return true;
}

static struct php_fn *fn_read(struct php_procs *pp, const struct php_proc *p, uint64_t addr)
{
	const struct php_offsets *o = p->off;
	struct php_fn *f = calloc(1, sizeof(*f));
	char *fname = NULL, *cls = NULL, label[PHP_NAMES_MAX * 4 + 8];
	struct php_func pf;
	uint64_t ce_name = 0;

	if (!f)
		return NULL;
	f->epoch = pp->epoch;
	f->bytes = sizeof(*f) + 32;
	if (!fn_ident(p, addr, &pf, f->ident))
		goto bad;
	if (pf.name && !(fname = read_zstr(p->tgid, o, pf.name)))
		goto bad;
	if (pf.scope && !rt_mem__read(p->tgid, pf.scope + o->ce_name, &ce_name, 8) && ce_name)
		cls = read_zstr(p->tgid, o, ce_name);
	php_names__label(cls, fname, label, sizeof(label));
	f->name = strdup(label);
	f->user = pf.user;
	if (pf.user) {
		f->file = read_zstr(p->tgid, o, pf.filename);
		f->first_line = pf.line_start;
		f->last_line = pf.line_end;
	}
	free(fname);
	free(cls);
	if (!f->name)
		goto bad;
	f->bytes += strlen(f->name) + (f->file ? strlen(f->file) : 0);
	pp->stats.fn_read++;
	return f;
bad:
	free(fname);
	free(f->name);
	f->name = NULL;
	pp->stats.fn_failed++;
	return f;
}

/* The function at addr of p, read on first use; with check, once per drain its identity is
 * read again (a closure's copy freed and its memory reused). NULL when over budget. */
static struct php_fn *fn_get(struct php_procs *pp, struct php_proc *p, uint64_t addr, bool check)
{
	struct php_fn *f;
	struct php_func pf;
	uint64_t id[4];
	uintptr_t v;

	if (hashmap__find(&p->fns, addr, &v)) {
		f = (struct php_fn *)v;
		if (!check || f->epoch == pp->epoch)
			return f;
		f->epoch = pp->epoch;
		if (!fn_ident(p, addr, &pf, id) || !memcmp(id, f->ident, sizeof(id)))
			return f; /* gone with its process, or still the same */
		hashmap__delete(&p->fns, addr, NULL);
		p->bytes -= f->bytes;
		pp->stats.cache_bytes -= f->bytes;
		pp->stats.fn_replaced++;
		fn_free(f);
	}
	if (p->bytes >= PHP_PROCS_PROC_CACHE_BYTES)
		proc_clear(pp, p, true); /* a process that names this much starts over */
	if (pp->stats.cache_bytes >= PHP_PROCS_CACHE_BYTES) {
		pp->stats.fn_over_budget++;
		return NULL;
	}
	f = fn_read(pp, p, addr);
	if (!f)
		return NULL;
	if (hashmap__set(&p->fns, addr, (uintptr_t)f)) {
		fn_free(f);
		return NULL;
	}
	p->bytes += f->bytes;
	pp->stats.cache_bytes += f->bytes;
	return f;
}

static void php_procs__prefetch(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *words,
				uint32_t nr, uint32_t stamp, uint64_t samples)
{
	struct php_procs *pp = m;
	struct php_proc *p = proc_find(pp, tgid, aspace);

	(void)stamp;
	(void)samples;
	for (uint32_t i = 0; p && i < nr; i++)
		if (FLAMED_PHP_WORD_FUNC(words[i]))
			fn_get(pp, p, FLAMED_PHP_WORD_FUNC(words[i]), true);
}

static size_t php_procs__frames(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
				struct runtime_frame *ret, size_t max)
{
	struct php_procs *pp = m;
	struct php_proc *p = proc_find(pp, tgid, aspace);
	uint64_t addr = FLAMED_PHP_WORD_FUNC(rec[0]), line = rec[0] >> FLAMED_PHP_LINE_SHIFT;
	struct php_fn *f;

	if (!max)
		return 0;
	*ret = (struct runtime_frame){ .name = "[php]" };
	f = p && addr ? fn_get(pp, p, addr, false) : NULL;
	if (!f || !f->name) {
		pp->stats.frames_unnamed++;
		return 1;
	}
	ret->name = f->name;
	ret->named = true;
	if (f->user) {
		ret->file = f->file;
		ret->first_line = f->first_line;
		/* the JIT leaves a frame's opline unsaved until it leaves its trace: a line
		 * outside the function is another's, left over, and not shown */
		if (line < FLAMED_PHP_LINE_MAX && line >= (uint64_t)f->first_line &&
		    line <= f->last_line)
			ret->line = (int64_t)line;
	}
	return 1;
}

static void php_procs__forget(void *m, uint32_t tgid)
{
	struct php_procs *pp = m;
	uintptr_t v;

	if (hashmap__delete(&pp->procs, tgid, &v))
		proc_free(pp, (struct php_proc *)v);
}

static void php_procs__tick(void *m)
{
	((struct php_procs *)m)->epoch++;
}

struct php_procs_stats php_procs__stats(const struct php_procs *pp)
{
	return pp ? pp->stats : (struct php_procs_stats){ 0 };
}

const struct runtime_ops php_runtime_ops = {
	.name = "php",
	.language = "PHP",
	.id = FLAMED_RT_PHP,
	.mapping = "[php]",
	.words_per_frame = 1,
	.new = php_procs__new,
	.free = php_procs__free,
	.detect = php_procs__detect,
	.forget = php_procs__forget,
	.tick = php_procs__tick,
	.prefetch = php_procs__prefetch,
	.frames = php_procs__frames,
};
