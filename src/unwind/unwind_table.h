/* SPDX-License-Identifier: MIT */
/* Compact x86_64 unwind tables built from an ELF file's .eh_frame and .debug_frame, for the BPF
 * stack walker: one fixed-size row per address range says how to find the CFA, the return
 * address (always CFA-8) and the caller's rbp. Parses outside input: malformed files give an
 * error or "unsupported" rows, never a crash (fuzzed). Not thread-safe; objects are immutable
 * after build, so concurrent readers are fine. */
#ifndef FLAMED_UNWIND_TABLE_H
#define FLAMED_UNWIND_TABLE_H

#include "elf/elf_file.h"
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "flamed.h"

/* How to compute the CFA (row kinds & 0x0f). Offsets are in units of UNWIND_OFF_SCALE bytes. The
 * values are the BPF walker's (bpf/flamed.h): one list for both sides. */
enum unwind_cfa_kind {
	UNWIND_CFA_NONE = FLAMED_CFA_NONE, /* gap: no FDE covers these addresses ("no row") */
	UNWIND_CFA_RSP = FLAMED_CFA_RSP,   /* CFA = rsp + cfa_off */
	UNWIND_CFA_RBP = FLAMED_CFA_RBP,   /* CFA = rbp + cfa_off */
	UNWIND_CFA_PLT = FLAMED_CFA_PLT, /* CFA = rsp + cfa_off + ((rip & 15) >= rbp_off ? 8 : 0) */
	UNWIND_CFA_DEREF_RBP = FLAMED_CFA_DEREF_RBP, /* CFA = *(u64 *)(rbp + cfa_off): DRAP */
	UNWIND_CFA_END = FLAMED_CFA_END, /* outermost frame (return address undefined): stop */
	/* cannot unwind here; cfa_off holds an enum unwind_unsupported */
	UNWIND_CFA_UNSUPPORTED = FLAMED_CFA_UNSUPPORTED,
};

/* Where the caller's rbp is (row kinds >> 4). */
enum unwind_rbp_kind {
	UNWIND_RBP_UNCHANGED = FLAMED_RBP_UNCHANGED, /* caller's rbp == this frame's rbp */
	UNWIND_RBP_AT_CFA = FLAMED_RBP_AT_CFA,	     /* saved at CFA + rbp_off */
	UNWIND_RBP_AT_RBP = FLAMED_RBP_AT_RBP,	     /* saved at rbp + rbp_off (DRAP frames) */
	UNWIND_RBP_UNDEFINED = FLAMED_RBP_UNDEFINED, /* caller's rbp unknown (DW_CFA_undefined) */
	/* caller's rbp unknown (in a register, expression, bad offset) */
	UNWIND_RBP_UNSUPPORTED = FLAMED_RBP_UNSUPPORTED,
};

/* Why a row is UNWIND_CFA_UNSUPPORTED (stored in its cfa_off). */
enum unwind_unsupported {
	UNWIND_UNSUP_CFA_REG = 1, /* CFA based on a register other than rsp/rbp */
	UNWIND_UNSUP_CFA_EXPR,	  /* DW_CFA_def_cfa_expression other than the PLT and DRAP forms */
	UNWIND_UNSUP_RA_RULE,	  /* return address not saved at CFA-8 */
	UNWIND_UNSUP_RA_COLUMN,	  /* CIE return-address register is not 16 (rip) */
	UNWIND_UNSUP_SIGNAL,	  /* signal trampoline (CIE augmentation "S"): rt_sigframe layout */
	UNWIND_UNSUP_OFFSET,	  /* CFA offset not a multiple of 8 or beyond +-256 KiB */
	UNWIND_UNSUP_BAD_CFI, /* unknown opcode or malformed instructions from here to FDE end */
	UNWIND_UNSUP__MAX,
};

#define UNWIND_OFF_SCALE 8 /* cfa_off and rbp_off are multiples of 8 bytes */

/* One row: valid from pc to the next row's pc. 8 bytes, fixed-width fields only, so the array
 * can be copied as is into a BPF map. */
struct unwind_row {
	uint32_t pc;	 /* first address covered, minus unwind_table__base() */
	int16_t cfa_off; /* CFA offset / 8; reason for UNSUPPORTED rows; 0 for NONE/END */
	uint8_t kinds;	 /* enum unwind_cfa_kind | enum unwind_rbp_kind << 4 */
	int8_t rbp_off;	 /* saved-rbp offset / 8 (AT_CFA, AT_RBP); PLT rows: the rip&15 threshold */
};

_Static_assert(sizeof(struct unwind_row) == 8, "unwind_row is shared with BPF: keep it 8 bytes");

static inline unsigned int unwind_row_cfa_kind(const struct unwind_row *r)
{
	return r->kinds & 0x0f;
}

static inline unsigned int unwind_row_rbp_kind(const struct unwind_row *r)
{
	return r->kinds >> 4;
}

/* Offsets in bytes. */
static inline int64_t unwind_row_cfa_offset(const struct unwind_row *r)
{
	return (int64_t)r->cfa_off * UNWIND_OFF_SCALE;
}

static inline int64_t unwind_row_rbp_offset(const struct unwind_row *r)
{
	return (int64_t)r->rbp_off * UNWIND_OFF_SCALE;
}

