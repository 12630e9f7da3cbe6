// SPDX-License-Identifier: MIT
/* /proc/PID/maps parser. Input comes from the kernel but is treated as hostile (it is fuzzed):
 * every field is checked and a malformed line is rejected, never half-parsed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/proc_maps.h"
#include "util/readfile.h"

#define DELETED_SUFFIX	" (deleted)"
#define MAPS_READ_CHUNK (64 * 1024)
#define MAPS_READ_MAX \
	(32 * 1024 * 1024) /* ~100x a large process's; bounds what one makes us hold */
#define MAPS_INITIAL_SLOTS 64

/* Parse up to max_digits hex digits at *pos (at least one). */
static int parse_hex(const char *s, size_t len, size_t *pos, int max_digits, uint64_t *ret_val)
{
	uint64_t val = 0;
	int digits = 0;

	while (*pos < len) {
		char c = s[*pos];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (++digits > max_digits)
			return -EINVAL;
		val = (val << 4) | (uint64_t)d;
		(*pos)++;
	}
	if (!digits)
		return -EINVAL;
	*ret_val = val;
	return 0;
}

static int parse_dec(const char *s, size_t len, size_t *pos, uint64_t *ret_val)
{
	uint64_t val = 0;
	int digits = 0;

	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
		uint64_t d = (uint64_t)(s[*pos] - '0');

		if (val > (UINT64_MAX - d) / 10)
			return -EINVAL;
		val = val * 10 + d;
		digits++;
		(*pos)++;
	}
	if (!digits)
		return -EINVAL;
	*ret_val = val;
	return 0;
}

static int expect_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return -EINVAL;
	(*pos)++;
	return 0;
}

/* Parse every field; the path is returned as a span of line (not copied, suffix stripped). */
static int parse_fields(const char *line, size_t len, struct proc_map *m, const char **ret_path,
			size_t *ret_path_len)
{
	uint64_t major, minor;
	size_t pos = 0;
	const char *perms;
	int err;

	memset(m, 0, sizeof(*m));
	if (len && line[len - 1] == '\n')
		len--;
	/* a NUL or newline inside the line means it is not one maps line */
	if (memchr(line, '\0', len) || memchr(line, '\n', len))
		return -EINVAL;

	if ((err = parse_hex(line, len, &pos, 16, &m->start)) ||
	    (err = expect_char(line, len, &pos, '-')) ||
	    (err = parse_hex(line, len, &pos, 16, &m->end)) ||
	    (err = expect_char(line, len, &pos, ' ')))
		return err;
	if (m->start >= m->end)
		return -EINVAL;

	if (len - pos < 5)
		return -EINVAL;
	perms = line + pos;
	if ((perms[0] != 'r' && perms[0] != '-') || (perms[1] != 'w' && perms[1] != '-') ||
	    (perms[2] != 'x' && perms[2] != '-') || (perms[3] != 'p' && perms[3] != 's') ||
	    perms[4] != ' ')
		return -EINVAL;
	m->prot_read = perms[0] == 'r';
	m->prot_write = perms[1] == 'w';
	m->prot_exec = perms[2] == 'x';
	m->is_private = perms[3] == 'p';
	pos += 5;

	if ((err = parse_hex(line, len, &pos, 16, &m->pgoff)) ||
	    (err = expect_char(line, len, &pos, ' ')) ||
	    (err = parse_hex(line, len, &pos, 8, &major)) ||
	    (err = expect_char(line, len, &pos, ':')) ||
	    (err = parse_hex(line, len, &pos, 8, &minor)) ||
	    (err = expect_char(line, len, &pos, ' ')) ||
	    (err = parse_dec(line, len, &pos, &m->inode)))
		return err;
	m->dev_major = (uint32_t)major;
	m->dev_minor = (uint32_t)minor;

	/* Anonymous mappings end right after the inode; otherwise the kernel pads with spaces. */
	if (pos < len && line[pos] != ' ')
		return -EINVAL;
	while (pos < len && line[pos] == ' ')
		pos++;

	*ret_path = line + pos;
	*ret_path_len = len - pos;
	if (*ret_path_len >= sizeof(DELETED_SUFFIX) - 1 &&
	    !memcmp(line + len - (sizeof(DELETED_SUFFIX) - 1), DELETED_SUFFIX,
		    sizeof(DELETED_SUFFIX) - 1)) {
		m->is_deleted = true;
		*ret_path_len -= sizeof(DELETED_SUFFIX) - 1;
	}
	return 0;
}

int proc_maps_parse_line(const char *line, size_t len, struct proc_map *ret_map)
{
	struct proc_map m;
	const char *path;
	size_t path_len;
	int err;

	if (!line || !ret_map)
		return -EINVAL;
	err = parse_fields(line, len, &m, &path, &path_len);
	if (err)
		return err;
	m.path = strndup(path, path_len);
	if (!m.path)
		return -ENOMEM;
	*ret_map = m;
	return 0;
}

static int map_cmp_start(const void *a, const void *b)
{
	const struct proc_map *ma = a, *mb = b;

	if (ma->start != mb->start)
		return ma->start < mb->start ? -1 : 1;
	return 0;
}

/* Sort (the kernel already does, hostile text may not) and drop overlapping entries, so that
 * proc_maps__find can binary-search. Returns how many were dropped. */
