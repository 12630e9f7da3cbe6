// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "elf/eh_frame.h"

#define HDR_READ 16 /* .eh_frame_hdr bytes read: version, 3 encodings, eh_frame_ptr */

/* The format bits of enc at c, as an unsigned value (signed formats sign-extended when sign). */
static int read_format(struct cursor *c, uint8_t enc, unsigned ptr_size, bool sign, uint64_t *ret)
{
	uint64_t v;

	switch (enc & 0x0f) {
	case EH_PE_ABSPTR:
	case EH_PE_SIGNED:
		v = cur_u(c, ptr_size);
		break;
	case EH_PE_UDATA8:
	case EH_PE_SDATA8:
		v = cur_u(c, 8);
		break;
	case EH_PE_ULEB128:
		v = cur_uleb(c);
		break;
	case EH_PE_SLEB128:
		v = (uint64_t)cur_sleb(c);
		break;
	case EH_PE_UDATA2:
		v = cur_u(c, 2);
		break;
	case EH_PE_SDATA2:
		v = cur_u(c, 2);
		if (sign)
			v = (uint64_t)(int64_t)(int16_t)v;
		break;
	case EH_PE_UDATA4:
		v = cur_u(c, 4);
		break;
	case EH_PE_SDATA4:
		v = cur_u(c, 4);
		if (sign)
			v = (uint64_t)(int64_t)(int32_t)v;
		break;
	default:
		return -EINVAL;
	}
	if (c->bad)
		return -EINVAL;
	*ret = v;
	return 0;
}

int eh_frame_read_ptr(struct cursor *c, uint8_t enc, const struct eh_frame_sec *s, uint64_t *ret)
{
	uint64_t pos = s->vaddr + (uint64_t)(c->p - s->data), v;
	unsigned ptr_size = s->ptr_size == 4 ? 4 : 8;
	int err;

	if (enc == EH_PE_OMIT)
		return -ENOENT;
	if ((enc & 0x70) == EH_PE_ALIGNED) {
		size_t pad = (ptr_size - (pos & (ptr_size - 1))) & (ptr_size - 1);

		if (!cur_need(c, pad))
			return -EINVAL;
		c->p += pad;
		pos += pad;
		enc = EH_PE_ABSPTR | (enc & EH_PE_INDIRECT);
	}
	err = read_format(c, enc, ptr_size, true, &v);
	if (err)
		return err;
	switch (enc & 0x70) {
	case 0:
		break;
	case EH_PE_PCREL:
		v += pos;
		break;
	case EH_PE_TEXTREL:
		if (!s->text_base)
			return -ENOTSUP;
		v += s->text_base;
		break;
	case EH_PE_DATAREL:
		if (!s->data_base)
			return -ENOTSUP;
		v += s->data_base;
		break;
	default: /* funcrel: relative to a function this reader does not know */
		return -ENOTSUP;
	}
	if (enc & EH_PE_INDIRECT) /* the value is in the process's memory */
		return -ENOTSUP;
	if (ptr_size == 4)
		v &= 0xffffffffULL;
	*ret = v;
	return 0;
}

int eh_frame_read_size(struct cursor *c, uint8_t enc, const struct eh_frame_sec *s, uint64_t *ret)
{
	return read_format(c, enc, s->ptr_size == 4 ? 4 : 8, false, ret);
}

int eh_frame_next(const struct eh_frame_sec *s, size_t *off, struct eh_frame_entry *e)
{
	struct cursor c = { s->data + *off, s->data + s->size, false };
	uint64_t len;
	bool dw64 = false;

	if (*off >= s->size)
		return 0;
	for (;;) {
		if (c.p == c.end)
			return 0;
		e->off = (uint64_t)(c.p - s->data);
		len = cur_u(&c, 4);
		if (len == 0xffffffff) {
			len = cur_u(&c, 8);
			dw64 = true;
		}
		if (c.bad)
			return -EINVAL;
		if (len)
			break;
		if (s->is_eh)
			return 0; /* the terminator */
				  /* a zero-length .debug_frame entry is padding */
	}
	if (!cur_need(&c, len))
		return -EINVAL;
	e->end = c.p + len;
	e->id_pos = c.p;
	c.end = e->end;
	if (s->is_eh || !dw64) {
		e->id = cur_u(&c, 4);
		e->id_len = 4;
		e->is_cie = s->is_eh ? e->id == 0 : e->id == 0xffffffff;
	} else {
		e->id = cur_u(&c, 8);
		e->id_len = 8;
		e->is_cie = e->id == UINT64_MAX;
	}
	if (c.bad)
		return -EINVAL;
	*off = (size_t)(e->end - s->data);
	return 1;
}

/* The augmentation string's letters into cie; a points at their data (bounded by its length with
 * 'z', else running in line, where c continues after it). */
