// SPDX-License-Identifier: MIT
/* Build-id keyed, reference-counted table cache with an LRU of unreferenced tables. The hash maps
 * have no delete, so evictions mark entries dead and rebuild the maps once per eviction pass. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unwind/unwind_cache.h"
#include "util/hashmap.h"

struct cache_entry {
	struct unwind_cache_key key;
	struct unwind_table *table;
	size_t bytes;
	unsigned int refs;
	bool dead;		  /* evicted; freed at the next successful reindex */
	struct cache_entry *prev; /* unreferenced LRU list, oldest at head */
	struct cache_entry *next;
	struct cache_entry *all_next; /* every entry, live or dead */
};

struct unwind_cache {
	struct hashmap by_key;	 /* struct unwind_cache_key * -> entry */
	struct hashmap by_table; /* struct unwind_table * -> entry */
	struct cache_entry *all;
	struct cache_entry *lru_head, *lru_tail;
	bool stale; /* a reindex failed: maps may hold dead entries, fall back to scanning */
	const struct unwind_table_opts *table_opts;
	struct unwind_cache_stats stats;
	size_t max_unused_bytes;
};

static bool key_has_bid(const struct unwind_cache_key *k)
{
	return k->build_id_len > 0 && k->build_id_len <= UNWIND_BUILD_ID_MAX;
}

static uint64_t key_hash(uintptr_t key, void *ctx)
{
	const struct unwind_cache_key *k = (const struct unwind_cache_key *)key;
	uint64_t file[4];

	(void)ctx;
	if (key_has_bid(k))
		return hash_bytes(k->build_id, k->build_id_len, 1);
	file[0] = k->dev;
	file[1] = k->ino;
	file[2] = k->size;
	file[3] = (uint64_t)k->mtime_ns;
	return hash_bytes(file, sizeof(file), 2);
}

static bool key_equal(uintptr_t pa, uintptr_t pb, void *ctx)
{
	const struct unwind_cache_key *a = (const void *)pa, *b = (const void *)pb;

	(void)ctx;
	if (key_has_bid(a) != key_has_bid(b))
		return false;
	if (key_has_bid(a))
		return a->build_id_len == b->build_id_len &&
		       !memcmp(a->build_id, b->build_id, a->build_id_len);
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}

struct unwind_cache *unwind_cache__new(const struct unwind_cache_opts *opts)
{
	struct unwind_cache *c = calloc(1, sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&c->by_key, key_hash, key_equal, NULL);
	hashmap__init(&c->by_table, hashmap_hash_int, hashmap_equal_int, NULL);
	c->stats.max_bytes = UNWIND_CACHE_DEFAULT_BYTES;
	if (opts && opts->sz >= sizeof(*opts)) {
		if (opts->max_bytes)
			c->stats.max_bytes = opts->max_bytes;
		c->max_unused_bytes = opts->max_unused_bytes;
		c->table_opts = opts->table_opts;
	}
	return c;
}

