// SPDX-License-Identifier: MIT
/* Table records are keyed by file identity and live until evicted: built (or failed, or
 * refused) once per file, whatever the number of processes. Records no process uses sit in an
 * LRU list; loaded ones there are the cache. Memory is charged per loaded table (the kernel's
 * pages), to the bound, and to the file's owner unless it is flamed's own user (root's files
 * are the system's). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unwind/unwind_loader.h"
#include "unwind/unwind_table.h"
#include "unwind/unwind_worker.h"
#include "util/hashmap.h"

_Static_assert(sizeof(struct unwind_row) == sizeof(struct flamed_unwind_row),
	       "src/unwind rows and the BPF ABI rows must match");
_Static_assert(offsetof(struct unwind_row, kinds) == offsetof(struct flamed_unwind_row, kinds),
	       "row layout");

/* Caps, as fractions of the memory bound (256 MiB by default). The largest legitimate table seen
 * is libLLVM's, ~950k rows, 8.0 MiB: under 5/8 of even a 16 MiB bound. A process may use 3/4 (a
 * compiler and all it maps), so a quarter is left to the others. Files not owned by flamed's
 * own user may hold 3/4 in all, across all their processes: an unprivileged user writing
 * crafted libraries cannot starve the system's binaries or other users'. */
#define CAP_BINARY(b) ((b)*5 / 8)
#define CAP_PROC(b)   ((b)*3 / 4)
#define CAP_OWNER(b)  ((b)*3 / 4)

/* Records kept at most (loaded, failed or refused): a user creating files without end cannot
 * grow flamed's memory without end; the least recently used unused records go first. */
#define MAX_RECORDS 65536

enum state {
	T_BUILDING, /* queued or in the worker */
	T_READY,    /* in its slot */
	T_FAILED,   /* no usable CFI, changed while read, or over the per-binary cap: for good */
	T_REFUSED,  /* over the owner cap or the memory bound: retried once memory is freed */
};

struct file_key {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
};

struct table {
	struct file_key key;
	enum state state;
	uint32_t slot;	    /* T_READY */
	uint32_t pages;	    /* page index entries */
	uint32_t nr;	    /* elements (index and rows) while loaded */
	uint64_t base;	    /* row pc = ELF vaddr - base */
	uint64_t bytes;	    /* kernel memory while loaded; the last known size otherwise */
	uint32_t refs;	    /* processes whose description uses it */
	uint32_t owner;	    /* uid of the file: pays for the memory */
	uint8_t refused;    /* bit per enum unwind_refusal already told */
	uint64_t avail_gen; /* T_REFUSED: l->avail_gen when refused (retried once it moves) */
	char *name;	    /* for reports */
	struct table *lru_prev, *lru_next; /* in l->lru while refs == 0 and not building */
};

struct pmap {
	uint64_t start, end, load_bias;
	struct table *t; /* NULL: frame pointers */
};

struct proc {
	uint32_t tgid;
	uint64_t aspace;
	uint64_t remap_after_ns;
	uint32_t nr;
	struct pmap *m;
	bool waiting; /* a mapping's table is building: published again when it is loaded */
};

struct unwind_loader {
	struct unwind_loader_ops ops;
	struct unwind_worker *worker;
	struct hashmap by_file; /* struct file_key * (in its table) -> struct table * */
	struct hashmap procs;	/* tgid -> struct proc * */
	struct hashmap owners;	/* uid -> bytes loaded from that user's files */
	struct table lru;	/* list head: least recently used first */
	uint64_t nr_records;
	uint32_t next_id;     /* table ids are never reused (the walker's row cache is keyed by
			   * them); 2^32 loads before they wrap */
	uint64_t avail_gen;   /* bumped whenever memory is given back or a table becomes evictable:
			     * only then may a refused table fit */
	uint32_t trusted_uid; /* flamed's own: not capped per owner */
	struct table **scratch;		 /* FLAMED_UNWIND_MAX_MAPPINGS entries */
	struct flamed_unwind_proc *desc; /* scratch for publishing */
	unwind_loader_refused_fn on_refused;
	void *on_refused_ctx;
	struct unwind_loader_stats stats;
};

