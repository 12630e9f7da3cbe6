// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unwind/unwind_cache.h"
#include "unwind/unwind_loader.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/range_alloc.h"

_Static_assert(sizeof(struct unwind_row) == sizeof(struct flamed_unwind_row),
	       "src/unwind rows and the BPF ABI rows must match");
_Static_assert(offsetof(struct unwind_row, kinds) == offsetof(struct flamed_unwind_row, kinds),
	       "row layout");

/* One binary's table, and where it sits in the row array while loaded. */
struct loaded {
	struct unwind_cache_key key; /* first: the by-key map points here */
	uint32_t row_start;
	uint32_t row_count; /* rows in the array; 0 while not loaded */
	uint64_t base;	    /* row pc = ELF vaddr - base */
	uint32_t refs;	    /* processes whose description uses the rows */
	bool no_cfi;	    /* building failed for good (not ELF, no CFI): never retried */
};

/* The tables a process's current description uses. */
struct proc_refs {
	uint32_t nr;
	struct loaded **tables;
};

/* What files without usable ELF map to: "no table here". */
static struct loaded no_table = { .no_cfi = true };

struct unwind_loader {
	struct flamed_unwind_row *rows;
	struct range_alloc ra;
	struct unwind_cache *cache;
	struct hashmap by_key;	 /* struct unwind_cache_key * -> struct loaded * */
	struct hashmap by_file;	 /* file_id -> struct loaded * */
	struct hashmap procs;	 /* tgid -> struct proc_refs * */
	struct loaded **scratch; /* FLAMED_UNWIND_MAX_MAPPINGS entries */
	struct unwind_loader_stats stats;
};

static uint64_t hash_key(uintptr_t k, void *ctx)
{
	(void)ctx;
	return hash_bytes((const void *)k, sizeof(struct unwind_cache_key), 3);
}

static bool equal_key(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return memcmp((const void *)a, (const void *)b, sizeof(struct unwind_cache_key)) == 0;
}

struct unwind_loader *unwind_loader__new(struct flamed_unwind_row *rows, uint32_t cap)
{
	struct unwind_cache_opts co = { .sz = sizeof(co), .max_unused_bytes = 0 };
	struct unwind_loader *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->rows = rows;
	l->stats.rows_cap = cap;
	hashmap__init(&l->by_key, hash_key, equal_key, NULL);
	hashmap__init(&l->by_file, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&l->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	l->cache = unwind_cache__new(&co);
	l->scratch = calloc(FLAMED_UNWIND_MAX_MAPPINGS, sizeof(*l->scratch));
	if (!l->cache || !l->scratch || range_alloc__init(&l->ra, cap)) {
		unwind_loader__free(l);
		errno = ENOMEM;
		return NULL;
	}
	return l;
}

/* Build the table of fd and copy it into a free range of the row array. */
static void load_table(struct unwind_loader *l, int fd, struct loaded *ld)
{
	const struct unwind_table *t = NULL;
	uint64_t t0 = mono_ns();
	uint32_t start;
	size_t nr;
	int err;

	err = unwind_cache__get(l->cache, &ld->key, fd, &t);
	l->stats.build_ns += mono_ns() - t0;
	if (err || !unwind_table__nr(t)) {
		ld->no_cfi = err != -ENOSPC && err != -ENOMEM;
		l->stats.tables_failed++;
		goto out;
	}
	nr = unwind_table__nr(t);
	if (nr > UINT32_MAX || range_alloc__alloc(&l->ra, (uint32_t)nr, &start)) {
		l->stats.rows_full++; /* tried again when another process maps the binary */
		goto out;
	}
	/* rows are written before any process description refers to them */
	memcpy(l->rows + start, unwind_table__rows(t), nr * sizeof(*l->rows));
	ld->row_start = start;
	ld->row_count = (uint32_t)nr;
	ld->base = unwind_table__base(t);
	l->stats.tables_loaded++;
	l->stats.rows_used = l->ra.used;
	if (l->ra.used > l->stats.rows_peak)
		l->stats.rows_peak = l->ra.used;
out:
	if (t)
		unwind_cache__put(l->cache, t); /* the BPF copy is the one that counts */
}

/* The record of a mapping's binary, with its rows loaded when it has a table; NULL on ENOMEM. */
static struct loaded *table_for(struct unwind_loader *l, const struct unwind_loader_mapping *m)
{
	struct loaded *ld;
	uintptr_t v;

