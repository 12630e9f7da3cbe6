/* SPDX-License-Identifier: MIT */
/* Read a whole file whose size stat cannot tell (procfs reports 0): read until EOF into a growing
 * buffer. */
#ifndef FLAMED_READFILE_H
#define FLAMED_READFILE_H

#include <stddef.h>

/* Read fd to EOF in reads of at least chunk bytes. *ret_buf is malloc'ed (owned by the caller) and
 * NUL-terminated (not counted in *ret_len). 0 or -errno (-EFBIG past max bytes). */
int read_fd_all(int fd, size_t chunk, size_t max, char **ret_buf, size_t *ret_len);

/* open(path) + read_fd_all. Same returns; -ENOENT etc. from open. */
int read_path_all(const char *path, size_t chunk, size_t max, char **ret_buf, size_t *ret_len);

#endif /* FLAMED_READFILE_H */