static uint64_t hash_key(uintptr_t k, void *ctx)
{
	const struct file_key *f = (const void *)k;
	uint64_t h = f->dev * 0x9e3779b97f4a7c15ULL;

	(void)ctx;
	h ^= f->ino + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
	h ^= f->size + (h << 6) + (h >> 2);
	h ^= f->mtime_ns + (h << 6) + (h >> 2);
	h ^= f->ctime_ns + (h << 6) + (h >> 2);
	return h;
}

static bool equal_key(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return !memcmp((const void *)a, (const void *)b, sizeof(struct file_key));
}

struct unwind_loader *unwind_loader__new(const struct unwind_loader_ops *ops, uint64_t bytes)
{
	struct unwind_loader *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ops = *ops;
	l->stats.bytes_bound = bytes ? bytes : UNWIND_MEMORY_DEFAULT;
	l->trusted_uid = (uint32_t)geteuid();
	l->lru.lru_next = l->lru.lru_prev = &l->lru;
	hashmap__init(&l->by_file, hash_key, equal_key, NULL);
	hashmap__init(&l->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&l->owners, hashmap_hash_int, hashmap_equal_int, NULL);
	l->scratch = calloc(FLAMED_UNWIND_MAX_MAPPINGS, sizeof(*l->scratch));
	l->desc = malloc(sizeof(*l->desc));
	if (!l->scratch || !l->desc)
		goto fail;
	l->worker = unwind_worker__new();
	if (!l->worker)
		goto fail;
	return l;
fail:
	unwind_loader__free(l);
	errno = ENOMEM;
	return NULL;
}

void unwind_loader__on_refused(struct unwind_loader *l, unwind_loader_refused_fn fn, void *ctx)
{
	l->on_refused = fn;
	l->on_refused_ctx = ctx;
}

static void refuse(struct unwind_loader *l, struct table *t, enum unwind_refusal why)
{
	if (t->refused & (1u << why))
		return;
	t->refused |= 1u << why;
	l->stats.refused[why]++;
	if (l->on_refused)
		l->on_refused(t->name, why, t->bytes, t->owner, l->on_refused_ctx);
}

/* --- the LRU of unused records --- */

static bool in_lru(const struct table *t)
{
	return t->lru_next != NULL;
}

static void lru_remove(struct table *t)
{
	if (!in_lru(t))
		return;
	t->lru_prev->lru_next = t->lru_next;
	t->lru_next->lru_prev = t->lru_prev;
	t->lru_next = t->lru_prev = NULL;
}

static void lru_push(struct unwind_loader *l, struct table *t)
{
	if (t->state == T_READY)
		l->avail_gen++;
	t->lru_prev = l->lru.lru_prev;
	t->lru_next = &l->lru;
	l->lru.lru_prev->lru_next = t;
	l->lru.lru_prev = t;
}

static uint64_t owner_bytes(const struct unwind_loader *l, uint32_t uid)
{
	uintptr_t v;

	return hashmap__find(&l->owners, uid, &v) ? v : 0;
}

static void charge(struct unwind_loader *l, struct table *t, int64_t sign)
{
	uint64_t owned = owner_bytes(l, t->owner);

	l->stats.bytes_used += sign * (int64_t)t->bytes;
	owned = sign > 0 ? owned + t->bytes : owned > t->bytes ? owned - t->bytes : 0;
	/* on ENOMEM the owner keeps the old charge: the safe side either way */
	(void)hashmap__set(&l->owners, t->owner, owned);
	if (l->stats.bytes_used > l->stats.bytes_peak)
		l->stats.bytes_peak = l->stats.bytes_used;
}

