// SPDX-License-Identifier: MIT
#include <stddef.h>

#include "python/py_offsets.h"

static const struct py_offsets table[] = {
#include "python/py_offsets_table.h"
};

const struct py_offsets *py_offsets__find(int major, int minor)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].major == major && table[i].minor == minor)
			return &table[i];
	return NULL;
}

void py_offsets__range(int *ret_lo, int *ret_hi)
{
	*ret_lo = table[0].minor;
	*ret_hi = table[sizeof(table) / sizeof(table[0]) - 1].minor;
}
