// SPDX-License-Identifier: MIT
/* demangle: C++ (templates, lambdas, clones), Rust legacy (hash dropped) and v0, names that are
 * not mangled, and hostile input (overlong, truncated, deep nesting). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "symbolize/demangle.h"

static void expect(const char *mangled, const char *want)
{
	char *got = demangle(mangled);

	if (!want) {
		if (got)
			fail_msg("%s: expected no demangling, got %s", mangled ? mangled : "(null)",
				 got);
		return;
	}
	if (!got)
		fail_msg("%s: not demangled", mangled);
	assert_string_equal(got, want);
	free(got);
}

static void test_languages(void **state)
{
	(void)state;
	expect("_ZN3geo4GridIiE5relaxEi", "geo::Grid<int>::relax(int)");
	expect("_ZZ4mainENKUliE_clEi.constprop.0",
	       "main::{lambda(int)#1}::operator()(int) const [clone .constprop.0]");
	expect("_ZNSt6vectorIiSaIiEE9push_backERKi",
	       "std::vector<int, std::allocator<int> >::push_back(int const&)");
	expect("_ZN4core3fmt5write17h3b0c5c6bb8e0e1f5E", "core::fmt::write");
	/* Rust v0 stays mangled: libiberty's v0 demangler can be made to spin (demangle.c) */
	expect("_RNvCs15kBYyAo9fc_7mycrate7example", NULL);
}

static void test_not_mangled(void **state)
{
	(void)state;
	expect("main", NULL);
	expect("__libc_start_main", NULL);
	expect("do_syscall_64", NULL);
	expect("_start", NULL);
	expect("", NULL);
	expect(NULL, NULL);
	expect("_Z", NULL);
	expect("_ZN3geo4Grid", NULL); /* truncated */
	expect("_RC0", NULL);	      /* libiberty says "": found by fuzz_demangle */
}

static void test_hostile(void **state)
{
	size_t n = DEMANGLE_MAX_INPUT + 100;
	char *s = malloc(n + 1);
	char *out;

	(void)state;
	/* over the cap: left alone, however valid it might be */
	memset(s, 'A', n);
	memcpy(s, "_ZN", 3);
	s[n] = 0;
	expect(s, NULL);
	/* deep template nesting within the cap: the demangler's recursion limit holds */
	strcpy(s, "_Z1f");
	for (size_t i = strlen(s); i + 2 < DEMANGLE_MAX_INPUT; i++)
		s[i] = i % 2 ? 'I' : 'P';
	s[DEMANGLE_MAX_INPUT - 2] = 0;
	out = demangle(s);
	free(out); /* any result, or none: it must return */
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_not_mangled),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