	if (m->file_id && hashmap__find(&l->by_file, (uintptr_t)m->file_id, &v)) {
		ld = (struct loaded *)v;
		if (ld->row_count)
			l->stats.tables_shared++;
		else if (!ld->no_cfi)
			load_table(l, m->fd, ld); /* freed since, or did not fit before */
		return ld;
	}
	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return NULL;
	if (unwind_cache_key_from_fd(m->fd, &ld->key)) {
		free(ld); /* not ELF: nothing to load, remember that per file */
		l->stats.tables_failed++;
		if (m->file_id &&
		    hashmap__set(&l->by_file, (uintptr_t)m->file_id, (uintptr_t)&no_table))
			return NULL;
		return &no_table;
	}
	if (ld->key.build_id_len) {
		/* the build-id alone names the binary: copies at other inodes share one table */
		ld->key.dev = ld->key.ino = ld->key.size = 0;
		ld->key.mtime_ns = 0;
	}
	if (hashmap__find(&l->by_key, (uintptr_t)&ld->key, &v)) {
		/* same binary through another file (a copy, another mount) */
		free(ld);
		ld = (struct loaded *)v;
		if (ld->row_count)
			l->stats.tables_shared++;
		else if (!ld->no_cfi)
			load_table(l, m->fd, ld);
	} else {
		load_table(l, m->fd, ld);
		if (hashmap__set(&l->by_key, (uintptr_t)&ld->key, (uintptr_t)ld)) {
			free(ld);
			return NULL;
		}
	}
	if (m->file_id && hashmap__set(&l->by_file, (uintptr_t)m->file_id, (uintptr_t)ld))
		return NULL;
	return ld;
}

/* Drop one process's reference; the last one gives the rows back (after the grace period). */
static void release(struct unwind_loader *l, struct loaded *ld)
{
	if (!ld->refs || --ld->refs)
		return;
	range_alloc__free(&l->ra, ld->row_start, ld->row_count);
	ld->row_start = 0;
	ld->row_count = 0;
	l->stats.tables_freed++;
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct flamed_unwind_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static struct proc_refs *refs_of(struct unwind_loader *l, uint32_t tgid, bool create)
{
	struct proc_refs *pr;
	uintptr_t v;

	if (hashmap__find(&l->procs, tgid, &v))
		return (struct proc_refs *)v;
	if (!create)
		return NULL;
	pr = calloc(1, sizeof(*pr));
	if (!pr || hashmap__set(&l->procs, tgid, (uintptr_t)pr)) {
		free(pr);
		return NULL;
	}
	return pr;
}

int unwind_loader__describe(struct unwind_loader *l, uint32_t tgid, uint64_t aspace,
			    const struct unwind_loader_mapping *maps, size_t nr,
			    struct flamed_unwind_proc *ret_proc)
{
	struct flamed_unwind_proc *p = ret_proc;
	struct proc_refs *pr = refs_of(l, tgid, true);
	struct loaded **used = l->scratch, **keep;
	uint32_t nr_used = 0;

	if (!pr)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->aspace = aspace;
	for (size_t i = 0; i < nr; i++) {
		const struct unwind_loader_mapping *m = &maps[i];
		struct flamed_unwind_mapping *out;
		struct loaded *ld = NULL;
		uint32_t j;

		if (p->nr == FLAMED_UNWIND_MAX_MAPPINGS) {
			l->stats.mappings_capped++;
			continue;
		}
		if (m->fd >= 0) {
			ld = table_for(l, m);
			if (!ld)
				return -ENOMEM;
		}
		out = &p->m[p->nr++];
		out->start = m->start;
		out->end = m->end;
		if (!ld || !ld->row_count)
			continue;
		out->pc_sub = m->load_bias + ld->base;
		out->row_start = ld->row_start;
		out->row_count = ld->row_count;
		for (j = 0; j < nr_used && used[j] != ld; j++)
			;
		if (j == nr_used)
			used[nr_used++] = ld;
	}
	qsort(p->m, p->nr, sizeof(p->m[0]), cmp_mapping);

	/* take the new references before dropping the old: a table both use stays loaded */
	keep = malloc((nr_used ? nr_used : 1) * sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_used; i++) {
		used[i]->refs++;
		keep[i] = used[i];
	}
	for (uint32_t i = 0; i < pr->nr; i++)
		release(l, pr->tables[i]);
	free(pr->tables);
	pr->tables = keep;
	pr->nr = nr_used;
	l->stats.procs++;
	return 0;
}

void unwind_loader__forget(struct unwind_loader *l, uint32_t tgid)
{
	struct proc_refs *pr = refs_of(l, tgid, false);

	if (!pr)
		return;
	for (uint32_t i = 0; i < pr->nr; i++)
		release(l, pr->tables[i]);
	free(pr->tables);
	pr->tables = NULL;
	pr->nr = 0; /* the map has no delete: the empty record is reused if the pid comes back */
}

void unwind_loader__tick(struct unwind_loader *l)
{
	range_alloc__recycle(&l->ra);
	l->stats.rows_used = l->ra.used;
}

struct unwind_loader_stats unwind_loader__stats(const struct unwind_loader *l)
{
	return l->stats;
}

void unwind_loader__free(struct unwind_loader *l)
{
	if (!l)
		return;
	hashmap__for_each (&l->by_key, e)
		free((void *)e->value);
	hashmap__for_each (&l->procs, e) {
		struct proc_refs *pr = (struct proc_refs *)e->value;

		free(pr->tables);
		free(pr);
	}
	hashmap__clear(&l->by_key);
	hashmap__clear(&l->by_file);
	hashmap__clear(&l->procs);
	range_alloc__destroy(&l->ra);
	unwind_cache__free(l->cache);
	free(l->scratch);
	free(l);
}
