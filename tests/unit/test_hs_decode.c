// SPDX-License-Identifier: MIT
/* HotSpot's compressed metadata decoders against encoders written the way HotSpot writes
 * (CompressedWriteStream / UNSIGNED5, CompressedLineNumberWriteStream, DebugInfoWriteStream):
 * round trips over many values, both generations of UNSIGNED5, line lookups by bci, PcDesc
 * choice, scope chains, and what a forged stream does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hotspot/hs_decode.h"

/* UNSIGNED5 as HotSpot writes it: X excluded bytes (0 before JDK 20, 1 after), L low bytes. */
static size_t u5_write(uint8_t *out, uint32_t value, int x)
{
	const uint32_t lo = 256 - (uint32_t)x - 64;
	uint32_t sum = value;
	size_t n = 0;

	for (int i = 0;; i++) {
		if (sum < lo || i == 4) {
			out[n++] = (uint8_t)(x + sum);
			return n;
		}
		sum -= lo;
		out[n++] = (uint8_t)(x + lo + (sum % 64));
		sum >>= 6;
	}
}

static size_t u5_signed(uint8_t *out, int32_t v, int x)
{
	return u5_write(out, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31), x);
}

static void u5_round_trip(void **state)
{
	uint8_t buf[8];
	uint32_t v, vals[] = { 0,	1,	   190,	      191,	  192,	      193,
			       255,	256,	   12345,     0x307e,	  0x307f,     0xc207e,
			       0xc207f, 0x308207f, 0x3082080, 0x7fffffff, 0xffffffffu };

	(void)state;
	for (int x = 0; x <= 1; x++) {
		for (uint32_t i = 0; i < 200000; i += 7) {
			size_t n = u5_write(buf, i, x), pos = 0;

			assert_true(hs_u5_read(buf, n, &pos, x, &v));
			assert_int_equal(v, i);
			assert_int_equal(pos, n);
		}
		for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
			size_t n = u5_write(buf, vals[k], x), pos = 0;

			assert_true(n <= 5);
			assert_true(hs_u5_read(buf, n, &pos, x, &v));
			assert_int_equal(v, vals[k]);
			/* one byte short: not a number */
			pos = 0;
			assert_false(n > 1 && hs_u5_read(buf, n - 1, &pos, x, &v));
		}
	}
	/* JDK 20+ never writes a zero byte: one is refused */
	buf[0] = 0;
	v = 0;
	{
		size_t pos = 0;

		assert_false(hs_u5_read(buf, 1, &pos, 1, &v));
	}
}

/* A line number table of (bci, line) pairs, as CompressedLineNumberWriteStream writes it. */
static size_t line_table(uint8_t *out, const int (*pairs)[2], size_t nr, int x)
{
	int bci = 0, line = 0;
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		int db = pairs[i][0] - bci, dl = pairs[i][1] - line;

		if (!(db & ~0x1f) && !(dl & ~7) && ((db << 3) | dl) != 0xff) {
			out[n++] = (uint8_t)((db << 3) | dl);
		} else {
			out[n++] = 0xff;
			n += u5_signed(out + n, db, x);
			n += u5_signed(out + n, dl, x);
		}
		bci = pairs[i][0];
		line = pairs[i][1];
	}
	out[n++] = 0;
	return n;
}

static void lines_by_bci(void **state)
{
	const int pairs[][2] = { { 0, 26 },  { 2, 27 },	 { 9, 29 },
				 { 30, 28 }, { 70, 27 }, { 400, 31 } };
	uint8_t t[128];
	int32_t first;
	size_t end;

	(void)state;
	for (int x = 0; x <= 1; x++) {
		size_t n = line_table(t, pairs, 6, x);

		assert_int_equal(hs_line_for_bci(t, n, x, 0, &first, &end), 26);
		assert_int_equal(first, 26);
		assert_int_equal(end, n);
		assert_int_equal(hs_line_for_bci(t, n, x, 5, NULL, NULL), 27); /* nearest before */
		assert_int_equal(hs_line_for_bci(t, n, x, 9, NULL, NULL), 29);
		assert_int_equal(hs_line_for_bci(t, n, x, 69, NULL, NULL), 28);
		assert_int_equal(hs_line_for_bci(t, n, x, 1000, NULL, NULL), 31);
		/* bytes after the end are not read; a cut table is incomplete, and no crash */
		assert_int_equal(
			hs_line_for_bci(t, n + 10 > sizeof(t) ? n : n + 10, x, 400, NULL, &end),
			31);
		assert_int_equal(end, n);
		hs_line_for_bci(t, n - 2, x, 400, NULL, &end);
		assert_int_equal(end, 0);
	}
}

