// SPDX-License-Identifier: MIT
/* Fuzz the names of PHP frames: any bytes as a zend_function (fields only from within the
 * buffer, pointers in user space), as a zend_string header, and a label made of two strings
 * (within its buffer, NUL-terminated). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "php/php_names.h"
#include "php/php_offsets.h"
#include "runtime/rt_mem.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct php_offsets *o = php_offsets__find(20220829);
	char a[PHP_NAMES_MAX * 2], b[PHP_NAMES_MAX * 2], out[PHP_NAMES_MAX * 4 + 8];
	struct php_func f;
	uint64_t len;
	size_t half = size / 2, n;

	if (!o)
		abort();
	if (php_names__func(data, size, o, &f)) {
		if ((f.name && f.name > RT_MEM_USER_MAX) ||
		    (f.scope && f.scope > RT_MEM_USER_MAX) ||
		    (f.user && (!f.filename || f.filename > RT_MEM_USER_MAX)) || size < 32)
			abort();
	}
	if (php_names__zstr_len(data, size, o, &len) && len > (1u << 20))
		abort();
	rt_mem__text(data, half, a, sizeof(a));
	rt_mem__text(data + half, size - half, b, sizeof(b));
	if (!utf8_valid(a) || !utf8_valid(b))
		abort();
	n = php_names__label(a, b, out, sizeof(out));
	if (n >= sizeof(out) || strlen(out) != n || !utf8_valid(out))
		abort();
	return 0;
}
