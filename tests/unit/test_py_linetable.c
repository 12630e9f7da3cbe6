// SPDX-License-Identifier: MIT
/* CPython line tables against CPython itself: tests/data/python/linetables.txt holds code objects'
 * tables from every interpreter on the machine (3.8-3.13) with the line each interpreter gives
 * every instruction offset (gen_linetables.py: co_lines(), dis.findlinestarts()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "python/py_linetable.h"

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static void test_against_cpython(void **state)
{
	FILE *f = fopen(FLAMED_TEST_SRC_DIR "/data/python/linetables.txt", "r");
	char *line = NULL;
	size_t cap = 0, records = 0, checked = 0, mismatches = 0;
	int minors[16] = { 0 };

	(void)state;
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		char *hex = NULL, *pairs = NULL, *tok, *save = NULL;
		int minor, first;
		uint8_t *table;
		size_t len;

		assert_int_equal(sscanf(line, "%d %d %ms %ms", &minor, &first, &hex, &pairs), 4);
		len = strcmp(hex, "-") ? strlen(hex) / 2 : 0; /* "-": an empty table */
		table = malloc(len ? len : 1);
		assert_non_null(table);
		for (size_t i = 0; i < len; i++)
			table[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
		for (tok = strtok_r(pairs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			unsigned instr;
			long want;

			assert_int_equal(sscanf(tok, "%u:%ld", &instr, &want), 2);
			if (py_linetable__line(minor, table, len, first, instr) != want)
				print_error(
					"3.%d def line %d instr %u: line %lld, CPython says %ld",
					minor, first, instr,
					(long long)py_linetable__line(minor, table, len, first,
								      instr),
					want);
			mismatches += py_linetable__line(minor, table, len, first, instr) != want;
			checked++;
		}
		/* past the end (3.10+: no line; co_lnotab's last line runs on, as in CPython) and
		 * truncated tables: no read past len */
		if (minor >= 10)
			assert_int_equal(py_linetable__line(minor, table, len, first, 1u << 30), 0);
		for (size_t cut = 0; cut < len; cut++)
			assert_true(py_linetable__line(minor, table, cut, first, 3) >= 0);
		minors[minor & 15]++;
		records++;
		free(table);
		free(hex);
		free(pairs);
	}
	free(line);
	fclose(f);
	printf("%zu code objects, %zu offsets checked, %zu mismatches\n", records, checked,
	       mismatches);
	assert_int_equal(mismatches, 0);
	for (int m = 8; m <= 13; m++)
		assert_true(minors[m] > 0); /* every version is in the data */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_cpython),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
