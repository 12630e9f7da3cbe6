/* SPDX-License-Identifier: MIT */
/* The one reader of call frame information sections (.eh_frame, .debug_frame): DW_EH_PE pointer
 * encodings, an iterator over CIE and FDE entries, the CIE and FDE headers, and where an ELF file
 * keeps them (its sections, or without section headers PT_GNU_EH_FRAME's pointer). What an FDE's
 * instructions mean is the caller's business (unwind_table.c runs them; elf_funcs.c only needs
 * each FDE's range). Every byte is outside input: each read is bounded by its entry and each
 * entry by the section, and a malformed entry is reported, never trusted. Fuzzed
 * (fuzz_eh_frame.c). */
#ifndef FLAMED_ELF_EH_FRAME_H
#define FLAMED_ELF_EH_FRAME_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cursor.h"

/* DW_EH_PE_*: the low nibble is the format, bits 4-6 the application, bit 7 indirect. */
#define EH_PE_ABSPTR   0x00
#define EH_PE_ULEB128  0x01
#define EH_PE_UDATA2   0x02
#define EH_PE_UDATA4   0x03
#define EH_PE_UDATA8   0x04
#define EH_PE_SIGNED   0x08
#define EH_PE_SLEB128  0x09
#define EH_PE_SDATA2   0x0a
#define EH_PE_SDATA4   0x0b
#define EH_PE_SDATA8   0x0c
#define EH_PE_PCREL    0x10
#define EH_PE_TEXTREL  0x20
#define EH_PE_DATAREL  0x30
#define EH_PE_FUNCREL  0x40
#define EH_PE_ALIGNED  0x50
#define EH_PE_INDIRECT 0x80
#define EH_PE_OMIT     0xff

/* One CFI section in memory (borrowed) and what its pointers are relative to. */
struct eh_frame_sec {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;	    /* ELF address of data[0] (pc-relative pointers) */
	uint64_t text_base; /* DW_EH_PE_textrel base (.text); 0 = unknown */
	uint64_t data_base; /* DW_EH_PE_datarel base (.got.plt, else .got); 0 = unknown */
	uint8_t ptr_size;   /* DW_EH_PE_absptr width: 8, or 4 for ELFCLASS32 */
	bool is_eh;	    /* .eh_frame (CIE id 0, CIE pointers relative to themselves) rather
			     * than .debug_frame (CIE id ~0, CIE pointers are section offsets) */
};

/* A pointer of encoding enc at c, which reads inside s->data. 0 and *ret; -ENOENT for
 * DW_EH_PE_omit; -EINVAL when the format is unknown or the bytes are not there; -ENOTSUP for an
 * application that cannot be resolved from the file (indirect, funcrel, textrel or datarel
 * without their base). */
int eh_frame_read_ptr(struct cursor *c, uint8_t enc, const struct eh_frame_sec *s, uint64_t *ret);

/* A value of encoding enc as a plain unsigned size (an FDE's address range): the format's width,
 * no sign extension, no application. 0 or -EINVAL. */
int eh_frame_read_size(struct cursor *c, uint8_t enc, const struct eh_frame_sec *s, uint64_t *ret);

/* One entry (CIE or FDE); pointers into the section. */
struct eh_frame_entry {
	uint64_t off;	       /* of the entry (its length field) in the section */
	const uint8_t *id_pos; /* the CIE id / CIE pointer field */
	const uint8_t *end;    /* one past the entry */
	uint64_t id;	       /* that field's value */
	uint8_t id_len;	       /* 4, or 8 in a 64-bit .debug_frame entry */
	bool is_cie;
};

/* The entry at *off: 1 and *off past it; 0 at the end of the section or at .eh_frame's zero
 * terminator (.debug_frame's zero-length padding is skipped); -EINVAL when the entry runs past
 * the section or is cut short (what follows it cannot be found). */
int eh_frame_next(const struct eh_frame_sec *s, size_t *off, struct eh_frame_entry *e);

/* A CIE's header. */
struct eh_frame_cie {
	uint64_t off; /* of the entry */
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;      /* return address column */
	const uint8_t *insns; /* initial instructions */
	const uint8_t *insns_end;
	uint8_t version;
	uint8_t fde_enc; /* the 'R' encoding of its FDEs' addresses */
	bool has_z;	 /* augmentation data has a length: each FDE carries one too */
	bool signal;	 /* 'S': a signal frame */
};

/* Parse the CIE e (is_cie). 0 or -EINVAL: an unknown version, an augmentation whose data cannot
 * be skipped (no 'z'), an 'R' behind data of unknown size, or bytes missing. */
int eh_frame_parse_cie(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
		       struct eh_frame_cie *ret);

/* Offset in the section of the CIE the FDE e refers to. 0, or -EINVAL when it would lie before
 * the section (.eh_frame's pointer is relative to its own position). */
int eh_frame_fde_cie_off(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
			 uint64_t *ret);

/* An FDE's header. */
struct eh_frame_fde {
	uint64_t begin;		  /* pc_begin, an ELF address */
	uint64_t range;		  /* pc_range, bytes */
	const uint8_t *insns;	  /* after the augmentation data */
	const uint8_t *insns_end; /* the entry's end */
};

/* Parse the FDE e of the CIE cie: eh_frame_read_ptr's errors for pc_begin, -EINVAL for a range
 * or augmentation data that is not there. */
int eh_frame_parse_fde(const struct eh_frame_sec *s, const struct eh_frame_entry *e,
		       const struct eh_frame_cie *cie, struct eh_frame_fde *ret);

/* Where an ELF file keeps its CFI (bytes owned by elf: valid until elf_end). size 0: none. */
struct eh_frame_cfi {
	struct eh_frame_sec eh;	   /* .eh_frame: its section, or through PT_GNU_EH_FRAME (then
				    * up to the end of its PT_LOAD, at most max_bytes: the walk
				    * stops at its terminator) */
	struct eh_frame_sec debug; /* .debug_frame, when asked for */
};

/* Locate the CFI of elf (borrowed): little-endian files only. Sections are read with libelf
 * (pread into its buffers, never mmap), a compressed one inflated when its size says it fits in
 * max_bytes; the bases of textrel and datarel pointers are set from .text and .got(.plt). 0;
 * -ENOEXEC for something not ELF, -ENOTSUP for a big-endian file, -E2BIG for a CFI section over
 * max_bytes. */
int eh_frame_locate(Elf *elf, size_t max_bytes, bool want_debug_frame, struct eh_frame_cfi *ret);

#endif /* FLAMED_ELF_EH_FRAME_H */
