/* SPDX-License-Identifier: MIT */
/* One ELF file's identity and layout: type, PT_LOAD segments and GNU build-id, read from the
 * headers only (no symbol table, no CFI), so it is cheap enough for every mapped file. Shared by
 * unwinding (load bias of a mapping) and symbolization (file offset -> ELF address, build-id);
 * symbols (symbolize/elf_syms.h) and function boundaries (elf/elf_funcs.h) are read on demand
 * by their own modules. Parses outside input: a malformed file gives an error, never a crash
 * (fuzzed). */
#ifndef FLAMED_ELF_FILE_H
#define FLAMED_ELF_FILE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_BUILD_ID_MAX 64 /* bytes; GNU ld emits 16 (md5/uuid) or 20 (sha1) */
/* PT_LOAD segments kept; a file with more is refused (ENOEXEC). Real files have 2-6: the bound
 * keeps what a hostile file makes flamed hold per mapped file small (one object per file). */
#define ELF_FILE_MAX_LOADS 16

struct elf_file;

/* Call fn(elf, arg) on the ELF file open on fd (owned by the caller), read with pread: never
 * mapped, so a file truncated underneath gives an error rather than SIGBUS. Returns fn's result;
 * NULL with errno from fn, or ENOEXEC / EBADF when libelf cannot open it. */
void *elf_with_fd(int fd, void *(*fn)(Elf *elf, void *arg), void *arg);

/* Same on a private copy of buf[0, len) (libelf may convert it in place), freed afterwards. */
void *elf_with_mem(const void *buf, size_t len, void *(*fn)(Elf *elf, void *arg), void *arg);

/* First NT_GNU_BUILD_ID note of elf (SHT_NOTE sections, else PT_NOTE segments) into buf.
 * Returns its length (1..ELF_BUILD_ID_MAX) or 0 when there is none or it is malformed. */
size_t elf_read_build_id(Elf *elf, uint8_t buf[ELF_BUILD_ID_MAX]);

/* Read the headers of an ET_EXEC or ET_DYN file through elf (borrowed; may be ended afterwards:
 * everything is copied). NULL with errno (ENOEXEC: not such an ELF, or truncated headers). */
struct elf_file *elf_file__from_elf(Elf *elf);

/* Same from the file open on fd (owned by the caller, read with pread: never mapped, so a file
 * truncated underneath gives an error rather than SIGBUS). */
struct elf_file *elf_file__open_fd(int fd);

/* Same from memory (fuzzer, tests); the buffer may be freed afterwards. */
struct elf_file *elf_file__open_mem(const void *buf, size_t len);

/* Lower-case hex of the build-id, or NULL. Borrowed. */
const char *elf_file__build_id(const struct elf_file *ef);

/* Translate a file offset (mapping pgoff + (addr - mapping start)) to an ELF virtual address using
 * the PT_LOAD segment that holds it. Works for PIE, non-PIE and shared libraries.
 * Returns 0 and *ret_vaddr, or -ENOENT when no PT_LOAD segment covers the offset. */
int elf_file__offset_to_vaddr(const struct elf_file *ef, uint64_t offset, uint64_t *ret_vaddr);

/* Load bias (runtime address - ELF vaddr) of a mapping [start, end) of file offset pgoff: from the
 * PT_LOAD segment whose file bytes the mapping holds, an executable one first when exec is set (a
 * page can hold the tail of one segment and the head of the next when segments are not page
 * aligned, as lld lays them out). Returns 0 and *ret_bias, or -ENOENT / -EINVAL. */
int elf_file__load_bias(const struct elf_file *ef, uint64_t start, uint64_t end, uint64_t pgoff,
			bool exec, uint64_t *ret_bias);

/* Number of PT_LOAD segments with file bytes. */
size_t elf_file__nr_loads(const struct elf_file *ef);

/* Bytes held (memory accounting). 0 for NULL. */
size_t elf_file__mem_bytes(const struct elf_file *ef);

/* NULL-safe. */
void elf_file__free(struct elf_file *ef);

#endif /* FLAMED_ELF_FILE_H */
