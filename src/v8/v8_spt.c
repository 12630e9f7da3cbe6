// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "v8/v8_spt.h"

/* One unsigned VLQ (7 bits a byte, low first, the high bit says more follow) at *i; false at the
 * table's end or past 64 bits. */
static bool read_uvlq(const uint8_t *t, size_t len, size_t *i, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*i >= len)
			return false;
		b = t[(*i)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/* A zigzag-encoded signed VLQ. */
static bool read_vlq(const uint8_t *t, size_t len, size_t *i, int64_t *ret)
{
	uint64_t u;

	if (!read_uvlq(t, len, i, &u))
		return false;
	*ret = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return true;
}

uint64_t v8_spt__position(const uint8_t *table, size_t len, uint32_t off)
{
	int64_t code = 0, dc, dp;
	uint64_t pos = 0, found = 0;
	size_t i = 0;

	if (!table)
		return 0;
	while (i < len) {
		if (!read_vlq(table, len, &i, &dc) || !read_vlq(table, len, &i, &dp))
			break;
		/* a code offset is an int: a larger step is no table V8 wrote (and would overflow) */
		if (dc > INT32_MAX || dc < INT32_MIN)
			break;
		/* the sign of the code delta says whether the entry starts a statement */
		code += dc >= 0 ? dc : -(dc + 1);
		/* positions are packed fields: their deltas wrap as V8's do */
		pos += (uint64_t)dp;
		if (code > (int64_t)off)
			break;
		found = pos;
	}
	return found;
}

int64_t v8_spt__script_offset(uint64_t pos)
{
	int64_t off;

	if (pos & 1) /* an external file's line, not an offset in the script */
		return -1;
	off = (int64_t)(pos >> 1 & ((1u << 30) - 1));
	return off ? off - 1 : -1;
}

uint32_t v8_spt__inlining_id(uint64_t pos)
{
	return (uint32_t)(pos >> 31 & 0xffff);
}

bool v8_spt__inlining(const uint8_t *table, size_t len, uint32_t id, uint64_t *ret_caller_pos,
		      int32_t *ret_function)
{
	size_t at;

	if (!table || !id || id > len / 16)
		return false;
	at = (size_t)(id - 1) * 16;
	memcpy(ret_caller_pos, table + at, 8);
	memcpy(ret_function, table + at + 8, 4);
	return true;
}

/* The length of the bytecode at *i (with its operand-scaling prefix, if any); 0 when it runs
 * past the array or names no bytecode. */
static size_t bytecode_len(const uint8_t *bc, size_t len, size_t i, const uint8_t *sizes,
			   size_t count)
{
	size_t scale = 0, prefix = 0;
	uint8_t op;

	if (i >= len)
		return 0;
	op = bc[i];
	/* Wide, ExtraWide and their debug-break forms scale the next bytecode's operands */
	if (op <= 3) {
		scale = op & 1 ? 2 : 1;
		prefix = 1;
		if (i + 1 >= len)
			return 0;
		op = bc[i + 1];
	}
	if (op >= count || !sizes[scale * count + op])
		return 0;
	return prefix + sizes[scale * count + op];
}

int64_t v8_spt__baseline_offset(const uint8_t *offsets, size_t offsets_len, uint32_t pc_off,
				const uint8_t *bytecodes, size_t bytecodes_len,
				const uint8_t *sizes, size_t count)
{
	uint64_t end, d;
	int64_t cur = -1; /* the prologue: before the first bytecode */
	size_t i = 0, next = 0, n;

	if (!offsets || !bytecodes || !sizes || !count || count > 256)
		return -2;
	if (!read_uvlq(offsets, offsets_len, &i, &end))
		return -2;
	/* each entry: where the machine code of the next bytecode ends */
	while (end < pc_off) {
		if (next >= bytecodes_len || !read_uvlq(offsets, offsets_len, &i, &d))
			return -2;
		cur = (int64_t)next;
		n = bytecode_len(bytecodes, bytecodes_len, next, sizes, count);
		if (!n)
			return -2;
		next += n;
		if (end + d < end)
			return -2;
		end += d;
	}
	return cur;
}

/* --- line ends --- */

static int add_end(struct v8_lines *l, uint32_t at)
{
	uint32_t *n;
	size_t cap;

	if (l->max_lines && l->nr >= l->max_lines) {
		l->truncated = true;
		return 0;
	}
	if (l->nr == l->cap) {
		cap = l->cap ? l->cap * 2 : 256;
		n = realloc(l->ends, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->ends = n;
		l->cap = cap;
	}
	l->ends[l->nr++] = at;
	return 0;
}

/* One character c at the current position: a lone \r ends a line at itself, \r\n at the \n. */
static int feed_char(struct v8_lines *l, uint32_t c)
{
	int err = 0;

	if (l->pending_cr && c != '\n')
		err = add_end(l, l->pos - 1);
	l->pending_cr = c == '\r';
	if (!err && (c == '\n' || c == 0x2028 || c == 0x2029))
		err = add_end(l, l->pos);
	l->pos++;
	return err;
}

int v8_lines__feed1(struct v8_lines *l, const uint8_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* most characters end no line: skip them without the call */
		if (c[i] != '\n' && c[i] != '\r' && !l->pending_cr) {
			l->pos++;
			continue;
		}
		if (feed_char(l, c[i]))
			return -ENOMEM;
	}
	return 0;
}

int v8_lines__feed2(struct v8_lines *l, const uint16_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (feed_char(l, c[i]))
			return -ENOMEM;
	return 0;
}

void v8_lines__end(struct v8_lines *l)
{
	if (l->pending_cr && !add_end(l, l->pos - 1))
		l->pending_cr = false;
}

uint32_t v8_lines__line(const struct v8_lines *l, uint64_t off)
{
	size_t lo = 0, hi;

	if (!l || off >= l->pos)
		return 0;
	hi = l->nr;
	/* the first line end at or after off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->ends[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->nr && l->truncated)
		return 0; /* past the lines recorded */
	return lo + 1 > UINT32_MAX ? 0 : (uint32_t)(lo + 1);
}

void v8_lines__release(struct v8_lines *l)
{
	if (!l)
		return;
	free(l->ends);
	l->ends = NULL;
	l->nr = l->cap = 0;
}
