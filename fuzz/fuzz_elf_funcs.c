// SPDX-License-Identifier: MIT
/* The .eh_frame walker on raw bytes: the first 8 input bytes are the section's address (little
 * endian), the rest its contents. Every function kept must be non-empty, and a lookup inside one
 * must return a start at or below the address. */
#include <stdlib.h>
#include <string.h>

#include "elf/elf_funcs.h"
#include "fuzz.h"

#define MAX_PROBES 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_funcs *f;
	uint64_t vaddr = 0, start;

	if (size >= 8)
		memcpy(&vaddr, data, 8);
	f = elf_funcs__from_eh_frame(size > 8 ? data + 8 : NULL, size > 8 ? size - 8 : 0, vaddr);
	if (!f)
		return 0;
	if (elf_funcs__mem_bytes(f) < elf_funcs__count(f))
		abort();
	for (size_t i = 8; i + 8 <= size && i / 8 < MAX_PROBES; i += 4) {
		uint64_t v;

		memcpy(&v, data + i, sizeof(v));
		v += vaddr;
		if (elf_funcs__lookup(f, v, &start) == 0 && start > v)
			abort();
	}
	elf_funcs__free(f);
	return 0;
}
