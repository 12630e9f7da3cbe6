/* SPDX-License-Identifier: MIT */
/* An iseq's instruction -> line table, from what a Ruby process holds (pure, fuzzed): the
 * entries of insns_info (a line each) and the succinct bit vector that says at which
 * instruction each entry starts (iseq.c's succ_index_table, VM_INSN_INFO_TABLE_IMPL 2: an
 * "immediate" part of 7-bit ranks for the first 54 positions, then blocks of 512 bits with
 * their ranks). Decoded once into the positions, looked up by binary search. */
#ifndef FLAMED_RB_LINES_H
#define FLAMED_RB_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_LINES_MAX_ENTRIES (1u << 16) /* insns_info entries decoded at most */
#define RB_LINES_MAX_ISEQ    (1u << 20) /* instruction words of an iseq */

struct rb_lines {
	uint32_t nr;   /* entries */
	uint32_t *pos; /* the instruction index where entry i starts, increasing */
	int32_t *line; /* entry i's line */
};

/* Bytes of the succinct table of an iseq of iseq_size instruction words (0 when iseq_size is
 * out of bounds). */
size_t rb_lines__table_bytes(uint32_t iseq_size);

/* Decode the table of an iseq of iseq_size words whose nr insns_info entries are info[0,
 * info_len) (entry_size bytes each, the line an int at line_off) and whose succinct table is
 * table[0, table_len) (rb_lines__table_bytes; unused when nr is 1). 0 with *ret filled (owned:
 * rb_lines__free), -EINVAL when the parts do not agree, -ENOMEM. */
int rb_lines__decode(const uint8_t *table, size_t table_len, uint32_t iseq_size,
		     const uint8_t *info, size_t info_len, uint32_t nr, uint32_t entry_size,
		     uint32_t line_off, struct rb_lines *ret);

/* The line of the instruction at index pos (rank: the last entry starting at or before it);
 * 0 when none. */
int32_t rb_lines__line(const struct rb_lines *l, uint32_t pos);

/* Bytes held by l (memory accounting). */
size_t rb_lines__bytes(const struct rb_lines *l);

/* NULL-safe; leaves l empty. */
void rb_lines__free(struct rb_lines *l);

#endif /* FLAMED_RB_LINES_H */
