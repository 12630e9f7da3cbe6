/* SPDX-License-Identifier: MIT */
/* A V8 binary (node, or a library embedding V8): its post-mortem metadata, where its embedded
 * builtins are, its bytecode sizes and version, from its symbol tables (.dynsym and .symtab)
 * and the data they point at, read once per file. */
#ifndef FLAMED_V8_ELF_H
#define FLAMED_V8_ELF_H

#include <stdbool.h>
#include <stdint.h>

#include "v8/v8_meta.h"

#define V8_ELF_MAX_BYTECODES 256 /* bytecodes a sizes table may describe */

struct v8_elf {
	bool found;	     /* the file exports v8dbg_ metadata */
	int err;	     /* 0, or -ENOTSUP with why: V8 flamed cannot walk */
	const char *why;     /* static */
	struct v8_meta meta; /* valid when found && !err */
	uint64_t blob_vaddr; /* embedded builtins: ELF virtual address, size */
	uint64_t blob_size;
	uint8_t sizes[3 * V8_ELF_MAX_BYTECODES]; /* Bytecodes::kBytecodeSizes, 3 rows */
	uint32_t nr_bytecodes;			 /* of a row; 0: unknown (baseline lines off) */
	char version[32];			 /* "11.3.244.8", "" when unknown */
};

/* Read the V8 binary open on fd (read with pread, never mapped) into *ret. 0 (ret->found says
 * whether it is one), or -errno when the file cannot be read. */
int v8_elf__read(int fd, struct v8_elf *ret);

#endif /* FLAMED_V8_ELF_H */
