// SPDX-License-Identifier: MIT
/* Tables are found per file first (the caller's file_id), then by content: a new file's table is
 * built and compared row by row with the loaded ones, so only identical tables are shared. The
 * build-id plays no part in that: any unprivileged user can link a library with another binary's
 * build-id and CFI of their choosing. Loading a table charges its rows to the process and to the
 * file's owner; the caps below keep one binary, one process or one user from taking the array. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unwind/unwind_loader.h"
#include "unwind/unwind_table.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/range_alloc.h"

_Static_assert(sizeof(struct unwind_row) == sizeof(struct flamed_unwind_row),
	       "src/unwind rows and the BPF ABI rows must match");
_Static_assert(offsetof(struct unwind_row, kinds) == offsetof(struct flamed_unwind_row, kinds),
	       "row layout");

/* Caps, as fractions of the row array (2M rows by default). The largest legitimate table seen is
 * libLLVM's, ~950k rows (libLLVM-14 on Debian 12): 5/8 of 2M rows is 1.31M, room for it and its
 * growth, while two such tables cannot be held by one binary's say-so. A process may use 3/4 of
 * the array (libLLVM and everything a compiler maps beside it fit), so at least a quarter is left
 * to the others. Files not owned by flamed's own user (root) may hold 3/4 in all, across all
 * their processes: an unprivileged user writing crafted libraries cannot starve the binaries of
 * the system or of other users. Root's files are the system's and are not capped per owner. */
#define CAP_BINARY(cap) ((uint64_t)(cap)*5 / 8)
#define CAP_PROC(cap)	((uint64_t)(cap)*3 / 4)
#define CAP_OWNER(cap)	((uint64_t)(cap)*3 / 4)

/* One table, and where it sits in the row array while loaded. */
struct loaded {
	uint64_t hash; /* of base and rows, for the by-rows index */
	uint64_t base; /* row pc = ELF vaddr - base */
	uint32_t nr;   /* rows of the table as last built */
	uint32_t row_start;
	uint32_t row_count; /* rows in the array; 0 while not loaded */
	uint32_t refs;	    /* processes whose description uses the rows */
	uint32_t owner;	    /* uid owning the file the table was built from: pays for the rows */
	uint8_t refused;    /* bit per enum unwind_refusal already counted */
	bool no_cfi;	    /* building failed for good (not ELF, no CFI, changed): never retried */
	bool too_big;	    /* over the per-binary cap: never retried */
	const struct unwind_row *pending; /* rows being compared, before they are loaded */
	struct loaded *all_next;
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
	struct hashmap
		by_rows; /* struct loaded * (its content) -> itself; loaded ones only match */
	struct hashmap by_file;	 /* file_id -> struct loaded * */
	struct hashmap procs;	 /* tgid -> struct proc_refs * */
	struct hashmap owners;	 /* uid -> rows loaded from that user's files */
	struct loaded *all;	 /* every record, for freeing */
	struct loaded **scratch; /* FLAMED_UNWIND_MAX_MAPPINGS entries */
	uint32_t trusted_uid;	 /* flamed's own: its files are not capped per owner */
	unwind_loader_refused_fn on_refused;
	void *on_refused_ctx;
	struct unwind_loader_stats stats;
};

static const struct unwind_row *rows_of(const struct unwind_loader *l, const struct loaded *ld)
{
	if (ld->pending)
		return ld->pending;
	return ld->row_count ? (const struct unwind_row *)(l->rows + ld->row_start) : NULL;
}

static uint64_t hash_rows_key(uintptr_t k, void *ctx)
{
	(void)ctx;
	return ((const struct loaded *)k)->hash;
}

/* Equal only when both tables are at hand and identical, row for row: a hash is not a proof. */
static bool equal_rows_key(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct loaded *x = (const void *)a, *y = (const void *)b;
	const struct unwind_row *rx, *ry;

	if (x->hash != y->hash || x->base != y->base || x->nr != y->nr)
		return false;
	rx = rows_of(ctx, x);
	ry = rows_of(ctx, y);
	return rx && ry && !memcmp(rx, ry, (size_t)x->nr * sizeof(*rx));
}

struct unwind_loader *unwind_loader__new(struct flamed_unwind_row *rows, uint32_t cap)
{
	struct unwind_loader *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->rows = rows;
	l->stats.rows_cap = cap;
	l->stats.cap_binary = CAP_BINARY(cap);
	l->stats.cap_proc = CAP_PROC(cap);
	l->stats.cap_owner = CAP_OWNER(cap);
	l->trusted_uid = (uint32_t)geteuid();
	hashmap__init(&l->by_rows, hash_rows_key, equal_rows_key, l);
	hashmap__init(&l->by_file, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&l->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&l->owners, hashmap_hash_int, hashmap_equal_int, NULL);
	l->scratch = calloc(FLAMED_UNWIND_MAX_MAPPINGS, sizeof(*l->scratch));
	if (!l->scratch || range_alloc__init(&l->ra, cap)) {
		unwind_loader__free(l);
		errno = ENOMEM;
		return NULL;
	}
	return l;
}

