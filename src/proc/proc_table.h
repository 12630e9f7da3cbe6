/* SPDX-License-Identifier: MIT */
/* The process table: one entry per (tgid, address space) the sampler announced, with its comm, a
 * snapshot of its executable mappings taken while it was alive, and the files they map, so
 * processes that exit (or files deleted or replaced) before the profile is written can still be
 * symbolized. Files are shared between processes by (dev, inode).
 *
 * Everything here is driven by processes that may be hostile: a mapped file is opened only in
 * ways that cannot block or leave the process's mount namespace, and kept only if it is the
 * mapped inode; open fds stay within a budget (least recently used closed, reopened on demand);
 * mappings kept per process and re-reads per second are capped. Each refusal is counted. */
#ifndef FLAMED_PROC_TABLE_H
#define FLAMED_PROC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf/elf_file.h"
#include "proc/cgroup.h"
#include "proc/proc_maps.h"
#include "proc/perf_map.h"
#include "proc/proc_stat.h"

#define PROC_TABLE_MAX_MAPPINGS 4096 /* executable mappings kept per process, old and new */
#define PROC_TABLE_REFRESH_NS	1000000000ULL /* one event-driven re-read per process per second */
#define PROC_TABLE_REFRESH_MAX	100	      /* event-driven re-reads per second, all processes */
#define PROC_TABLE_MAX_FILES	262144	      /* distinct mapped files known at once */
#define PROC_TABLE_OPENS_MAX	10000	      /* file opens per second, all processes */
/* An image's first event-driven re-reads are not held back a second: right after exec the
 * loader, dlopen and a JIT's code buffer (YJIT, PHP's) map code a sample may already run. */
#define PROC_TABLE_FRESH_REREADS 4

struct proc_files;
struct proc_table;

/* A mapped file. Its fd may be closed to stay within the table's fd budget: use proc_file__hold
 * to get one. A file made by hand (table NULL) just carries fd. */
struct proc_file {
	uint64_t dev; /* makedev(major, minor) as in /proc/PID/maps */
	uint64_t inode;
	int fd;			  /* O_RDONLY, or -1 (closed, or could not be opened) */
	char *path;		  /* path as the process that mapped it last saw it */
	struct proc_files *cache; /* owner (proc_files.h), or NULL */
	struct elf_file *elf;	  /* its ELF headers once read (proc_file__elf), or NULL */
	int elf_err;		  /* 0, or -errno of that read: not tried again */
};

struct proc_entry {
	uint32_t tgid;
	uint64_t aspace;	  /* sampler's address-space cookie */
	char comm[PROC_COMM_LEN]; /* process name; "" when unknown (the sample's own is used) */
	char container_id[CGROUP_CONTAINER_ID_LEN + 1]; /* from /proc/PID/cgroup; "" = none */
	char *exe; /* /proc/PID/exe at the last snapshot, as the process's mount namespace names it
		    * (a " (deleted)" suffix kept); NULL = none (kernel threads) or unreadable */
	struct perf_map *jit;	  /* /tmp/perf-PID.map as last read, or NULL */
	uint64_t jit_read_ns;	  /* monotonic time it was last read (or tried) */
	uint64_t jit_size;	  /* its size then */
	bool jit_candidate;	  /* has anonymous executable memory: may be a JIT */
	struct proc_maps *maps;	  /* executable mappings; NULL when the snapshot failed */
	struct proc_file **files; /* per mapping: borrowed from the table, NULL if none */
	uint64_t start_time;	  /* clock ticks since boot, guards re-reads against pid reuse */
	uint64_t last_refresh_ns; /* monotonic time of the last event-driven re-read */
	uint32_t image_refreshes; /* event-driven re-reads since the exec */
	int snapshot_err;	  /* 0, or -errno of the failed maps read (-ESRCH: gone) */
	bool refreshed;		  /* maps were re-read once after a lookup miss */
};

struct proc_table_stats {
	uint64_t processes;	      /* entries created */
	uint64_t vanished;	      /* processes gone before their maps could be read */
	uint64_t files_open;	      /* distinct files opened and verified */
	uint64_t files_failed;	      /* mapped files that could not be opened */
	uint64_t files_refused;	      /* opened, but not the mapped inode or not a regular file */
	uint64_t files_closed;	      /* fds closed to stay within the budget */
	uint64_t files_reopened;      /* closed files opened again when needed */
	uint64_t files_lost;	      /* closed files that could not be opened again */
	uint64_t refreshes;	      /* maps re-read after a miss or an event */
	uint64_t refreshes_throttled; /* re-reads refused by the per-process or global rate */
	uint64_t mappings_dropped;    /* mappings beyond PROC_TABLE_MAX_MAPPINGS for a process */
	uint64_t pid_reused;	 /* an entry's (pid, address space) came back as another process */
	uint64_t stat_bad;	 /* /proc/PID/stat that did not parse */
	uint64_t maps_too_big;	 /* /proc/PID/maps over 32 MiB: not read */
	uint64_t files_over_cap; /* mappings of files beyond PROC_TABLE_MAX_FILES: not opened */
	uint64_t opens_deferred; /* opens beyond PROC_TABLE_OPENS_MAX a second: left for later */
	uint64_t fds_peak;	 /* most file fds open at once */
	uint64_t fd_budget;	 /* fds the table keeps open at most (beyond holds) */
	uint64_t swept;		 /* entries of exited processes freed (sweep and reap) */
	uint64_t jit_maps_read;	 /* perf-PID.map files read */
	uint64_t jit_maps_refused; /* perf-PID.map not owned by the process's user, or too big */
};

