// SPDX-License-Identifier: MIT
/* Credential files (see auth.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upload/auth.h"
#include "util/readfile.h"

int auth_read_file(const char *path, char **ret_secret, bool *ret_group_other_readable)
{
	char *buf = NULL;
	struct stat st;
	size_t len = 0, n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	err = read_fd_all(fd, 4096, AUTH_FILE_MAX, &buf, &len);
	if (err)
		goto cleanup;
	n = strcspn(buf, "\r\n");
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (!n) {
		err = -EINVAL;
		goto cleanup;
	}
	/* wipe the rest of the file (other lines) before keeping the buffer */
	explicit_bzero(buf + n, len - n);
	*ret_secret = buf;
	buf = NULL;
	*ret_group_other_readable = st.st_mode & (S_IRGRP | S_IROTH);

cleanup:
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return err;
}

void auth_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