void unwind_loader__on_refused(struct unwind_loader *l, unwind_loader_refused_fn fn, void *ctx)
{
	l->on_refused = fn;
	l->on_refused_ctx = ctx;
}

/* Build the table of fd, stopping early past the per-binary cap (-E2BIG). NULL with errno. */
static struct unwind_table *build(struct unwind_loader *l, int fd)
{
	struct unwind_table_opts o = {
		.sz = sizeof(o),
		.max_bytes = (l->stats.cap_binary + 1) * sizeof(struct unwind_row),
	};
	uint64_t t0 = mono_ns();
	struct unwind_table *t = unwind_table__build_fd(fd, &o);
	int saved = errno;

	l->stats.build_ns += mono_ns() - t0;
	errno = saved;
	return t;
}

static void describe_table(struct loaded *ld, const struct unwind_table *t)
{
	ld->nr = (uint32_t)unwind_table__nr(t);
	ld->base = unwind_table__base(t);
	ld->hash = unwind_table__hash(t);
}

static void refuse(struct unwind_loader *l, const struct unwind_loader_mapping *m,
		   struct loaded *ld, enum unwind_refusal why)
{
	if (ld->refused & (1u << why))
		return;
	ld->refused |= 1u << why;
	l->stats.refused[why]++;
	if (l->on_refused)
		l->on_refused(m, why, ld->nr, ld->owner, l->on_refused_ctx);
}

/* Why the table cannot be built: remembered for the file, so it is not built again. */
static struct loaded *unusable(struct unwind_loader *l, const struct unwind_loader_mapping *m,
			       struct loaded *ld)
{
	if (errno == ENOMEM)
		return ld ? ld : &no_table; /* not for good: tried again next time */
	if (errno == EIO)
		l->stats.tables_changed++;
	else
		l->stats.tables_failed++;
	if (!ld)
		ld = &no_table;
	else
		ld->no_cfi = true;
	if (m->file_id && hashmap__set(&l->by_file, (uintptr_t)m->file_id, (uintptr_t)ld))
		return NULL;
	return ld;
}

/* The record for m's file. A file seen before keeps its record (not rebuilt here). A new file's
 * table is built: if identical to a loaded table, that one is returned; otherwise a new record,
 * with the built table in *ret_t (the caller's) for loading. NULL on ENOMEM. */
static struct loaded *record_for(struct unwind_loader *l, const struct unwind_loader_mapping *m,
				 struct unwind_table **ret_t)
{
	struct unwind_table *t;
	struct loaded q = { 0 }, *ld;
	struct stat st;
	uintptr_t v;

	*ret_t = NULL;
	if (m->file_id && hashmap__find(&l->by_file, (uintptr_t)m->file_id, &v))
		return (struct loaded *)v;
	t = build(l, m->fd);
	if (!t && errno == E2BIG) {
		q.nr = (uint32_t)(l->stats.cap_binary + 1); /* at least */
		q.too_big = true;
	} else if (!t || !unwind_table__nr(t)) {
		if (t)
			errno = ENOEXEC; /* no CFI */
		unwind_table__free(t);
		return unusable(l, m, NULL);
	} else {
		describe_table(&q, t);
		q.pending = unwind_table__rows(t);
		if (hashmap__find(&l->by_rows, (uintptr_t)&q, &v)) {
			/* the same rows, loaded for another file (a copy, another container) */
			unwind_table__free(t);
			ld = (struct loaded *)v;
			goto found;
		}
		q.pending = NULL;
	}
	ld = malloc(sizeof(*ld));
	if (!ld) {
		unwind_table__free(t);
		return NULL;
	}
	*ld = q;
	ld->owner = fstat(m->fd, &st) ? UINT32_MAX : (uint32_t)st.st_uid;
	ld->all_next = l->all;
	l->all = ld;
	*ret_t = t;
found:
	if (m->file_id && hashmap__set(&l->by_file, (uintptr_t)m->file_id, (uintptr_t)ld)) {
		unwind_table__free(*ret_t);
		*ret_t = NULL;
		return NULL;
	}
	return ld;
}

static uint64_t owner_rows(const struct unwind_loader *l, uint32_t uid)
{
	uintptr_t v;

	return hashmap__find(&l->owners, uid, &v) ? v : 0;
}

/* Refuse ld for a process already using proc_rows rows when a cap says so. */
static bool over_caps(struct unwind_loader *l, const struct unwind_loader_mapping *m,
		      struct loaded *ld, uint64_t proc_rows)
{
	if (ld->too_big || ld->nr > l->stats.cap_binary) {
		ld->too_big = true;
		refuse(l, m, ld, UNWIND_REFUSED_BINARY);
		return true;
	}
	if (proc_rows + ld->nr > l->stats.cap_proc) {
		refuse(l, m, ld, UNWIND_REFUSED_PROC);
		return true;
	}
	if (!ld->row_count && ld->owner != l->trusted_uid &&
	    owner_rows(l, ld->owner) + ld->nr > l->stats.cap_owner) {
		refuse(l, m, ld, UNWIND_REFUSED_OWNER);
		return true;
	}
	return false;
}

