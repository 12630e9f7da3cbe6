/* SPDX-License-Identifier: MIT */
/* Decoders of HotSpot's compressed metadata, pure functions over bytes read from a JVM (outside
 * input: every read is bounded by the buffer, every loop by its length or a cap):
 * - UNSIGNED5, the varint of its compressed streams (1 to 5 bytes; from JDK 20 with the zero
 *   byte excluded);
 * - a method's compressed line number table (ConstMethod, after the bytecodes): bci -> line;
 * - an nmethod's PcDescs (pc offset -> scope) and scopes (method index and bci, innermost
 *   scope first, then the scopes it was inlined into). */
#ifndef FLAMED_HS_DECODE_H
#define FLAMED_HS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_MAX_SCOPES 16 /* inlined scopes followed for one pc */

/* One UNSIGNED5 value at buf[*pos] (x: 0, or 1 from JDK 20); advances *pos. False when the
 * buffer ends first or holds an excluded byte. */
bool hs_u5_read(const uint8_t *buf, size_t len, size_t *pos, int x, uint32_t *ret);

/* The line of bci in a compressed line number table of len bytes (it ends at a 0 byte): the
 * entry for bci, else the nearest before it (as HotSpot's Method::line_number_from_bci).
 * *ret_first (may be NULL) gets the table's smallest line. Returns the line, or 0 when the
 * table has none for bci; *ret_len (may be NULL) gets the table's length up to its end byte,
 * or 0 when len bytes hold no complete table. */
int32_t hs_line_for_bci(const uint8_t *table, size_t len, int x, uint32_t bci, int32_t *ret_first,
			size_t *ret_len);

/* The scope decode offset of the PcDesc for pc offset pc_off among nr PcDescs of size stride
 * (their pc and scope fields at pc_field and scope_field): the PcDesc at pc_off exactly (a
 * return address has one), else the nearer of the one before and the one after it (the JIT
 * records debug information only at calls and safepoint polls; HotSpot takes the one after, but
 * a loop's code on both sides of its poll is nearer to it than to the code around the loop),
 * the one after when as near. False when there is none. */
bool hs_pcdesc_find(const uint8_t *pcs, size_t nr, size_t stride, size_t pc_field,
		    size_t scope_field, uint32_t pc_off, uint32_t *ret_scope);

/* One scope: the method (index into the nmethod's metadata, 1-based; 0: none) and its bci. */
struct hs_scope {
	uint32_t method_index;
	int32_t bci; /* -1: the method's entry */
};

/* The scopes at decode offset off of scope data data[0..len), innermost first: at most max,
 * each sender strictly before its scope in the data (so the chain ends). Returns how many. */
size_t hs_scopes(const uint8_t *data, size_t len, int x, uint32_t off, struct hs_scope *out,
		 size_t max);

#endif /* FLAMED_HS_DECODE_H */
