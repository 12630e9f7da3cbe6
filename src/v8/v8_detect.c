// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_file.h"
#include "proc/proc_maps.h"
#include "proc/proc_table.h"
#include "v8/v8_procs_internal.h"

/* --- finding V8 in a process --- */

/* A library that may embed V8, by its name; the executable is always looked at. */
static bool candidate_name(const char *path)
{
	static const char *const hints[] = { "node", "v8", "electron", "chrom", "cef", "nsolid" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(base, hints[i]))
			return true;
	return false;
}

static void bin_parse(void *rec, int fd, void *ctx)
{
	struct v8_bin *b = rec;

	(void)ctx;
	v8_elf__read(fd, &b->elf);
}

#define MAX_RUN (4ULL << 30) /* most a run of code space grows to its reservation */

/* Grow each run of code space to the anonymous memory around it (any protection): V8 reserves
 * its code range at once and makes pages of it executable as it compiles, so code it places
 * there later is covered without asking again. binf: the builtins' file (their copy lies in the
 * code range). */
static void grow_runs(uint32_t pid, const struct proc_file *binf, struct flamed_rt_range *runs,
		      size_t nr)
{
	struct proc_maps *all = nr ? proc_maps__read((int)pid, false) : NULL;

	for (size_t r = 0; all && r < nr; r++) {
		size_t i, j;

		for (i = 0; i < all->nr && all->maps[i].end <= runs[r].start; i++)
			;
		if (i == all->nr || all->maps[i].start > runs[r].start)
			continue;
		/* down, then up, through adjacent anonymous mappings (or the builtins' copy) */
		for (j = i; j > 0; j--) {
			const struct proc_map *m = &all->maps[j - 1];

			if (m->end != all->maps[j].start || (m->inode && m->inode != binf->inode) ||
			    (!m->inode && m->path[0]) || runs[r].end - m->start > MAX_RUN)
				break;
			runs[r].start = m->start;
		}
		for (j = i; j + 1 < all->nr; j++) {
			const struct proc_map *m = &all->maps[j + 1];

			if (m->start != all->maps[j].end || (m->inode && m->inode != binf->inode) ||
			    (!m->inode && m->path[0]) || m->end - runs[r].start > MAX_RUN)
				break;
			if (m->end > runs[r].end)
				runs[r].end = m->end;
		}
	}
	proc_maps__free(all);
}

/* The code ranges of a process whose V8 is bin, mapped by m (the mapping holding the embedded
 * builtins, bias its load bias): the builtins, their copy in the code range (V8 copies them
 * there for short calls when the host has the memory), then the code space: runs of
 * anonymous executable mappings with no file mapped between them. */
static size_t code_ranges(const struct proc_entry *e, const struct v8_bin *bin,
			  const struct proc_file *binf, uint64_t bias, struct flamed_rt_proc *rt)
{
	const struct v8_elf *ve = &bin->elf;
	struct flamed_rt_range jit[FLAMED_RT_MAX_RANGES];
	uint64_t blob = ve->blob_vaddr + bias, blob_off = 0;
	size_t nj = 0, found;
	bool in_run = false;

	rt->nr_ranges = 0;
	rt->ranges[rt->nr_ranges++] = (struct flamed_rt_range){ blob, blob + ve->blob_size };
	/* the builtins' file offset, for their copy: a mapping of the same file elsewhere */
	for (size_t i = 0; i < e->maps->nr; i++) {
		const struct proc_map *m = &e->maps->maps[i];

		if (e->files[i] == binf && blob >= m->start && blob < m->end)
			blob_off = m->pgoff + (blob - m->start);
	}
	for (size_t i = 0; i < e->maps->nr; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];
		bool copy = false;

		if (f == binf && blob_off && blob_off >= m->pgoff &&
		    blob_off < m->pgoff + (m->end - m->start) &&
		    m->start + (blob_off - m->pgoff) != blob &&
		    rt->nr_ranges < FLAMED_RT_MAX_RANGES - 1) {
			uint64_t s = m->start + (blob_off - m->pgoff);

			rt->ranges[rt->nr_ranges++] =
				(struct flamed_rt_range){ s, s + ve->blob_size };
			copy = true;
		}
		if (!m->prot_exec)
			continue;
		if (!copy && (m->inode || m->path[0])) { /* a file, [vdso]: ends a run */
			in_run = false;
			continue;
		}
		/* anonymous executable memory (and the builtins' copy inside the code range) */
		if (in_run && nj) {
			jit[nj - 1].end = m->end;
		} else if (nj < FLAMED_RT_MAX_RANGES) {
			jit[nj++] = (struct flamed_rt_range){ m->start, m->end };
		}
		in_run = true;
	}
	rt->params.v8.nr_builtin_ranges = (uint8_t)rt->nr_ranges;
	grow_runs(e->tgid, binf, jit, nj);
	found = nj;
	/* the largest runs of code space in the room left */
	while (nj && rt->nr_ranges < FLAMED_RT_MAX_RANGES) {
		size_t best = 0;

		for (size_t i = 1; i < nj; i++)
			if (jit[i].end - jit[i].start > jit[best].end - jit[best].start)
				best = i;
		rt->ranges[rt->nr_ranges++] = jit[best];
		jit[best] = jit[--nj];
	}
	return found;
}

