// SPDX-License-Identifier: MIT
/* rt_mem: reads of a process's memory are whole or fail (an unmapped page, a read across the
 * end of a mapping, a kernel address, a process that is gone); words past a buffer's end are
 * 0; outside text comes out as valid UTF-8 without control characters, within its buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/rt_mem.h"
#include "util/utf8.h"

static void test_read(void **state)
{
	static const char msg[] = "the process's own bytes";
	uint32_t pid = (uint32_t)getpid();
	long page = sysconf(_SC_PAGESIZE);
	char buf[64];
	uint8_t *two;

	(void)state;
	assert_int_equal(rt_mem__read(pid, (uintptr_t)msg, buf, sizeof(msg)), 0);
	assert_string_equal(buf, msg);
	assert_int_equal(rt_mem__read(pid, 0, buf, 8), -EFAULT);
	assert_int_equal(rt_mem__read(pid, 0xffffffff81000000ULL, buf, 8), -EFAULT);
	assert_int_equal(rt_mem__read(pid, RT_MEM_USER_MAX - 3, buf, 8), -EFAULT);
	/* a read that runs off a mapping fails whole, it does not return the first part */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(two != MAP_FAILED);
	assert_int_equal(munmap(two + page, page), 0);
	assert_int_equal(rt_mem__read(pid, (uintptr_t)two + page - 8, buf, 8), 0);
	assert_int_equal(rt_mem__read(pid, (uintptr_t)two + page - 8, buf, 16), -EFAULT);
	munmap(two, page);
	assert_true(rt_mem__read(0x7ffffffe, (uintptr_t)msg, buf, 8) < 0);
}

static void test_words(void **state)
{
	uint8_t b[12] = { 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0 };

	(void)state;
	assert_int_equal(rt_mem__word(b, sizeof(b), 0), 1);
	assert_int_equal(rt_mem__word(b, sizeof(b), 8), 0); /* past the end */
	assert_int_equal(rt_mem__u32(b, sizeof(b), 8), 2);
	assert_int_equal(rt_mem__u32(b, sizeof(b), 9), 0);
	assert_int_equal(rt_mem__u32(b, sizeof(b), (size_t)-1), 0);
}

static void test_text(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(rt_mem__text((const uint8_t *)"Burner", 6, out, sizeof(out)), 6);
	assert_string_equal(out, "Burner");
	assert_int_equal(rt_mem__text((const uint8_t *)"a\nb\xff", 4, out, sizeof(out)), 4);
	assert_string_equal(out, "a?b?");
	/* a sequence that does not fit is cut before it, never in the middle */
	assert_int_equal(rt_mem__text((const uint8_t *)"abcdef\xc3\xa9", 8, out, sizeof(out)), 6);
	assert_true(utf8_valid(out));
	assert_int_equal(rt_mem__text((const uint8_t *)"\xed\xa0\x80", 3, out, sizeof(out)), 3);
	assert_string_equal(out, "???"); /* a surrogate */
	assert_int_equal(rt_mem__text((const uint8_t *)"x", 1, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
