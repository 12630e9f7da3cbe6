// SPDX-License-Identifier: MIT
/* Entries in an open-addressing map keyed by (file, address), on a doubly linked LRU list; their
 * strings in a second map by content, each counted by the frames that use it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/demangle.h"
#include "symbolize/name_cache.h"
#include "util/hashmap.h"

struct nc_str {
	uint32_t refs;
	uint32_t len;
	bool demangled; /* display was computed (only names are demangled) */
	char *display;	/* demangled, or NULL: the string itself (not a name, or not mangled) */
	char s[];
};

struct nc_entry {
	uint64_t file, vaddr; /* the key (the map's keys point here) */
	uint64_t sym_start, func_start;
	struct nc_entry *prev, *next; /* LRU, most recently used first */
	uint32_t bytes;
	uint32_t nr;
	uint64_t used; /* the cache's tick when last found or added */
	struct sym_frame f[];
};

struct name_cache {
	struct hashmap entries; /* struct nc_entry * (its key) -> the entry */
	struct hashmap strs;	/* string (nc_str.s) -> struct nc_str * */
	struct nc_entry *head, *tail;
	size_t budget;
	uint64_t now; /* ticks (builds) so far */
	struct name_cache_stats st;
};

#define SLOT_BYTES sizeof(struct hashmap_entry)

static uint64_t hash_key(uintptr_t k, void *ctx)
{
	const struct nc_entry *e = (const void *)k;

	(void)ctx;
	return hash_u64(e->vaddr ^ hash_u64(e->file));
}

static bool equal_key(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct nc_entry *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->file == y->file && x->vaddr == y->vaddr;
}

struct name_cache *name_cache__new(size_t budget)
{
	struct name_cache *nc = calloc(1, sizeof(*nc));

	if (!nc)
		return NULL;
	hashmap__init(&nc->entries, hash_key, equal_key, NULL);
	hashmap__init(&nc->strs, hashmap_hash_str, hashmap_equal_str, NULL);
	nc->budget = budget;
	return nc;
}

/* What the index takes: its slot arrays (they grow with the entries). */
static size_t index_bytes(const struct name_cache *nc)
{
	return (nc->entries.cap + nc->strs.cap) * SLOT_BYTES;
}

static void recount(struct name_cache *nc, size_t before)
{
	nc->st.bytes = nc->st.bytes - before + index_bytes(nc);
	if (nc->st.bytes > nc->st.peak_bytes)
		nc->st.peak_bytes = nc->st.bytes;
}

/* s's demangled form, computed once (only for names: a file name is never demangled). */
static void str_demangle(struct name_cache *nc, struct nc_str *p)
{
	p->demangled = true;
	p->display = demangle(p->s);
	nc->st.bytes += p->display ? strlen(p->display) + 1 : 0;
}

/* One more use of s (interned on first use; a name gets its demangled form). NULL on ENOMEM. */
static const struct nc_str *str_get(struct name_cache *nc, const char *s, bool is_name)
{
	struct nc_str *p;
	uintptr_t v;
	size_t len, before = index_bytes(nc);

	if (hashmap__find(&nc->strs, (uintptr_t)s, &v)) {
		p = (struct nc_str *)v;
		if (is_name && !p->demangled)
			str_demangle(nc, p);
		p->refs++;
		return p;
	}
	len = strlen(s);
	if (len >= UINT32_MAX)
		return NULL;
	p = calloc(1, sizeof(*p) + len + 1);
	if (!p)
		return NULL;
	p->refs = 1;
	p->len = (uint32_t)len;
	memcpy(p->s, s, len + 1);
	if (hashmap__set(&nc->strs, (uintptr_t)p->s, (uintptr_t)p)) {
		free(p);
		return NULL;
	}
	nc->st.strings++;
	nc->st.bytes += sizeof(*p) + len + 1;
	if (is_name)
		str_demangle(nc, p);
	recount(nc, before);
	return p;
}

static struct nc_str *str_of(const char *s)
{
	return s ? (struct nc_str *)(s - offsetof(struct nc_str, s)) : NULL;
}

static void str_put(struct name_cache *nc, const char *s)
{
	struct nc_str *p = str_of(s);

	if (!p || --p->refs)
		return;
	hashmap__delete(&nc->strs, (uintptr_t)p->s, NULL);
	nc->st.strings--;
	nc->st.bytes -= sizeof(*p) + p->len + 1 + (p->display ? strlen(p->display) + 1 : 0);
	free(p->display);
	free(p);
}

static void lru_unlink(struct name_cache *nc, struct nc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		nc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		nc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct name_cache *nc, struct nc_entry *e)
{
	e->prev = NULL;
	e->next = nc->head;
	if (nc->head)
		nc->head->prev = e;
	nc->head = e;
	if (!nc->tail)
		nc->tail = e;
}

static void entry_free(struct name_cache *nc, struct nc_entry *e)
{
	for (uint32_t i = 0; i < e->nr; i++) {
		str_put(nc, e->f[i].name);
		str_put(nc, e->f[i].file);
		str_put(nc, e->f[i].decl_file);
	}
	nc->st.bytes -= e->bytes;
	free(e);
}

