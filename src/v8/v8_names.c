// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "v8/v8_names.h"

#define MAX_LOCALS 4096 /* context locals a ScopeInfo may claim */
#define TAIL_SLOTS 8	/* slots after the locals that hold what a frame needs */

static int64_t smi(uint64_t w)
{
	return (int64_t)w >> 32;
}

static bool all_kind(const enum v8_slot_kind *kinds, size_t from, size_t to, enum v8_slot_kind k)
{
	for (size_t i = from; i < to; i++)
		if (kinds[i] != k)
			return false;
	return true;
}

size_t v8_names__scope_slots(uint32_t nlocals, int64_t nlocals_value, size_t max)
{
	size_t n;

	if (nlocals_value < 0 || nlocals_value > MAX_LOCALS)
		nlocals_value = 0;
	n = nlocals + 3 + 2 * (size_t)nlocals_value + TAIL_SLOTS;
	return n < max ? n : max;
}

int v8_names__scope(const uint64_t *slots, const enum v8_slot_kind *kinds, size_t n,
		    uint32_t nlocals, bool fixed_positions, struct v8_scope *ret)
{
	size_t b = (size_t)nlocals + 1, i, end;
	int64_t nl;

	*ret = (struct v8_scope){ .name = -1, .inferred = -1, .start = -1, .end = -1 };
	if (!nlocals || b > n || kinds[0] != V8_SLOT_SMI || kinds[nlocals] != V8_SLOT_SMI)
		return -EINVAL;
	nl = smi(slots[nlocals]);
	if (nl < 0 || nl > MAX_LOCALS)
		return -EINVAL;
	if (fixed_positions) {
		if (b + 2 > n || kinds[b] != V8_SLOT_SMI || kinds[b + 1] != V8_SLOT_SMI)
			return -EINVAL;
		ret->start = smi(slots[b]);
		ret->end = smi(slots[b + 1]);
		b += 2;
	}
	/* the context locals: their names inline then their infos (Smis), or one hash table of
	 * names (many locals) then the infos */
	if (b + 2 * (size_t)nl <= n && all_kind(kinds, b, b + nl, V8_SLOT_STRING) &&
	    all_kind(kinds, b + nl, b + 2 * nl, V8_SLOT_SMI))
		i = b + 2 * nl;
	else if (nl && b + 1 + (size_t)nl <= n && kinds[b] == V8_SLOT_OBJECT &&
		 all_kind(kinds, b + 1, b + 1 + nl, V8_SLOT_SMI))
		i = b + 1 + nl;
	else
		return -EINVAL;
	end = i + TAIL_SLOTS < n ? i + TAIL_SLOTS : n;
	/* the function's name and its slot index (a class scope may hold its class variable's
	 * before), then its inferred name or undefined */
	for (size_t j = i; j + 1 < end && j <= i + 1; j++) {
		if (kinds[j] == V8_SLOT_STRING && kinds[j + 1] == V8_SLOT_SMI) {
			ret->name = (int)j;
			if (j + 2 < end && kinds[j + 2] == V8_SLOT_STRING)
				ret->inferred = (int)j + 2;
			break;
		}
	}
	if (!fixed_positions) {
		/* the position info: the first two Smis in a row that make a range */
		for (size_t j = i; j + 1 < end; j++) {
			int64_t s = smi(slots[j]), e = smi(slots[j + 1]);

			if (kinds[j] == V8_SLOT_SMI && kinds[j + 1] == V8_SLOT_SMI && s >= 0 &&
			    s <= e) {
				ret->start = s;
				ret->end = e;
				break;
			}
		}
	}
	return 0;
}

void v8_names__compose(const char *cls, const char *name, const char *inferred, const char *file,
		       uint32_t line, char *out, size_t sz)
{
	const char *base = name && name[0] ? name : inferred && inferred[0] ? inferred : NULL;
	const char *leaf;

	if (!sz)
		return;
	if (base && cls && cls[0])
		snprintf(out, sz, "%s.%s", cls, base);
	else if (base)
		snprintf(out, sz, "%s", base);
	else if (file && file[0]) {
		leaf = strrchr(file, '/');
		leaf = leaf && leaf[1] ? leaf + 1 : file;
		if (line)
			snprintf(out, sz, "(anonymous %s:%u)", leaf, line);
		else
			snprintf(out, sz, "(anonymous %s)", leaf);
	} else {
		snprintf(out, sz, "(anonymous)");
	}
}

/* Append code point c as UTF-8 if it fits (with the NUL); false when full. */
static bool put_cp(char *out, size_t sz, size_t *len, uint32_t c)
{
	char b[4];
	size_t k;

	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (c >= 0xd800 && c < 0xe000))
		c = '?';
	if (c < 0x80) {
		b[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*len + k + 1 > sz)
		return false;
	memcpy(out + *len, b, k);
	*len += k;
	return true;
}

size_t v8_names__utf8(const void *chars, size_t n, bool wide, char *out, size_t sz)
{
	const uint8_t *c1 = chars;
	const uint16_t *c2 = chars;
	size_t len = 0;

	if (!sz)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c;

		if (!wide) {
			c = c1[i];
		} else {
			uint16_t u;

			memcpy(&u, &c2[i], sizeof(u));
			c = u;
			if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
				uint16_t lo;

				memcpy(&lo, &c2[i + 1], sizeof(lo));
				if (lo >= 0xdc00 && lo < 0xe000) {
					c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
					i++;
				}
			}
		}
		if (!put_cp(out, sz, &len, c))
			break;
	}
	out[len] = '\0';
	return len;
}
