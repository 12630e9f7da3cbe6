// SPDX-License-Identifier: MIT
/* A mapped file's ELF headers, kept with the file: one parse per (dev, inode) for every process
 * that maps it, whoever asks first (the unwind loader for the load bias, the profile builder for
 * the build-id). Headers only: a few small reads, no symbol table. */
#include <errno.h>

#include "elf/elf_file.h"
#include "proc/proc_table.h"

const struct elf_file *proc_file__elf(const struct proc_file *f)
{
	struct proc_file *mut = (struct proc_file *)f; /* a cache: f's identity does not change */
	int fd;

	if (!f || f->elf || f->elf_err)
		return f ? f->elf : NULL;
	fd = proc_file__hold(f);
	if (fd < 0)
		return NULL; /* closed by the fd budget and not reopenable now: counted there */
	mut->elf = elf_file__open_fd(fd);
	if (!mut->elf && errno != ENOMEM) /* out of memory is worth another try */
		mut->elf_err = errno ? -errno : -ENOEXEC;
	proc_file__release(f);
	return f->elf;
}

void proc_file__drop_elf(struct proc_file *f)
{
	if (!f)
		return;
	elf_file__free(f->elf);
	f->elf = NULL;
	f->elf_err = 0;
}
