// SPDX-License-Identifier: MIT
/* utf8_valid / utf8_sanitize: well-formed text kept byte for byte; stray continuation bytes,
 * truncated sequences, overlong forms, surrogates and code points past U+10FFFF replaced. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "util/utf8.h"

static void expect(const char *in, bool valid, const char *clean)
{
	char *out = utf8_sanitize(in);

	assert_int_equal(utf8_valid(in), valid);
	assert_non_null(out);
	assert_string_equal(out, clean);
	assert_true(utf8_valid(out));
	free(out);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8(void **state)
{
	(void)state;
	expect("", true, "");
	expect("plain ascii; main", true, "plain ascii; main");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", true,
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
	expect("bad\xff", false, "bad" FFFD);
	expect("\x80lead", false, FFFD "lead");
	expect("cut\xc3", false, "cut" FFFD);
	expect("cut\xe2\x82", false, "cut" FFFD FFFD);
	expect("over\xc0\xaf", false, "over" FFFD FFFD); /* overlong '/' */
	expect("over\xe0\x80\xaf", false, "over" FFFD FFFD FFFD);
	expect("sur\xed\xa0\x80", false, "sur" FFFD FFFD FFFD);		 /* U+D800 */
	expect("big\xf4\x90\x80\x80", false, "big" FFFD FFFD FFFD FFFD); /* U+110000 */
	expect("nl\nname 99", true, "nl\nname 99");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
