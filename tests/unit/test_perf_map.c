// SPDX-License-Identifier: MIT
/* perf_map: lines as Node --perf-basic-prof, .NET and Python -X perf write them, regenerated
 * code at an address already named (the later line wins), malformed and hostile lines, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/perf_map.h"

static struct perf_map *parse(const char *text)
{
	struct perf_map *pm = perf_map__parse(text, strlen(text), 1000);

	assert_non_null(pm);
	return pm;
}

static void test_formats(void **state)
{
	struct perf_map *pm = parse("3a4f1c0 40 LazyCompile:~fib /app/fib.js:3\n"
				    "0x7f00aa000000 0x100 py::hot_loop:/app/x.py\n"
				    "7F00BB000000 20 [.NET] Program::Main()\r\n"
				    "\n");
	uint64_t start = 0;

	(void)state;
	assert_int_equal(perf_map__count(pm), 3);
	assert_int_equal(perf_map__dropped(pm), 0);
	assert_string_equal(perf_map__lookup(pm, 0x3a4f1c0, &start),
			    "LazyCompile:~fib /app/fib.js:3");
	assert_int_equal(start, 0x3a4f1c0);
	assert_non_null(perf_map__lookup(pm, 0x3a4f1ff, NULL));
	assert_null(perf_map__lookup(pm, 0x3a4f200, NULL)); /* one past the end */
	assert_null(perf_map__lookup(pm, 0x3a4f1bf, NULL));
	assert_string_equal(perf_map__lookup(pm, 0x7f00aa0000ff, NULL), "py::hot_loop:/app/x.py");
	assert_string_equal(perf_map__lookup(pm, 0x7f00bb000010, NULL), "[.NET] Program::Main()");
	assert_null(perf_map__lookup(pm, 0, NULL));
	assert_null(perf_map__lookup(pm, UINT64_MAX, NULL));
	perf_map__free(pm);
}

static void test_overlaps(void **state)
{
	/* the JIT freed old code and compiled new code over it: the later line wins */
	struct perf_map *pm = parse("1000 100 old_whole\n"
				    "1040 10 new_middle\n"
				    "2000 10 first_at_2000\n"
				    "2000 20 second_at_2000\n"
				    "3000 100 newer_tail\n"
				    "2ff0 20 older_head\n");

	(void)state;
	assert_string_equal(perf_map__lookup(pm, 0x1000, NULL), "old_whole");
	assert_string_equal(perf_map__lookup(pm, 0x1045, NULL), "new_middle");
	assert_string_equal(perf_map__lookup(pm, 0x2005, NULL), "second_at_2000");
	assert_string_equal(perf_map__lookup(pm, 0x2015, NULL), "second_at_2000");
	/* older_head came last in the file, so it wins its 0x20 bytes over newer_tail */
	assert_string_equal(perf_map__lookup(pm, 0x3005, NULL), "older_head");
	assert_string_equal(perf_map__lookup(pm, 0x3010, NULL), "newer_tail");
	/* no two kept ranges overlap: walk every byte boundary of interest */
	for (uint64_t a = 0xff0; a < 0x3200; a += 8) {
		uint64_t s1 = 0;
		const char *n = perf_map__lookup(pm, a, &s1);

		if (n)
			assert_true(s1 <= a);
	}
	perf_map__free(pm);
}

static void test_hostile(void **state)
{
	char *big, *p;
	struct perf_map *pm;

	(void)state;
	pm = parse("zz 10 bad_start\n"
		   "1000 zz bad_size\n"
		   "1000 0 empty\n"
		   "1000 10\n"
		   "1000 10 \n"
		   "ffffffffffffffff 10 wraps\n"
		   "11112222333344445 10 too_many_digits\n"
		   "1000  10 two_spaces\n"
		   "5000 10 ok\n");
	assert_int_equal(perf_map__count(pm), 1);
	assert_int_equal(perf_map__dropped(pm), 8);
	assert_string_equal(perf_map__lookup(pm, 0x5000, NULL), "ok");
	perf_map__free(pm);

	/* a name with a NUL byte is refused; one past the cap is cut, not overflowed */
	pm = perf_map__parse("1000 10 a\0b\n", 12, 10);
	assert_int_equal(perf_map__count(pm), 0);
	perf_map__free(pm);
	big = malloc(PERF_MAP_MAX_NAME + 64);
	p = big + sprintf(big, "1000 10 ");
	memset(p, 'x', PERF_MAP_MAX_NAME + 40);
	pm = perf_map__parse(big, (size_t)(p - big) + PERF_MAP_MAX_NAME + 40, 10);
	assert_int_equal(strlen(perf_map__lookup(pm, 0x1000, NULL)), PERF_MAP_MAX_NAME);
	perf_map__free(pm);
	free(big);

	/* max_entries bounds what a process can make flamed hold */
	pm = perf_map__parse("1 1 a\n2 1 b\n3 1 c\n4 1 d\n", 24, 2);
	assert_int_equal(perf_map__count(pm), 2);
	assert_int_equal(perf_map__dropped(pm), 2);
	perf_map__free(pm);
	perf_map__free(NULL);
	assert_null(perf_map__lookup(NULL, 1, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
