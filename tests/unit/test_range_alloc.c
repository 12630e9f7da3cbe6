// SPDX-License-Identifier: MIT
/* The row-range allocator: first fit, quarantine for one recycle period, merging. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/range_alloc.h"

static void first_fit_and_full(void **state)
{
	struct range_alloc ra;
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(range_alloc__init(&ra, 100), 0);
	assert_int_equal(range_alloc__alloc(&ra, 40, &a), 0);
	assert_int_equal(range_alloc__alloc(&ra, 40, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 40);
	assert_int_equal(range_alloc__alloc(&ra, 21, &c), -ENOSPC);
	assert_int_equal(range_alloc__alloc(&ra, 20, &c), 0);
	assert_int_equal(c, 80);
	assert_int_equal(ra.used, 100);
	assert_int_equal(range_alloc__alloc(&ra, 0, &c), -EINVAL);
	range_alloc__destroy(&ra);
}

static void quarantine_lasts_one_period(void **state)
{
	struct range_alloc ra;
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(range_alloc__init(&ra, 100), 0);
	assert_int_equal(range_alloc__alloc(&ra, 60, &a), 0);
	assert_int_equal(range_alloc__alloc(&ra, 40, &b), 0);
	assert_int_equal(range_alloc__free(&ra, a, 60), 0);
	/* freed, but a reader may still see it: not reusable yet */
	assert_int_equal(range_alloc__alloc(&ra, 10, &c), -ENOSPC);
	assert_int_equal(range_alloc__recycle(&ra), 0); /* one period begins */
	assert_int_equal(range_alloc__alloc(&ra, 10, &c), -ENOSPC);
	assert_int_equal(ra.used, 100);
	assert_int_equal(range_alloc__recycle(&ra), 0); /* ... and has passed */
	assert_int_equal(ra.used, 40);
	assert_int_equal(range_alloc__alloc(&ra, 60, &c), 0);
	assert_int_equal(c, 0);
	range_alloc__destroy(&ra);
}

static void neighbours_merge(void **state)
{
	struct range_alloc ra;
	uint32_t r[5], big;

	(void)state;
	assert_int_equal(range_alloc__init(&ra, 50), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(range_alloc__alloc(&ra, 10, &r[i]), 0);
	/* free out of order: 3, 1, 2 (which joins both), then 0 and 4 */
	assert_int_equal(range_alloc__free(&ra, r[3], 10), 0);
	assert_int_equal(range_alloc__free(&ra, r[1], 10), 0);
	assert_int_equal(range_alloc__free(&ra, r[2], 10), 0);
	assert_int_equal(range_alloc__free(&ra, r[0], 10), 0);
	assert_int_equal(range_alloc__free(&ra, r[4], 10), 0);
	assert_int_equal(range_alloc__recycle(&ra), 0);
	assert_int_equal(range_alloc__recycle(&ra), 0);
	assert_int_equal(ra.nr_free, 1);
	assert_int_equal(range_alloc__largest(&ra), 50);
	assert_int_equal(range_alloc__alloc(&ra, 50, &big), 0);
	assert_int_equal(big, 0);
	range_alloc__destroy(&ra);
	range_alloc__destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_fit_and_full),
		cmocka_unit_test(quarantine_lasts_one_period),
		cmocka_unit_test(neighbours_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