static void entry_remove(struct name_cache *nc, struct nc_entry *e)
{
	size_t before = index_bytes(nc);

	hashmap__delete(&nc->entries, (uintptr_t)e, NULL);
	lru_unlink(nc, e);
	nc->st.entries--;
	entry_free(nc, e);
	recount(nc, before);
}

static void trim(struct name_cache *nc, const struct nc_entry *keep)
{
	while (nc->st.bytes > nc->budget && nc->tail && nc->tail != keep) {
		entry_remove(nc, nc->tail);
		nc->st.evicted++;
	}
}

static void fill(const struct nc_entry *e, struct name_entry *ret)
{
	*ret = (struct name_entry){
		.sym_start = e->sym_start,
		.func_start = e->func_start,
		.nr = e->nr,
		.frames = e->f,
	};
}

bool name_cache__find(struct name_cache *nc, uint64_t file, uint64_t vaddr, struct name_entry *ret)
{
	struct nc_entry key = { .file = file, .vaddr = vaddr };
	uintptr_t v;

	if (!nc || !hashmap__find(&nc->entries, (uintptr_t)&key, &v)) {
		if (nc)
			nc->st.misses++;
		return false;
	}
	nc->st.hits++;
	((struct nc_entry *)v)->used = nc->now;
	if (nc->head != (struct nc_entry *)v) {
		lru_unlink(nc, (struct nc_entry *)v);
		lru_push(nc, (struct nc_entry *)v);
	}
	fill((struct nc_entry *)v, ret);
	return true;
}

/* Interned copy of s into *dst (NULL stays NULL). -ENOMEM. */
static int intern(struct name_cache *nc, const char *s, bool is_name, const char **dst,
		  const char **display)
{
	const struct nc_str *p;

	*dst = NULL;
	if (display)
		*display = NULL;
	if (!s)
		return 0;
	p = str_get(nc, s, is_name);
	if (!p)
		return -ENOMEM;
	*dst = p->s;
	if (display)
		*display = p->display ? p->display : p->s;
	return 0;
}

int name_cache__add(struct name_cache *nc, uint64_t file, uint64_t vaddr, uint64_t sym_start,
		    uint64_t func_start, const struct sym_frame *frames, size_t nr,
		    struct name_entry *ret)
{
	struct nc_entry key = { .file = file, .vaddr = vaddr }, *e;
	size_t bytes = sizeof(*e) + nr * sizeof(e->f[0]), before;
	uintptr_t v;
	int err = 0;

	if (nr > UINT32_MAX)
		return -EINVAL;
	if (hashmap__find(&nc->entries, (uintptr_t)&key, &v))
		entry_remove(nc, (struct nc_entry *)v);
	e = calloc(1, bytes);
	if (!e)
		return -ENOMEM;
	*e = (struct nc_entry){ .file = file,
				.vaddr = vaddr,
				.used = nc->now,
				.sym_start = sym_start,
				.func_start = func_start,
				.bytes = (uint32_t)bytes };
	for (size_t i = 0; i < nr && !err; i++) {
		struct sym_frame *f = &e->f[i];

		*f = frames[i];
		e->nr = (uint32_t)i + 1; /* what entry_free must release, if this fails */
		f->name = f->file = f->decl_file = f->display = NULL;
		err = intern(nc, frames[i].name, true, &f->name, &f->display) ?:
		      intern(nc, frames[i].file, false, &f->file, NULL) ?:
		      intern(nc, frames[i].decl_file, false, &f->decl_file, NULL);
	}
	nc->st.bytes += bytes;
	if (err) {
		entry_free(nc, e);
		return err;
	}
	before = index_bytes(nc);
	if (hashmap__set(&nc->entries, (uintptr_t)e, (uintptr_t)e)) {
		entry_free(nc, e);
		return -ENOMEM;
	}
	lru_push(nc, e);
	nc->st.entries++;
	nc->st.added++;
	recount(nc, before);
	trim(nc, e);
	if (ret)
		fill(e, ret);
	return 0;
}

void name_cache__tick(struct name_cache *nc, uint64_t idle)
{
	nc->now++;
	/* LRU order: the tail is the least recently used */
	while (nc->tail && nc->tail->used + idle < nc->now) {
		entry_remove(nc, nc->tail);
		nc->st.expired++;
	}
}

void name_cache__set_budget(struct name_cache *nc, size_t budget)
{
	nc->budget = budget;
	trim(nc, NULL);
}

struct name_cache_stats name_cache__stats(const struct name_cache *nc)
{
	return nc ? nc->st : (struct name_cache_stats){ 0 };
}

void name_cache__free(struct name_cache *nc)
{
	if (!nc)
		return;
	while (nc->head) {
		struct nc_entry *e = nc->head;

		lru_unlink(nc, e);
		entry_free(nc, e);
	}
	hashmap__clear(&nc->entries);
	hashmap__clear(&nc->strs);
	free(nc);
}
