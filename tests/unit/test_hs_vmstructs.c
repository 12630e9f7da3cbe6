// SPDX-License-Identifier: MIT
/* The HotSpot tables' parser on copies of two real JVMs' tables (fuzz/corpus/hs_vmstructs:
 * Debian's OpenJDK 17 and Temurin 25, made by tests/data/hotspot/vmstructs_image.py): the
 * offsets flamed uses, from the generation each JDK belongs to (JDK 23 moved code and nmethod
 * data to offsets, JDK 20 changed the compressed streams' encoding); and forged tables:
 * truncated, no stride yet, a stride too big, no terminator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hotspot/hs_vmstructs.h"

static uint8_t *load(const char *name, size_t *ret_len)
{
	char path[512];
	uint8_t *buf;
	long len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../fuzz/corpus/hs_vmstructs/%s", FLAMED_TEST_SRC_DIR,
		 name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*ret_len = (size_t)len;
	return buf;
}

static void jdk17(void **state)
{
	size_t len;
	uint8_t *img = load("jdk17.bin", &len);
	struct hs_layout l;
	char what[128];

	(void)state;
	assert_int_equal(hs_vmstructs__read_image(img, len, &l, what, sizeof(what)), 0);
	assert_int_equal(l.major, 17);
	assert_false(l.code_is_offset);
	assert_false(l.deopt_is_offset);
	assert_false(l.scopes_is_offset);
	assert_false(l.complete_is_s16);
	assert_int_equal(l.unsigned5_x, 0);
	assert_int_equal(l.cm_flags_size, 2);
	/* a method's tag: its code size, name, signature, stack, locals, parameters' size */
	assert_int_equal(l.cm_code_size, 32);
	assert_int_equal(l.cm_max_stack, 40);
	assert_int_equal(l.cm_params, 44);
	assert_int_equal(l.has_line_table, 1);
	assert_int_equal(l.method_const, 8);
	assert_int_equal(l.blob_name, 96);
	assert_int_equal(l.blob_frame_size, 28);
	assert_int_equal(l.blob_code_begin, 32);
	assert_int_equal(l.nm_compile_id, 304);
	assert_int_equal(l.nm_method, 112);
	assert_int_equal(l.heapblock_size, 16);
	assert_int_equal(l.constmethod_size, 48);
	assert_int_equal(l.pcdesc_size, 16);
	assert_int_equal(l.interp_sender_sp, -1);
	assert_int_equal(l.interp_method, -3);
	assert_int_equal(l.interp_bcp, -8);
	assert_true(l.nm_dependencies < HS_VM_MAX_STRUCT);
	free(img);
}

static void jdk25(void **state)
{
	size_t len;
	uint8_t *img = load("jdk25.bin", &len);
	struct hs_layout l;
	char what[128];

	(void)state;
	assert_int_equal(hs_vmstructs__read_image(img, len, &l, what, sizeof(what)), 0);
	assert_int_equal(l.major, 25);
	assert_true(l.code_is_offset);
	assert_true(l.deopt_is_offset);
	assert_true(l.scopes_is_offset);
	assert_true(l.complete_is_s16);
	assert_int_equal(l.unsigned5_x, 1);
	assert_int_equal(l.cm_flags_size, 4);
	assert_int_equal(l.cm_code_size, 34);
	assert_int_equal(l.cm_max_locals, 44);
	assert_int_equal(l.cm_params, 46);
	assert_int_equal(l.blob_name, 8);
	assert_int_equal(l.heapblock_size, 8);
	assert_int_equal(l.constmethod_size, 56);
	assert_int_equal(l.interp_method, -3);
	assert_int_equal(l.interp_bcp, -8);
	assert_true(l.nm_immutable < HS_VM_MAX_STRUCT);
	assert_true(l.blob_mutable_data < HS_VM_MAX_STRUCT);
	free(img);
}

static void forged(void **state)
{
	size_t len;
	uint8_t *img = load("jdk17.bin", &len), *copy = malloc(len);
	struct hs_layout l, full;
	char what[128];
	uint64_t v;

	(void)state;
	assert_non_null(copy);
	assert_int_equal(hs_vmstructs__read_image(img, len, &full, what, sizeof(what)), 0);
	/* truncated anywhere: an error (or, past all it uses, the same layout), never a crash */
	for (size_t cut = 0; cut < len; cut += 997) {
		memcpy(copy, img, cut);
		if (!hs_vmstructs__read_image(copy, cut, &l, what, sizeof(what)))
			assert_memory_equal(&l, &full, sizeof(l));
	}
	/* the structs table's stride still 0 (a JVM starting): asked again later */
	memcpy(copy, img, len);
	v = 0;
	memcpy(copy + 8, &v, 8);
	assert_int_equal(hs_vmstructs__read_image(copy, len, &l, what, sizeof(what)), -EAGAIN);
	/* a stride past any real entry */
	v = 100000;
	memcpy(copy + 8, &v, 8);
	assert_int_equal(hs_vmstructs__read_image(copy, len, &l, what, sizeof(what)), -ENOTSUP);
	/* a table that never ends: the structs table's base pointed at an endless run of entries
	 * naming a type: bounded, and refused */
	memcpy(copy, img, len);
	v = HS_VM_IMAGE_BASE;
	memcpy(copy, &v, 8); /* base: the symbol words themselves, then more */
	assert_int_not_equal(hs_vmstructs__read_image(copy, len, &l, what, sizeof(what)), 0);
	free(copy);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jdk17),
		cmocka_unit_test(jdk25),
		cmocka_unit_test(forged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
