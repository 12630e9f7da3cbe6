// SPDX-License-Identifier: MIT
/* Fuzz the names of Python frames: str data of each kind to UTF-8 (valid UTF-8 out, within
 * len * 4 bytes), and a file name to its module (within the buffer, a substring of it). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "python/py_names.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned kinds[] = { 1, 2, 4 };
	char *out, *file, module[64];

	for (int k = 0; k < 3; k++) {
		size_t len = size / kinds[k], n;

		out = malloc(len * 4 + 1);
		if (!out)
			return 0;
		n = py_names__utf8(kinds[k], data, len, out);
		if (n > len * 4 || out[n] != '\0' || strlen(out) != n || !utf8_valid(out))
			abort();
		free(out);
	}
	file = malloc(size + 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	file[size] = '\0';
	py_names__module(file, module, sizeof(module));
	if (strlen(module) >= sizeof(module) || (module[0] && !strstr(file, module)))
		abort();
	free(file);
	return 0;
}
