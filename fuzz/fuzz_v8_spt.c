// SPDX-License-Identifier: MIT
/* Fuzz V8's position tables (read from a process's heap): input = 4-byte offset, then blocks
 * of a 2-byte length and bytes: a source position table, an inlining table, a bytecode sizes
 * table (3 rows), then bytecode and script characters (the rest). Never reads outside a table;
 * baseline offsets are within the bytecode; lines grow with the offset. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "v8/v8_spt.h"

/* The next block: a malloc'ed copy of exactly its length (ASan sees any read past it). */
static uint8_t *block(const uint8_t **data, size_t *size, size_t *ret_len)
{
	size_t len = 0;
	uint8_t *b;

	if (*size >= 2) {
		len = (size_t)((*data)[0] | (*data)[1] << 8);
		*data += 2;
		*size -= 2;
	}
	if (len > *size)
		len = *size;
	b = malloc(len ? len : 1);
	if (b)
		memcpy(b, *data, len);
	*data += len;
	*size -= len;
	*ret_len = len;
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t la, lb, ls, lc;
	uint8_t *a, *b, *sz, *c;
	struct v8_lines lines = { .max_lines = 1000 };
	uint32_t off, prev = 0;
	uint64_t pos, caller;
	int32_t fn;
	int64_t bo;

	if (size < 4)
		return 0;
	memcpy(&off, data, 4);
	data += 4;
	size -= 4;
	a = block(&data, &size, &la);
	b = block(&data, &size, &lb);
	sz = block(&data, &size, &ls);
	c = block(&data, &size, &lc);
	if (!a || !b || !sz || !c)
		goto out;
	pos = v8_spt__position(a, la, off);
	if (v8_spt__script_offset(pos) < -1 || v8_spt__inlining_id(pos) > 0xffff)
		abort();
	for (uint32_t id = 0; id < 4; id++)
		if (v8_spt__inlining(b, lb, id, &caller, &fn) && (!id || id > lb / 16))
			abort();
	bo = v8_spt__baseline_offset(a, la, off, c, lc, sz, ls / 3);
	if (bo < -2 || bo >= (int64_t)lc)
		abort();
	if (v8_lines__feed1(&lines, c, lc) || v8_lines__feed2(&lines, (const void *)c, lc / 2))
		goto out;
	v8_lines__end(&lines);
	for (uint64_t o = 0; o < lc + lc / 2 + 2; o++) {
		uint32_t l = v8_lines__line(&lines, o);

		if (l && (l < prev || l > lines.nr + 1))
			abort();
		prev = l ? l : prev;
	}
out:
	v8_lines__release(&lines);
	free(a);
	free(b);
	free(sz);
	free(c);
	return 0;
}
