// SPDX-License-Identifier: MIT
/* .eh_frame walker that keeps only what names a function: each FDE's pc_begin and pc_range (the
 * CFA rules are unwind_table.c's business). The file is hostile input: every read is bounded by
 * its entry, every entry by the section, and what cannot be read is skipped, not trusted. The
 * .eh_frame_hdr search table would give the starts alone; the FDEs also give each function's end,
 * so code outside any function (padding, stubs without CFI) is not pinned on its neighbour.
 * .debug_frame is not read: strip removes it with the symbols, and a file that still has it has
 * .symtab too. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "util/cursor.h"

/* DWARF pointer encodings (DW_EH_PE_*) */
#define PE_ABSPTR	  0x00
#define PE_ULEB128	  0x01
#define PE_UDATA2	  0x02
#define PE_UDATA4	  0x03
#define PE_UDATA8	  0x04
#define PE_SLEB128	  0x09
#define PE_SDATA2	  0x0a
#define PE_SDATA4	  0x0b
#define PE_SDATA8	  0x0c
#define PE_PCREL	  0x10
#define PE_INDIRECT	  0x80
#define PE_OMIT		  0xff

#define AUG_MAX		  16 /* augmentation string length; GCC emits at most "zPLR" */
#define LOOKUP_BACK	  8  /* overlapping FDEs: how far back a lookup looks */
#define HDR_MIN		  12 /* .eh_frame_hdr: version, 3 encodings, eh_frame_ptr (sdata4 or udata4) */
#define SHT_X86_64_UNWIND 0x70000001

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

static int64_t sign_extend(uint64_t v, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);

	return (int64_t)((v ^ m) - m);
}

/* A pointer of encoding enc at r; sec/sec_vaddr place r->p for pc-relative values. With
 * value_only the application bits are ignored (pc_range is a plain size). false when the
 * encoding is unsupported or the bytes are not there. */
static bool rd_ptr(struct cursor *r, uint8_t enc, const uint8_t *sec, uint64_t sec_vaddr,
		   unsigned ptr_size, bool value_only, uint64_t *ret)
{
	uint64_t pos = sec_vaddr + (uint64_t)(r->p - sec), v;

	if (enc == PE_OMIT)
		return false;
	switch (enc & 0x0f) {
	case PE_ABSPTR:
		v = cur_u(r, ptr_size);
		break;
	case PE_ULEB128:
		v = cur_uleb(r);
		break;
	case PE_UDATA2:
		v = cur_u(r, 2);
		break;
	case PE_UDATA4:
		v = cur_u(r, 4);
		break;
	case PE_UDATA8:
		v = cur_u(r, 8);
		break;
	case PE_SLEB128:
		v = (uint64_t)cur_sleb(r);
		break;
	case PE_SDATA2:
		v = (uint64_t)sign_extend(cur_u(r, 2), 16);
		break;
	case PE_SDATA4:
		v = (uint64_t)sign_extend(cur_u(r, 4), 32);
		break;
	case PE_SDATA8:
		v = cur_u(r, 8);
		break;
	default:
		return false;
	}
	if (r->bad)
		return false;
	if (!value_only) {
		if (enc & PE_INDIRECT)
			return false; /* would need the file's data at run time */
		switch (enc & 0x70) {
		case 0:
			break;
		case PE_PCREL:
			v += pos;
			break;
		default: /* textrel, datarel, funcrel: not used for FDE addresses on Linux */
			return false;
		}
	}
	if (ptr_size == 4 && (enc & 0x0f) == PE_ABSPTR)
		v &= 0xffffffffULL;
	*ret = v;
	return true;
}