static size_t maps_normalize(struct proc_maps *m)
{
	size_t i, out = 0, dropped = 0;
	bool is_sorted = true;

	for (i = 1; i < m->nr && is_sorted; i++)
		if (m->maps[i].start < m->maps[i - 1].start)
			is_sorted = false;
	if (!is_sorted)
		qsort(m->maps, m->nr, sizeof(*m->maps), map_cmp_start);

	for (i = 0; i < m->nr; i++) {
		if (out && m->maps[i].start < m->maps[out - 1].end) {
			free(m->maps[i].path);
			dropped++;
			continue;
		}
		m->maps[out++] = m->maps[i];
	}
	m->nr = out;
	return dropped;
}

struct proc_maps *proc_maps__parse(const char *text, size_t len, bool exec_only, size_t *ret_bad)
{
	struct proc_maps *m = NULL;
	size_t cap = 0, bad = 0, pos = 0;
	int err = 0;

	m = calloc(1, sizeof(*m));
	if (!m) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (!text)
		len = 0;

	while (pos < len) {
		const char *line = text + pos, *nl, *path;
		size_t line_len, path_len;
		struct proc_map map;

		nl = memchr(line, '\n', len - pos);
		line_len = nl ? (size_t)(nl - line) : len - pos;
		pos += line_len + (nl ? 1 : 0);

		if (parse_fields(line, line_len, &map, &path, &path_len)) {
			bad++;
			continue;
		}
		if (exec_only && !map.prot_exec)
			continue;
		if (m->nr == cap) {
			size_t new_cap = cap ? cap * 2 : MAPS_INITIAL_SLOTS;
			struct proc_map *tmp = reallocarray(m->maps, new_cap, sizeof(*tmp));

			if (!tmp) {
				err = -ENOMEM;
				goto cleanup;
			}
			m->maps = tmp;
			cap = new_cap;
		}
		map.path = strndup(path, path_len);
		if (!map.path) {
			err = -ENOMEM;
			goto cleanup;
		}
		m->maps[m->nr++] = map;
	}
	bad += maps_normalize(m);
	if (ret_bad)
		*ret_bad = bad;
	return m;

cleanup:
	proc_maps__free(m);
	errno = -err;
	return NULL;
}

/* procfs files report size 0, so read until EOF into a doubling buffer. */
struct proc_maps *proc_maps__read(int pid, bool exec_only)
{
	struct proc_maps *m = NULL;
	char path[64], *buf = NULL;
	size_t len = 0;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = read_path_all(path, MAPS_READ_CHUNK, MAPS_READ_MAX, &buf, &len);
	if (!err) {
		m = proc_maps__parse(buf, len, exec_only, NULL);
		err = m ? 0 : -errno;
	}
	free(buf);
	if (err) {
		errno = err == -ENOENT ? ESRCH : -err; /* no /proc/PID: the process is gone */
		return NULL;
	}
	return m;
}

int proc_maps__merge_old(struct proc_maps *fresh, const struct proc_maps *old, size_t cap,
			 size_t **ret_src, size_t *ret_dropped)
{
	size_t n = fresh->nr, keep = 0, j = 0, i, a, b, out, dropped = 0, *src = NULL;
	struct proc_map *maps = NULL;
	char **old_paths = NULL; /* copies for the kept old mappings, NULL for the others */
	int err = -ENOMEM;

	if (ret_src)
		*ret_src = NULL;
	if (!old || !old->nr) {
		err = 0;
		goto cleanup;
	}
	old_paths = calloc(old->nr, sizeof(*old_paths));
	if (!old_paths)
		goto cleanup;
	for (i = 0; i < old->nr; i++) {
		const struct proc_map *o = &old->maps[i];

		/* fresh is sorted and non-overlapping, so its ends are sorted too */
		while (j < n && fresh->maps[j].end <= o->start)
			j++;
		if (j < n && fresh->maps[j].start < o->end)
			continue; /* still mapped, or something else is there now */
		if (n + keep >= cap) {
			dropped++;
			continue;
		}
		old_paths[i] = strdup(o->path);
		if (!old_paths[i])
			goto cleanup;
		keep++;
	}
	if (!keep) {
		err = 0;
		goto cleanup;
	}
	maps = calloc(n + keep, sizeof(*maps));
	src = calloc(n + keep, sizeof(*src));
	if (!maps || !src)
		goto cleanup;
	for (a = 0, b = 0, out = 0; a < n || b < old->nr;) {
		if (b < old->nr && !old_paths[b]) {
			b++;
		} else if (b >= old->nr || (a < n && fresh->maps[a].start < old->maps[b].start)) {
			src[out] = a;
			maps[out++] = fresh->maps[a++];
		} else {
			src[out] = n + b;
			maps[out] = old->maps[b];
			maps[out++].path = old_paths[b];
			old_paths[b++] = NULL; /* moved */
		}
	}
	free(fresh->maps);
	fresh->maps = maps;
	fresh->nr = out;
	maps = NULL;
	if (ret_src) {
		*ret_src = src;
		src = NULL;
	}
	err = 0;
cleanup:
	for (i = 0; old_paths && i < old->nr; i++)
		free(old_paths[i]);
	free(old_paths);
	free(maps);
	free(src);
	if (ret_dropped)
		*ret_dropped = err ? 0 : dropped;
	return err;
}

const struct proc_map *proc_maps__find(const struct proc_maps *m, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!m || !m->nr)
		return NULL;
	/* first mapping with start > addr; the candidate is the one before it */
	hi = m->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= m->maps[lo - 1].end)
		return NULL;
	return &m->maps[lo - 1];
}

void proc_maps__free(struct proc_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nr; i++)
		free(m->maps[i].path);
	free(m->maps);
	free(m);
}
