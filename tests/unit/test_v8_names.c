// SPDX-License-Identifier: MIT
/* Names of JavaScript frames: ScopeInfo slots as Node 20's V8 (11.3) lays them out (read from
 * live processes: a function, an arrow function named by its binding, an anonymous function, a
 * class method and a class scope, a function with context locals), the name shown, and UTF-8
 * of V8's strings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "v8/v8_names.h"

#define S V8_SLOT_SMI
#define T V8_SLOT_STRING
#define O V8_SLOT_OBJECT

static uint64_t smi(int64_t v)
{
	return (uint64_t)v << 32;
}

static void test_function(void **state)
{
	/* flags, parameters, no context locals, the name and its slot, no inferred name
	 * (undefined), positions 87-107, the hole where no outer scope is kept */
	const uint64_t w[] = { smi(94658), smi(2),  smi(0),   0x1001, smi(-1),
			       0x2001,	   smi(87), smi(107), 0x3001, smi(6) };
	const enum v8_slot_kind k[] = { S, S, S, T, S, O, S, S, O, S };
	struct v8_scope sc;

	(void)state;
	assert_int_equal(v8_names__scope(w, k, 10, 2, false, &sc), 0);
	assert_int_equal(sc.name, 3);
	assert_int_equal(sc.inferred, -1);
	assert_int_equal(sc.start, 87);
	assert_int_equal(sc.end, 107);
}

static void test_method_and_class(void **state)
{
	/* relax(n) in class Grid: its outer scope is the class scope */
	const uint64_t w[] = { smi(7172578), smi(1),  smi(0),  0x1001, smi(-1),
			       0x2001,	     smi(18), smi(70), 0x4001, 0x3001 };
	const enum v8_slot_kind k[] = { S, S, S, T, S, O, S, S, O, O };
	/* the class scope: no name, positions 0-72 */
	const uint64_t cw[] = { smi(16777248), smi(0), smi(0), smi(0), smi(72), 0x3001 };
	const enum v8_slot_kind ck[] = { S, S, S, S, S, O };
	struct v8_scope sc;

	(void)state;
	assert_int_equal(v8_names__scope(w, k, 10, 2, false, &sc), 0);
	assert_int_equal(sc.name, 3);
	assert_int_equal(sc.start, 18);
	assert_int_equal(v8_names__scope(cw, ck, 6, 2, false, &sc), 0);
	assert_int_equal(sc.name, -1);
	assert_int_equal(sc.start, 0);
	assert_int_equal(sc.end, 72);
}

static void test_anonymous_and_locals(void **state)
{
	/* an anonymous function: an empty name, then its inferred one */
	const uint64_t a[] = { smi(94658), smi(0),   smi(0),   0x1001, smi(-1),
			       0x2001,	   smi(155), smi(170), 0x3001 };
	const enum v8_slot_kind ak[] = { S, S, S, T, S, T, S, S, O };
	/* two context locals (names, then their infos) before the name */
	const uint64_t l[] = { smi(1), smi(1), smi(2),	0x11, 0x21,   smi(5),
			       smi(6), 0x31,   smi(-1), O,    smi(3), smi(40) };
	const enum v8_slot_kind lk[] = { S, S, S, T, T, S, S, T, S, O, S, S };
	/* too many locals for inline names: a hash table of them */
	const uint64_t h[] = { smi(1), smi(0),	smi(2), 0x11,	smi(5), smi(6),
			       0x31,   smi(-1), 0x41,	smi(3), smi(40) };
	const enum v8_slot_kind hk[] = { S, S, S, O, S, S, T, S, O, S, S };
	struct v8_scope sc;

	(void)state;
	assert_int_equal(v8_names__scope(a, ak, 9, 2, false, &sc), 0);
	assert_int_equal(sc.name, 3);
	assert_int_equal(sc.inferred, 5);
	assert_int_equal(sc.start, 155);
	assert_int_equal(v8_names__scope(l, lk, 12, 2, false, &sc), 0);
	assert_int_equal(sc.name, 7);
	assert_int_equal(sc.start, 3);
	assert_int_equal(sc.end, 40);
	assert_int_equal(v8_names__scope(h, hk, 11, 2, false, &sc), 0);
	assert_int_equal(sc.name, 6);
	assert_int_equal(sc.start, 3);
}