/* The FDE pointer encoding of the CIE at off (its length field). false if unreadable. */
static bool parse_cie(const uint8_t *sec, size_t len, size_t off, uint64_t sec_vaddr,
		      unsigned ptr_size, uint8_t *ret_enc)
{
	struct cursor r = { .p = sec + off, .end = sec + len };
	char aug[AUG_MAX + 1];
	uint64_t length, skip;
	uint8_t version, enc = PE_ABSPTR;
	size_t n = 0;

	length = cur_u(&r, 4);
	if (r.bad || length < 4 || length == 0xffffffffULL || length > (uint64_t)(r.end - r.p))
		return false;
	r.end = r.p + length;
	if (cur_u(&r, 4) != 0) /* CIE id */
		return false;
	version = (uint8_t)cur_u(&r, 1);
	if (r.bad || (version != 1 && version != 3))
		return false;
	for (;;) {
		uint8_t c = (uint8_t)cur_u(&r, 1);

		if (r.bad || n == AUG_MAX)
			return false;
		aug[n++] = (char)c;
		if (!c)
			break;
	}
	(void)cur_uleb(&r); /* code alignment */
	(void)cur_sleb(&r); /* data alignment */
	if (version == 1)   /* return address register */
		(void)cur_u(&r, 1);
	else
		(void)cur_uleb(&r);
	if (r.bad)
		return false;
	if (aug[0] != 'z') {
		if (aug[0]) /* "eh" and other pre-'z' forms: layout unknown */
			return false;
		*ret_enc = enc;
		return true;
	}
	skip = cur_uleb(&r);
	if (r.bad || skip > (uint64_t)(r.end - r.p))
		return false;
	r.end = r.p + skip; /* the augmentation data, bounded by its own length */
	for (const char *a = aug + 1; *a; a++) {
		uint64_t ignored;
		uint8_t penc;

		switch (*a) {
		case 'R':
			enc = (uint8_t)cur_u(&r, 1);
			break;
		case 'L':
			(void)cur_u(&r, 1);
			break;
		case 'P':
			penc = (uint8_t)cur_u(&r, 1);
			if (r.bad ||
			    !rd_ptr(&r, penc & 0x0f, sec, sec_vaddr, ptr_size, true, &ignored))
				return false;
			break;
		case 'S':
		case 'B':
		case 'G':
			break;
		default:
			return false; /* data of unknown size: 'R' may be behind it */
		}
		if (r.bad)
			return false;
	}
	*ret_enc = enc;
	return true;
}

