// SPDX-License-Identifier: MIT
/* Fuzz the names of JavaScript frames: a ScopeInfo's slots read by shape (input: slot count,
 * the context-locals slot, a flag, the slots' kinds and words), then a composed name and UTF-8
 * of Latin-1 and UTF-16 text (the rest of the input). Indices stay within the slots and point
 * at slots of the right kind; every string is valid UTF-8 within its buffer. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/utf8.h"
#include "v8/v8_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum v8_slot_kind kinds[64];
	uint64_t slots[64];
	struct v8_scope sc;
	char cls[32], out[96], *text;
	size_t n, need;
	uint32_t nlocals;
	bool fixed;

	if (size < 3)
		return 0;
	n = data[0] % 65;
	nlocals = data[1] % 8;
	fixed = data[2] & 1;
	data += 3;
	size -= 3;
	need = n + n * 8;
	if (size < need)
		return 0;
	for (size_t i = 0; i < n; i++)
		kinds[i] = (enum v8_slot_kind)(data[i] % 4);
	memcpy(slots, data + n, n * 8);
	data += need;
	size -= need;
	if (!v8_names__scope(slots, kinds, n, nlocals, fixed, &sc)) {
		if ((sc.name >= 0 && ((size_t)sc.name >= n || kinds[sc.name] != V8_SLOT_STRING)) ||
		    (sc.inferred >= 0 &&
		     ((size_t)sc.inferred >= n || kinds[sc.inferred] != V8_SLOT_STRING)) ||
		    (!fixed && sc.start >= 0 && sc.start > sc.end))
			abort();
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memcpy(cls, text, size < sizeof(cls) ? size : sizeof(cls) - 1);
	cls[size < sizeof(cls) ? size : sizeof(cls) - 1] = '\0';
	v8_names__compose(cls, text, text, text, (uint32_t)size, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		abort();
	if (v8_names__utf8(data, size, false, out, sizeof(out)) != strlen(out) || !utf8_valid(out))
		abort();
	if (v8_names__utf8(data, size / 2, true, out, sizeof(out)) != strlen(out) ||
	    !utf8_valid(out))
		abort();
	free(text);
	return 0;
}
