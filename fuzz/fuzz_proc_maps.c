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
	return 0;
}
