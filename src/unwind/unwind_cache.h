/* SPDX-License-Identifier: MIT */
/* Unwind tables shared between processes: one table per binary, keyed by GNU build-id (or, for
 * files without one, device + inode + size + mtime), reference-counted, under a byte budget.
 * Unreferenced tables are kept up to max_unused_bytes for the next process that maps the same
 * file, oldest evicted first. Single-threaded (the daemon's loop); no locking. */
#ifndef FLAMED_UNWIND_CACHE_H
#define FLAMED_UNWIND_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "unwind/unwind_table.h"

#define UNWIND_CACHE_DEFAULT_BYTES (16u << 20)

/* Unused build_id bytes and reserved are zero (unwind_cache_key_from_fd zeroes the whole key). */
struct unwind_cache_key {
	uint8_t build_id[UNWIND_BUILD_ID_MAX];
	uint32_t build_id_len; /* 0: the file fields identify the binary */
	uint32_t reserved; /* 0: no implicit padding, so keys can be hashed and compared whole */
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
	int64_t mtime_ns;
};

_Static_assert(sizeof(struct unwind_cache_key) == UNWIND_BUILD_ID_MAX + 2 * 4 + 4 * 8,
	       "unwind_cache_key must have no implicit padding");

struct unwind_cache_opts {
	size_t sz;		 /* sizeof(struct unwind_cache_opts) */
	size_t max_bytes;	 /* budget for all tables; 0 = UNWIND_CACHE_DEFAULT_BYTES */
	size_t max_unused_bytes; /* unreferenced tables kept for reuse; 0 = free at the last put */
	const struct unwind_table_opts *table_opts; /* borrowed for the cache's lifetime */
};

struct unwind_cache_stats {
	uint64_t hits;		/* get found the table */
	uint64_t misses;	/* get had to build (or could not: fd < 0) */
	uint64_t evictions;	/* unreferenced tables freed */
	uint64_t rejected;	/* builds refused: over budget even after evicting */
	uint64_t build_errors;	/* builds that failed (not ELF, ...) */
	uint64_t tables;	/* tables held now */
	uint64_t bytes;		/* bytes held now (tables + bookkeeping) */
	uint64_t unused_tables; /* of which unreferenced */
	uint64_t unused_bytes;
	uint64_t max_bytes; /* the budget */
};

struct unwind_cache;

/* New empty cache (opts may be NULL). Returns NULL with errno ENOMEM. */
struct unwind_cache *unwind_cache__new(const struct unwind_cache_opts *opts);

/* Fill *ret_key for the ELF open on fd (fstat + build-id note). Returns 0 or a negative errno
 * (-ENOEXEC: not ELF). */
int unwind_cache_key_from_fd(int fd, struct unwind_cache_key *ret_key);

/* Take a reference to the table of key (computed from fd when key is NULL), building it from fd
 * on a miss (fd stays the caller's). With fd < 0 only looks up (-ENOENT on a miss). The table is
 * borrowed until the matching unwind_cache__put. Returns 0, -ENOSPC (over budget), or the build's
 * error (-ENOEXEC, -ENOTSUP, -ENOMEM, ...). */
int unwind_cache__get(struct unwind_cache *c, const struct unwind_cache_key *key, int fd,
		      const struct unwind_table **ret_table);

/* Drop one reference taken by unwind_cache__get. Returns 0 or -ENOENT (not from this cache). */
int unwind_cache__put(struct unwind_cache *c, const struct unwind_table *t);

/* Counters and current sizes. */
void unwind_cache__stats(const struct unwind_cache *c, struct unwind_cache_stats *ret_stats);

/* Free the cache and every table in it (references still held become invalid). NULL-safe. */
void unwind_cache__free(struct unwind_cache *c);

#endif /* FLAMED_UNWIND_CACHE_H */
