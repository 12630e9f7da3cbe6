// SPDX-License-Identifier: MIT
/* The ELF object (elf/elf_file.h) and the function ranges (elf/elf_funcs.h), read from a file
 * descriptor as flamed reads mapped files: libelf with pread (ELF_C_READ). The input is an ELF
 * image, put in a memfd. Checks: the build-id is well formed and is the one an unwind table built
 * from the same fd carries; a load bias or address translation, when given, is consistent; a
 * function lookup returns a start at or below the address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "fuzz.h"
#include "unwind/unwind_table.h"

#define MAX_PROBES 64

static void probe(const struct elf_file *ef, const struct elf_funcs *fn, uint64_t v)
{
	uint64_t vaddr, bias, start;

	if (elf_file__offset_to_vaddr(ef, v, &vaddr) == 0 &&
	    elf_funcs__lookup(fn, vaddr, &start) == 0 && start > vaddr)
		abort();
	if (elf_funcs__lookup(fn, v, &start) == 0 && start > v)
		abort();
	if (elf_file__load_bias(ef, 0x7f0000000000ULL, 0x7f0000001000ULL, v & ~0xfffULL, true,
				&bias) == 0)
		(void)elf_file__offset_to_vaddr(ef, v & ~0xfffULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table_opts opts = { .max_bytes = 1 << 24 };
	const uint8_t *tid;
	struct elf_funcs *fn;
	struct elf_file *ef;
	struct unwind_table *t;
	const char *hex;
	size_t tlen = 0;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	ef = elf_file__open_fd(fd);
	fn = elf_funcs__open_fd(fd);
	if (ef) {
		hex = elf_file__build_id(ef);
		if ((hex && (!*hex || strlen(hex) > 2 * ELF_BUILD_ID_MAX ||
			     strspn(hex, "0123456789abcdef") != strlen(hex))) ||
		    elf_file__nr_loads(ef) > ELF_FILE_MAX_LOADS)
			abort();
		t = unwind_table__build_fd(fd, &opts);
		if (t) {
			char thex[2 * ELF_BUILD_ID_MAX + 1] = "";

			tid = unwind_table__build_id(t, &tlen);
			for (size_t i = 0; i < tlen; i++)
				snprintf(thex + 2 * i, 3, "%02x", tid[i]);
			if (strcmp(thex, hex ? hex : ""))
				abort(); /* one note reader, so the two must agree */
		}
		unwind_table__free(t);
	}
	if (fn && elf_funcs__mem_bytes(fn) < elf_funcs__count(fn))
		abort();
	probe(ef, fn, 0);
	probe(ef, fn, UINT64_MAX);
	for (size_t i = 0; i + 8 <= size && i / 8 < MAX_PROBES; i += 8) {
		uint64_t v;

		memcpy(&v, data + i, sizeof(v));
		probe(ef, fn, v);
		probe(ef, fn, v + 1);
	}
	elf_funcs__free(fn);
	elf_file__free(ef);
	close(fd);
	return 0;
}
