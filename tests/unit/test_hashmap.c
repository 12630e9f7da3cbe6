// SPDX-License-Identifier: MIT
/* hashmap: inserts, updates, finds and deletes against a plain array as the reference, with
 * a weak hash that makes long probe runs (and wrap-around at the end of the table) common. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "util/hashmap.h"

#define KEYS 2048

static uint64_t weak_hash(uintptr_t key, void *ctx)
{
	(void)ctx;
	return key % 7 + 1; /* 7 home slots for everything: worst-case clustering */
}

static void check_all(const struct hashmap *h, const uintptr_t *ref)
{
	size_t len = 0;

	for (uintptr_t k = 0; k < KEYS; k++) {
		uintptr_t v = 0;
		bool found = hashmap__find(h, k, &v);

		assert_int_equal(found, ref[k] != 0);
		if (found)
			assert_int_equal(v, ref[k]);
		len += ref[k] != 0;
	}
	assert_int_equal(h->len, len);
}

static void run(hashmap_hash_fn fn, int keys)
{
	uintptr_t *ref = calloc(KEYS, sizeof(*ref));
	struct hashmap h;

	hashmap__init(&h, fn, hashmap_equal_int, NULL);
	srand(7);
	for (int step = 0; step < 20000; step++) {
		uintptr_t k = (uintptr_t)(rand() % keys), v;
		int op = rand() % 3;

		if (op < 2) {
			v = (uintptr_t)rand() + 1;
			assert_int_equal(hashmap__set(&h, k, v), 0);
			ref[k] = v;
		} else {
			v = 0;
			assert_int_equal(hashmap__delete(&h, k, &v), ref[k] != 0);
			if (ref[k])
				assert_int_equal(v, ref[k]);
			ref[k] = 0;
		}
		if (step % 997 == 0)
			check_all(&h, ref);
	}
	check_all(&h, ref);
	/* delete everything: the map is empty and still usable */
	for (uintptr_t k = 0; k < KEYS; k++)
		if (ref[k])
			assert_true(hashmap__delete(&h, k, NULL));
	assert_int_equal(h.len, 0);
	assert_false(hashmap__delete(&h, 1, NULL));
	assert_int_equal(hashmap__set(&h, 5, 55), 0);
	check_all(&h, (uintptr_t[KEYS]){ [5] = 55 });
	hashmap__clear(&h);
	free(ref);
}

static void test_weak_hash(void **state)
{
	(void)state;
	run(weak_hash, 300);
}

static void test_good_hash(void **state)
{
	(void)state;
	run(hashmap_hash_int, KEYS);
}

static void test_empty(void **state)
{
	struct hashmap h;

	(void)state;
	hashmap__init(&h, hashmap_hash_int, hashmap_equal_int, NULL);
	assert_false(hashmap__find(&h, 1, NULL));
	assert_false(hashmap__delete(&h, 1, NULL));
	hashmap__clear(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weak_hash),
		cmocka_unit_test(test_good_hash),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
