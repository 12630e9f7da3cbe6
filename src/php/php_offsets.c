// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "php/php_offsets.h"

static const struct php_offsets table[] = {
#include "php/php_offsets_table.h"
};

#define NR (sizeof(table) / sizeof(table[0]))

const struct php_offsets *php_offsets__find(uint32_t api)
{
	for (size_t i = 0; i < NR; i++)
		if (table[i].api == api)
			return &table[i];
	return NULL;
}

void php_offsets__range(char *buf, size_t sz)
{
	if (NR == 1)
		snprintf(buf, sz, "%d.%d", table[0].major, table[0].minor);
	else
		snprintf(buf, sz, "%d.%d to %d.%d", table[0].major, table[0].minor,
			 table[NR - 1].major, table[NR - 1].minor);
}
