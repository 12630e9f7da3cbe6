// SPDX-License-Identifier: MIT
/* Fuzz CPython line-table decoding (bytes read from a process): input = minor version byte,
 * 4-byte instruction offset, table. Never reads past the table; lines are never negative. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "python/py_linetable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t instr;
	uint8_t *table;
	size_t len;

	if (size < 5)
		return 0;
	memcpy(&instr, data + 1, sizeof(instr));
	len = size - 5;
	table = malloc(len ? len : 1); /* exact size: ASan sees any read past it */
	if (!table)
		return 0;
	memcpy(table, data + 5, len);
	for (int minor = 8; minor <= 13; minor++)
		if (py_linetable__line(minor, table, len, data[0], instr) < 0)
			abort();
	free(table);
	return 0;
}
