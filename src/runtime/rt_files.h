/* SPDX-License-Identifier: MIT */
/* What a runtime module found in an interpreter's file (its symbols, its version), parsed once
 * per file identity (device, inode) and kept for the run: every process mapping the file shares
 * it. Bounded in number; a file past the bound is not parsed (its processes are not walked). */
#ifndef FLAMED_RT_FILES_H
#define FLAMED_RT_FILES_H

#include <stddef.h>
#include <stdint.h>

struct proc_file;
struct rt_files;

/* Records of size bytes each (zeroed before parse), at most max files. NULL with errno. */
struct rt_files *rt_files__new(size_t size, size_t max);

/* NULL-safe; frees every record. */
void rt_files__free(struct rt_files *t);

/* The record of file f, parsed on first use: parse(rec, fd, ctx) reads f through fd (borrowed,
 * held only during the call; not called when f cannot be opened: the record stays zeroed).
 * NULL past the bound or without memory. Owned by t. */
void *rt_files__get(struct rt_files *t, const struct proc_file *f,
		    void (*parse)(void *rec, int fd, void *ctx), void *ctx);

#endif /* FLAMED_RT_FILES_H */
