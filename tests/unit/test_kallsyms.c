// SPDX-License-Identifier: MIT
/* kallsyms: text fixtures (core text bounds, init text, modules, aliases, kptr_restrict zeros,
 * malformed lines) and the live /proc/kallsyms when it is readable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/kallsyms.h"

/* Deliberately out of order in places; module symbols after core ones like the real file. */
static const char fixture[] = "0000000000000000 A fixed_percpu_data\n"
			      "ffffffff81000000 T _stext\n"
			      "ffffffff81000000 T _text\n"
			      "ffffffff81000000 t startup_64_local\n"
			      "ffffffff81000100 T do_one_initcall\n"
			      "ffffffff81000200 t helper_local\n"
			      "ffffffff81000300 W weak_fn\n"
			      "ffffffff81000400 D some_data\n"
			      "ffffffff81000480 t __x64_sys_foo\n"
			      "ffffffff81000480 T sys_foo\n"
			      "ffffffff81000500 T last_core_fn\n"
			      "ffffffff81001000 T _etext\n"
			      "ffffffff81002000 R __start_rodata\n"
			      "ffffffff82000000 T _sinittext\n"
			      "ffffffff82000010 t init_fn\n"
			      "ffffffff82000100 T _einittext\n"
			      "ffffffffc0001000 t mod_a_fn1\t[mod_a]\n"
			      "ffffffffc0001100 t mod_a_fn2\t[mod_a]\n"
			      "ffffffffc0003000 t mod_b_first\t[mod_b]\n"
			      "ffffffffc0002000 T mod_a_last\t[mod_a]\n"
			      "ffffffffc0000800 d mod_a_data\t[mod_a]\n"
			      "ffffffffc0004000 t mod_b_last\t[mod_b]\n"
			      "ffffffffc0100000 t bpf_prog_6deef7357e7b4530_foo\t[bpf]";

#define KS_STEXT     0xffffffff81000000ull
#define KS_ETEXT     0xffffffff81001000ull
#define KS_MOD_B_END 0xffffffffc0004000ull

struct expect {
	uint64_t addr;
	const char *name; /* NULL: no symbol */
	uint64_t offset;
	const char *module; /* NULL: core kernel */
};

static void check_lookups(const struct kallsyms *ks, const struct expect *e, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		const char *module = "unset";
		uint64_t off = UINT64_MAX;
		const char *name = kallsyms__lookup(ks, e[i].addr, &off, &module);

		if (!e[i].name) {
			if (name)
				fail_msg("0x%" PRIx64 ": expected no symbol, got %s", e[i].addr,
					 name);
			continue;
		}
		if (!name || strcmp(name, e[i].name))
			fail_msg("0x%" PRIx64 ": expected %s, got %s", e[i].addr, e[i].name,
				 name ? name : "(null)");
		assert_int_equal(off, e[i].offset);
		if (e[i].module) {
			assert_non_null(module);
			assert_string_equal(module, e[i].module);
		} else {
			assert_null(module);
		}
	}
}

