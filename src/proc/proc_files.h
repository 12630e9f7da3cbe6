/* SPDX-License-Identifier: MIT */
/* The mapped files of the process table (src/proc/ only; their face is struct proc_file and
 * proc_file__hold/release in proc_table.h). A file is opened only through
 * /proc/PID/map_files or its path inside the mapping process's root, without blocking, and kept
 * only when it is the mapped regular file; open fds stay within a budget derived from
 * RLIMIT_NOFILE (least recently used closed, reopened from where the file was last seen mapped);
 * new opens are rate-limited and distinct files capped. Every refusal is counted in the table's
 * stats. */
#ifndef FLAMED_PROC_FILES_H
#define FLAMED_PROC_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "proc/proc_table.h"

struct proc_files;

/* An empty cache counting into stats (borrowed; it must outlive the cache). NULL with errno. */
struct proc_files *proc_files__new(struct proc_table_stats *stats);

/* Set the fd budget, or with 0 derive it again from RLIMIT_NOFILE: fds beyond it are closed,
 * least recently used first. */
void proc_files__set_fd_budget(struct proc_files *c, size_t budget);

/* The file mapping m of process tgid shows, opened on first sight (later sightings retry a file
 * not found or deferred); NULL for anonymous or special mappings, over the cap, or out of
 * memory. m's path gets a " (deleted)" suffix back when the opened inode shows it is part of the
 * name. The file is owned by the cache. */
struct proc_file *proc_files__get(struct proc_files *c, uint32_t tgid, struct proc_map *m);

/* Closes and frees every file. NULL-safe. */
void proc_files__free(struct proc_files *c);

#endif /* FLAMED_PROC_FILES_H */
