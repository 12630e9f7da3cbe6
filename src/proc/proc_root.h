/* SPDX-License-Identifier: MIT */
/* Files seen from inside another process: paths resolved in its root (its mount namespace), never
 * in flamed's, without following symlinks or magic links, and without blocking (O_PATH first, a
 * real open only once fstat shows a regular file). For files the process's own user controls,
 * such as the perf maps JIT compilers write in /tmp. */
#ifndef FLAMED_PROC_ROOT_H
#define FLAMED_PROC_ROOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An O_PATH fd on path (absolute) resolved inside /proc/tgid/root: no symlink, no magic link,
 * no ".." out of it. The fd or -errno. */
int proc_root__open_path(uint32_t tgid, const char *path);

/* An O_RDONLY fd on path inside tgid's root, only if it is a regular file (opened O_PATH first,
 * so a FIFO or a device is never opened for real). Used for debug files a binary names. The fd or
 * -errno (-EINVAL: not a regular file). */
int proc_root__open_file(uint32_t tgid, const char *path);

/* Read path inside tgid's root, only if it is a regular file owned by uid or by root and at most
 * max bytes (-EFBIG beyond): another user cannot plant a file that speaks for the process. 0 and
 * *ret_buf (malloc'ed, NUL-terminated, owned by the caller) and *ret_len, or -errno (-EPERM: the
 * wrong owner, -EINVAL: not a regular file). With size_stamp (may be NULL), a file whose size is
 * still *size_stamp is not read again (-EALREADY); *size_stamp gets the size read. */
int proc_root__read_owned(uint32_t tgid, const char *path, uid_t uid, size_t max, char **ret_buf,
			  size_t *ret_len, uint64_t *size_stamp);

/* The process's pid in its own pid namespace (the last NSpid of /proc/tgid/status) and its
 * effective uid. 0 or -errno. */
int proc_root__ids(uint32_t tgid, uint32_t *ret_nspid, uid_t *ret_uid);

#endif /* FLAMED_PROC_ROOT_H */
