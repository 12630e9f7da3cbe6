/* SPDX-License-Identifier: MIT */
/* Loads unwind tables into the BPF walker's row array and describes each process's mappings to
 * it. A table is built once per binary (by build-id, else dev+inode: unwind_cache.h), copied into
 * a range of the row array, and shared by every process that maps the binary; the userspace copy
 * is dropped right after, so flamed's own memory stays small. Rows of a binary no process maps
 * any more are given back (after a grace period, see unwind_loader__tick). */
#ifndef FLAMED_UNWIND_LOADER_H
#define FLAMED_UNWIND_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "flamed.h"

struct unwind_loader;

/* An executable mapping of a process, as the caller resolved it. */
struct unwind_loader_mapping {
	uint64_t start; /* runtime [start, end) */
	uint64_t end;
	uint64_t load_bias;  /* runtime address - ELF vaddr */
	int fd;		     /* the mapped file (borrowed), or -1: frame pointers there */
	const void *file_id; /* stable identity of the file for this loader's life (e.g. its
			      * proc_file), or NULL */
};

struct unwind_loader_stats {
	uint64_t tables_loaded;	  /* binaries copied into the row array (reloads included) */
	uint64_t tables_freed;	  /* binaries whose rows were given back: no process maps them */
	uint64_t tables_shared;	  /* mappings that reused a loaded table */
	uint64_t tables_failed;	  /* binaries without usable CFI (not ELF, no .eh_frame, ...) */
	uint64_t rows_full;	  /* tables that did not fit the row array */
	uint64_t rows_used;	  /* rows in use now (freed rows in their grace period included) */
	uint64_t rows_peak;	  /* most rows in use at once */
	uint64_t rows_cap;	  /* size of the row array */
	uint64_t build_ns;	  /* time spent building tables */
	uint64_t procs;		  /* process descriptions made */
	uint64_t mappings_capped; /* mappings beyond FLAMED_UNWIND_MAX_MAPPINGS (frame pointers) */
};

/* New loader writing into rows[0, cap) (borrowed; the BPF map's mmap). NULL with errno. */
struct unwind_loader *unwind_loader__new(struct flamed_unwind_row *rows, uint32_t cap);

/* Fill *ret_proc for process tgid with the given mappings (any order), loading tables as needed;
 * tables tgid's previous description used and this one does not are released. Mappings whose
 * table cannot be had get row_count 0 (frame pointers). 0 or -ENOMEM. */
int unwind_loader__describe(struct unwind_loader *l, uint32_t tgid, uint64_t aspace,
			    const struct unwind_loader_mapping *maps, size_t nr,
			    struct flamed_unwind_proc *ret_proc);

/* Process tgid is gone (the caller removed its BPF entry first): release its tables. */
void unwind_loader__forget(struct unwind_loader *l, uint32_t tgid);

/* Rows released before the previous tick become reusable. Call periodically (the drain tick):
 * one period is the grace for BPF programs still reading rows of a process that exited. */
void unwind_loader__tick(struct unwind_loader *l);

struct unwind_loader_stats unwind_loader__stats(const struct unwind_loader *l);

/* NULL-safe. The row array is left as is. */
void unwind_loader__free(struct unwind_loader *l);

#endif /* FLAMED_UNWIND_LOADER_H */
