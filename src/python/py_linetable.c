// SPDX-License-Identifier: MIT
/* The formats are CPython's Objects/lnotab_notes.txt (3.8-3.10) and InternalDocs/locations.md
 * (3.11+). */
#include <stdbool.h>

#include "python/py_linetable.h"

/* 3.8-3.9 co_lnotab: (address delta, signed line delta) byte pairs. */
static int64_t lnotab_line(const uint8_t *t, size_t len, int64_t line, uint32_t instr)
{
	uint64_t addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > instr)
			break;
		line += (int8_t)t[i + 1];
	}
	return line;
}

/* 3.10 co_linetable: (bytes covered, signed line delta or -128 = none) pairs, each range
 * following the last. */
static int64_t linetable310_line(const uint8_t *t, size_t len, int64_t line, uint32_t instr)
{
	uint64_t end = 0, addr = (uint64_t)instr * 2;

	for (size_t i = 0; i + 1 < len; i += 2) {
		uint64_t start = end;
		int8_t delta = (int8_t)t[i + 1];

		end = start + t[i];
		if (delta != -128)
			line += delta;
		if (addr >= start && addr < end)
			return delta == -128 ? 0 : line;
	}
	return 0;
}

/* Unsigned varint of the 3.11+ location table: 6 bits a byte, bit 6 = more. */
static bool read_varint(const uint8_t *t, size_t len, size_t *i, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (*i >= len || shift > 30)
			return false;
		b = t[(*i)++];
		v |= (uint64_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	/* CPython writes 32-bit values; bigger ones are forged, and could overflow the line sum */
	if (v >> 32)
		return false;
	*ret = v;
	return true;
}

static bool read_svarint(const uint8_t *t, size_t len, size_t *i, int64_t *ret)
{
	uint64_t v;

	if (!read_varint(t, len, i, &v))
		return false;
	*ret = (v & 1) ? -(int64_t)(v >> 1) : (int64_t)(v >> 1);
	return true;
}

/* 3.11+ location table: entries of a header byte (bit 7 set, code in bits 3-6, code units - 1 in
 * bits 0-2) and a code-dependent payload. */
static int64_t locations_line(const uint8_t *t, size_t len, int64_t line, uint32_t instr)
{
	uint64_t addr = 0, skip;
	size_t i = 0;

	while (i < len) {
		uint8_t h = t[i++];
		unsigned code = (h >> 3) & 15;
		uint64_t units = (h & 7) + 1;
		int64_t delta = 0;
		bool has_line = true;

		if (!(h & 0x80))
			return 0; /* not an entry start: malformed */
		switch (code) {
		case 15: /* no location */
			has_line = false;
			break;
		case 14: /* long form: line delta, end line delta, column, end column */
			if (!read_svarint(t, len, &i, &delta) || !read_varint(t, len, &i, &skip) ||
			    !read_varint(t, len, &i, &skip) || !read_varint(t, len, &i, &skip))
				return 0;
			break;
		case 13: /* no column */
			if (!read_svarint(t, len, &i, &delta))
				return 0;
			break;
		case 12:
		case 11:
		case 10: /* one line: delta code - 10, then start and end columns */
			delta = code - 10;
			i += 2;
			break;
		default: /* short form: same line, one column byte */
			i += 1;
			break;
		}
		if (i > len)
			return 0;
		line += delta;
		if (instr >= addr && instr < addr + units)
			return has_line ? line : 0;
		addr += units;
	}
	return 0;
}

int64_t py_linetable__line(int minor, const uint8_t *table, size_t len, int64_t firstlineno,
			   uint32_t instr)
{
	int64_t line;

	if (!table)
		return 0;
	if (minor <= 9)
		line = lnotab_line(table, len, firstlineno, instr);
	else if (minor == 10)
		line = linetable310_line(table, len, firstlineno, instr);
	else
		line = locations_line(table, len, firstlineno, instr);
	return line > 0 ? line : 0;
}
