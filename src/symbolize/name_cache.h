/* SPDX-License-Identifier: MIT */
/* Names already paid for: (file, ELF address) -> the address's frames, as the symbolizer answered
 * them, kept across windows and processes within a byte budget (least recently used dropped
 * beyond it, and those not asked for in a while). A file is a number the caller gives each file identity (a file replaced gets a new
 * one, so its old names are never answered again). Strings are interned once for every entry
 * that uses them (reference counted), each name with its demangled form. */
#ifndef FLAMED_NAME_CACHE_H
#define FLAMED_NAME_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/symbolizer.h"

struct name_cache;

/* One address's answer. */
struct name_entry {
	uint64_t sym_start;  /* start of the ELF symbol naming it (sym_user.offset), 0 none */
	uint64_t func_start; /* no name: its function's start from .eh_frame, or 0 */
	size_t nr;	     /* frames (0: no name) */
	const struct sym_frame *frames; /* borrowed until the next change to the cache */
};

struct name_cache_stats {
	uint64_t hits, misses; /* finds */
	uint64_t added, evicted;
	uint64_t expired; /* dropped for not being asked for idle ticks */
	uint64_t entries, strings;
	uint64_t bytes, peak_bytes;
};

/* New cache holding at most budget bytes (entries, strings, index). NULL on ENOMEM. */
struct name_cache *name_cache__new(size_t budget);

/* The answer for (file, vaddr): true and *ret filled (the entry becomes the most recently used). */
bool name_cache__find(struct name_cache *nc, uint64_t file, uint64_t vaddr, struct name_entry *ret);

/* Remember frames[0..nr) (strings copied; each name's demangled form computed once, in
 * sym_frame.display) with sym_start and func_start for (file, vaddr), replacing what was there;
 * *ret (may be NULL) gets the stored answer, whose strings live in the cache. Evicts the least
 * recently used entries beyond the budget (never the one just added). 0 or -ENOMEM. */
int name_cache__add(struct name_cache *nc, uint64_t file, uint64_t vaddr, uint64_t sym_start,
		    uint64_t func_start, const struct sym_frame *frames, size_t nr,
		    struct name_entry *ret);

/* One more tick (a build): answers not asked for in the last idle ticks are dropped (a
 * long-lived cache holds what the host runs now, not everything it ever ran). */
void name_cache__tick(struct name_cache *nc, uint64_t idle);

/* Change the budget (evicting at once what is over). */
void name_cache__set_budget(struct name_cache *nc, size_t budget);

struct name_cache_stats name_cache__stats(const struct name_cache *nc);

/* NULL-safe. */
void name_cache__free(struct name_cache *nc);

#endif /* FLAMED_NAME_CACHE_H */
