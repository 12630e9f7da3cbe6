/* SPDX-License-Identifier: MIT */
/* Loads unwind tables into the BPF walker's row array and describes each process's mappings to
 * it. A table is built once per file, copied into a range of the row array, and shared by every
 * process that maps the file; other files share it only when their rows are identical (compared
 * row by row: a build-id is the file's claim, not a proof), so copies in other containers share
 * and a forged build-id cannot lend its rows to another binary. The userspace copy is dropped
 * right after, so flamed's own memory stays small. Rows of a binary no process maps any more are
 * given back (after a grace period, see unwind_loader__tick).
 *
 * The row array is shared by every process, so rows are rationed: a binary whose table exceeds
 * the per-binary cap is refused for good, a process may use at most the per-process cap, and
 * files owned by a user other than flamed's own may hold at most the per-owner cap in all (see
 * unwind_loader.c for the numbers). A refused table means frame pointers for the mappings of
 * that binary only. */
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

/* Why a table was refused (the rows budget, not the file). */
enum unwind_refusal {
	UNWIND_REFUSED_BINARY, /* the table alone is over the per-binary cap */
	UNWIND_REFUSED_PROC,   /* the process's tables would be over the per-process cap */
	UNWIND_REFUSED_OWNER,  /* the file owner's tables would be over the per-owner cap */
	UNWIND_REFUSED__MAX,
};

struct unwind_loader_stats {
	uint64_t tables_loaded;	 /* binaries copied into the row array (reloads included) */
	uint64_t tables_freed;	 /* binaries whose rows were given back: no process maps them */
	uint64_t tables_shared;	 /* mappings that reused a loaded table */
	uint64_t tables_failed;	 /* binaries without usable CFI (not ELF, no .eh_frame, ...) */
	uint64_t tables_changed; /* files that changed (were truncated) while being read */
	uint64_t rows_full;	 /* tables that did not fit the row array */
	uint64_t refused[UNWIND_REFUSED__MAX]; /* binaries refused over a cap, once per reason */
	uint64_t rows_used;		       /* rows in use now (freed rows in grace included) */
	uint64_t rows_peak;		       /* most rows in use at once */
	uint64_t rows_cap;		       /* size of the row array */
	uint64_t cap_binary;		       /* the caps, in rows */
	uint64_t cap_proc;
	uint64_t cap_owner;
	uint64_t build_ns;	  /* time spent building tables */
	uint64_t procs;		  /* process descriptions made */
	uint64_t mappings_capped; /* mappings beyond FLAMED_UNWIND_MAX_MAPPINGS (frame pointers) */
};

/* Told once per binary and reason when a table is refused (m is the mapping that asked, rows the
 * table's size, uid the file's owner). Borrowed arguments, valid during the call. */
typedef void (*unwind_loader_refused_fn)(const struct unwind_loader_mapping *m,
					 enum unwind_refusal why, uint64_t rows, uint32_t uid,
					 void *ctx);

/* New loader writing into rows[0, cap) (borrowed; the BPF map's mmap). The caps are fractions
 * of cap. NULL with errno. */
struct unwind_loader *unwind_loader__new(struct flamed_unwind_row *rows, uint32_t cap);

/* Call fn (may be NULL) on each refusal from now on. */
void unwind_loader__on_refused(struct unwind_loader *l, unwind_loader_refused_fn fn, void *ctx);

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

/* Static name of a refusal reason ("binary", "process", "owner"). */
const char *unwind_refusal_str(enum unwind_refusal why);

/* NULL-safe. The row array is left as is. */
void unwind_loader__free(struct unwind_loader *l);

#endif /* FLAMED_UNWIND_LOADER_H */
