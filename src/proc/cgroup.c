// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "proc/cgroup.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The id in one path component [s, s + n), or NULL. Runtimes name a container's cgroup
 * "<64 hex>" (cgroupfs driver) or "<runtime>-<64 hex>.scope" (systemd driver); anything else
 * with 64 hex digits in it (a pod uid has dashes, a systemd unit a name) is not an id. */
static const char *component_id(const char *s, size_t n)
{
	const char *id;

	if (n >= 6 && !memcmp(s + n - 6, ".scope", 6))
		n -= 6;
	if (n < CGROUP_CONTAINER_ID_LEN)
		return NULL;
	id = s + n - CGROUP_CONTAINER_ID_LEN;
	for (size_t i = 0; i < CGROUP_CONTAINER_ID_LEN; i++)
		if (!is_hex(id[i]))
			return NULL;
	if (id == s)
		return id;
	/* a prefix must end in '-' and be a runtime name: letters, digits and dashes */
	if (id[-1] != '-')
		return NULL;
	for (const char *p = s; p < id - 1; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return NULL;
	/* podman's "libpod-conmon-<id>.scope" holds the container's monitor, not the container */
	if (id - s >= 7 && !memcmp(id - 7, "conmon-", 7))
		return NULL;
	return id;
}

int cgroup__container_id(const char *text, size_t len, char *ret_id)
{
	const char *best = NULL, *end = text + len;
	size_t best_depth = 0;

	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end, *path;
		size_t depth = 0;

		/* "hierarchy-id:controllers:path"; the path may itself contain ':' */
		path = memchr(line, ':', (size_t)(eol - line));
		if (path)
			path = memchr(path + 1, ':', (size_t)(eol - path - 1));
		for (const char *c = path ? path + 1 : eol; c < eol;) {
			const char *slash = memchr(c, '/', (size_t)(eol - c));
			const char *cend = slash ? slash : eol;
			const char *id = component_id(c, (size_t)(cend - c));

			if (cend > c)
				depth++;
			if (id && (!best || depth >= best_depth)) {
				best = id;
				best_depth = depth;
			}
			c = cend + 1;
		}
		line = eol + 1;
	}
	if (!best)
		return -ENOENT;
	for (size_t i = 0; i < CGROUP_CONTAINER_ID_LEN; i++) {
		char c = best[i];

		ret_id[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	ret_id[CGROUP_CONTAINER_ID_LEN] = 0;
	return 0;
}