struct unwind_table_opts {
	size_t max_bytes;     /* refuse (E2BIG) tables larger than this; 0 = no limit */
	int skip_debug_frame; /* ignore .debug_frame */
};

struct unwind_table_stats {
	uint64_t cies;		   /* CIEs parsed */
	uint64_t fdes_eh_frame;	   /* FDEs found in .eh_frame */
	uint64_t fdes_debug_frame; /* FDEs found in .debug_frame */
	uint64_t fdes_used;	   /* FDEs that produced rows */
	uint64_t fdes_bad;	 /* FDEs skipped: bad CIE or header, indirect or out-of-range pc */
	uint64_t fdes_empty;	 /* FDEs with an empty address range */
	uint64_t fdes_duplicate; /* .debug_frame FDEs whose range .eh_frame already covers */
	uint64_t fdes_overlap;	 /* FDEs starting inside an earlier one (which is cut there) */
	uint64_t rows_raw;	 /* rows as interpreted, before merging (gap rows excluded) */
	uint64_t rows;		 /* rows in the table, gap rows included */
	uint64_t gap_rows;	 /* UNWIND_CFA_NONE rows in the table */
	uint64_t unsupported[UNWIND_UNSUP__MAX]; /* raw rows by reason (index 0 unused) */
	uint64_t rbp_unsupported;		 /* raw rows with UNWIND_RBP_UNSUPPORTED */
	uint64_t plt_rows;			 /* raw rows of kind UNWIND_CFA_PLT */
	uint64_t end_rows;			 /* raw rows of kind UNWIND_CFA_END */
};

#define UNWIND_BUILD_ID_MAX ELF_BUILD_ID_MAX /* the note is read by elf/elf_file.h */

struct unwind_table;

/* Build the table of the ELF file open on fd (owned by the caller; may be closed afterwards:
 * nothing refers to it). The file is read with pread, never mapped: whoever owns it may truncate
 * it meanwhile. An ELF without CFI gives an empty table. Returns a new table or NULL with errno:
 * ENOEXEC (not ELF or malformed headers), ENOTSUP (not x86_64 ELF64 little-endian), E2BIG (over
 * opts->max_bytes, or a CFI section over 64 MiB), EIO (the file changed size or mtime while
 * read), ENOMEM. opts may be NULL. */
struct unwind_table *unwind_table__build_fd(int fd, const struct unwind_table_opts *opts);

/* Same from an ELF image in memory (the buffer may be freed afterwards); no EIO. */
struct unwind_table *unwind_table__build_mem(const void *buf, size_t len,
					     const struct unwind_table_opts *opts);

/* Convenience: open(path) + unwind_table__build_fd. */
struct unwind_table *unwind_table__build_path(const char *path,
					      const struct unwind_table_opts *opts);

/* Build from raw CFI section bytes (fuzzing, tests, CFI that a JIT registers): .eh_frame located
 * at eh_vaddr and/or .debug_frame; rows are relative to base. Either may be NULL/0. Buffers are
 * only read during the call. NULL with errno (ENOMEM, E2BIG) on failure. */
struct unwind_table *unwind_table__build_cfi(const void *eh_frame, size_t eh_len, uint64_t eh_vaddr,
					     const void *debug_frame, size_t debug_len,
					     uint64_t base, const struct unwind_table_opts *opts);

/* Row for ELF virtual address vaddr (file address, i.e. runtime pc minus load bias). Copies it to
 * *ret_row (may be NULL). Returns 0, or -ENOENT when no FDE covers vaddr (gap row or outside). */
int unwind_table__lookup(const struct unwind_table *t, uint64_t vaddr, struct unwind_row *ret_row);

/* Index of the row covering vaddr (gap rows included), or -ENOENT. */
long unwind_table__find(const struct unwind_table *t, uint64_t vaddr);

/* The rows, sorted by pc, adjacent rows never identical, the last one a gap. Borrowed. */
const struct unwind_row *unwind_table__rows(const struct unwind_table *t);
size_t unwind_table__nr(const struct unwind_table *t);

/* ELF vaddr that row pcs are relative to: the lowest PT_LOAD p_vaddr (0 without PT_LOAD). */
uint64_t unwind_table__base(const struct unwind_table *t);

/* GNU build-id bytes (borrowed) and their count in *ret_len; NULL when the file has none. */
const uint8_t *unwind_table__build_id(const struct unwind_table *t, size_t *ret_len);

/* A hash of the base and the rows, for indexing tables by content (not a proof of equality:
 * compare the rows). */
uint64_t unwind_table__hash(const struct unwind_table *t);

/* Bytes held by this table (struct and rows). */
size_t unwind_table__mem_bytes(const struct unwind_table *t);

/* Build statistics. Borrowed. */
const struct unwind_table_stats *unwind_table__stats(const struct unwind_table *t);

/* Static name of a reason ("cfa-reg", ...) or of a kind, for reports. */
const char *unwind_unsupported_str(unsigned int reason);
const char *unwind_cfa_kind_str(unsigned int kind);

/* NULL-safe. */
void unwind_table__free(struct unwind_table *t);

#endif /* FLAMED_UNWIND_TABLE_H */
