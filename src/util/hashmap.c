// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

void hashmap__init(struct hashmap *map, hashmap_hash_fn hash_fn, hashmap_equal_fn equal_fn,
		   void *ctx)
{
	*map = (struct hashmap){ .hash_fn = hash_fn, .equal_fn = equal_fn, .ctx = ctx };
}

static uint64_t entry_hash(const struct hashmap *map, uintptr_t key)
{
	uint64_t h = map->hash_fn(key, map->ctx);

	return h ? h : 1; /* 0 marks an empty slot */
}

static struct hashmap_entry *lookup_slot(const struct hashmap *map, uintptr_t key, uint64_t h)
{
	size_t mask = map->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hashmap_entry *e = &map->slots[i];

		if (!e->hash || (e->hash == h && map->equal_fn(e->key, key, map->ctx)))
			return e;
	}
}

bool hashmap__find(const struct hashmap *map, uintptr_t key, uintptr_t *ret_value)
{
	struct hashmap_entry *e;

	if (!map->cap)
		return false;
	e = lookup_slot(map, key, entry_hash(map, key));
	if (!e->hash)
		return false;
	if (ret_value)
		*ret_value = e->value;
	return true;
}

static int grow(struct hashmap *map)
{
	size_t new_cap = map->cap ? map->cap * 2 : 16;
	struct hashmap old = *map;

	if (new_cap < map->cap)
		return -ENOMEM;
	map->slots = calloc(new_cap, sizeof(*map->slots));
	if (!map->slots) {
		map->slots = old.slots;
		return -ENOMEM;
	}
	map->cap = new_cap;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.slots[i].hash)
			*lookup_slot(map, old.slots[i].key, old.slots[i].hash) = old.slots[i];
	}
	free(old.slots);
	return 0;
}

int hashmap__set(struct hashmap *map, uintptr_t key, uintptr_t value)
{
	struct hashmap_entry *e;
	uint64_t h = entry_hash(map, key);
	int err;

	/* keep the load factor under 3/4 so probe chains stay short */
	if ((map->len + 1) * 4 > map->cap * 3) {
		err = grow(map);
		if (err)
			return err;
	}
	e = lookup_slot(map, key, h);
	if (!e->hash)
		map->len++;
	*e = (struct hashmap_entry){ .key = key, .value = value, .hash = h };
	return 0;
}

bool hashmap__delete(struct hashmap *map, uintptr_t key, uintptr_t *ret_value)
{
	size_t mask, hole, j;
	struct hashmap_entry *e;

	if (!map->cap)
		return false;
	e = lookup_slot(map, key, entry_hash(map, key));
	if (!e->hash)
		return false;
	if (ret_value)
		*ret_value = e->value;
	/* backward-shift deletion for linear probing: move each later entry of the run whose home
	 * slot is not between the hole and itself into the hole, so every probe chain stays whole */
	mask = map->cap - 1;
	hole = (size_t)(e - map->slots);
	for (j = (hole + 1) & mask; map->slots[j].hash; j = (j + 1) & mask) {
		size_t home = map->slots[j].hash & mask;
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);

		if (!stays) {
			map->slots[hole] = map->slots[j];
			hole = j;
		}
	}
	map->slots[hole] = (struct hashmap_entry){ 0 };
	map->len--;
	return true;
}

void hashmap__clear(struct hashmap *map)
{
	if (!map)
		return;
	free(map->slots);
	map->slots = NULL;
	map->cap = 0;
	map->len = 0;
}

/* 64-bit FNV-1a over 8-byte words would be faster, but this runs on short keys off the hot path;
 * a byte loop with a strong final mix is simple and distributes well. */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return hash_u64(h);
}

uint64_t hash_u64(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t hashmap_hash_str(uintptr_t key, void *ctx)
{
	const char *s = (const char *)key;

	(void)ctx;
	return hash_bytes(s, strlen(s), 0);
}

bool hashmap_equal_str(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return strcmp((const char *)a, (const char *)b) == 0;
}

uint64_t hashmap_hash_int(uintptr_t key, void *ctx)
{
	(void)ctx;
	return hash_u64(key);
}

bool hashmap_equal_int(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return a == b;
}