/* New empty table; its fd budget is derived from RLIMIT_NOFILE as it is now (raise it first).
 * NULL with errno. */
struct proc_table *proc_table__new(void);

/* Set the fd budget, or with 0 derive it again from RLIMIT_NOFILE: fds beyond it are closed,
 * least recently used first. */
void proc_table__set_fd_budget(struct proc_table *t, size_t budget);

/* Entry for (tgid, aspace), snapshotting /proc/tgid/maps and opening its files on first sight.
 * comm may be NULL (then read from /proc). Returns the entry (borrowed, valid until the table is
 * freed), or NULL with errno ENOMEM; a vanished process still gets an entry with snapshot_err. */
struct proc_entry *proc_table__add(struct proc_table *t, uint32_t tgid, uint64_t aspace,
				   const char *comm);

/* The sampler saw (tgid, aspace) again with a reason to re-read its maps: take comm (may be NULL)
 * as its new name and re-read. With replace the new snapshot replaces the old (an exec completed:
 * what was read before may even be the previous image's); otherwise mappings of the old snapshot
 * that are gone now are kept (up to PROC_TABLE_MAX_MAPPINGS), for samples taken before. Re-reads
 * without replace are rate-limited (-EAGAIN, counted). When the pid now belongs to a process
 * that started later, that process is what the sampler saw: the entry is re-taken (counted).
 * 0 or -errno (-ESRCH: gone, the old snapshot stays). */
int proc_table__refresh(struct proc_table *t, struct proc_entry *e, const char *comm, bool replace);

/* Entry for (tgid, aspace) or NULL. Borrowed. */
struct proc_entry *proc_table__find(const struct proc_table *t, uint32_t tgid, uint64_t aspace);

/* Mapping of e containing addr, or NULL. On the first miss of a live process its maps are
 * re-read once (libraries loaded after the snapshot). *ret_file (may be NULL) gets the file or
 * NULL. Borrowed. */
const struct proc_map *proc_table__lookup(struct proc_table *t, struct proc_entry *e, uint64_t addr,
					  struct proc_file **ret_file);

/* An open fd on f (borrowed), reopening it if the budget closed it; it stays open until the
 * matching proc_file__release. -errno when f cannot be had (counted as lost). */
int proc_file__hold(const struct proc_file *f);

/* Undo one proc_file__hold. NULL-safe. */
void proc_file__release(const struct proc_file *f);

/* The ELF headers of f (build-id, PT_LOAD segments: elf/elf_file.h), read on first use and kept
 * with f, shared by unwinding and symbolization. Borrowed, valid while f is; NULL when f is not a
 * readable ELF (then not tried again) or cannot be opened now (tried again later). */
const struct elf_file *proc_file__elf(const struct proc_file *f);

/* Free what proc_file__elf kept for a file made by hand (table NULL); the table frees its own.
 * NULL-safe. */
void proc_file__drop_elf(struct proc_file *f);

/* Forget processes that are gone: one found dead (exited, or its pid reused) is kept through one
 * more sweep, as samples it took before exiting may still be on their way into the next window,
 * then freed. Call after each window is built. Returns the entries freed. Entries found by
 * proc_table__find/__add before are invalid after it. */
size_t proc_table__sweep(struct proc_table *t);

/* JIT perf maps: at most this big, this many lines, re-read at most once a second. */
#define PROC_TABLE_JIT_MAX_BYTES   (64u << 20)
#define PROC_TABLE_JIT_MAX_ENTRIES 1000000
#define PROC_TABLE_JIT_REREAD_NS   1000000000ULL

/* Name of the JIT-compiled code at addr from the process's /tmp/perf-PID.map (Node
 * --perf-basic-prof, .NET, LuaJIT, JVM agents, Python -X perf), PID as its own pid namespace
 * numbers it, read inside its root; only a file owned by the process's user or root counts
 * (another user could plant one in /tmp). Read on first use and again, at most once a second,
 * when an address is not in it (the JIT appends). Borrowed until the next call for e or
 * proc_table__sweep; NULL when unknown. */
const char *proc_table__jit_name(struct proc_table *t, struct proc_entry *e, uint64_t addr);

/* Read the perf maps of live processes with anonymous executable memory (JITs) that grew, at
 * most once a second each: a process's names must be read before it exits. Call every drain. */
void proc_table__poll_jit(struct proc_table *t);

/* The process tgid exited (its last thread; the sampler's exit event): its entries can go once no
 * window refers to it (proc_table__reap). */
void proc_table__exited(struct proc_table *t, uint32_t tgid);

/* Free the entries of processes that exited before the previous call (so at least one drain
 * since) and that in_use says no window holds samples of. Call after each drain: a storm of
 * short processes does not pile up entries until the window ends. Entries found before are
 * invalid after it. Returns the entries freed. */
size_t proc_table__reap(struct proc_table *t, bool (*in_use)(uint32_t tgid, void *ctx), void *ctx);

/* Statistics so far. */
struct proc_table_stats proc_table__stats(const struct proc_table *t);

/* Closes every file. NULL-safe. */
void proc_table__free(struct proc_table *t);

#endif /* FLAMED_PROC_TABLE_H */