/* Give a loaded table's slot and memory back (its record stays). */
static void unload(struct unwind_loader *l, struct table *t)
{
	if (t->state != T_READY)
		return;
	l->ops.table_del(l->ops.ctx, t->slot, t->nr);
	charge(l, t, -1);
	t->slot = 0;
	t->state = T_REFUSED; /* loaded again when a process maps it and memory allows */
	l->avail_gen++;
	l->stats.tables_now--;
}

/* Drop an unused record entirely. */
static void drop(struct unwind_loader *l, struct table *t)
{
	if (t->state == T_READY)
		l->stats.tables_evicted++;
	unload(l, t);
	lru_remove(t);
	hashmap__delete(&l->by_file, (uintptr_t)&t->key, NULL);
	l->nr_records--;
	free(t->name);
	free(t);
}

/* Evict unused loaded tables, least recently used first, until need more bytes fit under limit:
 * the tables of owner uid against its charge, or (uid UINT32_MAX) all against the total. */
static bool evict_for(struct unwind_loader *l, uint64_t need, uint64_t limit, uint32_t uid)
{
	struct table *t = l->lru.lru_next, *next;

	for (; t != &l->lru; t = next) {
		uint64_t used = uid == UINT32_MAX ? l->stats.bytes_used : owner_bytes(l, uid);

		next = t->lru_next;
		if (used + need <= limit)
			return true;
		if (t->state == T_READY && (uid == UINT32_MAX || t->owner == uid))
			drop(l, t);
	}
	return (uid == UINT32_MAX ? l->stats.bytes_used : owner_bytes(l, uid)) + need <= limit;
}

/* --- building --- */

static int key_of(int fd, struct file_key *k, uint32_t *ret_uid)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -ENOENT;
	*k = (struct file_key){
		.dev = st.st_dev,
		.ino = st.st_ino,
		.size = (uint64_t)st.st_size,
		.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec,
		.ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec,
	};
	*ret_uid = st.st_uid;
	return 0;
}

/* Queue a build of t from fd. false when it could not be queued (tried again later). */
static bool queue_build(struct unwind_loader *l, struct table *t, int fd)
{
	struct unwind_job *job = calloc(1, sizeof(*job));

	if (!job)
		return false;
	job->tag = t;
	job->max_bytes = CAP_BINARY(l->stats.bytes_bound);
	job->size = t->key.size;
	job->mtime_ns = t->key.mtime_ns;
	job->ctime_ns = t->key.ctime_ns;
	job->untrusted = t->owner != l->trusted_uid;
	job->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (job->fd < 0 || unwind_worker__push(l->worker, job)) {
		unwind_job__free(job);
		l->stats.deferred++;
		return false;
	}
	t->state = T_BUILDING;
	return true;
}

/* The record of m's file, created (and its build queued) if new; NULL when there is none to be
 * had now (not a regular file, out of memory, queue full). */
static struct table *record_for(struct unwind_loader *l, const struct unwind_loader_mapping *m,
				bool *ret_known)
{
	struct file_key k;
	struct table *t;
	uint32_t uid;
	uintptr_t v;

	if (key_of(m->fd, &k, &uid))
		return NULL;
	if (hashmap__find(&l->by_file, (uintptr_t)&k, &v)) {
		t = (struct table *)v;
		if (t->state == T_READY || t->state == T_BUILDING) {
			*ret_known = true;
			l->stats.cached_reuses += t->state == T_READY && !t->refs;
		}
		if (t->state == T_REFUSED && t->avail_gen != l->avail_gen) {
			/* memory was given back or became evictable since: try again */
			if (!queue_build(l, t, m->fd))
				return t;
		}
		return t;
	}
	while (l->nr_records >= MAX_RECORDS && l->lru.lru_next != &l->lru)
		drop(l, l->lru.lru_next);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->key = k;
	t->owner = uid;
	t->name = m->name ? strdup(m->name) : NULL;
	if (!queue_build(l, t, m->fd) ||
	    hashmap__set(&l->by_file, (uintptr_t)&t->key, (uintptr_t)t)) {
		free(t->name);
		free(t);
		return NULL;
	}
	l->nr_records++;
	return t;
}

