/* SPDX-License-Identifier: MIT */
/* File helpers shared by the cmocka tests that build fixtures in temporary directories (include
 * after <cmocka.h>). */
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

#endif /* FLAMED_TEST_FILES_H */
