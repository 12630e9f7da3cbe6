// SPDX-License-Identifier: MIT
/* Names of Python frames: modules from file names, str data of each kind to UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "python/py_names.h"

static void test_module(void **state)
{
	static const char *const cases[][2] = {
		{ "/srv/app/worker.py", "worker" },
		{ "worker.py", "worker" },
		{ "/usr/lib/python3.11/json/__init__.py", "json" },
		{ "__init__.py", "__init__" },
		{ "/x/script", "script" },
		{ "<frozen importlib._bootstrap>", "importlib._bootstrap" },
		{ "<frozen unterminated", "" },
		{ "<string>", "" },
		{ "", "" },
		{ "/a.b/c", "c" },
	};
	char out[64], small[4];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		py_names__module(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	py_names__module("/srv/averylongmodulename.py", small, sizeof(small));
	assert_string_equal(small, "ave");
}

static void test_utf8(void **state)
{
	const uint8_t latin1[] = { 'c', 'a', 'f', 0xe9, '\n' };
	const uint8_t ucs2[] = { 0x3b, 0x04, 0x00, 0xd8, 'x', 0 }; /* л, a lone surrogate, x */
	const uint8_t ucs4[] = { 0x00, 0xf6, 0x01, 0x00, 0x00, 0x00, 0x11, 0x00 };
	char out[64];

	(void)state;
	assert_int_equal(py_names__utf8(1, latin1, sizeof(latin1), out), 6);
	assert_string_equal(out, "caf\xc3\xa9?"); /* control characters become '?' */
	py_names__utf8(2, ucs2, 3, out);
	assert_string_equal(out, "\xd0\xbb?x");
	py_names__utf8(4, ucs4, 2, out); /* U+1F600, then one past U+10FFFF */
	assert_string_equal(out, "\xf0\x9f\x98\x80?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
