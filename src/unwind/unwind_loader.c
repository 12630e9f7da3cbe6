// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unwind/unwind_cache.h"
#include "unwind/unwind_loader.h"
#include "util/hashmap.h"

_Static_assert(sizeof(struct unwind_row) == sizeof(struct flamed_unwind_row),
	       "src/unwind rows and the BPF ABI rows must match");
_Static_assert(offsetof(struct unwind_row, kinds) == offsetof(struct flamed_unwind_row, kinds),
	       "row layout");

/* A table copied into the row array. */
struct loaded {
	struct unwind_cache_key key; /* first: the by-key map points here */
	uint32_t row_start;
	uint32_t row_count; /* 0: the binary has no usable table */
	uint64_t base;	    /* row pc = ELF vaddr - base */
};

/* What files without usable ELF map to: "no table here". */
static struct loaded no_table;

struct unwind_loader {
	struct flamed_unwind_row *rows;
	uint32_t cap;
	uint32_t next; /* bump allocator: tables stay loaded for the loader's life */
	struct unwind_cache *cache;
	struct hashmap by_key;	/* struct unwind_cache_key * -> struct loaded * */
	struct hashmap by_file; /* file_id -> struct loaded * */
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
	l->cap = cap;
	l->stats.rows_cap = cap;
	l->cache = unwind_cache__new(&co);
	if (!l->cache) {
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&l->by_key, hash_key, equal_key, NULL);
	hashmap__init(&l->by_file, hashmap_hash_int, hashmap_equal_int, NULL);
	return l;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Build the table of fd and copy it into the row array. */
static void load_table(struct unwind_loader *l, int fd, struct loaded *ld)
{
	const struct unwind_table *t = NULL;
	uint64_t t0 = now_ns();
	size_t nr;
	int err;

	err = unwind_cache__get(l->cache, &ld->key, fd, &t);
	l->stats.build_ns += now_ns() - t0;
	if (err || !unwind_table__nr(t)) {
		l->stats.tables_failed++;
		goto out;
	}
	nr = unwind_table__nr(t);
	if (nr > l->cap - l->next) {
		l->stats.rows_full++;
		goto out;
	}
	/* rows are written before any process entry refers to them */
	memcpy(l->rows + l->next, unwind_table__rows(t), nr * sizeof(*l->rows));
	ld->row_start = l->next;
	ld->row_count = nr;
	ld->base = unwind_table__base(t);
	l->next += nr;
	l->stats.rows_used = l->next;
	l->stats.tables_loaded++;
out:
	if (t)
		unwind_cache__put(l->cache, t); /* the BPF copy is the one that counts */
}

/* Loaded table for a mapping's file, loading it on first sight; NULL on ENOMEM. */
static const struct loaded *table_for(struct unwind_loader *l,
				      const struct unwind_loader_mapping *m)
{
	struct loaded *ld;
	uintptr_t v;

	if (m->file_id && hashmap__find(&l->by_file, (uintptr_t)m->file_id, &v)) {
		l->stats.tables_shared++;
		return (const struct loaded *)v;
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
		l->stats.tables_shared++;
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

static int cmp_mapping(const void *a, const void *b)
{
	const struct flamed_unwind_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int unwind_loader__describe(struct unwind_loader *l, uint64_t aspace,
			    const struct unwind_loader_mapping *maps, size_t nr,
			    struct flamed_unwind_proc *ret_proc)
{
	struct flamed_unwind_proc *p = ret_proc;

	memset(p, 0, sizeof(*p));
	p->aspace = aspace;
	for (size_t i = 0; i < nr; i++) {
		const struct unwind_loader_mapping *m = &maps[i];
		struct flamed_unwind_mapping *out;
		const struct loaded *ld = NULL;

		if (m->fd >= 0) {
			ld = table_for(l, m);
			if (!ld)
				return -ENOMEM;
		}
		if (p->nr == FLAMED_UNWIND_MAX_MAPPINGS) {
			l->stats.mappings_capped++;
			continue;
		}
		out = &p->m[p->nr++];
		out->start = m->start;
		out->end = m->end;
		if (ld && ld->row_count) {
			out->pc_sub = m->load_bias + ld->base;
			out->row_start = ld->row_start;
			out->row_count = ld->row_count;
		}
	}
	qsort(p->m, p->nr, sizeof(p->m[0]), cmp_mapping);
	l->stats.procs++;
	return 0;
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
	hashmap__clear(&l->by_key);
	hashmap__clear(&l->by_file);
	unwind_cache__free(l->cache);
	free(l);
}