static void pcdesc_choice(void **state)
{
	/* PcDesc { int pc_offset, scope_decode_offset, obj_decode_offset, flags } */
	int32_t pcs[][4] = {
		{ -1, 0, 0, 0 }, { 40, 11, 0, 0 }, { 96, 22, 0, 0 }, { 180, 33, 0, 0 }
	};
	uint32_t scope;

	(void)state;
	assert_true(hs_pcdesc_find((uint8_t *)pcs, 4, 16, 0, 4, 96, &scope));
	assert_int_equal(scope, 22); /* a return address: its own PcDesc */
	assert_true(hs_pcdesc_find((uint8_t *)pcs, 4, 16, 0, 4, 50, &scope));
	assert_int_equal(scope, 11); /* between two: the nearer one */
	assert_true(hs_pcdesc_find((uint8_t *)pcs, 4, 16, 0, 4, 80, &scope));
	assert_int_equal(scope, 22);
	assert_true(hs_pcdesc_find((uint8_t *)pcs, 4, 16, 0, 4, 68, &scope));
	assert_int_equal(scope, 22); /* as near to both: the next one, as HotSpot takes it */
	assert_true(hs_pcdesc_find((uint8_t *)pcs, 4, 16, 0, 4, 500, &scope));
	assert_int_equal(scope, 33); /* past the last: the last */
	assert_false(hs_pcdesc_find((uint8_t *)pcs, 0, 16, 0, 4, 50, &scope));
	assert_false(hs_pcdesc_find((uint8_t *)pcs, 4, 4, 0, 4, 50, &scope)); /* bad stride */
}

static void scope_chain(void **state)
{
	uint8_t d[64];
	struct hs_scope sc[HS_MAX_SCOPES];
	size_t n = 1, o1, o2, o3;

	(void)state;
	d[0] = 0; /* offset 0 is the null scope */
	for (int x = 0; x <= 1; x++) {
		n = 1;
		/* outer (method 1, bci 7), outer inlines mid at bci 3, mid inlines inner at bci 0 */
		o1 = n;
		n += u5_write(d + n, 0, x);
		n += u5_write(d + n, 1, x);
		n += u5_write(d + n, 7 + 1, x); /* bci - InvocationEntryBci */
		o2 = n;
		n += u5_write(d + n, (uint32_t)o1, x);
		n += u5_write(d + n, 2, x);
		n += u5_write(d + n, 3 + 1, x);
		o3 = n;
		n += u5_write(d + n, (uint32_t)o2, x);
		n += u5_write(d + n, 3, x);
		n += u5_write(d + n, 0, x); /* the entry: bci -1 */
		assert_int_equal(hs_scopes(d, n, x, (uint32_t)o3, sc, HS_MAX_SCOPES), 3);
		assert_int_equal(sc[0].method_index, 3);
		assert_int_equal(sc[0].bci, -1);
		assert_int_equal(sc[1].method_index, 2);
		assert_int_equal(sc[1].bci, 3);
		assert_int_equal(sc[2].method_index, 1);
		assert_int_equal(sc[2].bci, 7);
		assert_int_equal(hs_scopes(d, n, x, (uint32_t)o3, sc, 2), 2);
		assert_int_equal(hs_scopes(d, n, x, 0, sc, HS_MAX_SCOPES), 0);
		assert_int_equal(hs_scopes(d, n, x, (uint32_t)n + 5, sc, HS_MAX_SCOPES), 0);
	}
	/* a forged sender pointing forward (or at itself) ends the chain */
	n = 1;
	o1 = n;
	n += u5_write(d + n, 1, 0); /* its own offset */
	n += u5_write(d + n, 1, 0);
	n += u5_write(d + n, 1, 0);
	assert_int_equal(hs_scopes(d, n, 0, (uint32_t)o1, sc, HS_MAX_SCOPES), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u5_round_trip),
		cmocka_unit_test(lines_by_bci),
		cmocka_unit_test(pcdesc_choice),
		cmocka_unit_test(scope_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
