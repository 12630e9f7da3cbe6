// SPDX-License-Identifier: MIT
/* Fuzz the perf-PID.map parser, then look up each line's start and its neighbours: a name found
 * is non-empty and bounded, and its range starts at or below the address. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proc/perf_map.h"

#define MAX_PROBES 256

static void probe(const struct perf_map *pm, uint64_t addr)
{
	uint64_t start = 0;
	const char *name = perf_map__lookup(pm, addr, &start);

	if (name && (!*name || strlen(name) > PERF_MAP_MAX_NAME || start > addr))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_map *pm = perf_map__parse((const char *)data, size, 4096);
	size_t pos = 0, probes = 0;

	if (!pm)
		return 0;
	probe(pm, 0);
	probe(pm, UINT64_MAX);
	while (pos < size && probes++ < MAX_PROBES) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		uint64_t addr = 0;

		for (size_t i = pos; i < end && i - pos < 16; i++) {
			uint8_t c = data[i];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
						       : -1;

			if (d < 0)
				break;
			addr = addr << 4 | (uint64_t)d;
		}
		probe(pm, addr - 1);
		probe(pm, addr);
		probe(pm, addr + 1);
		pos = end + 1;
	}
	perf_map__free(pm);
	return 0;
}
