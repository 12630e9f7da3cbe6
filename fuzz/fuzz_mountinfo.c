// SPDX-License-Identifier: MIT
/* Fuzz the cgroup2 mount finder over /proc/self/mountinfo text: every mount point handed out is a
 * non-empty string without NUL, within the text's bounds. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proc/cgroup_fs.h"

static int check(const char *path, void *ctx)
{
	size_t *n = ctx;

	if (!path[0] || strlen(path) >= PATH_MAX)
		abort();
	return ++*n > 100000; /* stops early when non-zero: exercise that too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	cgroup_fs__each_mount((const char *)data, size, check, &n);
	return 0;
}
