// SPDX-License-Identifier: MIT
/* V8's position tables: source positions, inlining, baseline offsets, line ends. The tables are
 * encoded here the way V8's SourcePositionTableBuilder and BytecodeOffsetTableBuilder write
 * them (zigzag VLQs of deltas, the statement flag in the code delta's sign), independently of
 * the decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "v8/v8_spt.h"

struct enc {
	uint8_t b[256];
	size_t n;
	int64_t code, pos;
};

static void put_uvlq(struct enc *e, uint64_t v)
{
	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		e->b[e->n++] = byte | (v ? 0x80 : 0);
	} while (v);
}

static void put_vlq(struct enc *e, int64_t v)
{
	put_uvlq(e, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* A source position as V8 packs it: script offset + 1 in bits 1-30, inlining id + 1 above. */
static uint64_t position(int64_t script_offset, int inlining_id)
{
	return (uint64_t)(script_offset + 1) << 1 | (uint64_t)(inlining_id + 1) << 31;
}

static void entry(struct enc *e, int64_t code, uint64_t pos, bool statement)
{
	int64_t dc = code - e->code;

	put_vlq(e, statement ? dc : -dc - 1);
	put_vlq(e, (int64_t)pos - e->pos);
	e->code = code;
	e->pos = (int64_t)pos;
}

static void test_positions(void **state)
{
	struct enc e = { 0 };
	uint64_t p;

	(void)state;
	entry(&e, 0, position(10, -1), true);
	entry(&e, 5, position(200000, -1), false);
	entry(&e, 12, position(15, 0), true);
	entry(&e, 300, position(3, 1), false);
	assert_int_equal(v8_spt__script_offset(v8_spt__position(e.b, e.n, 0)), 10);
	assert_int_equal(v8_spt__script_offset(v8_spt__position(e.b, e.n, 4)), 10);
	assert_int_equal(v8_spt__script_offset(v8_spt__position(e.b, e.n, 5)), 200000);
	p = v8_spt__position(e.b, e.n, 299);
	assert_int_equal(v8_spt__script_offset(p), 15);
	assert_int_equal(v8_spt__inlining_id(p), 1);
	p = v8_spt__position(e.b, e.n, 100000);
	assert_int_equal(v8_spt__script_offset(p), 3);
	assert_int_equal(v8_spt__inlining_id(p), 2);
	assert_int_equal(v8_spt__inlining_id(v8_spt__position(e.b, e.n, 7)), 0);
	/* a table cut short answers from the entries it holds */
	assert_int_equal(v8_spt__script_offset(v8_spt__position(e.b, 3, 1000)), 10);
	assert_int_equal(v8_spt__position(e.b, 0, 5), 0);
	assert_int_equal(v8_spt__position(NULL, 10, 5), 0);
	/* no position, an external file's line */
	assert_int_equal(v8_spt__script_offset(0), -1);
	assert_int_equal(v8_spt__script_offset(position(7, -1) | 1), -1);
}

static void test_inlining(void **state)
{
	uint8_t t[32] = { 0 };
	uint64_t pos = position(42, -1), got;
	int32_t fn = 3, gotfn;

	(void)state;
	memcpy(t + 16, &pos, 8);
	memcpy(t + 24, &fn, 4);
	assert_true(v8_spt__inlining(t, sizeof(t), 2, &got, &gotfn));
	assert_int_equal(got, pos);
	assert_int_equal(gotfn, 3);
	assert_false(v8_spt__inlining(t, sizeof(t), 0, &got, &gotfn));
	assert_false(v8_spt__inlining(t, sizeof(t), 3, &got, &gotfn));
	assert_false(v8_spt__inlining(t, 31, 2, &got, &gotfn));
}

static void test_baseline(void **state)
{
	/* sizes for 8 bytecodes: 0-3 prefixes; 4: one byte, 5: two, 6: three (x2 scaled: 5) */
	uint8_t sizes[3 * 8] = { 1,	  1, 1, 1, 1, 2, 3, 1, /* */ 1, 1, 1, 1, 1, 3, 5, 1,
				 /* */ 1, 1, 1, 1, 1, 5, 9, 1 };
	/* bytecodes at 0 (size 2), 2 (Wide + 6: 1 + 5), 8 (size 1), 9 (size 3) */
	uint8_t bc[] = { 5, 0, 0, 6, 0, 0, 0, 0, 4, 6, 0, 0 };
	struct enc e = { 0 };

	(void)state;
	/* machine code: prologue 10 bytes, then 4, 6, 2, 8 per bytecode */
	put_uvlq(&e, 10);
	put_uvlq(&e, 4);
	put_uvlq(&e, 6);
	put_uvlq(&e, 2);
	put_uvlq(&e, 8);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 0, bc, sizeof(bc), sizes, 8), -1);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 10, bc, sizeof(bc), sizes, 8), -1);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 11, bc, sizeof(bc), sizes, 8), 0);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 14, bc, sizeof(bc), sizes, 8), 0);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 15, bc, sizeof(bc), sizes, 8), 2);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 21, bc, sizeof(bc), sizes, 8), 8);
	/* a pc at a bytecode's end is its own (a return address after its last call) */
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 22, bc, sizeof(bc), sizes, 8), 8);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 23, bc, sizeof(bc), sizes, 8), 9);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 30, bc, sizeof(bc), sizes, 8), 9);
	/* past the table, or bytecode the sizes do not describe */
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 31, bc, sizeof(bc), sizes, 8), -2);
	bc[8] = 7 + 1;
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 21, bc, sizeof(bc), sizes, 8), -2);
	assert_int_equal(v8_spt__baseline_offset(e.b, e.n, 5, bc, sizeof(bc), sizes, 0), -2);
}

static void test_lines(void **state)
{
	const char *src = "a\nbb\r\nc\rd";
	const uint16_t wide[] = { 'x', 0x2028, 'y', 0x2029, 'z', '\r' };
	struct v8_lines l = { 0 }, w = { 0 }, t = { .max_lines = 1 };

	(void)state;
	assert_int_equal(v8_lines__feed1(&l, (const uint8_t *)src, 4), 0);
	assert_int_equal(v8_lines__feed1(&l, (const uint8_t *)src + 4, strlen(src) - 4), 0);
	v8_lines__end(&l);
	assert_int_equal(l.nr, 3); /* \n at 1, \r\n ends at 5, the lone \r at 7 */
	assert_int_equal(v8_lines__line(&l, 0), 1);
	assert_int_equal(v8_lines__line(&l, 1), 1);
	assert_int_equal(v8_lines__line(&l, 2), 2);
	assert_int_equal(v8_lines__line(&l, 5), 2);
	assert_int_equal(v8_lines__line(&l, 6), 3);
	assert_int_equal(v8_lines__line(&l, 8), 4);
	assert_int_equal(v8_lines__line(&l, 9), 0); /* past the text */
	assert_int_equal(v8_lines__feed2(&w, wide, 6), 0);
	v8_lines__end(&w);
	assert_int_equal(w.nr, 3);
	assert_int_equal(v8_lines__line(&w, 2), 2);
	assert_int_equal(v8_lines__line(&w, 4), 3);
	assert_int_equal(v8_lines__line(&w, 5), 3);
	assert_int_equal(v8_lines__feed1(&t, (const uint8_t *)src, strlen(src)), 0);
	assert_true(t.truncated);
	assert_int_equal(v8_lines__line(&t, 0), 1);
	assert_int_equal(v8_lines__line(&t, 8), 0); /* beyond the lines recorded */
	v8_lines__release(&l);
	v8_lines__release(&w);
	v8_lines__release(&t);
	v8_lines__release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_inlining),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
