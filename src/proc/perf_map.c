// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proc/perf_map.h"

struct perf_map_entry {
	uint64_t start;
	uint64_t end;  /* one past the last byte */
	uint32_t name; /* offset into names */
	uint32_t seq;  /* line number: the later line wins an overlap */
};

struct perf_map {
	struct perf_map_entry *e;
	size_t nr;
	size_t dropped;
	char *names; /* NUL-terminated names back to back */
};

/* Hex number with an optional "0x"; advances *p. false if there is none or it overflows. */
static bool parse_hex(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end; s++, digits++) {
		char c = *s;
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;

		if (d < 0)
			break;
		if (digits >= 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (!digits)
		return false;
	*p = s;
	*ret = v;
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct perf_map_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq; /* older first */
}

/* Make the sorted entries disjoint, in place: where two overlap, the later line keeps its range
 * and the older one is cut back (or dropped). One pass, as the output is sorted and disjoint so
 * a new entry can only overlap the last one kept. */
static void resolve_overlaps(struct perf_map *pm)
{
	size_t out = 0;

	for (size_t i = 0; i < pm->nr; i++) {
		struct perf_map_entry e = pm->e[i];

		while (out && pm->e[out - 1].end > e.start) {
			struct perf_map_entry *o = &pm->e[out - 1];

			if (e.seq > o->seq) {
				if (o->start >= e.start) {
					out--; /* wholly replaced at its start */
					continue;
				}
				o->end = e.start;
			} else {
				e.start = o->end;
			}
			break;
		}
		if (e.start < e.end)
			pm->e[out++] = e;
	}
	pm->nr = out;
}

struct perf_map *perf_map__parse(const char *text, size_t len, size_t max_entries)
{
	struct perf_map *pm = calloc(1, sizeof(*pm));
	const char *end = text + len;
	size_t cap = 0, names_len = 0, names_cap = 0;
	uint32_t seq = 0;

	if (!pm)
		return NULL;
	for (const char *line = text; line < end; seq++) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end, *p = line, *name;
		uint64_t start, size;
		size_t name_len;

		line = eol + 1;
		if (p == eol)
			continue; /* empty line */
		if (!parse_hex(&p, eol, &start) || p >= eol || *p++ != ' ' ||
		    !parse_hex(&p, eol, &size) || p >= eol || *p++ != ' ' || !size ||
		    start + size < start) {
			pm->dropped++;
			continue;
		}
		name = p;
		name_len = (size_t)(eol - name);
		if (name_len && name[name_len - 1] == '\r')
			name_len--;
		if (name_len > PERF_MAP_MAX_NAME)
			name_len = PERF_MAP_MAX_NAME;
		if (!name_len || memchr(name, 0, name_len) || pm->nr >= max_entries ||
		    names_len + name_len + 1 > UINT32_MAX) {
			pm->dropped++;
			continue;
		}
		if (pm->nr == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			void *n = realloc(pm->e, ncap * sizeof(*pm->e));

			if (!n)
				goto fail;
			pm->e = n;
			cap = ncap;
		}
		if (names_len + name_len + 1 > names_cap) {
			size_t ncap = names_cap ? names_cap * 2 : 4096;
			char *n;

			while (ncap < names_len + name_len + 1)
				ncap *= 2;
			n = realloc(pm->names, ncap);
			if (!n)
				goto fail;
			pm->names = n;
			names_cap = ncap;
		}
		memcpy(pm->names + names_len, name, name_len);
		pm->names[names_len + name_len] = 0;
		pm->e[pm->nr++] = (struct perf_map_entry){
			.start = start, .end = start + size, .name = (uint32_t)names_len, .seq = seq
		};
		names_len += name_len + 1;
	}
	if (pm->nr) {
		qsort(pm->e, pm->nr, sizeof(*pm->e), cmp_entry);
		resolve_overlaps(pm);
	}
	return pm;
fail:
	perf_map__free(pm);
	errno = ENOMEM;
	return NULL;
}

const char *perf_map__lookup(const struct perf_map *pm, uint64_t addr, uint64_t *ret_start)
{
	size_t lo = 0, hi = pm ? pm->nr : 0;

	/* last entry with start <= addr; entries are disjoint */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= pm->e[lo - 1].end)
		return NULL;
	if (ret_start)
		*ret_start = pm->e[lo - 1].start;
	return pm->names + pm->e[lo - 1].name;
}

size_t perf_map__count(const struct perf_map *pm)
{
	return pm ? pm->nr : 0;
}

size_t perf_map__dropped(const struct perf_map *pm)
{
	return pm ? pm->dropped : 0;
}

void perf_map__free(struct perf_map *pm)
{
	if (!pm)
		return;
	free(pm->e);
	free(pm->names);
	free(pm);
}
