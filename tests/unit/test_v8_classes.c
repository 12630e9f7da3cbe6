// SPDX-License-Identifier: MIT
/* The classes a script declares, for "Class.method": members by the position V8 gives a
 * function (its parameter list), nested classes, methods' inner functions (not members),
 * braces and slashes inside strings, templates, comments and regular expressions, and scans
 * that lose their way (no classes at all). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "v8/v8_classes.h"

/* Scan src (fed in chunks of n bytes) into c. */
static void scan(struct v8_classes *c, const char *src, size_t n)
{
	size_t len = strlen(src);

	v8_classes__init(c);
	for (size_t i = 0; i < len; i += n)
		assert_int_equal(
			v8_classes__feed1(c, (const uint8_t *)src + i, len - i < n ? len - i : n),
			0);
	v8_classes__end(c);
}

/* The class of the function whose parameter list starts at the first '(' after marker. */
static const char *class_at(const struct v8_classes *c, const char *src, const char *marker)
{
	const char *m = strstr(src, marker);

	assert_non_null(m);
	return v8_classes__of(c, (uint64_t)(strchr(m, '(') - src));
}

static void test_members(void **state)
{
	static const char src[] =
		"\"use strict\";\n"
		"// class Fake { not(x) {} }\n"
		"class Grid extends Base.with({ x: 1 }) {\n"
		"  relax(rounds) { const s = '}'; return `${s}{${ {a: 1}.a }`; }\n"
		"  static make(n) { return new Grid(n); }\n"
		"  get size() { return this.n / 2 / 1; }\n"
		"  field = (a) => a;\n"
		"  inner(x) { return function helper(y) { return /[}{]\\//.test(y); }; }\n"
		"  other(z) { class Nested { deep(q) { return q; } } return Nested; }\n"
		"}\n"
		"function free(a) { return a; }\n"
		"const obj = { method(b) { return b; }, class: 1 };\n"
		"const Anon = class { m(k) {} };\n";
	struct v8_classes c;

	(void)state;
	for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
		scan(&c, src, chunk);
		assert_false(c.broken);
		assert_string_equal(class_at(&c, src, "relax"), "Grid");
		assert_string_equal(class_at(&c, src, "static make"), "Grid");
		assert_string_equal(class_at(&c, src, "get size"), "Grid");
		assert_string_equal(class_at(&c, src, "field = "), "Grid");
		assert_string_equal(class_at(&c, src, "inner"), "Grid");
		assert_null(class_at(&c, src, "helper"));
		assert_string_equal(class_at(&c, src, "deep"), "Nested");
		assert_null(class_at(&c, src, "not(x)"));
		assert_null(class_at(&c, src, "function free"));
		assert_null(class_at(&c, src, "method(b)"));
		assert_null(class_at(&c, src, "m(k)")); /* an anonymous class */
		v8_classes__release(&c);
	}
}

static void test_wide(void **state)
{
	const char *src = "class Caf\xc3\xa9 {\n m\xe2\x80\xa8(a) {}\n}";
	uint16_t w[64];
	size_t n = 0;
	struct v8_classes c;

	(void)state;
	/* the same text as UTF-16: "class Café {\n m<LS>(a) {}\n}" */
	for (const char *s = "class Caf"; *s; s++)
		w[n++] = (uint8_t)*s;
	w[n++] = 0xe9;
	for (const char *s = " {\n m"; *s; s++)
		w[n++] = (uint8_t)*s;
	w[n++] = 0x2028;
	for (const char *s = "(a) {}\n}"; *s; s++)
		w[n++] = (uint8_t)*s;
	(void)src;
	v8_classes__init(&c);
	assert_int_equal(v8_classes__feed2(&c, w, n), 0);
	v8_classes__end(&c);
	assert_false(c.broken);
	assert_non_null(v8_classes__of(&c, 16));
	v8_classes__release(&c);
}

static void test_lost(void **state)
{
	static const char *const bad[] = {
		"class A { m(x) { }",		      /* unbalanced */
		"class A { m(x) { return 'a\n'; } }", /* a string across lines */
		"class A { m(x) { } } }",	      /* one brace too many */
		"class A { m(x) { `${ } }",	      /* an unterminated template */
	};
	struct v8_classes c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		scan(&c, bad[i], 7);
		assert_true(c.broken);
		assert_null(v8_classes__of(&c, 12));
		v8_classes__release(&c);
	}
	v8_classes__release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