static int parse_augmentation(const struct eh_frame_sec *s, const char *aug, size_t aug_len,
			      struct cursor *a, struct eh_frame_cie *cie)
{
	for (size_t i = cie->has_z ? 1 : 0; i < aug_len; i++) {
		uint64_t ignored;
		uint8_t enc;

		switch (aug[i]) {
		case 'R':
			cie->fde_enc = (uint8_t)cur_u(a, 1);
			break;
		case 'L': /* the LSDA encoding: each FDE's augmentation data is skipped whole */
			(void)cur_u(a, 1);
			break;
		case 'P': /* the personality routine: only its size matters here */
			enc = (uint8_t)cur_u(a, 1);
			if (eh_frame_read_ptr(a, enc & ~EH_PE_INDIRECT, s, &ignored) == -EINVAL)
				return -EINVAL;
			break;
		case 'S':
			cie->signal = true;
			break;
		case 'B': /* AArch64 BTI, MTE: no data */
		case 'G':
			break;
		default:
			/* data of unknown size: without 'z' the instructions cannot be found, and
			 * an 'R' behind it could not be read */
			if (!cie->has_z || memchr(aug + i, 'R', aug_len - i))
				return -EINVAL;
			return a->bad ? -EINVAL : 0;
		}
		if (a->bad)
			return -EINVAL;
	}
	return 0;
}

int eh_frame_parse_cie(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
		       struct eh_frame_cie *ret)
{
	struct cursor c = { e->id_pos + e->id_len, e->end, false }, a;
	struct eh_frame_cie cie = { .off = e->off, .fde_enc = EH_PE_ABSPTR };
	const char *aug;
	size_t aug_len;
	int err;

	cie.version = (uint8_t)cur_u(&c, 1);
	if (c.bad || (cie.version != 1 && cie.version != 3 && cie.version != 4))
		return -EINVAL;
	aug = (const char *)c.p;
	aug_len = strnlen(aug, (size_t)(c.end - c.p));
	if (!cur_need(&c, aug_len + 1))
		return -EINVAL;
	c.p += aug_len + 1;
	if (cie.version == 4) {
		uint8_t addr_size = (uint8_t)cur_u(&c, 1);

		(void)cur_u(&c, 1); /* segment selector size */
		if (addr_size == 4)
			cie.fde_enc = EH_PE_UDATA4;
		else if (addr_size != 8)
			return -EINVAL;
	}
	cie.code_align = cur_uleb(&c);
	cie.data_align = cur_sleb(&c);
	cie.ra_reg = cie.version == 1 ? cur_u(&c, 1) : cur_uleb(&c);
	cie.has_z = aug_len && aug[0] == 'z';
	a = c;
	if (cie.has_z) {
		uint64_t zlen = cur_uleb(&c);

		if (!cur_need(&c, zlen))
			return -EINVAL;
		a.p = c.p;
		a.end = c.p + zlen;
		c.p += zlen;
	}
	err = parse_augmentation(s, aug, aug_len, &a, &cie);
	if (err || c.bad)
		return -EINVAL;
	if (!cie.has_z)
		c.p = a.p;
	cie.insns = c.p;
	cie.insns_end = e->end;
	*ret = cie;
	return 0;
}

int eh_frame_fde_cie_off(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
			 uint64_t *ret)
{
	uint64_t pos = (uint64_t)(e->id_pos - s->data);

	if (!s->is_eh) {
		*ret = e->id;
		return 0;
	}
	if (e->id > pos)
		return -EINVAL;
	*ret = pos - e->id;
	return 0;
}

int eh_frame_parse_fde(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
		       const struct eh_frame_cie *cie, struct eh_frame_fde *ret)
{
	struct cursor c = { e->id_pos + e->id_len, e->end, false };
	int err;

	err = eh_frame_read_ptr(&c, cie->fde_enc, s, &ret->begin);
	if (!err)
		err = eh_frame_read_size(&c, cie->fde_enc, s, &ret->range);
	if (err)
		return err;
	if (cie->has_z) {
		uint64_t alen = cur_uleb(&c);

		if (!cur_need(&c, alen))
			return -EINVAL;
		c.p += alen;
	}
	ret->insns = c.p;
	ret->insns_end = e->end;
	return 0;
}

/* A CFI section's bytes. Not found (NULL, 0) when empty, NOBITS or unreadable; -E2BIG over
 * max_bytes, compressed or not (the decompressed size is the file's claim: checked before). */