static int push(struct func **v, size_t *nr, size_t *cap, uint64_t start, uint64_t end)
{
	if (*nr == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct func *tmp = reallocarray(*v, ncap, sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		*v = tmp;
		*cap = ncap;
	}
	(*v)[(*nr)++] = (struct func){ start, end };
	return 0;
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

static struct elf_funcs *walk(const uint8_t *sec, size_t len, uint64_t vaddr, unsigned ptr_size)
{
	struct elf_funcs *f = calloc(1, sizeof(*f));
	size_t off = 0, nr = 0, cap = 0, cie_off = SIZE_MAX;
	struct func *v = NULL;
	uint8_t enc = 0;
	bool cie_ok = false;
	int err = 0;

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	if (!sec)
		len = 0;
	while (len - off >= 8 && !err) {
		struct cursor r = { .p = sec + off, .end = sec + len };
		uint64_t length = cur_u(&r, 4), id, start, range;
		size_t entry_end, id_pos;

		/* a zero length ends .eh_frame; 64-bit entries are not emitted by Linux toolchains */
		if (!length || length == 0xffffffffULL || length > (uint64_t)(r.end - r.p))
			break;
		entry_end = off + 4 + (size_t)length;
		r.end = sec + entry_end;
		id_pos = off + 4;
		id = cur_u(&r, 4);
		off = entry_end;
		if (r.bad || !id || id > id_pos)
			continue;	      /* a CIE, or a CIE pointer before the section */
		if (id_pos - id != cie_off) { /* FDEs of one CIE come together: a one-entry cache */
			cie_off = id_pos - (size_t)id;
			cie_ok = parse_cie(sec, len, cie_off, vaddr, ptr_size, &enc);
		}
		if (!cie_ok || !rd_ptr(&r, enc, sec, vaddr, ptr_size, false, &start) ||
		    !rd_ptr(&r, enc & 0x0f, sec, vaddr, ptr_size, true, &range))
			continue;
		/* zero-start or empty FDEs are what linkers leave of discarded sections */
		if (!start || !range || start > UINT64_MAX - range)
			continue;
		err = push(&v, &nr, &cap, start, start + range);
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
	return walk(buf, len, vaddr, 8);
}

/* Without section headers: .eh_frame_hdr's eh_frame_ptr, then the PT_LOAD bytes from there (the
 * walk stops at .eh_frame's zero terminator). NULL data when it cannot be located. */
static Elf_Data *eh_frame_from_hdr(Elf *elf, size_t phnum, unsigned ptr_size, uint64_t *ret_vaddr)
{
	GElf_Phdr hdr = { 0 };
	uint64_t eh = 0;
	Elf_Data *d = NULL;
	struct cursor r;
	bool found = false;

	for (size_t i = 0; i < phnum && !found; i++)
		found = gelf_getphdr(elf, (int)i, &hdr) && hdr.p_type == PT_GNU_EH_FRAME;
	if (!found || hdr.p_filesz < HDR_MIN)
		return NULL;
	d = elf_getdata_rawchunk(elf, (int64_t)hdr.p_offset, HDR_MIN, ELF_T_BYTE);
	if (!d || !d->d_buf || d->d_size < HDR_MIN || ((const uint8_t *)d->d_buf)[0] != 1)
		return NULL;
	r = (struct cursor){ .p = (const uint8_t *)d->d_buf + 4,
			     .end = (const uint8_t *)d->d_buf + HDR_MIN };
	if (!rd_ptr(&r, ((const uint8_t *)d->d_buf)[1], d->d_buf, hdr.p_vaddr, ptr_size, false,
		    &eh))
		return NULL;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr l;
		uint64_t in, size;

		if (!gelf_getphdr(elf, (int)i, &l) || l.p_type != PT_LOAD || eh < l.p_vaddr ||
		    eh - l.p_vaddr >= l.p_filesz)
			continue;
		in = eh - l.p_vaddr;
		size = l.p_filesz - in;
		if (size > ELF_FUNCS_MAX_BYTES)
			size = ELF_FUNCS_MAX_BYTES;
		if (l.p_offset > UINT64_MAX - in || l.p_offset + in > INT64_MAX)
			return NULL;
		d = elf_getdata_rawchunk(elf, (int64_t)(l.p_offset + in), size, ELF_T_BYTE);
		*ret_vaddr = eh;
		return d && d->d_buf ? d : NULL;
	}
	return NULL;
}

struct elf_funcs *elf_funcs__from_elf(Elf *elf)
{
	size_t shstrndx, phnum;
	Elf_Scn *scn = NULL;
	Elf_Data *d = NULL;
	uint64_t vaddr = 0;
	unsigned ptr_size;
	GElf_Ehdr eh;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getphdrnum(elf, &phnum)) {
		errno = ENOEXEC;
		return NULL;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) /* the reader is little-endian */
		return walk(NULL, 0, 0, 8);
	ptr_size = eh.e_ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn))) {
			const char *name;
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh) ||
			    (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_X86_64_UNWIND))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name || strcmp(name, ".eh_frame"))
				continue;
			if (!sh.sh_size || sh.sh_size > ELF_FUNCS_MAX_BYTES ||
			    (sh.sh_flags & SHF_COMPRESSED))
				break;
			d = elf_getdata(scn, NULL);
			vaddr = sh.sh_addr;
			break;
		}
	}
	if (!d)
		d = eh_frame_from_hdr(elf, phnum, ptr_size, &vaddr);
	if (!d || !d->d_buf)
		return walk(NULL, 0, 0, ptr_size);
	return walk(d->d_buf, d->d_size, vaddr, ptr_size);
}

static void *from_elf(Elf *elf, void *arg)
{
	(void)arg;
	return elf_funcs__from_elf(elf);
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
