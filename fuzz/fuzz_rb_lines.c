// SPDX-License-Identifier: MIT
/* Fuzz Ruby line-table decoding (bytes read from a process): input = the iseq's size in
 * instruction words (4 bytes), its number of entries (2 bytes), a position to look up (4 bytes),
 * then the entries' bytes (12 each) and the rest as the succinct table. Never reads past either;
 * a decoded table's positions increase, start at 0 and stay below the size, one per entry. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ruby/rb_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t iseq_size, pos;
	uint16_t nr;
	uint8_t *info, *table;
	size_t info_len, table_len;
	struct rb_lines l;

	if (size < 10)
		return 0;
	memcpy(&iseq_size, data, 4);
	memcpy(&nr, data + 4, 2);
	memcpy(&pos, data + 6, 4);
	iseq_size %= 1u << 14; /* keep the tables the input can fill within reach */
	data += 10;
	size -= 10;
	info_len = (size_t)nr * 12 < size ? (size_t)nr * 12 : size;
	table_len = size - info_len;
	/* exact sizes: ASan sees any read past them */
	info = malloc(info_len ? info_len : 1);
	table = malloc(table_len ? table_len : 1);
	if (!info || !table)
		goto cleanup;
	memcpy(info, data, info_len);
	memcpy(table, data + info_len, table_len);
	if (rb_lines__decode(table, table_len, iseq_size, info, info_len, nr, 12, 0, &l) == 0) {
		if (l.nr != nr || l.pos[0] != 0)
			abort();
		for (uint32_t i = 1; i < l.nr; i++)
			if (l.pos[i] <= l.pos[i - 1] || l.pos[i] >= iseq_size)
				abort();
		(void)rb_lines__line(&l, pos);
		(void)rb_lines__line(&l, pos % (iseq_size + 1));
		rb_lines__free(&l);
	}
cleanup:
	free(info);
	free(table);
	return 0;
}
