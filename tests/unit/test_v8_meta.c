// SPDX-License-Identifier: MIT
/* V8's post-mortem metadata: the v8dbg_ symbols of Node 20's binary (V8 11.3, listed in
 * fuzz/corpus/v8_meta/node20.txt with their values), what finish completes from them (the
 * fields that release does not export, checked against V8 11.3's layouts), and what it refuses.
 * If a node binary is installed, its own metadata is read through the ELF reader too. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "v8/v8_elf.h"
#include "v8/v8_meta.h"

#define CORPUS FLAMED_TEST_SRC_DIR "/../fuzz/corpus/v8_meta/"

/* Load a "NAME VALUE" file (its "version" line too) into m; the number of symbols. */
static int load(const char *file, struct v8_meta *m)
{
	FILE *f = fopen(file, "r");
	char name[128];
	unsigned v[4];
	int value, n = 0;

	assert_non_null(f);
	v8_meta__init(m);
	while (fscanf(f, "%127s", name) == 1) {
		if (!strcmp(name, "version")) {
			assert_int_equal(fscanf(f, "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]), 4);
			v8_meta__set_version(m, v[0], v[1], v[2], v[3]);
			continue;
		}
		assert_int_equal(fscanf(f, "%d", &value), 1);
		v8_meta__add(m, name, value);
		n++;
	}
	fclose(f);
	return n;
}

static void test_node20(void **state)
{
	struct v8_meta m;
	const char *why = "unset";

	(void)state;
	assert_true(load(CORPUS "node20.txt", &m) > 500);
	assert_int_equal(v8_meta__finish(&m, &why), 0);
	assert_null(why);
	assert_int_equal(m.version, V8_VERSION(11, 3, 244));
	/* exported */
	assert_int_equal(m.fp_context, -8);
	assert_int_equal(m.fp_function, -16);
	assert_int_equal(m.fp_bytecode_array, -32);
	assert_int_equal(m.fp_bytecode_offset, -40);
	assert_int_equal(m.smi_shift, 32);
	assert_int_equal(m.jsf_shared, 24);
	assert_int_equal(m.sfi_function_data, 8);
	assert_int_equal(m.sfi_name_or_scope_info, 16);
	assert_int_equal(m.sfi_script, 32);
	assert_int_equal(m.sfi_length, 40);
	assert_int_equal(m.code_deopt_data, 16);
	assert_int_equal(m.code_positions, 24);
	assert_int_equal(m.bytecode_data, 54);
	assert_int_equal(m.code_kind_baseline, 11);
	assert_int_equal(m.code_kind_interpreted, 10);
	/* V8 11.3 leaves these out: its layouts (JSFunction: shared, context, feedback cell, code;
	 * Code: ..., instruction stream, instruction start, flags, builtin id, kind-specific flags,
	 * instruction size; BytecodeArray: length, constant pool, handler table, positions) */
	assert_int_equal(m.jsf_code, 48);
	assert_int_equal(m.code_start, 40);
	assert_int_equal(m.code_flags, 48);
	assert_int_equal(m.code_size, 56);
	assert_false(m.code_start_inline);
	assert_int_equal(m.bytecode_positions, 32);
	assert_int_equal(m.script_id, 64);
	assert_int_equal(m.deopt_sfi, 6);
	assert_int_equal(m.deopt_inlining_positions, 7);
	assert_int_equal(m.scope_nlocals, 2);
}

static void test_refused(void **state)
{
	static const char *const files[] = { "missing.txt", "compressed.txt", "out_of_range.txt",
					     "old.txt" };
	struct v8_meta m;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];

		snprintf(path, sizeof(path), CORPUS "%s", files[i]);
		load(path, &m);
		why = NULL;
		assert_int_equal(v8_meta__finish(&m, &why), -ENOTSUP);
		assert_non_null(why);
	}
	/* nothing at all */
	v8_meta__init(&m);
	assert_int_equal(v8_meta__finish(&m, &why), -ENOTSUP);
	/* a second symbol of one name does not override the first */
	load(CORPUS "node20.txt", &m);
	v8_meta__add(&m, "off_fp_function", -24);
	assert_int_equal(v8_meta__finish(&m, &why), 0);
	assert_int_equal(m.fp_function, -16);
}

static void test_installed_node(void **state)
{
	static const char *const paths[] = { "/usr/bin/node", "/usr/local/bin/node" };
	struct v8_elf *e = calloc(1, sizeof(*e));
	int fd = -1;

	(void)state;
	for (size_t i = 0; fd < 0 && i < sizeof(paths) / sizeof(paths[0]); i++)
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(e);
		skip();
	}
	assert_int_equal(v8_elf__read(fd, e), 0);
	close(fd);
	assert_true(e->found);
	assert_int_equal(e->err, 0);
	assert_true(e->blob_vaddr && e->blob_size > (1u << 20));
	assert_true(e->nr_bytecodes > 100);
	assert_true(e->version[0]);
	assert_true(e->meta.symbols > 40);
	assert_int_equal(e->meta.fp_function, -16);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node20),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_installed_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
