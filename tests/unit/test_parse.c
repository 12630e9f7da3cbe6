// SPDX-License-Identifier: MIT
/* Duration and integer parsers behind --once and -F/-p. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/parse.h"

static void durations_with_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t ns;
	} ok[] = {
		{ "500ms", 500000000ULL },  { "10s", 10000000000ULL }, { "2m", 120000000000ULL },
		{ "1h", 3600000000000ULL }, { "10", 10000000000ULL },  { "2.5s", 2500000000ULL },
		{ "1500us", 1500000ULL },   { "7ns", 7ULL },	       { "1min", 60000000000ULL },
		{ "0.5", 500000000ULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t ns = 0;

		assert_int_equal(parse_duration_ns(ok[i].in, &ns), 0);
		assert_true(ns == ok[i].ns);
	}
}

static void durations_rejected(void **state)
{
	static const char *const bad[] = {
		"",    "0",   "0s",    "-1s",  "+1s",  "10x",  "s",	"1 s",	  " 1s",
		"nan", "inf", "1e400", "0x10", "10ss", "400d", "9999h", "1.5.5s", "0.1ns",
	};
	uint64_t ns = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_duration_ns(bad[i], &ns), -EINVAL);
		assert_true(ns == 42); /* untouched on failure */
	}
	assert_int_equal(parse_duration_ns(NULL, &ns), -EINVAL);
}

static void sizes(void **state)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} ok[] = {
		{ "4096", 4096 },	  { "1b", 1 },
		{ "512K", 512 << 10 },	  { "512KiB", 512 << 10 },
		{ "256M", 256ULL << 20 }, { "256mb", 256ULL << 20 },
		{ "1G", 1ULL << 30 },	  { "1GiB", 1ULL << 30 },
		{ "1.5G", 3ULL << 29 },	  { "2T", 2ULL << 40 },
	};
	static const char *const bad[] = { "",	  "0",	  "-1M", "+1M", "1 M", " 1M", "1Q",
					   "1e3", "0x10", "nan", "inf", "1P",  "M",   "0.1" };
	uint64_t b = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_size_bytes(ok[i].in, &b), 0);
		assert_int_equal(b, ok[i].bytes);
	}
	b = 42;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_size_bytes(bad[i], &b) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(b == 42);
	}
	assert_int_equal(parse_size_bytes(NULL, &b), -EINVAL);
}

static void integers_in_range(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(parse_int("99", 1, 10000, &v), 0);
	assert_int_equal(v, 99);
	assert_int_equal(parse_int("10000", 1, 10000, &v), 0);
	assert_int_equal(parse_int("0", 1, 10000, &v), -ERANGE);
	assert_int_equal(parse_int("10001", 1, 10000, &v), -ERANGE);
	assert_int_equal(parse_int("99999999999999999999", 1, 10000, &v), -ERANGE);
	assert_int_equal(parse_int("abc", 1, 10000, &v), -EINVAL);
	assert_int_equal(parse_int("12abc", 1, 10000, &v), -EINVAL);
	assert_int_equal(parse_int("", 1, 10000, &v), -EINVAL);
	assert_int_equal(parse_int(" 5", 1, 10000, &v), -EINVAL);
}

static void formats_durations(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(format_duration(10000000000ULL, buf, sizeof(buf)), "10s");
	assert_string_equal(format_duration(500000000ULL, buf, sizeof(buf)), "500ms");
	assert_string_equal(format_duration(2500000000ULL, buf, sizeof(buf)), "2.5s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_with_units),
		cmocka_unit_test(durations_rejected),
		cmocka_unit_test(sizes),
		cmocka_unit_test(integers_in_range),
		cmocka_unit_test(formats_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
