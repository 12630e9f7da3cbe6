/* SPDX-License-Identifier: MIT */
/* V8's position tables, read from a process's heap: pure decoders of outside input (fuzzed).
 *
 * A source position table (of bytecode or of optimized code) is a sequence of entries, each two
 * zigzag VLQs: the code offset's delta (its sign says whether the position starts a statement)
 * and the source position's delta. A source position packs a script offset (+1; 0: none) and an
 * inlining id (+1; 0: the code's own function). A baseline code's offset table is one unsigned
 * VLQ per bytecode, the length of the machine code it became. */
#ifndef FLAMED_V8_SPT_H
#define FLAMED_V8_SPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The source position of the last entry at or before code offset off; 0 when there is none (or
 * the table is malformed before reaching one). */
uint64_t v8_spt__position(const uint8_t *table, size_t len, uint32_t off);

/* The script offset of a position (characters from the script's start), -1 when it has none
 * (no position, or an external file's line). */
int64_t v8_spt__script_offset(uint64_t pos);

/* The inlining id of a position: 0 for the code's own function, n for the n-th entry (from 1)
 * of the code's inlining positions. */
uint32_t v8_spt__inlining_id(uint64_t pos);

/* Entry id (from 1) of an inlining positions table (16-byte entries: the call's position in its
 * caller, the inlined function's index in the literals): false when out of range. */
bool v8_spt__inlining(const uint8_t *table, size_t len, uint32_t id, uint64_t *ret_caller_pos,
		      int32_t *ret_function);

/* The bytecode offset a baseline code's pc offset runs: offsets is the code's offset table,
 * bytecodes the function's bytecode array, sizes V8's Bytecodes::kBytecodeSizes (3 rows of
 * count: unscaled, double and quadruple operands). -1 for the function's entry (the prologue),
 * -2 when the tables do not say. */
int64_t v8_spt__baseline_offset(const uint8_t *offsets, size_t offsets_len, uint32_t pc_off,
				const uint8_t *bytecodes, size_t bytecodes_len,
				const uint8_t *sizes, size_t count);

/* A script's line ends (the offset of each line terminator: \n, a lone \r, U+2028, U+2029), fed
 * in chunks of its characters. */
struct v8_lines {
	uint32_t *ends;
	size_t nr, cap;
	uint32_t pos;	  /* characters fed so far */
	bool pending_cr;  /* the last character fed was \r */
	size_t max_lines; /* stop recording past this many (0: no limit) */
	bool truncated;	  /* more lines than max_lines */
};

/* Feed n characters (one byte each, or two: UTF-16) to l. 0 or -ENOMEM. */
int v8_lines__feed1(struct v8_lines *l, const uint8_t *c, size_t n);
int v8_lines__feed2(struct v8_lines *l, const uint16_t *c, size_t n);

/* Done feeding: a final \r ends its line. */
void v8_lines__end(struct v8_lines *l);

/* The line (from 1) of script offset off; 0 past what was fed or recorded. */
uint32_t v8_lines__line(const struct v8_lines *l, uint64_t off);

/* NULL-safe: the ends array (the struct is the caller's). */
void v8_lines__release(struct v8_lines *l);

#endif /* FLAMED_V8_SPT_H */
