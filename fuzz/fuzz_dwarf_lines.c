// SPDX-License-Identifier: MIT
/* Fuzz the DWARF path: the input as an ELF file (its own DWARF, or a .gnu_debuglink naming a file
 * that is not there) through dwarf_lines__open, its units read into a compact table (one on
 * demand, then all) and lookups at addresses read from the input, and libdwfl's symbols; and the
 * input as .gnu_debuglink / .gnu_debugaltlink contents. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "symbolize/debuglink.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_table.h"
#include "symbolize/elf_syms.h"

#define MAX_PROBES 64

static void probe(struct dwarf_lines *dl, struct dwarf_table *t, struct elf_syms *es,
		  uint64_t vaddr)
{
	struct dwarf_frame fr[8];
	uint64_t unit;
	size_t n;

	if (!dwarf_table__unit_of(t, vaddr, &unit) && !dwarf_table__has_unit(t, unit))
		(void)dwarf_lines__extract(dl, t, unit);
	n = dwarf_table__lookup(t, vaddr, fr, 8);
	if (n > 8)
		abort();
	for (size_t i = 0; i < n; i++)
		if (fr[i].inlined && i == n - 1)
			abort(); /* the physical function is last, never inlined */
	(void)elf_syms__lookup(es, vaddr, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dwarf_search where = { .path = "/nonexistent/fuzz" };
	const uint8_t *id;
	struct dwarf_table *t;
	struct dwarf_lines *dl;
	struct elf_syms *es;
	const char *name;
	uint32_t crc;
	size_t len;
	int fd;

	if (!debuglink__parse(data, size, 1, &name, &crc) && (!*name || strchr(name, '/')))
		abort();
	if (!debuglink__parse_alt(data, size, &name, &id, &len) && (!len || len > 64))
		abort();
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	dl = dwarf_lines__open(fd, &where);
	close(fd);
	if (!dl)
		return 0;
	t = dwarf_lines__table(dl);
	es = dwarf_lines__symbols(dl);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i + 8 <= size && i / 8 < MAX_PROBES; i += 8) {
			uint64_t v;

			memcpy(&v, data + i, sizeof(v));
			probe(dl, t, es, v);
			probe(dl, t, es, v - 1);
		}
		probe(dl, t, es, 0x1150);
		(void)dwarf_lines__extract_all(dl, t, 64u << 20, 0); /* then all, and ask again */
	}
	dwarf_table__free(t);
	elf_syms__free(es);
	dwarf_lines__free(dl);
	return 0;
}
