/* SPDX-License-Identifier: MIT */
/* The session's state, shared by session.c (the pipeline's lifecycle: start, drain, windows),
 * session_procs.c (what it does when a process appears) and session_stats.c (the counters a run
 * reports) only. */
#ifndef FLAMED_SESSION_INTERNAL_H
#define FLAMED_SESSION_INTERNAL_H

#include "command.h"
#include "session.h"

/* Processes whose runtime is still starting that are asked again, each for at most a minute. */
#define SESSION_RT_WAIT	   64
#define SESSION_RT_WAIT_NS 60000000000ULL
/* A JVM sets up its code cache tens of ms after its library is mapped: asked again this often
 * (a drain is a second away, a second of samples whose Java frames would be lost). */
#define SESSION_RT_WAIT_TICK_MS 20

struct knames_prog;

struct session {
	const struct config *cfg;
	struct sampler *sampler;
	struct collector *coll;		  /* the current window */
	const struct collector *building; /* a window being built (session__build), or NULL */
	struct proc_table *procs;
	struct symbolizer *sym;
	struct knames_prog *knames;	  /* the kernel's own symbol lookup, or NULL (kallsyms) */
	struct unwind_loader *unwind;	  /* NULL with --unwind fp */
	struct flamed_unwind_proc *uproc; /* scratch for one process's description */
	struct unwind_loader_mapping *umaps;
	struct runtimes *rt; /* language runtimes: which process runs which, their frames */
	uint64_t *rt_words;  /* scratch: one sample's runtime words */
	struct kube *kube;   /* Kubernetes metadata and cgroup targets, or NULL */
	/* processes whose runtime was still starting (-EAGAIN): asked again at each drain */
	struct {
		uint32_t tgid;
		uint64_t aspace, until_ns;
	} rt_wait[SESSION_RT_WAIT];
	size_t nr_rt_wait;
	int rt_timer_fd; /* fires every SESSION_RT_WAIT_TICK_MS while processes wait */
	int epoll_fd;	 /* the ring buffer's, the unwind builds', the kubelet's and rt_timer_fd */
	struct command cmd; /* the command after "--", if any */
	int64_t start_wall_ns;
	bool kernel_warned; /* "kernel symbols unavailable" said once */
	int oom;
	struct session_costs costs;
};

/* sampler_event_fn: a process event from the BPF program (new address space, exec, remap, exit):
 * snapshot the process, describe its mappings to the walker, register a CPython interpreter. */
void session__on_proc_event(const struct flamed_proc_event *ev, void *ctx);

/* The unwind-table loader (none with --unwind fp), writing tables through the sampler, bounded
 * by unwind_memory. Logs what failed; 0 or -errno. */
int session__start_unwind(struct session *s, uint64_t unwind_memory);

/* The runtimes whose frames flamed walks (runtime/runtimes.h), for cfg. NULL with errno. */
struct runtimes *session__new_runtimes(const struct config *cfg);

/* Ask the processes whose runtime was still starting again (the drain, the retry timer). */
void session__runtime_retry(struct session *s);

/* Forget the runtime processes that are gone from the process table. */
void session__sweep_runtimes(struct session *s);

/* Resident bytes of this process (/proc/self/statm), 0 when unknown. */
size_t session_resident_bytes(void);

#endif /* FLAMED_SESSION_INTERNAL_H */
