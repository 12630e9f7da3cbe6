// SPDX-License-Identifier: MIT
/* ELF notes and the build-id, read from a file descriptor as the unwind loader reads mapped
 * files: libelf with pread (ELF_C_READ), bounded note sizes. The input is an ELF image, put in a
 * memfd. The build-id must be at most UNWIND_BUILD_ID_MAX bytes, and a table built from the same
 * fd must carry the same one (both read the same notes). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "unwind/unwind_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table_opts opts = { .sz = sizeof(opts), .max_bytes = 1 << 24 };
	uint8_t id[UNWIND_BUILD_ID_MAX];
	const uint8_t *tid;
	struct unwind_table *t;
	size_t tlen = 0;
	int fd = memfd_create("fuzz", MFD_CLOEXEC), len;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	len = unwind_elf_build_id(fd, id);
	if (len > UNWIND_BUILD_ID_MAX)
		abort();
	t = unwind_table__build_fd(fd, &opts);
	if (t) {
		tid = unwind_table__build_id(t, &tlen);
		if (len < 0 || (size_t)len != tlen || (tlen && memcmp(tid, id, tlen)))
			abort(); /* the two readers disagree on the same bytes */
	}
	unwind_table__free(t);
	close(fd);
	return 0;
}
