// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/readfile.h"

int read_fd_all(int fd, size_t chunk, size_t max, char **ret_buf, size_t *ret_len)
{
	size_t cap = 2 * chunk, len = 0;
	char *buf = malloc(cap), *tmp;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		/* keep a chunk free: large reads mean fewer seq_file restarts in procfs */
		if (cap - len < chunk + 1) {
			if (cap > max || cap > SIZE_MAX / 2) {
				free(buf);
				return -EFBIG;
			}
			tmp = realloc(buf, cap * 2);
			if (!tmp) {
				free(buf);
				return -ENOMEM;
			}
			buf = tmp;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int read_path_all(const char *path, size_t chunk, size_t max, char **ret_buf, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = read_fd_all(fd, chunk, max, ret_buf, ret_len);
	close(fd);
	return err;
}
