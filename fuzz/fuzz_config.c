// SPDX-License-Identifier: MIT
/* Command-line parsing on arbitrary argument vectors: NUL-separated words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[64] = { "flamed" };
	FILE *out = fopen("/dev/null", "w");
	struct config cfg;
	char err[256];
	int argc = 1;

	if (!copy || !out)
		goto cleanup;
	memcpy(copy, data, size);
	copy[size] = 0;
	for (char *p = copy; p < copy + size && argc < 63; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	cli_parse(argc, argv, &cfg, err, sizeof(err), out);
cleanup:
	if (out)
		fclose(out);
	free(copy);
	return 0;
}