/* Copy t's rows into a free range of the row array and index them. -ENOSPC when they do not
 * fit (tried again when another process maps the binary), -ENOMEM. */
static int load(struct unwind_loader *l, struct loaded *ld, const struct unwind_table *t)
{
	uint32_t start;

	if (range_alloc__alloc(&l->ra, ld->nr, &start)) {
		l->stats.rows_full++;
		return -ENOSPC;
	}
	/* rows are written before any process description refers to them */
	memcpy(l->rows + start, unwind_table__rows(t), (size_t)ld->nr * sizeof(*l->rows));
	ld->row_start = start;
	ld->row_count = ld->nr;
	if (hashmap__set(&l->owners, ld->owner, owner_rows(l, ld->owner) + ld->nr) ||
	    hashmap__set(&l->by_rows, (uintptr_t)ld, (uintptr_t)ld)) {
		range_alloc__free(&l->ra, start, ld->nr); /* never referred to: no grace needed */
		ld->row_count = 0;
		return -ENOMEM;
	}
	l->stats.tables_loaded++;
	l->stats.rows_used = l->ra.used;
	if (l->ra.used > l->stats.rows_peak)
		l->stats.rows_peak = l->ra.used;
	return 0;
}

/* m's table, loaded for a process already using the nr_used tables in used[] (proc_rows rows):
 * its record, or &no_table when there is none or it is refused for this process; NULL on
 * ENOMEM. */
static struct loaded *table_for(struct unwind_loader *l, const struct unwind_loader_mapping *m,
				struct loaded *const *used, uint32_t nr_used, uint64_t proc_rows)
{
	struct unwind_table *t = NULL;
	struct loaded *ld = record_for(l, m, &t);
	int err = 0;

	if (!ld || ld->no_cfi)
		goto out;
	for (uint32_t j = 0; j < nr_used; j++) {
		if (used[j] == ld)
			goto out; /* a binary mapped twice (two executable segments) counts once */
	}
	/* the caps are checked on the size last built before building again, so that a table
	 * refused once does not cost a build per process that maps it */
	if (over_caps(l, m, ld, proc_rows)) {
		ld = &no_table;
		goto out;
	}
	if (ld->row_count) {
		l->stats.tables_shared++;
		goto out;
	}
	if (!t) { /* freed since, or refused or did not fit before */
		t = build(l, m->fd);
		if (!t || !unwind_table__nr(t)) {
			if (t)
				errno = ENOEXEC;
			ld = unusable(l, m, ld);
			goto out;
		}
		describe_table(ld, t); /* the file may have changed: its rows are what counts */
		if (over_caps(l, m, ld, proc_rows)) {
			ld = &no_table;
			goto out;
		}
	}
	err = load(l, ld, t);
out:
	unwind_table__free(t);
	return err == -ENOMEM ? NULL : ld;
}

/* Drop one process's reference; the last one gives the rows back (after the grace period). */
static void release(struct unwind_loader *l, struct loaded *ld)
{
	uint64_t owned;

	if (!ld->refs || --ld->refs)
		return;
	range_alloc__free(&l->ra, ld->row_start, ld->row_count);
	owned = owner_rows(l, ld->owner);
	/* on ENOMEM (the map may grow even to replace) the owner stays charged: the safe side */
	(void)hashmap__set(&l->owners, ld->owner,
			   owned > ld->row_count ? owned - ld->row_count : 0);
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
	uint64_t proc_rows = 0; /* rows of the distinct tables in used[] */

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
		out = &p->m[p->nr++];
		out->start = m->start;
		out->end = m->end;
		if (m->fd < 0)
			continue;
		ld = table_for(l, m, used, nr_used, proc_rows);
		if (!ld)
			return -ENOMEM;
		if (!ld->row_count)
			continue;
		for (j = 0; j < nr_used && used[j] != ld; j++)
			;
		if (j == nr_used) {
			used[nr_used++] = ld;
			proc_rows += ld->row_count;
		}
		out->pc_sub = m->load_bias + ld->base;
		out->row_start = ld->row_start;
		out->row_count = ld->row_count;
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

const char *unwind_refusal_str(enum unwind_refusal why)
{
	static const char *const names[UNWIND_REFUSED__MAX] = {
		[UNWIND_REFUSED_BINARY] = "binary",
		[UNWIND_REFUSED_PROC] = "process",
		[UNWIND_REFUSED_OWNER] = "owner",
	};

	return (unsigned int)why < UNWIND_REFUSED__MAX ? names[why] : "unknown";
}

void unwind_loader__free(struct unwind_loader *l)
{
	struct loaded *ld, *next;

	if (!l)
		return;
	for (ld = l->all; ld; ld = next) {
		next = ld->all_next;
		free(ld);
	}
	hashmap__for_each (&l->procs, e) {
		struct proc_refs *pr = (struct proc_refs *)e->value;

		free(pr->tables);
		free(pr);
	}
	hashmap__clear(&l->by_rows);
	hashmap__clear(&l->by_file);
	hashmap__clear(&l->procs);
	hashmap__clear(&l->owners);
	range_alloc__destroy(&l->ra);
	free(l->scratch);
	free(l);
}