static const struct expect fixture_expect[] = {
	{ 0, NULL, 0, NULL },
	{ KS_STEXT - 1, NULL, 0, NULL }, /* below core text */
	{ KS_STEXT, "_stext", 0, NULL }, /* first global alias wins */
	{ KS_STEXT + 0xff, "_stext", 0xff, NULL },
	{ 0xffffffff81000100, "do_one_initcall", 0, NULL },
	{ 0xffffffff81000150, "do_one_initcall", 0x50, NULL },
	{ 0xffffffff81000250, "helper_local", 0x50, NULL },
	{ 0xffffffff81000300, "weak_fn", 0, NULL },
	{ 0xffffffff81000400, "weak_fn", 0x100, NULL }, /* data symbols are not kept */
	{ 0xffffffff81000480, "sys_foo", 0, NULL },	/* global beats an earlier local alias */
	{ KS_ETEXT - 1, "last_core_fn", KS_ETEXT - 1 - 0xffffffff81000500, NULL },
	{ KS_ETEXT, NULL, 0, NULL }, /* _etext is one past the end */
	{ 0xffffffff81800000, NULL, 0, NULL },
	{ 0xffffffff82000020, "init_fn", 0x10, NULL }, /* init text counts as core text */
	{ 0xffffffff82000100, NULL, 0, NULL },	       /* _einittext */
	{ 0xffffffffa0000000, NULL, 0, NULL },	       /* between kernel and modules */
	{ 0xffffffffc0000fff, NULL, 0, NULL },
	{ 0xffffffffc0001000, "mod_a_fn1", 0, "mod_a" },
	{ 0xffffffffc0001050, "mod_a_fn1", 0x50, "mod_a" },
	{ 0xffffffffc0001f00, "mod_a_fn2", 0xe00, "mod_a" }, /* bounded by the next symbol */
	{ 0xffffffffc0002800, "mod_a_last", 0x800, "mod_a" },
	{ 0xffffffffc0003000, "mod_b_first", 0, "mod_b" },
	{ KS_MOD_B_END + 0xffff, "mod_b_last", 0xffff, "mod_b" },
	{ KS_MOD_B_END + 0x10000, NULL, 0, NULL }, /* past the tail of the last symbol */
	{ 0xffffffffc0100020, "bpf_prog_6deef7357e7b4530_foo", 0x20, "bpf" },
	{ 0xffffffffc0200000, NULL, 0, NULL },
	{ UINT64_MAX, NULL, 0, NULL },
};

static void parses_fixture(void **state)
{
	struct kallsyms *ks = kallsyms__parse(fixture, sizeof(fixture) - 1);

	(void)state;
	assert_non_null(ks);
	/* text symbols at distinct addresses: 3 aliases at _stext and 2 at sys_foo fold */
	assert_int_equal(kallsyms__count(ks), 16);
	check_lookups(ks, fixture_expect, sizeof(fixture_expect) / sizeof(fixture_expect[0]));
	assert_non_null(kallsyms__lookup(ks, KS_STEXT, NULL, NULL)); /* NULL out-params */
	kallsyms__free(ks);
}

/* Without _stext/_etext the first and last core symbols bound core text. */
static void bounds_without_markers(void **state)
{
	static const char text[] = "ffffffff81000100 T b\n"
				   "ffffffff81000000 t a\n"
				   "ffffffffc0000000 t m\t[mod]\n";
	static const struct expect e[] = {
		{ 0xffffffff80ffffff, NULL, 0, NULL },	 { 0xffffffff81000000, "a", 0, NULL },
		{ 0xffffffff81000180, "b", 0x80, NULL }, { 0xffffffff8100ffff, "b", 0xfeff, NULL },
		{ 0xffffffff81010100, NULL, 0, NULL },	 { 0xffffffffc0000010, "m", 0x10, "mod" },
	};
	struct kallsyms *ks = kallsyms__parse(text, sizeof(text) - 1);

	(void)state;
	assert_non_null(ks);
	assert_int_equal(kallsyms__count(ks), 3);
	check_lookups(ks, e, sizeof(e) / sizeof(e[0]));
	kallsyms__free(ks);
}

static void skips_malformed_lines(void **state)
{
	static const char text[] = "\n"
				   "zzzz T bad_hex\n"
				   "ffffffff81000000 T\n"
				   "ffffffff81000000 TT two_types\n"
				   "ffffffff81000000  T double_space\n"
				   "ffffffff81000000 T name with space\n"
				   "1ffffffff81000000 T seventeen_digits\n"
				   "ffffffff81000010 t unterminated\t[mod\n"
				   "ffffffff81000020 t empty_module\t[]\n"
				   "ffffffff81000040 t good_one\n"
				   "ffffffff81000080 t good_two\t[m]\n"
				   "\t\t\n";
	struct kallsyms *ks = kallsyms__parse(text, sizeof(text) - 1);

	(void)state;
	assert_non_null(ks);
	assert_int_equal(kallsyms__count(ks), 2);
	assert_string_equal(kallsyms__lookup(ks, 0xffffffff81000040, NULL, NULL), "good_one");
	kallsyms__free(ks);
}

