/* SPDX-License-Identifier: MIT */
/* Function boundaries of an ELF file from its call frame information: every .eh_frame FDE
 * describes one function's [pc_begin, pc_begin + pc_range). A stripped binary keeps .eh_frame
 * (unwinding and C++ exceptions need it), so this names the functions a stripped file has no
 * symbols for, by their start address. Parses outside input: bounds-checked, fuzzed. */
#ifndef FLAMED_ELF_FUNCS_H
#define FLAMED_ELF_FUNCS_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_FUNCS_MAX_BYTES (64u << 20) /* .eh_frame read at most (libLLVM's is ~10 MiB) */

struct elf_funcs;

/* Functions of the .eh_frame bytes buf[0, len), which sit at ELF address vaddr (pc-relative
 * pointers are resolved against it). Walks to the zero terminator or the end; malformed entries
 * and FDEs whose CIE cannot be read are skipped. Returns a new object (possibly empty) or NULL
 * with errno ENOMEM. */
struct elf_funcs *elf_funcs__from_eh_frame(const void *buf, size_t len, uint64_t vaddr);

/* Functions of the file open on fd (borrowed; read with pread) or in memory (copied): its
 * .eh_frame section, or without section headers the one PT_GNU_EH_FRAME (.eh_frame_hdr) points
 * at (eh_frame.h). An empty object when it has none. NULL with errno (ENOEXEC malformed,
 * ENOMEM). */
struct elf_funcs *elf_funcs__open_fd(int fd);
struct elf_funcs *elf_funcs__open_mem(const void *buf, size_t len);

/* The function containing ELF address vaddr: 0 and its start in *ret_start (may be NULL), or
 * -ENOENT when no FDE covers vaddr. */
int elf_funcs__lookup(const struct elf_funcs *f, uint64_t vaddr, uint64_t *ret_start);

/* The same with the function's end (one past its last byte) in *ret_end (may be NULL). */
int elf_funcs__range(const struct elf_funcs *f, uint64_t vaddr, uint64_t *ret_start,
		     uint64_t *ret_end);

/* Number of functions kept (overlapping and duplicate FDEs merged). */
size_t elf_funcs__count(const struct elf_funcs *f);

/* Bytes held (memory accounting). 0 for NULL. */
size_t elf_funcs__mem_bytes(const struct elf_funcs *f);

/* NULL-safe. */
void elf_funcs__free(struct elf_funcs *f);

#endif /* FLAMED_ELF_FUNCS_H */
