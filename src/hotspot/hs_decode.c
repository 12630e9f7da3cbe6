// SPDX-License-Identifier: MIT
#include <string.h>

#include "hotspot/hs_decode.h"

/* UNSIGNED5: each byte carries 6 bits when it is a "high" byte (at least x + L), and ends the
 * number when it is a "low" one; at most 5 bytes. */
bool hs_u5_read(const uint8_t *buf, size_t len, size_t *pos, int x, uint32_t *ret)
{
	const uint32_t lo_bytes = 256 - (uint32_t)x - 64; /* L: 192, or 191 without the zero byte */
	uint32_t sum = 0;
	size_t p = *pos;

	for (int i = 0; i < 5; i++, p++) {
		uint32_t b;

		if (p >= len)
			return false;
		b = buf[p];
		if (b < (uint32_t)x)
			return false;
		sum += (b - (uint32_t)x) << (6 * i);
		if (b < (uint32_t)x + lo_bytes || i == 4) {
			*pos = p + 1;
			*ret = sum;
			return true;
		}
	}
	return false;
}

static bool u5_signed(const uint8_t *buf, size_t len, size_t *pos, int x, int32_t *ret)
{
	uint32_t v;

	if (!hs_u5_read(buf, len, pos, x, &v))
		return false;
	*ret = (int32_t)(v >> 1) ^ -(int32_t)(v & 1);
	return true;
}

int32_t hs_line_for_bci(const uint8_t *table, size_t len, int x, uint32_t bci, int32_t *ret_first,
			size_t *ret_len)
{
	int64_t cur_bci = 0, cur_line = 0;
	int32_t best_line = 0, first = 0, d_bci, d_line;
	uint32_t best_bci = 0;
	bool exact = false;
	size_t pos = 0;

	if (ret_len)
		*ret_len = 0;
	while (pos < len) {
		uint8_t b = table[pos++];

		if (b == 0) {
			if (ret_len)
				*ret_len = pos;
			break;
		}
		if (b == 0xff) {
			/* an escape: both deltas signed UNSIGNED5 */
			if (!u5_signed(table, len, &pos, x, &d_bci) ||
			    !u5_signed(table, len, &pos, x, &d_line))
				break;
		} else {
			d_bci = b >> 3;
			d_line = b & 7;
		}
		cur_bci += d_bci;
		cur_line += d_line;
		if (cur_bci < 0 || cur_bci > 0xffff || cur_line < 0 || cur_line > INT32_MAX)
			break; /* no real table says this */
		if (cur_line > 0 && (!first || cur_line < first))
			first = (int32_t)cur_line;
		if (exact)
			continue;
		if ((uint32_t)cur_bci == bci) {
			best_line = (int32_t)cur_line;
			exact = true;
		} else if ((uint32_t)cur_bci < bci && (uint32_t)cur_bci >= best_bci) {
			best_bci = (uint32_t)cur_bci;
			best_line = (int32_t)cur_line;
		}
	}
	if (ret_first)
		*ret_first = first;
	return best_line;
}

static int32_t field_s32(const uint8_t *p, size_t off)
{
	int32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

bool hs_pcdesc_find(const uint8_t *pcs, size_t nr, size_t stride, size_t pc_field,
		    size_t scope_field, uint32_t pc_off, uint32_t *ret_scope)
{
	int64_t after = INT64_MAX, before = INT64_MIN, target = pc_off;
	uint32_t after_scope = 0, before_scope = 0;

	if (stride < 8 || pc_field > stride - 4 || scope_field > stride - 4)
		return false;
	for (size_t i = 0; i < nr; i++) {
		const uint8_t *d = pcs + i * stride;
		int64_t pc = field_s32(d, pc_field);
		uint32_t scope = (uint32_t)field_s32(d, scope_field);

		if (pc == target) {
			*ret_scope = scope;
			return true;
		}
		if (pc > target && pc < after) {
			after = pc;
			after_scope = scope;
		} else if (pc < target && pc > before) {
			before = pc;
			before_scope = scope;
		}
	}
	if (after == INT64_MAX && before == INT64_MIN)
		return false;
	/* the nearer one: code between two debug points is mostly the scope of one of them, and
	 * a loop's code on both sides of its safepoint poll is nearer to it than to the code
	 * after or before the loop */
	*ret_scope =
		after != INT64_MAX && (before == INT64_MIN || after - target <= target - before)
			? after_scope
			: before_scope;
	return true;
}

size_t hs_scopes(const uint8_t *data, size_t len, int x, uint32_t off, struct hs_scope *out,
		 size_t max)
{
	size_t n = 0, pos;
	uint32_t sender, method, bci;

	/* 0 is the serialized null scope; a sender is always written before its scope */
	while (off && off < len && n < max) {
		pos = off;
		if (!hs_u5_read(data, len, &pos, x, &sender) ||
		    !hs_u5_read(data, len, &pos, x, &method) ||
		    !hs_u5_read(data, len, &pos, x, &bci))
			break;
		out[n].method_index = method;
		out[n].bci = (int32_t)bci - 1; /* stored as bci - InvocationEntryBci */
		n++;
		if (sender >= off)
			break;
		off = sender;
	}
	return n;
}
