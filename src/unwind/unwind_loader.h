/* SPDX-License-Identifier: MIT */
/* Unwind tables for the BPF walker: one per binary, built from .eh_frame in a worker thread,
 * loaded under a table id into the "unwind_blocks" map (allocated as loaded), and shared
 * by every process that maps the file. Tables are keyed by file identity (device, inode, size,
 * mtime and ctime, from fstat: a build-id is the file's claim, not a proof, and any user can
 * forge one). A table whose last process exited stays cached, so the next process of the same
 * binary (the next compiler of a build) gets it at once; cached tables are evicted least
 * recently used, only when a new table needs the memory or a slot.
 *
 * Memory is bounded (--unwind-memory): a table over 5/8 of the bound is refused for good, a
 * process may use 3/4 of it, files owned by a user other than flamed's own may hold 3/4 in all,
 * and a table that does not fit once the cache is evicted is refused until memory is given back.
 * Every refusal is counted and told (unwind_loader__on_refused). A refused or not yet built table
 * means frame pointers for that binary's mappings; the walker counts the samples that met a
 * table still being built.
 *
 * Single-threaded API: the worker thread is internal and only builds. */
#ifndef FLAMED_UNWIND_LOADER_H
#define FLAMED_UNWIND_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "flamed.h"

struct unwind_loader;

#define UNWIND_MEMORY_DEFAULT (256ULL << 20) /* --unwind-memory: 256 MiB, or 1/8 of RAM if less */

/* An executable mapping of a process, as the caller resolved it. */
struct unwind_loader_mapping {
	uint64_t start; /* runtime [start, end) */
	uint64_t end;
	uint64_t load_bias; /* runtime address - ELF vaddr */
	int fd;		    /* the mapped file (borrowed; dup'ed for the build), or -1: frame
			     * pointers there */
	const char *name;   /* the file's path for reports (borrowed, may be NULL) */
};

/* Why a table was refused. */
enum unwind_refusal {
	UNWIND_REFUSED_BINARY, /* the table alone is over the per-binary cap */
	UNWIND_REFUSED_PROC,   /* the process's tables would be over the per-process cap */
	UNWIND_REFUSED_OWNER,  /* the file owner's tables would be over the per-owner cap */
	UNWIND_REFUSED_MEMORY, /* over --unwind-memory with every cached table evicted */
	UNWIND_REFUSED__MAX,
};

struct unwind_loader_stats {
	uint64_t tables_built;	 /* tables built and loaded (cold builds) */
	uint64_t cache_hits;	 /* mappings that found their binary's table built or building */
	uint64_t cached_reuses;	 /* of those, tables no process used any more (the cache) */
	uint64_t tables_evicted; /* cached tables given back for memory or slots */
	uint64_t tables_failed;	 /* binaries without usable CFI (not ELF, no .eh_frame, ...) */
	uint64_t tables_changed; /* files that changed while being read */
	uint64_t load_failed;	 /* tables the kernel would not take (map creation failed) */
	uint64_t deferred;	 /* builds not queued (queue full): tried again later */
	uint64_t pending_waits;	 /* process descriptions published with a table still building */
	uint64_t refused[UNWIND_REFUSED__MAX]; /* binaries refused, once per binary and reason */
	uint64_t bytes_used;		       /* kernel memory of the tables now */
	uint64_t bytes_peak;		       /* most at once */
	uint64_t bytes_bound;		       /* --unwind-memory */
	uint64_t tables_now;		       /* tables loaded now (cached ones included) */
	uint64_t build_ns;		       /* time the worker spent building */
	uint64_t build_max_ns;		       /* longest single build */
	uint64_t procs;			       /* process descriptions made */
	uint64_t mappings_capped; /* mappings beyond FLAMED_UNWIND_MAX_MAPPINGS (frame pointers) */
};

/* Where tables and descriptions go (src/bpf/sampler.c in flamed, fakes in tests). */
struct unwind_loader_ops {
	/* load nr 8-byte elements (flamed.h table layout) as table id; *ret_bytes: memory */
	int (*table_add)(void *ctx, uint32_t id, const void *elems, uint32_t nr, size_t *ret_bytes);
	void (*table_del)(void *ctx, uint32_t id, uint32_t nr);
	/* a description changed after a table the process waited for was loaded */
	int (*publish)(void *ctx, uint32_t tgid, const struct flamed_unwind_proc *p);
	void *ctx;
};

/* Told once per binary and reason when a table is refused: its name (borrowed, may be NULL),
 * its size in bytes (a lower bound for UNWIND_REFUSED_BINARY) and its file's owner. */
typedef void (*unwind_loader_refused_fn)(const char *name, enum unwind_refusal why, uint64_t bytes,
					 uint32_t uid, void *ctx);

/* New loader (starts its worker thread) with memory bound bytes (0 = UNWIND_MEMORY_DEFAULT).
 * ops is copied. NULL with errno. */
struct unwind_loader *unwind_loader__new(const struct unwind_loader_ops *ops, uint64_t bytes);

/* Call fn (may be NULL) on each refusal from now on. */
void unwind_loader__on_refused(struct unwind_loader *l, unwind_loader_refused_fn fn, void *ctx);

/* Fill *ret_proc for process tgid with the given mappings (any order): mappings of binaries with
 * a table get it, those whose table is building get FLAMED_UNWIND_TABLE_PENDING (and the process
 * is published again through ops->publish once it is loaded), others 0 (frame pointers). Tables
 * tgid's previous description used and this one does not are released to the cache.
 * remap_after_ns is kept in every description of the process. 0 or -ENOMEM. */
int unwind_loader__describe(struct unwind_loader *l, uint32_t tgid, uint64_t aspace,
			    const struct unwind_loader_mapping *maps, size_t nr,
			    uint64_t remap_after_ns, struct flamed_unwind_proc *ret_proc);

/* Process tgid is gone (the caller removed its BPF entry first): release its tables. */
void unwind_loader__forget(struct unwind_loader *l, uint32_t tgid);

/* Readable (epoll) when builds have finished: then call unwind_loader__poll. */
int unwind_loader__fd(const struct unwind_loader *l);

/* Load the finished builds and publish the processes waiting for them. Never blocks. Number of
 * tables finished, or -ENOMEM. */
int unwind_loader__poll(struct unwind_loader *l);

/* Wait until every queued build has finished, then poll (tests, and a final summary). */
int unwind_loader__wait(struct unwind_loader *l);

struct unwind_loader_stats unwind_loader__stats(const struct unwind_loader *l);

/* Static name of a refusal reason ("per-binary", "per-process", "per-owner", "memory"). */
const char *unwind_refusal_str(enum unwind_refusal why);

/* Encode a table's rows (sorted, the last a gap) in the BPF layout of flamed.h: page index then
 * rows. Returns a malloc'ed array of *ret_nr elements with *ret_pages index entries, or NULL
 * (ENOMEM, or E2BIG past 2^32 elements). */
uint64_t *unwind_loader_encode(const struct flamed_unwind_row *rows, size_t nr, uint32_t *ret_nr,
			       uint32_t *ret_pages);

/* NULL-safe. Stops the worker; tables in their slots are left as they are. */
void unwind_loader__free(struct unwind_loader *l);

#endif /* FLAMED_UNWIND_LOADER_H */