/* A finished build: load it (evicting cached tables if need be) or refuse it. */
static void finish(struct unwind_loader *l, struct unwind_job *job)
{
	struct table *t = job->tag;
	size_t bytes = 0;
	int err;

	l->stats.build_ns += job->ns;
	if (job->ns > l->stats.build_max_ns)
		l->stats.build_max_ns = job->ns;
	if (job->err) {
		t->state = T_FAILED;
		if (job->err == -E2BIG) {
			t->bytes = CAP_BINARY(l->stats.bytes_bound) + 1; /* at least */
			refuse(l, t, UNWIND_REFUSED_BINARY);
		} else if (job->err == -EIO) {
			l->stats.tables_changed++;
		} else if (job->err == -ENOMEM) {
			t->state = T_REFUSED; /* not for good */
			t->avail_gen = l->avail_gen;
		} else {
			l->stats.tables_failed++;
		}
		return;
	}
	t->base = job->base;
	t->pages = job->pages;
	/* the kernel's: 4 KiB blocks of FLAMED_UNWIND_BLOCK_ELEMS (exact from table_add) */
	t->bytes = ((uint64_t)job->nr + FLAMED_UNWIND_BLOCK_ELEMS - 1) / FLAMED_UNWIND_BLOCK_ELEMS *
		   4096;
	if (t->bytes > CAP_BINARY(l->stats.bytes_bound)) {
		t->state = T_FAILED;
		refuse(l, t, UNWIND_REFUSED_BINARY);
		return;
	}
	t->state = T_REFUSED; /* until loaded below */
	if (t->owner != l->trusted_uid &&
	    !evict_for(l, t->bytes, CAP_OWNER(l->stats.bytes_bound), t->owner)) {
		t->avail_gen = l->avail_gen; /* after the evictions: they do not help */
		refuse(l, t, UNWIND_REFUSED_OWNER);
		return;
	}
	if (!evict_for(l, t->bytes, l->stats.bytes_bound, UINT32_MAX)) {
		t->avail_gen = l->avail_gen;
		refuse(l, t, UNWIND_REFUSED_MEMORY);
		return;
	}
	do /* 0 and FLAMED_UNWIND_TABLE_PENDING mean something else */
		t->slot = ++l->next_id;
	while (!t->slot || t->slot == FLAMED_UNWIND_TABLE_PENDING);
	err = l->ops.table_add(l->ops.ctx, t->slot, job->elems, job->nr, &bytes);
	if (err) {
		t->slot = 0;
		t->avail_gen = l->avail_gen;
		l->stats.load_failed++;
		return;
	}
	if (bytes)
		t->bytes = bytes;
	t->nr = job->nr;
	t->state = T_READY;
	charge(l, t, +1);
	l->stats.tables_built++;
	l->stats.tables_now++;
}

/* --- descriptions --- */