static int section_bytes(Elf_Scn *scn, const GElf_Shdr *sh, size_t max_bytes, Elf_Data **ret)
{
	GElf_Chdr ch = { 0 };
	Elf_Data *d;

	*ret = NULL;
	if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
		return 0;
	if (sh->sh_size > max_bytes)
		return -E2BIG;
	if (sh->sh_flags & SHF_COMPRESSED) {
		if (!gelf_getchdr(scn, &ch))
			return 0;
		if (ch.ch_size > max_bytes)
			return -E2BIG;
		if (elf_compress(scn, 0, 0) < 0)
			return 0;
	}
	d = elf_getdata(scn, NULL);
	if (d && d->d_buf && d->d_size)
		*ret = d;
	return 0;
}

/* Without section headers: .eh_frame_hdr's eh_frame_ptr, then the PT_LOAD bytes from there. */
static void from_hdr(Elf *elf, size_t phnum, size_t max_bytes, struct eh_frame_sec *eh)
{
	GElf_Phdr hdr = { 0 };
	struct eh_frame_sec hs = { .ptr_size = eh->ptr_size, .is_eh = true };
	struct cursor c;
	uint64_t ptr;
	bool found = false;
	Elf_Data *d;

	for (size_t i = 0; i < phnum && !found; i++)
		found = gelf_getphdr(elf, (int)i, &hdr) && hdr.p_type == PT_GNU_EH_FRAME;
	if (!found || hdr.p_filesz < 8 || hdr.p_offset > INT64_MAX)
		return;
	d = elf_getdata_rawchunk(elf, (int64_t)hdr.p_offset,
				 hdr.p_filesz < HDR_READ ? hdr.p_filesz : HDR_READ, ELF_T_BYTE);
	if (!d || !d->d_buf || d->d_size < 8 || ((const uint8_t *)d->d_buf)[0] != 1)
		return;
	hs.data = d->d_buf;
	hs.size = d->d_size;
	hs.vaddr = hdr.p_vaddr;
	c = (struct cursor){ hs.data + 4, hs.data + hs.size, false };
	if (eh_frame_read_ptr(&c, hs.data[1], &hs, &ptr))
		return;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr l;
		uint64_t in, size;

		if (!gelf_getphdr(elf, (int)i, &l) || l.p_type != PT_LOAD || ptr < l.p_vaddr ||
		    ptr - l.p_vaddr >= l.p_filesz)
			continue;
		in = ptr - l.p_vaddr;
		size = l.p_filesz - in;
		if (size > max_bytes)
			size = max_bytes;
		if (l.p_offset > UINT64_MAX - in || l.p_offset + in > INT64_MAX)
			return;
		d = elf_getdata_rawchunk(elf, (int64_t)(l.p_offset + in), size, ELF_T_BYTE);
		if (d && d->d_buf) {
			eh->data = d->d_buf;
			eh->size = d->d_size;
			eh->vaddr = ptr;
		}
		return;
	}
}

int eh_frame_locate(Elf *elf, size_t max_bytes, bool want_debug_frame, struct eh_frame_cfi *ret)
{
	Elf_Data *eh_data = NULL, *dbg_data = NULL;
	uint64_t got = 0, got_plt = 0, text = 0;
	size_t shstrndx, phnum;
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	int err = 0;

	memset(ret, 0, sizeof(*ret));
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		return -ENOEXEC;
	if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB) /* the cursor reads little-endian */
		return -ENOTSUP;
	ret->eh.ptr_size = ret->debug.ptr_size = ehdr.e_ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;
	ret->eh.is_eh = true;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while (!err && (scn = elf_nextscn(elf, scn))) {
			const char *name;
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh) ||
			    !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
				continue;
			if (!strcmp(name, ".eh_frame") && !eh_data) {
				err = section_bytes(scn, &sh, max_bytes, &eh_data);
				ret->eh.vaddr = sh.sh_addr;
			} else if (!strcmp(name, ".debug_frame") && !dbg_data && want_debug_frame) {
				err = section_bytes(scn, &sh, max_bytes, &dbg_data);
				ret->debug.vaddr = sh.sh_addr;
			} else if (!strcmp(name, ".got.plt")) {
				got_plt = sh.sh_addr;
			} else if (!strcmp(name, ".got")) {
				got = sh.sh_addr;
			} else if (!strcmp(name, ".text")) {
				text = sh.sh_addr;
			}
		}
	}
	if (err)
		return err;
	ret->eh.text_base = ret->debug.text_base = text;
	ret->eh.data_base = ret->debug.data_base = got_plt ? got_plt : got;
	if (eh_data) {
		ret->eh.data = eh_data->d_buf;
		ret->eh.size = eh_data->d_size;
	} else if (!elf_getphdrnum(elf, &phnum)) {
		ret->eh.vaddr = 0;
		from_hdr(elf, phnum, max_bytes, &ret->eh);
	}
	if (dbg_data) {
		ret->debug.data = dbg_data->d_buf;
		ret->debug.size = dbg_data->d_size;
	}
	return 0;
}
