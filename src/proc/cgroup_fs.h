/* SPDX-License-Identifier: MIT */
/* The cgroup v2 hierarchy as a file system: where the host's is mounted, and the id and level of
 * one of its directories. The id is what the BPF helpers bpf_get_current_cgroup_id() and
 * bpf_get_current_ancestor_cgroup_id() return for a task in that cgroup (the directory's inode
 * number), its level how deep it is (the root is level 0). */
#ifndef FLAMED_CGROUP_FS_H
#define FLAMED_CGROUP_FS_H

#include <stddef.h>
#include <stdint.h>

#define CGROUP_FS_MAX_LEVEL 31 /* deepest cgroup flamed targets (levels are bits of a u32) */

/* Call fn with each cgroup2 mount point of mountinfo text (len bytes; /proc/self/mountinfo's
 * format, octal escapes undone), in the text's order, until fn returns non-zero (returned).
 * Pure parser of kernel-made text (fuzzed). 0 when every line was seen. */
int cgroup_fs__each_mount(const char *text, size_t len, int (*fn)(const char *path, void *ctx),
			  void *ctx);

/* The host's cgroup v2 hierarchy as flamed sees it: the last cgroup2 mount of
 * /proc/self/mountinfo whose directory is the hierarchy's root (the root cgroup's id is 1: a
 * mount made inside a cgroup namespace shows only the namespace's part). 0 and the mount point in
 * ret_path, or -ENOENT (no cgroup2 mount: a cgroup v1 host), -EXDEV (cgroup2 is mounted, but
 * only a cgroup namespace's part of it), or another -errno. */
int cgroup_fs__find_root(char *ret_path, size_t size);

/* The id and level of the cgroup rel (a path under root, with or without a leading '/'; no "."
 * or ".." components). 0, -EINVAL (a bad path, or deeper than CGROUP_FS_MAX_LEVEL), -ENOTDIR
 * (not a cgroup2 directory), or the -errno of stat (-ENOENT: no such cgroup now). */
int cgroup_fs__id(const char *root, const char *rel, uint64_t *ret_id, unsigned int *ret_level);

#endif /* FLAMED_CGROUP_FS_H */
