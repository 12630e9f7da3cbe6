// SPDX-License-Identifier: MIT
/* The CFI section reader (src/elf/eh_frame.h) on outside input. The first byte picks what the rest
 * is:
 *   0: a whole ELF image: the sections (or PT_GNU_EH_FRAME) located, then both walked
 *   1: an 8-byte .eh_frame address, then raw .eh_frame bytes (64-bit pointers)
 *   2: the same with 32-bit pointers (an ELFCLASS32 file's absptr)
 *   3: raw .debug_frame bytes (section-offset CIE pointers, 64-bit entries, CIE version 4)
 * Every entry must lie inside the section and after the previous one, every header inside its
 * entry, and every pointer read inside the bytes it was given. */
#include <stdlib.h>
#include <string.h>

#include "elf/eh_frame.h"
#include "elf/elf_file.h"
#include "fuzz.h"

static void check_inside(const struct eh_frame_sec *s, const uint8_t *p, const uint8_t *end)
{
	if (p < s->data || end > s->data + s->size || p > end)
		abort();
}

/* Every pointer encoding, read at the start of each entry. */
static void read_pointers(const struct eh_frame_sec *s, const struct eh_frame_entry *e)
{
	for (unsigned enc = 0; enc < 256; enc += 7) {
		struct cursor c = { e->id_pos, e->end, false };
		uint64_t v;

		(void)eh_frame_read_ptr(&c, (uint8_t)enc, s, &v);
		check_inside(s, c.p, e->end);
		c = (struct cursor){ e->id_pos, e->end, false };
		(void)eh_frame_read_size(&c, (uint8_t)enc, s, &v);
		check_inside(s, c.p, e->end);
	}
}

static void walk(const struct eh_frame_sec *s)
{
	struct eh_frame_entry e, ce;
	struct eh_frame_cie cie;
	struct eh_frame_fde fde;
	size_t off = 0, prev = 0;
	uint64_t cie_off;
	int n = 0;

	while (eh_frame_next(s, &off, &e) == 1) {
		if (off <= prev || off > s->size || e.off < prev)
			abort(); /* no progress, or outside the section */
		prev = off;
		check_inside(s, e.id_pos, e.end);
		if (n++ < 16)
			read_pointers(s, &e);
		if (e.is_cie) {
			if (!eh_frame_parse_cie(s, &e, &cie))
				check_inside(s, cie.insns, cie.insns_end);
			continue;
		}
		if (eh_frame_fde_cie_off(s, &e, &cie_off) || cie_off >= s->size)
			continue;
		off = (size_t)cie_off; /* the CIE it names, wherever it is */
		if (eh_frame_next(s, &off, &ce) == 1 && ce.is_cie &&
		    !eh_frame_parse_cie(s, &ce, &cie) && !eh_frame_parse_fde(s, &e, &cie, &fde)) {
			check_inside(s, fde.insns, fde.insns_end);
			if (fde.insns_end != e.end)
				abort();
		}
		off = prev;
	}
}

static void *from_elf(Elf *elf, void *arg)
{
	struct eh_frame_cfi cfi;

	(void)arg;
	if (eh_frame_locate(elf, 1u << 20, true, &cfi) == 0) {
		if (cfi.eh.size)
			walk(&cfi.eh);
		if (cfi.debug.size)
			walk(&cfi.debug);
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eh_frame_sec s = { .ptr_size = 8, .is_eh = true };

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		elf_with_mem(data + 1, size - 1, from_elf, NULL);
		return 0;
	case 2:
		s.ptr_size = 4;
		/* fallthrough */
	case 1:
		if (size < 9)
			return 0;
		memcpy(&s.vaddr, data + 1, 8);
		s.data = data + 9;
		s.size = size - 9;
		break;
	case 3:
		s.data = data + 1;
		s.size = size - 1;
		s.is_eh = false;
		break;
	}
	walk(&s);
	return 0;
}
