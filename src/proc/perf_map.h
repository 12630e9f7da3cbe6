/* SPDX-License-Identifier: MIT */
/* /tmp/perf-PID.map: the symbol files JIT compilers write (Node --perf-basic-prof, .NET, LuaJIT,
 * JVM agents, Python 3.12 -X perf): one "START SIZE name" line per piece of generated code, in
 * hex, appended as code is compiled. Pure parser of outside input (fuzzed): bounded in entries and
 * name length, and a later line wins where code was regenerated at an address already named. */
#ifndef FLAMED_PERF_MAP_H
#define FLAMED_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>

#define PERF_MAP_MAX_NAME 1024 /* longer names are cut: a JIT's names are short */

struct perf_map;

/* Parse the file's text (len bytes; need not be NUL-terminated), keeping at most max_entries
 * lines (the rest are counted in perf_map__dropped). Malformed lines are skipped and counted.
 * Returns a new object (owned by the caller) or NULL with errno ENOMEM. */
struct perf_map *perf_map__parse(const char *text, size_t len, size_t max_entries);

/* Name of the code containing addr (borrowed, valid until perf_map__free), or NULL.
 * *ret_start (may be NULL) gets the start of that code. */
const char *perf_map__lookup(const struct perf_map *pm, uint64_t addr, uint64_t *ret_start);

/* Address ranges kept (after overlaps were resolved). */
size_t perf_map__count(const struct perf_map *pm);

/* Lines skipped: malformed, or over max_entries. */
size_t perf_map__dropped(const struct perf_map *pm);

/* NULL-safe. */
void perf_map__free(struct perf_map *pm);

#endif /* FLAMED_PERF_MAP_H */
