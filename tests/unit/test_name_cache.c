// SPDX-License-Identifier: MIT
/* The name cache: answers by (file, address), strings interned once for every entry (and freed
 * with the last), C++ names demangled once, least recently used answers evicted past the budget
 * (never the one just added), a file's other identity never answered with the first's names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "symbolize/name_cache.h"

static const struct sym_frame two[] = {
	{ .name = "_ZN3geo3mixEi", .file = "a.cc", .line = 7, .decl_file = "a.h", .inlined = true },
	{ .name = "outer", .file = "a.cc", .line = 30, .decl_file = "a.cc", .decl_line = 20 },
};

static void add_and_find(void **state)
{
	struct name_cache *nc = name_cache__new(1 << 20);
	struct name_cache_stats st;
	struct name_entry e;
	char scratch[32];

	(void)state;
	assert_non_null(nc);
	assert_false(name_cache__find(nc, 1, 0x1000, &e));
	assert_int_equal(name_cache__add(nc, 1, 0x1000, 0xff0, 0, two, 2, &e), 0);
	assert_int_equal(e.nr, 2);
	assert_int_equal(e.sym_start, 0xff0);
	assert_true(name_cache__find(nc, 1, 0x1000, &e));
	assert_int_equal(e.nr, 2);
	assert_string_equal(e.frames[0].name, "_ZN3geo3mixEi");
	assert_string_equal(e.frames[0].display, "geo::mix(int)");
	assert_string_equal(e.frames[1].display, "outer"); /* C: itself */
	assert_string_equal(e.frames[0].decl_file, "a.h");
	assert_int_equal(e.frames[1].decl_line, 20);
	assert_true(e.frames[0].inlined);
	assert_true(e.frames[0].name != two[0].name); /* copied */
	/* another file (or the same file's new identity) at the same address: not this answer */
	assert_false(name_cache__find(nc, 2, 0x1000, &e));
	/* a second address sharing every string: interned once ("a.cc" twice in one entry too) */
	snprintf(scratch, sizeof(scratch), "%s", "outer");
	assert_int_equal(name_cache__add(nc, 1, 0x1004, 0, 0,
					 &(struct sym_frame){ .name = scratch, .file = "a.cc" }, 1,
					 &e),
			 0);
	st = name_cache__stats(nc);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.strings, 4); /* mix, outer, a.cc, a.h */
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 2);
	/* an answer without a name (a stripped function, by its start) */
	assert_int_equal(name_cache__add(nc, 3, 0x2000, 0, 0x1ff0, NULL, 0, NULL), 0);
	assert_true(name_cache__find(nc, 3, 0x2000, &e));
	assert_int_equal(e.nr, 0);
	assert_int_equal(e.func_start, 0x1ff0);
	/* replacing an answer */
	assert_int_equal(name_cache__add(nc, 1, 0x1000, 0, 0, two + 1, 1, &e), 0);
	assert_true(name_cache__find(nc, 1, 0x1000, &e));
	assert_int_equal(e.nr, 1);
	st = name_cache__stats(nc);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.strings, 2); /* outer and a.cc: mix and a.h went with the old one */
	name_cache__free(nc);
	name_cache__free(NULL);
}

/* Past the budget the least recently used answers go, with their strings; finding an answer makes
 * it the most recent. A budget of 0 keeps only the last one added. */
static void budget_evicts_lru(void **state)
{
	struct name_cache *nc = name_cache__new(1 << 20);
	struct name_cache_stats st;
	struct name_entry e;
	size_t one;

	(void)state;
	assert_int_equal(name_cache__add(nc, 1, 1, 0, 0, two, 2, NULL), 0);
	one = name_cache__stats(nc).bytes;
	for (uint64_t a = 2; a <= 4; a++)
		assert_int_equal(name_cache__add(nc, 1, a, 0, 0, two + 1, 1, NULL), 0);
	assert_true(name_cache__find(nc, 1, 1, &e)); /* the oldest is now the newest */
	st = name_cache__stats(nc);
	name_cache__set_budget(nc, st.bytes - 1);
	st = name_cache__stats(nc);
	assert_int_equal(st.evicted, 1);
	assert_false(name_cache__find(nc, 1, 2, &e)); /* the least recently used went */
	assert_true(name_cache__find(nc, 1, 1, &e));
	assert_true(st.bytes < st.peak_bytes);
	name_cache__set_budget(nc, 0);
	st = name_cache__stats(nc);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.strings, 0);
	assert_true(st.bytes < one); /* only the empty index is left */
	assert_int_equal(name_cache__add(nc, 1, 9, 0, 0, two, 2, &e), 0); /* kept: just added */
	assert_int_equal(e.nr, 2);
	assert_int_equal(name_cache__stats(nc).entries, 1);
	assert_int_equal(name_cache__add(nc, 1, 10, 0, 0, two, 2, NULL), 0);
	assert_false(name_cache__find(nc, 1, 9, &e));
	assert_true(name_cache__find(nc, 1, 10, &e));
	name_cache__free(nc);
}

/* Many answers: every one found while the budget holds them all, the count of bytes coming back
 * to the empty cache's once all are evicted. */
static void many(void **state)
{
	struct name_cache *nc = name_cache__new(64 << 20);
	struct name_entry e;
	char name[96], file[32];

	(void)state;
	for (uint64_t a = 0; a < 20000; a++) {
		snprintf(file, sizeof(file), "fn%llu", (unsigned long long)(a % 3000));
		snprintf(name, sizeof(name), "_Z%zu%sv", strlen(file), file);
		snprintf(file, sizeof(file), "f%llu.c", (unsigned long long)(a % 17));
		assert_int_equal(name_cache__add(nc, a % 5, a, a, 0,
						 &(struct sym_frame){ .name = name, .file = file },
						 1, NULL),
				 0);
	}
	for (uint64_t a = 0; a < 20000; a++) {
		assert_true(name_cache__find(nc, a % 5, a, &e));
		snprintf(name, sizeof(name), "fn%llu()", (unsigned long long)(a % 3000));
		assert_string_equal(e.frames[0].display, name);
	}
	assert_int_equal(name_cache__stats(nc).strings, 3000 + 17);
	name_cache__set_budget(nc, 0);
	assert_int_equal(name_cache__stats(nc).strings, 0);
	name_cache__free(nc);
}

/* Ticks: an answer not asked for in the last idle ticks goes; one asked for stays. */
static void idle_expire(void **state)
{
	struct name_cache *nc = name_cache__new(1 << 20);
	struct name_entry e;

	(void)state;
	assert_int_equal(name_cache__add(nc, 1, 1, 0, 0, two, 2, NULL), 0);
	assert_int_equal(name_cache__add(nc, 1, 2, 0, 0, two, 2, NULL), 0);
	for (int t = 0; t < 5; t++) {
		assert_true(name_cache__find(nc, 1, 2, &e)); /* kept in use */
		name_cache__tick(nc, 3);
	}
	assert_false(name_cache__find(nc, 1, 1, &e));
	assert_true(name_cache__find(nc, 1, 2, &e));
	assert_int_equal(name_cache__stats(nc).expired, 1);
	assert_int_equal(name_cache__stats(nc).entries, 1);
	name_cache__free(nc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_and_find),
		cmocka_unit_test(budget_evicts_lru),
		cmocka_unit_test(many),
		cmocka_unit_test(idle_expire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
