// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "ruby/rb_offsets.h"

static const struct rb_offsets table[] = {
#include "ruby/rb_offsets_table.h"
};

#define NR (sizeof(table) / sizeof(table[0]))

const struct rb_offsets *rb_offsets__find(int major, int minor)
{
	for (size_t i = 0; i < NR; i++)
		if (table[i].major == major && table[i].minor == minor)
			return &table[i];
	return NULL;
}

void rb_offsets__range(char *buf, size_t sz)
{
	if (NR == 1)
		snprintf(buf, sz, "%d.%d", table[0].major, table[0].minor);
	else
		snprintf(buf, sz, "%d.%d to %d.%d", table[0].major, table[0].minor,
			 table[NR - 1].major, table[NR - 1].minor);
}
