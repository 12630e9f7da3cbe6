/* SPDX-License-Identifier: MIT */
/* Open-addressing hash map from uintptr_t keys to uintptr_t values (pointers or integers).
 * Hashing and equality come from the caller, so keys can be integers, strings or structs. */
#ifndef FLAMED_HASHMAP_H
#define FLAMED_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t (*hashmap_hash_fn)(uintptr_t key, void *ctx);
typedef bool (*hashmap_equal_fn)(uintptr_t a, uintptr_t b, void *ctx);

struct hashmap_entry {
	uintptr_t key;
	uintptr_t value;
	uint64_t hash; /* 0 = empty slot */
};

struct hashmap {
	hashmap_hash_fn hash_fn;
	hashmap_equal_fn equal_fn;
	void *ctx;
	struct hashmap_entry *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
};

/* Initialise an empty map in place (no allocation until the first insert). */
void hashmap__init(struct hashmap *map, hashmap_hash_fn hash_fn, hashmap_equal_fn equal_fn,
		   void *ctx);

/* Look key up; on hit stores the value in *ret_value (may be NULL) and returns true. */
bool hashmap__find(const struct hashmap *map, uintptr_t key, uintptr_t *ret_value);

/* Insert or replace. The map stores key and value as given (it does not copy what they point
 * to). Returns 0 or -ENOMEM. */
int hashmap__set(struct hashmap *map, uintptr_t key, uintptr_t value);

/* Free the slot array; keys and values are the caller's. NULL-safe; the map can be reused. */
void hashmap__clear(struct hashmap *map);

/* Iterate: for (size_t i = 0; i < map->cap; i++) if (map->slots[i].hash) ... */
#define hashmap__for_each(map, e)                                \
	for (struct hashmap_entry *e = (map)->slots;             \
	     (map)->slots && e < (map)->slots + (map)->cap; e++) \
		if (e->hash)

/* Remove key; *ret_value (may be NULL) gets its value. True if it was there. Entries move (no
 * tombstones), so never delete while iterating with hashmap__for_each. */
bool hashmap__delete(struct hashmap *map, uintptr_t key, uintptr_t *ret_value);

/* Common hash and equality callbacks. */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
uint64_t hash_u64(uint64_t x);
uint64_t hashmap_hash_str(uintptr_t key, void *ctx); /* key is a NUL-terminated string */
bool hashmap_equal_str(uintptr_t a, uintptr_t b, void *ctx);
uint64_t hashmap_hash_int(uintptr_t key, void *ctx); /* key is the integer itself */
bool hashmap_equal_int(uintptr_t a, uintptr_t b, void *ctx);

#endif /* FLAMED_HASHMAP_H */
