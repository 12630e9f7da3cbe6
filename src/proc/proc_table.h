/* SPDX-License-Identifier: MIT */
/* The process table: one entry per (tgid, address space) the sampler announced, with its comm, a
 * snapshot of its executable mappings taken while it was alive, and an open fd on each mapped
 * file, so processes that exit (or files deleted or replaced) before the profile is written can
 * still be symbolized. Files are shared between processes by (dev, inode). */
#ifndef FLAMED_PROC_TABLE_H
#define FLAMED_PROC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/proc_maps.h"

/* An open mapped file, pinned for the table's life. */
struct proc_file {
	uint64_t dev; /* makedev(major, minor) as in /proc/PID/maps */
	uint64_t inode;
	int fd;	    /* O_RDONLY; -1 when it could not be opened */
	char *path; /* path as the process saw it */
};

struct proc_entry {
	uint32_t tgid;
	uint64_t aspace;	  /* sampler's address-space cookie */
	char comm[16];		  /* process name */
	struct proc_maps *maps;	  /* executable mappings; NULL when the snapshot failed */
	struct proc_file **files; /* per mapping: borrowed from the table, NULL if none */
	uint64_t start_time;	  /* clock ticks since boot, guards re-reads against pid reuse */
	int snapshot_err;	  /* 0, or -errno of the failed maps read (-ESRCH: gone) */
	bool refreshed;		  /* maps were re-read once after a lookup miss */
};

struct proc_table_stats {
	uint64_t processes;    /* entries created */
	uint64_t vanished;     /* processes gone before their maps could be read */
	uint64_t files_open;   /* distinct files pinned */
	uint64_t files_failed; /* mapped files that could not be opened */
	uint64_t refreshes;    /* maps re-read after a miss */
};

struct proc_table;

/* New empty table. NULL with errno. */
struct proc_table *proc_table__new(void);

/* Entry for (tgid, aspace), snapshotting /proc/tgid/maps and pinning its files on first sight.
 * comm may be NULL (then read from /proc). Returns the entry (borrowed, valid until the table is
 * freed), or NULL with errno ENOMEM; a vanished process still gets an entry with snapshot_err. */
struct proc_entry *proc_table__add(struct proc_table *t, uint32_t tgid, uint64_t aspace,
				   const char *comm);

/* Re-read e's maps and take comm (may be NULL) as its new name. With replace the new snapshot
 * replaces the old (an exec completed: what was read before may even be the previous image's);
 * otherwise mappings of the old snapshot that are gone now are kept, for samples taken before
 * (a library loaded or unloaded since). 0 or -errno (-ESRCH: gone, the old snapshot stays). */
int proc_table__refresh(struct proc_table *t, struct proc_entry *e, const char *comm, bool replace);

/* Entry for (tgid, aspace) or NULL. Borrowed. */
struct proc_entry *proc_table__find(const struct proc_table *t, uint32_t tgid, uint64_t aspace);

/* Mapping of e containing addr, or NULL. On the first miss of a live process its maps are
 * re-read once (libraries loaded after the snapshot). *ret_file (may be NULL) gets the pinned
 * file or NULL. Borrowed. */
const struct proc_map *proc_table__lookup(struct proc_table *t, struct proc_entry *e, uint64_t addr,
					  struct proc_file **ret_file);

/* Statistics so far. */
struct proc_table_stats proc_table__stats(const struct proc_table *t);

/* Closes every pinned file. NULL-safe. */
void proc_table__free(struct proc_table *t);

#endif /* FLAMED_PROC_TABLE_H */
