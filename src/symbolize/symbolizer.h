/* SPDX-License-Identifier: MIT */
/* Address -> function name, for user addresses (through the mapped file's ELF symbols, and its
 * separate debug file under $FLAMED_DEBUG_DIR or /usr/lib/debug/.build-id/ when installed; where
 * no symbol covers an address, the start of its function from .eh_frame) and kernel addresses
 * (kallsyms). Segments and build-id come from the file's ELF object (proc_file__elf); symbol
 * tables are parsed on first lookup and cached by (dev, inode), so a library mapped by many
 * processes is parsed once; kallsyms is loaded on first use. */
#ifndef FLAMED_SYMBOLIZER_H
#define FLAMED_SYMBOLIZER_H

#include <stdint.h>

#include "proc/proc_table.h"

struct symbolizer;

struct symbolizer_stats {
	uint64_t user_lookups;
	uint64_t user_misses; /* no symbol nor function for a user address (or file unreadable) */
	uint64_t user_synthetic; /* no symbol, but a function start from .eh_frame (stripped) */
	uint64_t funcs_parsed;	 /* files whose .eh_frame function ranges were read */
	uint64_t kernel_lookups;
	uint64_t kernel_misses;
	uint64_t elf_parsed;   /* distinct files parsed */
	uint64_t elf_failed;   /* files that are not readable ELF */
	uint64_t debug_files;  /* separate debug files found by build-id */
	uint64_t elf_bytes;    /* memory of every symbol table parsed (cumulative) */
	uint64_t cache_hits;   /* lookups of a file whose tables were cached */
	uint64_t cache_misses; /* files parsed (again, after an eviction) */
	uint64_t evicted;      /* tables evicted to stay within the cache budget */
	uint64_t cache_bytes;  /* memory of the tables cached now */
	uint64_t cache_peak;   /* most ever cached at once */
};

/* Parsed symbol tables kept, least recently used evicted beyond it (a file parsed again later
 * costs a re-read; a daemon's memory stays bounded whatever the host runs). */
#define SYMBOLIZER_CACHE_BYTES (24u << 20)

/* New symbolizer. kallsyms_path NULL = "/proc/kallsyms". NULL with errno. */
struct symbolizer *symbolizer__new(const char *kallsyms_path);

struct sym_user {
	const char *name;     /* function, or NULL when unknown; borrowed until the next call (a
			       * later lookup may evict its file's tables) */
	uint64_t offset;      /* address - function start */
	const char *build_id; /* hex or NULL; borrowed */
	uint64_t vaddr;	      /* ELF virtual address of the lookup */
	uint64_t func_start;  /* name NULL: ELF address of the function around vaddr from its
			       * .eh_frame FDE (a stripped file), or 0 when unknown */
};

/* Resolve addr, which lies in mapping m of a process, with the file pinned in f (may be NULL).
 * Returns 0 when a symbol was found, -ENOENT when not (res->build_id and res->func_start may still
 * be set), -errno otherwise. */
int symbolizer__user(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
		     uint64_t addr, struct sym_user *res);

/* Build-id of the pinned file (hex, borrowed while f is) or NULL; from its ELF headers
 * (proc_file__elf), no symbol table read. */
const char *symbolizer__build_id(struct symbolizer *s, const struct proc_file *f);

/* Kernel symbol name for addr (borrowed) or NULL; *ret_module (may be NULL) gets the module name or
 * NULL for the core kernel. */
const char *symbolizer__kernel(struct symbolizer *s, uint64_t addr, const char **ret_module);

/* Error of the kallsyms load (0 if loaded or not tried yet). */
int symbolizer__kernel_error(const struct symbolizer *s);

/* Change the cache budget (tests), evicting at once what is over it. */
void symbolizer__set_cache_budget(struct symbolizer *s, size_t bytes);

struct symbolizer_stats symbolizer__stats(const struct symbolizer *s);

/* NULL-safe. */
void symbolizer__free(struct symbolizer *s);

#endif /* FLAMED_SYMBOLIZER_H */
