// SPDX-License-Identifier: MIT
/* Fuzz the demangler front end with hostile symbol names: no crash, no overlong output. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "symbolize/demangle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), *out;

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = 0;
	out = demangle(name);
	if (out && !*out)
		abort();
	free(out);
	free(name);
	return 0;
}
