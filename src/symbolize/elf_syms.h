/* SPDX-License-Identifier: MIT */
/* One ELF file's function symbols (.symtab and .dynsym), via libelf, with its headers (PT_LOAD
 * segments, build-id: elf/elf_file.h) for the translations below.
 * Parses outside input: malformed files give an error, never a crash (fuzzed). */
#ifndef FLAMED_ELF_SYMS_H
#define FLAMED_ELF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_syms;

/* Parse the ELF file open on fd (the fd stays owned by the caller and may be closed afterwards:
 * everything needed is copied). Returns a new object or NULL with errno (ENOEXEC: not ELF or
 * malformed). */
struct elf_syms *elf_syms__open_fd(int fd);

/* Same from memory (used by the fuzzer and tests); the buffer may be freed afterwards. */
struct elf_syms *elf_syms__open_mem(const void *buf, size_t len);

/* A function symbol from elsewhere (libdwfl's symbol table): what elf_syms keeps of one. */
struct elf_syms_input {
	uint64_t addr, size;
	const char *name;
	unsigned char bind; /* STB_*: among aliases GLOBAL wins over WEAK over LOCAL */
};

/* A table of in[0, nr) (names copied), deduplicated and bounded as a file's would be; without
 * segments or build-id. NULL with errno (ENOMEM). */
struct elf_syms *elf_syms__from_list(const struct elf_syms_input *in, size_t nr);

/* Convenience: open(path) + elf_syms__open_fd. */
struct elf_syms *elf_syms__open_path(const char *path);

/* Translate a file offset (mapping pgoff + (addr - mapping start)) to an ELF virtual address using
 * the PT_LOAD segment that contains it. Works for PIE, non-PIE and shared libraries.
 * Returns 0 and *ret_vaddr, or -ENOENT when no PT_LOAD segment covers the offset. */
int elf_syms__offset_to_vaddr(const struct elf_syms *es, uint64_t offset, uint64_t *ret_vaddr);

/* Load bias (runtime address - ELF vaddr) of a mapping [start, end) of file offset pgoff: from the
 * PT_LOAD segment whose file bytes the mapping holds, an executable one first when exec is set (a
 * page can hold the tail of one segment and the head of the next when segments are not page
 * aligned, as lld lays them out). Returns 0 and *ret_bias, or -ENOENT. */
int elf_syms__load_bias(const struct elf_syms *es, uint64_t start, uint64_t end, uint64_t pgoff,
			bool exec, uint64_t *ret_bias);

/* Keep the names zstd-compressed in blocks (when there are more than 16 KiB of them): a table
 * kept for long takes a fifth of the memory, and a lookup then unpacks one block. 0, or -ENOMEM
 * (the names stay as they were). NULL-safe. */
int elf_syms__pack(struct elf_syms *es);

/* Function symbol containing vaddr: [st_value, st_value + st_size), or for size-0 symbols up to the
 * next symbol. Returns the name (borrowed until the next lookup in es or elf_syms__free: a packed
 * table unpacks a block per lookup) or NULL. *ret_offset (may
 * be NULL) gets vaddr - st_value. */
const char *elf_syms__lookup(struct elf_syms *es, uint64_t vaddr, uint64_t *ret_offset);

/* Lower-case hex of the GNU build-id note, or NULL when there is none. Borrowed. */
const char *elf_syms__build_id(const struct elf_syms *es);

/* Number of function symbols kept. */
size_t elf_syms__count(const struct elf_syms *es);

/* Bytes held by this object (for memory accounting). */
size_t elf_syms__mem_bytes(const struct elf_syms *es);

/* NULL-safe. */
void elf_syms__free(struct elf_syms *es);

#endif /* FLAMED_ELF_SYMS_H */
