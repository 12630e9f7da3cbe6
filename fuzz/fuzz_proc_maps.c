// SPDX-License-Identifier: MIT
/* Fuzz the /proc/PID/maps parser: one line, whole texts (all and exec-only), and find() on every
 * boundary of what was parsed. Broken invariants abort so the fuzzer reports them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proc/proc_maps.h"

static void check_list(const struct proc_maps *m, bool exec_only)
{
	for (size_t i = 0; i < m->nr; i++) {
		const struct proc_map *p = &m->maps[i], *after;

		if (p->start >= p->end || (i && m->maps[i - 1].end > p->start) ||
		    (exec_only && !p->prot_exec) || !p->path)
			abort();
		if (proc_maps__find(m, p->start) != p || proc_maps__find(m, p->end - 1) != p)
			abort();
		after = proc_maps__find(m, p->end);
		if (after && after != p + 1)
			abort();
		if (p->start && proc_maps__find(m, p->start - 1) == p)
			abort();
		(void)strlen(p->path);
	}
}

/* Merge the second half's mappings into the first's as a re-read does: the result must still be
 * sorted, non-overlapping, within the cap, and say where each mapping came from. */
static void check_merge(const char *text, size_t size)
{
	size_t half = size / 2, cap = 1 + size % 7, n, dropped = 0, *src = NULL;
	struct proc_maps *fresh = proc_maps__parse(text, half, true, NULL);
	struct proc_maps *old = proc_maps__parse(text + half, size - half, true, NULL);

	if (!fresh || !old)
		goto out;
	while (fresh->nr > cap) /* the caller caps fresh first */
		free(fresh->maps[--fresh->nr].path);
	n = fresh->nr;
	if (proc_maps__merge_old(fresh, old, cap, &src, &dropped))
		goto out;
	if (fresh->nr > cap || fresh->nr + dropped > n + old->nr)
		abort();
	check_list(fresh, true);
	for (size_t i = 0; src && i < fresh->nr; i++) {
		const struct proc_map *from = src[i] < n	     ? NULL
					      : src[i] - n < old->nr ? &old->maps[src[i] - n]
								     : NULL;

		if (src[i] >= n && (!from || from->start != fresh->maps[i].start ||
				    strcmp(from->path, fresh->maps[i].path)))
			abort();
	}
out:
	free(src);
	proc_maps__free(fresh);
	proc_maps__free(old);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct proc_map one;

	if (proc_maps_parse_line(text, size, &one) == 0) {
		if (one.start >= one.end || strlen(one.path) > size)
			abort();
		free(one.path);
	}
	for (int exec_only = 0; exec_only < 2; exec_only++) {
		size_t bad = 0;
		struct proc_maps *m = proc_maps__parse(text, size, exec_only, &bad);

		if (!m)
			continue; /* only ENOMEM */
		check_list(m, exec_only);
		proc_maps__free(m);
	}
	check_merge(text, size);
	return 0;
}