static void test_not_a_scope(void **state)
{
	const uint64_t w[] = { smi(1), smi(0), smi(3), 0x11, smi(1), 0x21 };
	const enum v8_slot_kind k[] = { S, S, S, T, S, T };
	const enum v8_slot_kind bad[] = { T, S, S, T, S, T };
	const uint64_t neg[] = { smi(1), smi(0), smi(-1) };
	struct v8_scope sc;

	(void)state;
	/* three locals claimed, and the slots do not hold them */
	assert_int_equal(v8_names__scope(w, k, 6, 2, false, &sc), -EINVAL);
	assert_int_equal(v8_names__scope(w, bad, 6, 2, false, &sc), -EINVAL);
	assert_int_equal(v8_names__scope(neg, k, 3, 2, false, &sc), -EINVAL);
	assert_int_equal(v8_names__scope(w, k, 2, 2, false, &sc), -EINVAL);
	assert_int_equal(v8_names__scope_slots(2, 5, 600), 2 + 3 + 10 + 8);
	assert_int_equal(v8_names__scope_slots(2, 1000000, 600), 2 + 3 + 8);
	assert_int_equal(v8_names__scope_slots(2, 4000, 600), 600);
}

static void test_compose(void **state)
{
	char out[64], small[8];

	(void)state;
	v8_names__compose("Grid", "relax", NULL, "/srv/hot.js", 4, out, sizeof(out));
	assert_string_equal(out, "Grid.relax");
	v8_names__compose("", "hotLoopXyz", "x", "/srv/hot.js", 4, out, sizeof(out));
	assert_string_equal(out, "hotLoopXyz");
	v8_names__compose(NULL, "", "obj.method", "/srv/hot.js", 4, out, sizeof(out));
	assert_string_equal(out, "obj.method");
	v8_names__compose(NULL, "", "", "/srv/app/hot.js", 12, out, sizeof(out));
	assert_string_equal(out, "(anonymous hot.js:12)");
	v8_names__compose(NULL, NULL, NULL, "node:internal/timers", 0, out, sizeof(out));
	assert_string_equal(out, "(anonymous timers)");
	v8_names__compose(NULL, NULL, NULL, NULL, 3, out, sizeof(out));
	assert_string_equal(out, "(anonymous)");
	v8_names__compose("Grid", "relax", NULL, NULL, 0, small, sizeof(small));
	assert_string_equal(small, "Grid.re");
}

static void test_utf8(void **state)
{
	const uint8_t latin1[] = { 'c', 'a', 'f', 0xe9, '\n', 0x85 };
	const uint16_t wide[] = { 'a', 0x2028, 0xd83d, 0xde00, 0xdc00, 'z' };
	char out[32], tiny[4];

	(void)state;
	assert_int_equal(v8_names__utf8(latin1, 6, false, out, sizeof(out)), 7);
	assert_string_equal(out, "caf\xc3\xa9??");
	assert_int_equal(v8_names__utf8(wide, 6, true, out, sizeof(out)), 10);
	assert_string_equal(out, "a\xe2\x80\xa8\xf0\x9f\x98\x80?z");
	/* cut at a character, never inside one */
	assert_int_equal(v8_names__utf8(latin1, 6, false, tiny, sizeof(tiny)), 3);
	assert_string_equal(tiny, "caf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_function),
		cmocka_unit_test(test_method_and_class),
		cmocka_unit_test(test_anonymous_and_locals),
		cmocka_unit_test(test_not_a_scope),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
