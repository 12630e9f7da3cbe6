/* SPDX-License-Identifier: MIT */
/* File helpers shared by the cmocka tests: reading fixtures, building them in temporary
 * directories (include after <cmocka.h>). */
#ifndef FLAMED_TEST_FILES_H
#define FLAMED_TEST_FILES_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* cp from to, then append the string append (NULL: nothing) to the copy. */
static inline void test_copy_file(const char *from, const char *to, const char *append)
{
	char cmd[2 * PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
	if (append) {
		FILE *f = fopen(to, "a");

		assert_non_null(f);
		fputs(append, f);
		fclose(f);
	}
}

/* The bytes of path, NUL-terminated (a byte more, not counted in *ret_len); fails the test when
 * it cannot be read. Free with free(). */
static inline void *test_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		fail_msg("cannot read %s (a fixture not built?)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	buf[len] = '\0';
	*ret_len = (size_t)len;
	return buf;
}

#endif /* FLAMED_TEST_FILES_H */
