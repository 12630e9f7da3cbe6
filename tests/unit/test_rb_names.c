// SPDX-License-Identifier: MIT
/* Ruby frame names from object bytes laid out as CRuby 3.1 lays them out (the offsets table),
 * and the composition of a frame's name as Ruby's rb_profile_frame_full_label does it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ruby/rb_names.h"
#include "ruby/rb_offsets.h"

static void put64(uint8_t *buf, size_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

static const struct rb_offsets *o31(void)
{
	const struct rb_offsets *o = rb_offsets__find(3, 1);

	assert_non_null(o);
	return o;
}

static void test_strings(void **state)
{
	const struct rb_offsets *o = o31();
	uint8_t obj[RB_NAMES_OBJ] = { 0 };
	struct rb_str s;

	(void)state;
	/* embedded: the length in the flags, the bytes in the object */
	put64(obj, 0, o->t_string | (5ULL << o->str_len_shift));
	memcpy(obj + o->str_embed, "spin_", 5);
	assert_true(rb_names__str(obj, sizeof(obj), o, &s));
	assert_true(s.embedded);
	assert_int_equal(s.len, 5);
	assert_int_equal(s.off, o->str_embed);
	/* an embedded length past the object */
	put64(obj, 0,
	      o->t_string | ((uint64_t)(RB_NAMES_OBJ - o->str_embed + 1) << o->str_len_shift));
	assert_false(rb_names__str(obj, sizeof(obj), o, &s));
	/* on the heap */
	put64(obj, 0, o->t_string | o->str_noembed);
	put64(obj, o->str_heap_len, 300);
	put64(obj, o->str_heap_ptr, 0x7f0000001000ULL);
	assert_true(rb_names__str(obj, sizeof(obj), o, &s));
	assert_false(s.embedded);
	assert_int_equal(s.len, 300);
	assert_int_equal(s.ptr, 0x7f0000001000ULL);
	/* too long, a kernel pointer, not a String, too short a read */
	put64(obj, o->str_heap_len, (1u << 20) + 1);
	assert_false(rb_names__str(obj, sizeof(obj), o, &s));
	put64(obj, o->str_heap_len, 3);
	put64(obj, o->str_heap_ptr, 0xffff888000000000ULL);
	assert_false(rb_names__str(obj, sizeof(obj), o, &s));
	put64(obj, 0, o->t_array | o->str_noembed);
	assert_false(rb_names__str(obj, sizeof(obj), o, &s));
	assert_false(rb_names__str(obj, 4, o, &s));
}

static void test_arrays(void **state)
{
	const struct rb_offsets *o = o31();
	uint8_t obj[RB_NAMES_OBJ] = { 0 };
	struct rb_ary a;

	(void)state;
	put64(obj, 0, o->t_array | o->ary_embed | (2ULL << o->ary_len_shift));
	assert_true(rb_names__ary(obj, sizeof(obj), 0x1000, o, &a));
	assert_int_equal(a.len, 2);
	assert_int_equal(a.ptr, 0x1000 + o->ary_embed_ptr);
	put64(obj, 0, o->t_array);
	put64(obj, o->ary_heap_len, 1000);
	put64(obj, o->ary_heap_ptr, 0x7f0000002000ULL);
	assert_true(rb_names__ary(obj, sizeof(obj), 0x1000, o, &a));
	assert_int_equal(a.len, 1000);
	assert_int_equal(a.ptr, 0x7f0000002000ULL);
	put64(obj, o->ary_heap_ptr, 3); /* an immediate, not a pointer */
	assert_false(rb_names__ary(obj, sizeof(obj), 0x1000, o, &a));
	put64(obj, 0, o->t_string);
	assert_false(rb_names__ary(obj, sizeof(obj), 0x1000, o, &a));
}

static void test_body_and_ivars(void **state)
{
	const struct rb_offsets *o = o31();
	uint8_t body[RB_NAMES_BODY] = { 0 }, ents[3 * 24] = { 0 };
	struct rb_body b;

	(void)state;
	assert_false(rb_names__body(body, sizeof(body), o, &b)); /* no code, no label */
	put64(body, o->body_iseq_encoded, 0x600000001000ULL);
	put64(body, o->body_label, 0x600000002000ULL);
	put64(body, o->body_first_lineno, 2 * 42 + 1); /* Fixnum 42 */
	memcpy(body + o->body_iseq_size, &(uint32_t){ 77 }, 4);
	memcpy(body + o->body_insns_size, &(uint32_t){ 9 }, 4);
	body[o->body_type] = 1;
	assert_true(rb_names__body(body, sizeof(body), o, &b));
	assert_int_equal(b.first_line, 42);
	assert_int_equal(b.iseq_size, 77);
	assert_int_equal(b.info_size, 9);
	assert_int_equal(b.type, 1);
	assert_false(rb_names__body(body, o->body_local_iseq, o, &b)); /* cut short */
	/* ivar table entries: hash, key, record; a deleted one is skipped */
	put64(ents, 0, UINT64_MAX);
	put64(ents, 8, 0xc11);
	put64(ents, 16, 0xdead);
	put64(ents, 24, 1234);
	put64(ents, 32, 0xc11);
	put64(ents, 40, 0x600000003000ULL);
	assert_int_equal(rb_names__st_find(ents, sizeof(ents), o, 0xc11), 0x600000003000ULL);
	assert_int_equal(rb_names__st_find(ents, sizeof(ents), o, 0x999), 0);
	assert_int_equal(rb_names__st_find(ents, 30, o, 0xc11), 0); /* partial entries: not read */
	/* IDs: operators are their own serial, others shifted */
	assert_int_equal(rb_names__id_serial('+', o), '+');
	assert_int_equal(rb_names__id_serial(0xd511, o), 0xd511 >> o->id_scope_shift);
}

static void test_labels(void **state)
{
	char out[RB_NAMES_MAX * 6 + 8];

	(void)state;
	rb_names__label("spin_xyz", "spin_xyz", "Burner", false, true, out, sizeof(out));
	assert_string_equal(out, "Burner#spin_xyz");
	rb_names__label("create", "create", "Burner", true, true, out, sizeof(out));
	assert_string_equal(out, "Burner.create");
	rb_names__label("block in spin_y", "spin_y", "Burner", false, true, out, sizeof(out));
	assert_string_equal(out, "block in Burner#spin_y");
	rb_names__label("block (2 levels) in run", "run", NULL, false, true, out, sizeof(out));
	assert_string_equal(out, "block (2 levels) in run");
	rb_names__label("<main>", "<main>", NULL, false, false, out, sizeof(out));
	assert_string_equal(out, "<main>");
	rb_names__label("<class:Burner>", "<class:Burner>", "X", false, false, out, sizeof(out));
	assert_string_equal(out, "<class:Burner>");
	/* a C function: the method's name, no label */
	rb_names__label(NULL, "sqrt", "Math", true, true, out, sizeof(out));
	assert_string_equal(out, "Math.sqrt");
	rb_names__label(NULL, "deflate", "Zlib::Deflate", false, true, out, sizeof(out));
	assert_string_equal(out, "Zlib::Deflate#deflate");
	/* a label that does not end with the method's name keeps no prefix */
	rb_names__label("odd", "spin", "K", false, true, out, sizeof(out));
	assert_string_equal(out, "K#spin");
	/* truncated to the buffer, NUL-terminated */
	assert_int_equal(rb_names__label("abcdef", "abcdef", "K", false, true, out, 4), 3);
	assert_string_equal(out, "K#a");
	assert_int_equal(rb_names__label("a", "a", NULL, false, true, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_body_and_ivars),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