static void zero_addresses_are_eperm(void **state)
{
	static const char restricted[] = "0000000000000000 T _stext\n"
					 "0000000000000000 t foo\n"
					 "0000000000000000 D data\n"
					 "0000000000000000 t bar\t[mod]\n";

	(void)state;
	errno = 0;
	assert_null(kallsyms__parse(restricted, sizeof(restricted) - 1));
	assert_int_equal(errno, EPERM);

	errno = 0;
	assert_null(kallsyms__parse("", 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(kallsyms__parse("hello\nworld\n", 12));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(kallsyms__parse("ffffffff81000000 D data_only\n", 29));
	assert_int_equal(errno, EINVAL);
	assert_null(kallsyms__lookup(NULL, 0x1000, NULL, NULL));
	assert_int_equal(kallsyms__count(NULL), 0);
	kallsyms__free(NULL);
}

static void loads_file(void **state)
{
	char path[] = "/tmp/flamed-kallsyms-XXXXXX";
	struct kallsyms *ks;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fixture, sizeof(fixture) - 1), (ssize_t)(sizeof(fixture) - 1));
	close(fd);
	ks = kallsyms__load(path);
	unlink(path);
	assert_non_null(ks);
	check_lookups(ks, fixture_expect, sizeof(fixture_expect) / sizeof(fixture_expect[0]));
	kallsyms__free(ks);

	errno = 0;
	assert_null(kallsyms__load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
}

/* Independent scan of the real file: address of a core text symbol, 0 if absent or hidden. */
static uint64_t scan_real_kallsyms(const char *want, size_t *ret_text_lines)
{
	char line[1024], name[600], type;
	uint64_t addr, found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	*ret_text_lines = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %599s", &addr, &type, name) != 3)
			continue;
		if (strchr("tTwW", type) && addr)
			(*ret_text_lines)++;
		if (!strcmp(name, want) && !strchr(line, '[') && addr)
			found = addr;
	}
	fclose(f);
	return found;
}

static void loads_real_kallsyms(void **state)
{
	uint64_t sched, etext, off = 1;
	struct timespec t0, t1;
	const char *module = "unset", *name;
	size_t text_lines;
	struct kallsyms *ks;
	double ms;

	(void)state;
	sched = scan_real_kallsyms("schedule", &text_lines);
	if (!sched) {
		print_message(
			"/proc/kallsyms unreadable or addresses hidden (kptr_restrict): skip\n");
		skip();
	}
	etext = scan_real_kallsyms("_etext", &text_lines);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ks = kallsyms__load("/proc/kallsyms");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(ks);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("loaded %zu kernel symbols in %.1f ms\n", kallsyms__count(ks), ms);
	/* generous bound: sanitizer builds and a busy CI box; the real budget is checked by hand */
	assert_true(ms < 2000);
	assert_true(kallsyms__count(ks) > 1000 && kallsyms__count(ks) <= text_lines);

	name = kallsyms__lookup(ks, sched, &off, &module);
	assert_non_null(name);
	assert_string_equal(name, "schedule");
	assert_int_equal(off, 0);
	assert_null(module);
	name = kallsyms__lookup(ks, sched + 4, &off, NULL);
	assert_string_equal(name, "schedule");
	assert_int_equal(off, 4);
	if (etext) {
		assert_null(kallsyms__lookup(ks, etext, NULL, NULL));
		assert_non_null(kallsyms__lookup(ks, etext - 1, NULL, NULL));
	}
	kallsyms__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_fixture),
		cmocka_unit_test(bounds_without_markers),
		cmocka_unit_test(skips_malformed_lines),
		cmocka_unit_test(zero_addresses_are_eperm),
		cmocka_unit_test(loads_file),
		cmocka_unit_test(loads_real_kallsyms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
