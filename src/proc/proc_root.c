// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "proc/proc_root.h"
#include "util/readfile.h"

static int sys_openat2(int dirfd, const char *path, const struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

int proc_root__open_path(uint32_t tgid, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	char root[64];
	int dfd, fd;

	snprintf(root, sizeof(root), "/proc/%u/root", tgid);
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = sys_openat2(dfd, path, &how);
	fd = fd >= 0 ? fd : -errno;
	close(dfd);
	return fd;
}

int proc_root__open_file(uint32_t tgid, const char *path)
{
	struct stat st, st2;
	char self[64];
	int pfd, fd;

	pfd = proc_root__open_path(tgid, path);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, &st) || !S_ISREG(st.st_mode)) {
		close(pfd);
		return -EINVAL;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	fd = fd >= 0 ? fd : -errno;
	close(pfd);
	if (fd >= 0 && (fstat(fd, &st2) || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int proc_root__read_owned(uint32_t tgid, const char *path, uid_t uid, size_t max, char **ret_buf,
			  size_t *ret_len, uint64_t *size_stamp)
{
	char self[64];
	struct stat st, st2;
	int pfd, fd = -1, err;

	pfd = proc_root__open_path(tgid, path);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	if (st.st_uid != uid && st.st_uid != 0) {
		err = -EPERM;
		goto cleanup;
	}
	if ((uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto cleanup;
	}
	if (size_stamp && *size_stamp == (uint64_t)st.st_size) {
		err = -EALREADY;
		goto cleanup;
	}
	/* reopen the inode checked, for reading; O_NONBLOCK: a lease cannot stall us */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st2) || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		err = -ESTALE;
		goto cleanup;
	}
	err = read_fd_all(fd, 64 * 1024, max, ret_buf, ret_len);
	if (!err && size_stamp)
		*size_stamp = (uint64_t)st.st_size;
cleanup:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return err;
}

int proc_root__ids(uint32_t tgid, uint32_t *ret_nspid, uid_t *ret_uid)
{
	char path[64], *text = NULL, *line;
	bool have_pid = false, have_uid = false;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/status", tgid);
	err = read_path_all(path, 4096, 64 * 1024, &text, &len);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!strncmp(line, "NSpid:", 6)) {
			/* the last field: the pid as its own namespace numbers it */
			const char *p = line + 6, *last = NULL;

			while (*p && *p != '\n') {
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p >= '0' && *p <= '9')
					last = p;
				while (*p >= '0' && *p <= '9')
					p++;
				if (*p && *p != '\n' && *p != ' ' && *p != '\t')
					break; /* malformed */
			}
			if (last) {
				unsigned long v = strtoul(last, NULL, 10);

				if (v && v <= UINT32_MAX) {
					*ret_nspid = (uint32_t)v;
					have_pid = true;
				}
			}
		} else if (!strncmp(line, "Uid:", 4)) {
			unsigned long real, eff;

			if (sscanf(line + 4, "%lu %lu", &real, &eff) == 2) {
				*ret_uid = (uid_t)eff;
				have_uid = true;
			}
		}
	}
	free(text);
	return have_pid && have_uid ? 0 : -EINVAL;
}