static void fill_params(const struct v8_meta *m, struct flamed_v8_proc *p)
{
	uint32_t lo = m->code_start < m->code_flags ? m->code_start : m->code_flags;

	lo = lo < m->code_size ? lo : m->code_size;
	p->fp_context = (int8_t)m->fp_context;
	p->fp_function = (int8_t)m->fp_function;
	p->fp_bytecode_array = (int8_t)m->fp_bytecode_array;
	p->fp_bytecode_offset = (int8_t)m->fp_bytecode_offset;
	p->smi_shift = (uint8_t)m->smi_shift;
	p->code_kind_shift = (uint8_t)m->code_kind_shift;
	p->code_kind_mask = (uint8_t)m->code_kind_mask;
	p->code_kind_interpreted = (uint8_t)m->code_kind_interpreted;
	p->code_start_inline = m->code_start_inline;
	p->jsf_shared = (uint16_t)m->jsf_shared;
	p->jsf_code = (uint16_t)m->jsf_code;
	p->sfi_function_data = (uint16_t)m->sfi_function_data;
	p->sfi_tag = (uint16_t)m->sfi_length;
	p->code_start = (uint16_t)m->code_start;
	p->code_size = (uint16_t)m->code_size;
	p->code_flags = (uint16_t)m->code_flags;
	p->code_read = (uint16_t)(lo & ~7u);
	p->bytecode_data = (uint16_t)m->bytecode_data;
}

int v8_procs__detect(void *inst, struct proc_entry *e, struct flamed_rt_proc *rt,
		     struct runtime_detect *what)
{
	struct v8_procs *vp = inst;
	const struct proc_file *binf = NULL;
	struct v8_bin *b = NULL;
	struct v8_proc *p = NULL;
	const char *path = NULL;
	uint64_t bias = 0;
	uintptr_t v;

	if (!e->maps)
		return -ENOENT;
	/* the executable or a library that exports V8's metadata, and the mapping of it that
	 * holds the embedded builtins (its load bias) */
	for (size_t i = 0; i < e->maps->nr && !binf; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];
		struct v8_bin *c;

		if (!f || !m->prot_exec || !m->path[0] || (b && b->elf.err))
			continue;
		if (!(e->exe && !strcmp(e->exe, m->path)) && !candidate_name(m->path))
			continue;
		c = rt_files__get(vp->bins, f, bin_parse, NULL);
		if (!c || !c->elf.found || (b && c != b))
			continue;
		b = c;
		path = m->path;
		if (!b->elf.err &&
		    !elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					 m->prot_exec, &bias) &&
		    b->elf.blob_vaddr + bias >= m->start && b->elf.blob_vaddr + bias < m->end)
			binf = f;
	}
	if (!b)
		return -ENOENT;
	snprintf(what->what, sizeof(what->what), "V8 %s",
		 b->elf.version[0] ? b->elf.version : "(version unknown)");
	what->path = path;
	if (b->elf.err || !binf) {
		snprintf(what->what, sizeof(what->what), "V8 %.20s (%.32s)", b->elf.version,
			 b->elf.why ? b->elf.why : "no builtins mapped");
		snprintf(what->known, sizeof(what->known), "9.1 and later, 64-bit tagged");
		what->first_report = !b->reported;
		b->reported = true;
		if (what->first_report)
			vp->stats.unsupported++;
		return -ENOTSUP;
	}
	if (hashmap__find(&vp->procs, e->tgid, &v)) {
		p = (struct v8_proc *)v;
		if (p->aspace != e->aspace || p->bin != b) { /* exec'd: a new image */
			hashmap__delete(&vp->procs, e->tgid, NULL);
			v8_proc__free(vp, p);
			p = NULL;
		}
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->tgid = e->tgid;
		p->aspace = e->aspace;
		p->bin = b;
		v8_heap__init(&p->heap, e->tgid, &b->elf.meta);
		hashmap__init(&p->funcs, hashmap_hash_int, hashmap_equal_int, NULL);
		hashmap__init(&p->codes, hashmap_hash_int, hashmap_equal_int, NULL);
		hashmap__init(&p->scripts, hashmap_hash_int, hashmap_equal_int, NULL);
		if (hashmap__set(&vp->procs, e->tgid, (uintptr_t)p)) {
			v8_proc__free(vp, p);
			return -ENOMEM;
		}
		vp->stats.processes++;
	}
	fill_params(&b->elf.meta, &rt->params.v8);
	/* no code space yet (V8 is starting): the first sample in it asks for the maps again, and
	 * the process's first re-reads are not held back (proc_table) */
	code_ranges(e, b, binf, bias, rt);
	return 0;
}
