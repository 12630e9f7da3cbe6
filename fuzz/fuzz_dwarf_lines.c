// SPDX-License-Identifier: MIT
/* Fuzz the DWARF path: the input as an ELF file (its own DWARF, or a .gnu_debuglink naming a file
 * that is not there) through dwarf_lines__open and lookups at addresses read from the input; and
 * the input as .gnu_debuglink / .gnu_debugaltlink contents. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "symbolize/debuglink.h"
#include "symbolize/dwarf_lines.h"

#define MAX_PROBES 64

static void probe(struct dwarf_lines *dl, uint64_t vaddr)
{
	struct dwarf_frame fr[8];
	size_t n = dwarf_lines__lookup(dl, vaddr, fr, 8);

	if (n > 8)
		abort();
	for (size_t i = 0; i < n; i++)
		if (fr[i].inlined && i == n - 1)
			abort(); /* the physical function is last, never inlined */
	(void)dwarf_lines__symbol(dl, vaddr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dwarf_search where = { .path = "/nonexistent/fuzz" };
	const uint8_t *id;
	struct dwarf_lines *dl;
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
	for (size_t i = 0; i + 8 <= size && i / 8 < MAX_PROBES; i += 8) {
		uint64_t v;

		memcpy(&v, data + i, sizeof(v));
		probe(dl, v);
		probe(dl, v - 1);
	}
	probe(dl, 0x1150);
	dwarf_lines__free(dl);
	return 0;
}
