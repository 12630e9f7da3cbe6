// SPDX-License-Identifier: MIT
/* Fuzz the kallsyms parser, then look up addresses taken from the input itself (each line's
 * leading hex number and its neighbourhood), which reach every bounds rule. Each line is also
 * read as the kernel's "%pS" answer (knames__parse), the other way flamed names kernel code. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "symbolize/kallsyms.h"
#include "symbolize/knames.h"

#define MAX_PROBES 256

static void probe(const struct kallsyms *ks, uint64_t addr)
{
	const char *module = NULL, *name;
	uint64_t off = 0;

	name = kallsyms__lookup(ks, addr, &off, &module);
	if (!name)
		return;
	/* a name is never empty, and the symbol starts at or below addr */
	if (!*name || off > addr || (module && !*module))
		abort();
	/* the symbol's own address must resolve to itself */
	if (kallsyms__lookup(ks, addr - off, NULL, NULL) != name)
		abort();
}

static void parse_answer(const char *text, size_t len)
{
	size_t name_len = 0, module_len = 0;
	const char *module = NULL;

	if (knames__parse(text, len, &name_len, &module, &module_len))
		return;
	/* a name is never empty and both spans lie inside the text, the module after the name */
	if (!name_len || name_len >= len ||
	    (module &&
	     (!module_len || module < text + name_len || module + module_len > text + len)))
		abort();
}

/* The address a line starts with (its leading hex digits, at most 16). */
static uint64_t line_addr(const uint8_t *line, size_t len)
{
	uint64_t addr = 0;

	for (size_t i = 0; i < len && i < 16; i++) {
		uint8_t c = line[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			break;
		addr = (addr << 4) | (uint64_t)d;
	}
	return addr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t deltas[] = { 0, 1, (uint64_t)-1, 0xffff, 0x10000, 0x100000 };
	struct kallsyms *ks = kallsyms__parse((const char *)data, size);
	size_t probes = 0;

	if (ks && !kallsyms__count(ks))
		abort();
	if (ks) {
		probe(ks, 0);
		probe(ks, UINT64_MAX);
	}
	for (size_t pos = 0; pos < size;) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;

		parse_answer((const char *)data + pos, end - pos);
		if (ks && probes++ < MAX_PROBES) {
			uint64_t addr = line_addr(data + pos, end - pos);

			for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++)
				probe(ks, addr + deltas[i]);
		}
		pos = end + 1;
	}
	kallsyms__free(ks);
	return 0;
}
