// SPDX-License-Identifier: MIT
/* .eh_frame walk (eh_frame.h reads it) that keeps only what names a function: each FDE's pc_begin
 * and pc_range (the CFA rules are unwind_table.c's business). What cannot be read is skipped,
 * not trusted. The .eh_frame_hdr search table would give the starts alone; the FDEs also give each function's end,
 * so code outside any function (padding, stubs without CFI) is not pinned on its neighbour.
 * .debug_frame is not read: strip removes it with the symbols, and a file that still has it has
 * .symtab too. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "elf/eh_frame.h"
#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "util/array.h"

#define LOOKUP_BACK 8 /* overlapping FDEs: how far back a lookup looks */

/* An FDE's range while walking. */
struct func {
	uint64_t start;
	uint64_t end; /* exclusive */
};

/* As kept: 8 bytes a function (libLLVM: ~95k functions, 0.7 MiB). */
struct span {
	uint32_t off; /* start - base */
	uint32_t size;
};

struct elf_funcs {
	uint64_t base;	/* lowest start */
	struct span *v; /* sorted by start */
	size_t nr;
};

static int push(struct func **v, size_t *nr, size_t *cap, uint64_t start, uint64_t end)
{
	int err = array_grow((void **)v, cap, *nr + 1, sizeof(**v));

	if (!err)
		(*v)[(*nr)++] = (struct func){ start, end };
	return err;
}

static int func_cmp(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorted, one entry per start (the widest), compacted into f: a function more than 4 GiB above
 * the lowest one or 4 GiB long is not real code and is dropped. */
static int keep(struct elf_funcs *f, struct func *v, size_t nr)
{
	size_t out = 0;

	qsort(v, nr, sizeof(*v), func_cmp);
	f->v = calloc(nr, sizeof(*f->v));
	if (!f->v)
		return -ENOMEM;
	f->base = v[0].start;
	for (size_t i = 0; i < nr; i++) { /* sorted by end within a start: the last is widest */
		uint64_t off = v[i].start - f->base, size = v[i].end - v[i].start;

		if (off > UINT32_MAX || size > UINT32_MAX)
			continue;
		if (out && f->v[out - 1].off == off)
			out--;
		f->v[out++] = (struct span){ (uint32_t)off, (uint32_t)size };
	}
	f->nr = out;
	return 0;
}

/* The FDE e's range, through its CIE (cached in *cie: FDEs of one CIE come together). false
 * when either cannot be read or the range is not a function's. */
static bool fde_range(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
		      struct eh_frame_cie *cie, bool *cie_ok, struct func *ret)
{
	struct eh_frame_entry ce;
	struct eh_frame_fde fde;
	uint64_t cie_off;
	size_t off;

	if (eh_frame_fde_cie_off(s, e, &cie_off))
		return false; /* a CIE pointer before the section */
	if (cie_off != cie->off) {
		off = (size_t)cie_off;
		*cie_ok = cie_off < s->size && eh_frame_next(s, &off, &ce) == 1 && ce.is_cie &&
			  !eh_frame_parse_cie(s, &ce, cie);
		cie->off = cie_off; /* the cache key, parsed or not */
	}
	if (!*cie_ok || eh_frame_parse_fde(s, e, cie, &fde))
		return false;
	/* zero-start or empty FDEs are what linkers leave of discarded sections */
	if (!fde.begin || !fde.range || fde.begin > UINT64_MAX - fde.range)
		return false;
	*ret = (struct func){ fde.begin, fde.begin + fde.range };
	return true;
}

static struct elf_funcs *walk(const struct eh_frame_sec *s)
{
	struct elf_funcs *f = calloc(1, sizeof(*f));
	struct eh_frame_cie cie = { .off = UINT64_MAX };
	struct eh_frame_entry e;
	size_t off = 0, nr = 0, cap = 0;
	struct func *v = NULL, fn;
	bool cie_ok = false;
	int err = 0;

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	/* to the terminator; a malformed entry ends the walk (what follows cannot be found) */
	while (!err && s->data && eh_frame_next(s, &off, &e) == 1) {
		if (!e.is_cie && fde_range(s, &e, &cie, &cie_ok, &fn))
			err = push(&v, &nr, &cap, fn.start, fn.end);
	}
	if (!err && nr)
		err = keep(f, v, nr);
	free(v);
	if (err) {
		elf_funcs__free(f);
		errno = -err;
		return NULL;
	}
	return f;
}

struct elf_funcs *elf_funcs__from_eh_frame(const void *buf, size_t len, uint64_t vaddr)
{
	struct eh_frame_sec s = {
		.data = buf, .size = buf ? len : 0, .vaddr = vaddr, .ptr_size = 8, .is_eh = true
	};

	return walk(&s);
}

/* The functions of elf: .eh_frame by its section, or without section headers the one
 * PT_GNU_EH_FRAME points at; an empty object without (or with an unusable) .eh_frame. */
static void *from_elf(Elf *elf, void *arg)
{
	struct eh_frame_cfi cfi;
	int err = eh_frame_locate(elf, ELF_FUNCS_MAX_BYTES, false, &cfi);

	(void)arg;
	if (err == -ENOEXEC) {
		errno = ENOEXEC;
		return NULL;
	}
	if (err)
		cfi.eh.data = NULL;
	return walk(&cfi.eh);
}

struct elf_funcs *elf_funcs__open_fd(int fd)
{
	return elf_with_fd(fd, from_elf, NULL);
}

struct elf_funcs *elf_funcs__open_mem(const void *buf, size_t len)
{
	return elf_with_mem(buf, len, from_elf, NULL);
}

int elf_funcs__range(const struct elf_funcs *f, uint64_t vaddr, uint64_t *ret_start,
		     uint64_t *ret_end)
{
	size_t lo = 0, hi;
	uint64_t off;

	if (!f || !f->nr || vaddr < f->base)
		return -ENOENT;
	off = vaddr - f->base;
	hi = f->nr;
	while (lo < hi) { /* first entry starting after vaddr */
		size_t mid = lo + (hi - lo) / 2;

		if (f->v[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the nearest start below; a few steps back catch an FDE that encloses another */
	for (size_t i = lo, steps = 0; i > 0 && steps < LOOKUP_BACK; i--, steps++) {
		const struct span *sp = &f->v[i - 1];

		if (off - sp->off < sp->size) {
			if (ret_start)
				*ret_start = f->base + sp->off;
			if (ret_end)
				*ret_end = f->base + sp->off + sp->size;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_funcs__lookup(const struct elf_funcs *f, uint64_t vaddr, uint64_t *ret_start)
{
	return elf_funcs__range(f, vaddr, ret_start, NULL);
}

size_t elf_funcs__count(const struct elf_funcs *f)
{
	return f ? f->nr : 0;
}

size_t elf_funcs__mem_bytes(const struct elf_funcs *f)
{
	return f ? sizeof(*f) + f->nr * sizeof(*f->v) : 0;
}

void elf_funcs__free(struct elf_funcs *f)
{
	if (!f)
		return;
	free(f->v);
	free(f);
}
