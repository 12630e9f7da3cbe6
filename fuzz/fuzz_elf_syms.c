// SPDX-License-Identifier: MIT
/* Fuzz elf_syms__open_mem, then query the result with values read from the input (likely to hit
 * symbol addresses and segment offsets the input itself declares). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "symbolize/elf_syms.h"

#define MAX_PROBES 128

static void probe(struct elf_syms *es, uint64_t value)
{
	uint64_t off = 0, vaddr = 0;
	const char *name;

	name = elf_syms__lookup(es, value, &off);
	if (name && (!*name || off > value))
		abort();
	if (elf_syms__offset_to_vaddr(es, value, &vaddr) == 0)
		(void)elf_syms__lookup(es, vaddr, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_syms *es = elf_syms__open_mem(data, size);
	const char *build_id;

	if (!es)
		return 0;
	build_id = elf_syms__build_id(es);
	if (build_id && (!*build_id || strspn(build_id, "0123456789abcdef") != strlen(build_id)))
		abort();
	if (elf_syms__mem_bytes(es) < elf_syms__count(es))
		abort();
	probe(es, 0);
	probe(es, UINT64_MAX);
	/* every 8-byte-aligned word of the first KiB: symbol values, offsets, sizes live there */
	for (size_t i = 0; i + 8 <= size && i / 8 < MAX_PROBES; i += 8) {
		uint64_t v;

		memcpy(&v, data + i, sizeof(v));
		probe(es, v);
		probe(es, v + 1);
		probe(es, v - 1);
	}
	elf_syms__free(es);
	return 0;
}
