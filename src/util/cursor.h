/* SPDX-License-Identifier: MIT */
/* Bounds-checked little-endian reader over untrusted bytes (CFI, notes): any read past the end
 * sets bad, and reads return 0 from then on, so a parser checks once per record. */
#ifndef FLAMED_UTIL_CURSOR_H
#define FLAMED_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
	bool bad; /* set on any read past end; reads then return 0 */
};

static inline bool cur_need(struct cursor *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
		return false;
	}
	return true;
}

static inline uint64_t cur_u(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	if (!cur_need(c, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static inline uint64_t cur_uleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (!c->bad && c->p < c->end) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		if (shift < 64)
			shift += 7;
	}
	c->bad = true;
	return 0;
}

static inline int64_t cur_sleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (!c->bad && c->p < c->end) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (shift < 64)
			shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~0ULL << shift;
			return (int64_t)v;
		}
	}
	c->bad = true;
	return 0;
}

#endif /* FLAMED_UTIL_CURSOR_H */
