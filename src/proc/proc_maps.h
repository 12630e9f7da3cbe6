/* SPDX-License-Identifier: MIT */
/* /proc/PID/maps: parsing and address lookup. Pure parser of outside input (fuzzed). */
#ifndef FLAMED_PROC_MAPS_H
#define FLAMED_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_map {
	uint64_t start; /* first address */
	uint64_t end;	/* one past the last address */
	uint64_t pgoff; /* file offset of start */
	uint64_t inode; /* 0 for anonymous mappings */
	uint32_t dev_major;
	uint32_t dev_minor;
	bool prot_read;
	bool prot_write;
	bool prot_exec;
	bool is_private;
	bool is_deleted; /* path ended in " (deleted)"; the suffix is stripped from path */
	char *path; /* "" for anonymous, "[vdso]", "[stack]", or an absolute path; owned by the list */
};

struct proc_maps {
	struct proc_map *maps; /* sorted by start, non-overlapping */
	size_t nr;
};

/* Parse one line (with or without trailing '\n'). On success fills *ret_map, whose path is
 * malloc'ed and owned by the caller (free(ret_map->path)). Returns 0 or -EINVAL / -ENOMEM. */
int proc_maps_parse_line(const char *line, size_t len, struct proc_map *ret_map);

/* Parse a whole maps text. Lines that fail to parse are skipped and counted in *ret_bad (may be
 * NULL). Only executable mappings are kept when exec_only is set. Returns a new list or NULL with
 * errno set (ENOMEM). */
struct proc_maps *proc_maps__parse(const char *text, size_t len, bool exec_only, size_t *ret_bad);

/* Read and parse /proc/PID/maps (at most 32 MiB of it). Returns a new list or NULL with errno
 * (ESRCH when the process is gone, EFBIG when its maps are larger). */
struct proc_maps *proc_maps__read(int pid, bool exec_only);

/* Add to fresh the mappings of old that no mapping of fresh overlaps (unmapped since: samples
 * taken before may point there), keeping fresh sorted and at most cap long (fresh's own first;
 * old mappings beyond cap are counted in *ret_dropped). Both lists are sorted and non-overlapping
 * (as parsed), so this is one linear pass. *ret_src (malloc'ed, the caller frees it; may be
 * NULL) gets, per resulting mapping i, its index in fresh before the call, or fresh's old count
 * plus its index in old. 0 or -ENOMEM (fresh unchanged). */
int proc_maps__merge_old(struct proc_maps *fresh, const struct proc_maps *old, size_t cap,
			 size_t **ret_src, size_t *ret_dropped);

/* Mapping containing addr, or NULL. The pointer is borrowed from m. */
const struct proc_map *proc_maps__find(const struct proc_maps *m, uint64_t addr);

/* NULL-safe. */
void proc_maps__free(struct proc_maps *m);

#endif /* FLAMED_PROC_MAPS_H */