static int cmp_mapping(const void *a, const void *b)
{
	const struct flamed_unwind_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Fill l->desc from pr; the per-process cap is applied here, in mapping order. */
static void fill(struct unwind_loader *l, struct proc *pr)
{
	struct flamed_unwind_proc *p = l->desc;
	struct table **seen = l->scratch;
	uint32_t nr_seen = 0;
	uint64_t proc_bytes = 0;

	memset(p, 0, offsetof(struct flamed_unwind_proc, m));
	p->aspace = pr->aspace;
	p->remap_after_ns = pr->remap_after_ns;
	pr->waiting = false;
	for (uint32_t i = 0; i < pr->nr; i++) {
		struct flamed_unwind_mapping *out = &p->m[p->nr++];
		struct table *t = pr->m[i].t;
		uint32_t j;

		*out = (struct flamed_unwind_mapping){ .start = pr->m[i].start,
						       .end = pr->m[i].end };
		if (!t)
			continue;
		if (t->state == T_BUILDING) {
			out->table = FLAMED_UNWIND_TABLE_PENDING;
			pr->waiting = true;
			continue;
		}
		if (t->state != T_READY)
			continue;
		for (j = 0; j < nr_seen && seen[j] != t; j++)
			;
		if (j == nr_seen) { /* a binary mapped twice counts once */
			if (proc_bytes + t->bytes > CAP_PROC(l->stats.bytes_bound)) {
				refuse(l, t, UNWIND_REFUSED_PROC);
				continue;
			}
			proc_bytes += t->bytes;
			seen[nr_seen++] = t;
		}
		out->table = t->slot;
		out->pages = t->pages;
		out->pc_sub = pr->m[i].load_bias + t->base;
	}
	qsort(p->m, p->nr, sizeof(p->m[0]), cmp_mapping);
	if (pr->waiting)
		l->stats.pending_waits++;
}

static struct proc *proc_of(struct unwind_loader *l, uint32_t tgid, bool create)
{
	struct proc *pr;
	uintptr_t v;

	if (hashmap__find(&l->procs, tgid, &v))
		return (struct proc *)v;
	if (!create)
		return NULL;
	pr = calloc(1, sizeof(*pr));
	if (!pr || hashmap__set(&l->procs, tgid, (uintptr_t)pr)) {
		free(pr);
		return NULL;
	}
	pr->tgid = tgid;
	return pr;
}

static void hold(struct table *t)
{
	lru_remove(t);
	t->refs++;
}

static void release(struct unwind_loader *l, struct table *t)
{
	if (!t->refs || --t->refs)
		return;
	if (t->state != T_BUILDING) /* the worker holds a building one: pushed once built */
		lru_push(l, t);	    /* loaded: now the cache */
}

/* Drop pr's references, each distinct table once. */
static void release_all(struct unwind_loader *l, struct proc *pr)
{
	for (uint32_t i = 0; i < pr->nr; i++) {
		struct table *t = pr->m[i].t;
		uint32_t j;

		if (!t)
			continue;
		for (j = 0; j < i && pr->m[j].t != t; j++)
			;
		if (j == i)
			release(l, t);
	}
	free(pr->m);
	pr->m = NULL;
	pr->nr = 0;
}

int unwind_loader__describe(struct unwind_loader *l, uint32_t tgid, uint64_t aspace,
			    const struct unwind_loader_mapping *maps, size_t nr,
			    uint64_t remap_after_ns, struct flamed_unwind_proc *ret_proc)
{
	struct proc *pr = proc_of(l, tgid, true);
	struct pmap *m;
	uint32_t n = 0;

	if (!pr)
		return -ENOMEM;
	if (nr > FLAMED_UNWIND_MAX_MAPPINGS) {
		l->stats.mappings_capped += nr - FLAMED_UNWIND_MAX_MAPPINGS;
		nr = FLAMED_UNWIND_MAX_MAPPINGS;
	}
	m = calloc(nr ? nr : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		struct table *t = NULL;
		bool known = false;
		uint32_t j;

		m[n] = (struct pmap){ .start = maps[i].start,
				      .end = maps[i].end,
				      .load_bias = maps[i].load_bias };
		if (maps[i].fd >= 0)
			t = record_for(l, &maps[i], &known);
		if (t) {
			for (j = 0; j < n && m[j].t != t; j++)
				;
			if (j == n) { /* the new references first: a table both use stays */
				l->stats.cache_hits += known;
				hold(t);
			}
		}
		m[n++].t = t;
	}
	release_all(l, pr);
	pr->m = m;
	pr->nr = n;
	pr->aspace = aspace;
	pr->remap_after_ns = remap_after_ns;
	fill(l, pr);
	memcpy(ret_proc, l->desc, sizeof(*ret_proc));
	l->stats.procs++;
	return 0;
}

void unwind_loader__forget(struct unwind_loader *l, uint32_t tgid)
{
	struct proc *pr = proc_of(l, tgid, false);

	if (!pr)
		return;
	release_all(l, pr);
	pr->waiting = false;
	hashmap__delete(&l->procs, tgid, NULL);
	free(pr);
}

int unwind_loader__fd(const struct unwind_loader *l)
{
	return unwind_worker__fd(l->worker);
}

int unwind_loader__poll(struct unwind_loader *l)
{
	struct unwind_job *job = unwind_worker__take(l->worker), *next;
	int n = 0;

	for (; job; job = next) {
		struct table *t = job->tag;

		next = job->next;
		finish(l, job);
		unwind_job__free(job);
		if (!t->refs && !in_lru(t))
			lru_push(l, t); /* built for a process that is gone: cached all the same */
		n++;
	}
	if (!n)
		return 0;
	/* publish the processes that waited for a table */
	hashmap__for_each (&l->procs, e) {
		struct proc *pr = (struct proc *)e->value;

		if (!pr->waiting)
			continue;
		fill(l, pr);
		l->ops.publish(l->ops.ctx, pr->tgid, l->desc);
	}
	return n;
}

int unwind_loader__wait(struct unwind_loader *l)
{
	unwind_worker__wait_idle(l->worker);
	return unwind_loader__poll(l);
}

struct unwind_loader_stats unwind_loader__stats(const struct unwind_loader *l)
{
	return l->stats;
}

const char *unwind_refusal_str(enum unwind_refusal why)
{
	static const char *const names[UNWIND_REFUSED__MAX] = {
		[UNWIND_REFUSED_BINARY] = "per-binary",
		[UNWIND_REFUSED_PROC] = "per-process",
		[UNWIND_REFUSED_OWNER] = "per-owner",
		[UNWIND_REFUSED_MEMORY] = "memory",
	};

	return (unsigned int)why < UNWIND_REFUSED__MAX ? names[why] : "unknown";
}

uint64_t *unwind_loader_encode(const struct flamed_unwind_row *rows, size_t nr, uint32_t *ret_nr,
			       uint32_t *ret_pages)
{
	uint64_t pages, total;
	uint64_t *out;
	size_t r = 0;

	if (!nr) {
		errno = EINVAL;
		return NULL;
	}
	pages = ((uint64_t)rows[nr - 1].pc >> FLAMED_UNWIND_PAGE_SHIFT) + 1;
	total = pages + nr;
	if (total > UINT32_MAX) {
		errno = E2BIG;
		return NULL;
	}
	out = malloc(total * sizeof(*out));
	if (!out)
		return NULL;
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t first = p << FLAMED_UNWIND_PAGE_SHIFT;
		uint64_t next = first + (1ULL << FLAMED_UNWIND_PAGE_SHIFT);
		struct flamed_unwind_page pg;
		size_t hi;

		/* lo: the last row starting at or before the page (or the first row); hi: one past
		 * the last row starting in it */
		while (r + 1 < nr && rows[r + 1].pc <= first)
			r++;
		for (hi = r; hi + 1 < nr && rows[hi + 1].pc < next; hi++)
			;
		pg.lo = (uint32_t)(pages + r);
		pg.hi = (uint32_t)(pages + hi + 1);
		memcpy(&out[p], &pg, sizeof(pg));
	}
	memcpy(out + pages, rows, nr * sizeof(*rows));
	*ret_nr = (uint32_t)total;
	*ret_pages = (uint32_t)pages;
	return out;
}

void unwind_loader__free(struct unwind_loader *l)
{
	if (!l)
		return;
	unwind_worker__free(l->worker); /* first: jobs refer to records */
	hashmap__for_each (&l->procs, e) {
		struct proc *pr = (struct proc *)e->value;

		free(pr->m);
		free(pr);
	}
	hashmap__for_each (&l->by_file, e) {
		struct table *t = (struct table *)e->value;

		free(t->name);
		free(t);
	}
	hashmap__clear(&l->by_file);
	hashmap__clear(&l->procs);
	hashmap__clear(&l->owners);
	free(l->scratch);
	free(l->desc);
	free(l);
}