int unwind_cache_key_from_fd(int fd, struct unwind_cache_key *ret_key)
{
	uint8_t bid[UNWIND_BUILD_ID_MAX];
	struct stat st;
	int len;

	if (fstat(fd, &st))
		return -errno;
	len = unwind_elf_build_id(fd, bid);
	if (len < 0)
		return len;
	/* zeroed in place, not assigned, so padding-free byte comparison holds */
	memset(ret_key, 0, sizeof(*ret_key));
	memcpy(ret_key->build_id, bid, (size_t)len);
	ret_key->build_id_len = (uint32_t)len;
	ret_key->dev = st.st_dev;
	ret_key->ino = st.st_ino;
	ret_key->size = (uint64_t)st.st_size;
	ret_key->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

static void lru_unlink(struct unwind_cache *c, struct cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = NULL;
	c->stats.unused_tables--;
	c->stats.unused_bytes -= e->bytes;
}

static void lru_append(struct unwind_cache *c, struct cache_entry *e)
{
	e->next = NULL;
	e->prev = c->lru_tail;
	if (c->lru_tail)
		c->lru_tail->next = e;
	else
		c->lru_head = e;
	c->lru_tail = e;
	c->stats.unused_tables++;
	c->stats.unused_bytes += e->bytes;
}

/* Rebuild both maps from the live entries, then free the dead ones. On -ENOMEM the old maps stay
 * (with dead entries in them) and lookups scan the list instead. */
static int reindex(struct unwind_cache *c)
{
	struct hashmap by_key, by_table;
	struct cache_entry **pp;

	hashmap__init(&by_key, key_hash, key_equal, NULL);
	hashmap__init(&by_table, hashmap_hash_int, hashmap_equal_int, NULL);
	for (struct cache_entry *e = c->all; e; e = e->all_next) {
		if (e->dead)
			continue;
		if (hashmap__set(&by_key, (uintptr_t)&e->key, (uintptr_t)e) ||
		    hashmap__set(&by_table, (uintptr_t)e->table, (uintptr_t)e)) {
			hashmap__clear(&by_key);
			hashmap__clear(&by_table);
			c->stale = true;
			return -ENOMEM;
		}
	}
	hashmap__clear(&c->by_key);
	hashmap__clear(&c->by_table);
	c->by_key = by_key;
	c->by_table = by_table;
	c->stale = false;
	for (pp = &c->all; *pp;) {
		struct cache_entry *e = *pp;

		if (e->dead) {
			*pp = e->all_next;
			free(e);
		} else {
			pp = &e->all_next;
		}
	}
	return 0;
}

/* Free unreferenced tables, oldest first, until `extra` more bytes fit in the budget and the
 * unreferenced ones are within max_unused_bytes. */
static void evict(struct unwind_cache *c, size_t extra)
{
	bool any = false;

	while (c->lru_head && (c->stats.bytes + extra > c->stats.max_bytes ||
			       c->stats.unused_bytes > c->max_unused_bytes)) {
		struct cache_entry *e = c->lru_head;

		lru_unlink(c, e);
		c->stats.bytes -= e->bytes;
		c->stats.tables--;
		c->stats.evictions++;
		unwind_table__free(e->table);
		e->table = NULL;
		e->dead = true;
		any = true;
	}
	if (any)
		(void)reindex(c); /* on failure the scans below still find live entries */
}

static struct cache_entry *find_key(const struct unwind_cache *c, const struct unwind_cache_key *k)
{
	uintptr_t v;

	if (!c->stale) {
		return hashmap__find(&c->by_key, (uintptr_t)k, &v) ? (struct cache_entry *)v : NULL;
	}
	for (struct cache_entry *e = c->all; e; e = e->all_next) {
		if (!e->dead && key_equal((uintptr_t)&e->key, (uintptr_t)k, NULL))
			return e;
	}
	return NULL;
}

static struct cache_entry *find_table(const struct unwind_cache *c, const struct unwind_table *t)
{
	uintptr_t v;

	if (!c->stale) {
		return hashmap__find(&c->by_table, (uintptr_t)t, &v) ? (struct cache_entry *)v
								     : NULL;
	}
	for (struct cache_entry *e = c->all; e; e = e->all_next) {
		if (!e->dead && e->table == t)
			return e;
	}
	return NULL;
}

int unwind_cache__get(struct unwind_cache *c, const struct unwind_cache_key *key, int fd,
		      const struct unwind_table **ret_table)
{
	struct unwind_cache_key local;
	struct cache_entry *e = NULL;
	struct unwind_table *t = NULL;
	size_t bytes;
	int err;

	if (!c || !ret_table)
		return -EINVAL;
	if (!key) {
		if (fd < 0)
			return -EINVAL;
		err = unwind_cache_key_from_fd(fd, &local);
		if (err)
			return err;
		key = &local;
	}
	e = find_key(c, key);
	if (e) {
		c->stats.hits++;
		if (e->refs++ == 0)
			lru_unlink(c, e);
		*ret_table = e->table;
		return 0;
	}
	c->stats.misses++;
	if (fd < 0)
		return -ENOENT;

	t = unwind_table__build_fd(fd, c->table_opts);
	if (!t) {
		c->stats.build_errors++;
		return errno ? -errno : -EINVAL;
	}
	bytes = unwind_table__mem_bytes(t) + sizeof(*e);
	/* referenced tables cannot be evicted: refuse before evicting anything in vain */
	if (c->stats.bytes - c->stats.unused_bytes + bytes > c->stats.max_bytes) {
		c->stats.rejected++;
		err = -ENOSPC;
		goto cleanup;
	}
	evict(c, bytes);
	e = calloc(1, sizeof(*e));
	if (!e) {
		err = -ENOMEM;
		goto cleanup;
	}
	e->key = *key;
	e->table = t;
	e->bytes = bytes;
	e->refs = 1;
	if (!c->stale && (hashmap__set(&c->by_key, (uintptr_t)&e->key, (uintptr_t)e) ||
			  hashmap__set(&c->by_table, (uintptr_t)t, (uintptr_t)e))) {
		/* the first set may have succeeded: rebuild without this entry */
		e->dead = true;
		e->table = NULL;
		e->all_next = c->all;
		c->all = e;
		(void)reindex(c);
		err = -ENOMEM;
		goto cleanup;
	}
	e->all_next = c->all;
	c->all = e;
	c->stats.bytes += bytes;
	c->stats.tables++;
	*ret_table = t;
	return 0;

cleanup:
	unwind_table__free(t);
	return err;
}

int unwind_cache__put(struct unwind_cache *c, const struct unwind_table *t)
{
	struct cache_entry *e;

	if (!c || !t)
		return -ENOENT;
	e = find_table(c, t);
	if (!e || !e->refs)
		return -ENOENT;
	if (--e->refs == 0) {
		lru_append(c, e);
		evict(c, 0);
	}
	return 0;
}

void unwind_cache__stats(const struct unwind_cache *c, struct unwind_cache_stats *ret_stats)
{
	*ret_stats = c->stats;
}

void unwind_cache__free(struct unwind_cache *c)
{
	struct cache_entry *e, *next;

	if (!c)
		return;
	for (e = c->all; e; e = next) {
		next = e->all_next;
		unwind_table__free(e->table);
		free(e);
	}
	hashmap__clear(&c->by_key);
	hashmap__clear(&c->by_table);
	free(c);
}
