// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "proc/cgroup_fs.h"
#include "util/readfile.h"

#define CGROUP2_MAGIC  0x63677270 /* CGROUP2_SUPER_MAGIC */
#define MOUNTINFO_MAX  (16u << 20)
#define ROOT_CGROUP_ID 1

/* Undo mountinfo's octal escapes (\040 for a space, ...) of [s, s + n) into out (size bytes).
 * false when it does not fit. */
static bool unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
				   (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= size || !c)
			return false;
		out[o++] = c;
	}
	out[o] = 0;
	return o > 0;
}

/* Field i (0-based, space separated) of [line, eol): its start and length, or NULL. */
static const char *field(const char *line, const char *eol, int i, size_t *ret_len)
{
	const char *p = line;

	for (;;) {
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		const char *end = sp ? sp : eol;

		if (i-- == 0) {
			*ret_len = (size_t)(end - p);
			return p;
		}
		if (!sp)
			return NULL;
		p = sp + 1;
	}
}

int cgroup_fs__each_mount(const char *text, size_t len, int (*fn)(const char *path, void *ctx),
			  void *ctx)
{
	const char *end = text + len;

	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end, *mnt, *sep, *fstype;
		size_t mnt_len = 0, fs_len = 0;
		char path[PATH_MAX];
		int rc;

		/* "id parent major:minor root mount-point options [optional...] - fstype source
		 * super-options": the optional fields end at a lone "-" */
		mnt = field(line, eol, 4, &mnt_len);
		sep = memmem(line, (size_t)(eol - line), " - ", 3);
		fstype = sep ? field(sep + 3, eol, 0, &fs_len) : NULL;
		if (mnt && fstype && fs_len == 7 && !memcmp(fstype, "cgroup2", 7) && mnt < sep &&
		    unescape(mnt, mnt_len, path, sizeof(path))) {
			rc = fn(path, ctx);
			if (rc)
				return rc;
		}
		line = eol + 1;
	}
	return 0;
}

struct find_root {
	char path[PATH_MAX];
	int found; /* 1: a root; -1: a cgroup2 mount, none a root so far */
};

static int note_mount(const char *path, void *ctx)
{
	struct find_root *f = ctx;
	struct statfs sfs;
	struct stat st;

	if (statfs(path, &sfs) || (unsigned long)sfs.f_type != CGROUP2_MAGIC || stat(path, &st)) {
		/* hidden by a later mount on the same point, or gone */
		if (!f->found)
			f->found = -1;
		return 0;
	}
	if (st.st_ino != ROOT_CGROUP_ID) {
		if (!f->found)
			f->found = -1;
		return 0;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->found = 1;
	return 0;
}

int cgroup_fs__find_root(char *ret_path, size_t size)
{
	struct find_root f = { .found = 0 };
	char *text = NULL;
	size_t len;
	int err;

	err = read_path_all("/proc/self/mountinfo", 16384, MOUNTINFO_MAX, &text, &len);
	if (err)
		return err;
	cgroup_fs__each_mount(text, len, note_mount, &f);
	free(text);
	if (f.found == 0)
		return -ENOENT;
	if (f.found < 0)
		return -EXDEV;
	if ((size_t)snprintf(ret_path, size, "%s", f.path) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int cgroup_fs__id(const char *root, const char *rel, uint64_t *ret_id, unsigned int *ret_level)
{
	char path[PATH_MAX];
	unsigned int level = 0;
	struct statfs sfs;
	struct stat st;

	for (const char *c = rel; *c;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		level += n > 0;
		c += n + (slash != NULL);
	}
	if (level > CGROUP_FS_MAX_LEVEL)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel[0] == '/' ? rel + 1 : rel) >=
	    sizeof(path))
		return -EINVAL;
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || statfs(path, &sfs) ||
	    (unsigned long)sfs.f_type != CGROUP2_MAGIC)
		return -ENOTDIR;
	*ret_id = st.st_ino;
	if (ret_level)
		*ret_level = level;
	return 0;
}
