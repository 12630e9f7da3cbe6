/* SPDX-License-Identifier: MIT */
/* The long-lived pipeline both front ends run on (capture.c for --once, daemon.c for the
 * daemon): preflight checks, the BPF sampler, the process table, the unwind-table loader, the
 * symbolizer, the command after "--", and the current window's collector. The front end owns
 * the event loop: it calls session__drain every second, session__poll_events when the ring
 * buffer fd is readable, and session__cut + session__build at the end of a window. Logs its
 * errors as one line (it is part of the command-line layer), returns -errno. */
#ifndef FLAMED_SESSION_H
#define FLAMED_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "bpf/sampler.h"
#include "collect/builder.h"
#include "flamed.h"
#include "hotspot/hs_procs.h"
#include "kube.h"
#include "proc/proc_table.h"
#include "php/php_procs.h"
#include "python/py_procs.h"
#include "ruby/rb_procs.h"
#include "symbolize/symbolizer.h"
#include "unwind/unwind_loader.h"
#include "v8/v8_procs.h"

struct collector;
struct command;
struct config;

#define SESSION_DRAIN_MS 1000 /* drain period: bounds the BPF map sizes (sampler.c) */

/* session__start's error when the command after "--" could not be run (exit code 127). */
#define SESSION_ERR_COMMAND (-ENOEXEC)

struct session;

/* Check privileges, BTF, -F and pids; load and attach the BPF program; start the command after
 * "--" (with child_mask as its signal mask). 0 and *ret_session (free with session__free), or
 * -errno after logging why (SESSION_ERR_COMMAND: the command could not be run). */
int session__start(const struct config *cfg, const sigset_t *child_mask,
		   struct session **ret_session);

/* Read every signal signal_fd holds: true when the run is to end, on SIGINT/SIGTERM
 * (*ret_interrupted set) or when the command after "--" exited (reaped). */
bool session__read_signals(struct session *s, int signal_fd, bool *ret_interrupted);

/* The ring buffer fd to watch (process events). */
int session__event_fd(const struct session *s);

/* Handle the process events ready now. 0 or -errno. */
int session__poll_events(struct session *s);

/* Move what the BPF maps hold into the current window, and let the unwind loader reuse rows
 * freed a drain ago. 0 or -errno. */
int session__drain(struct session *s);

/* Stop sampling (detach the perf events); a last session__drain collects what is left. */
void session__stop_sampling(struct session *s);

/* End the current window: it is returned (owned by the caller, collector__free) and an empty one
 * starts. NULL with errno ENOMEM (the current window goes on). */
struct collector *session__cut(struct session *s);

/* Symbolize a window into profiles (collect/builder.h), each with a comment on how well it was
 * symbolized; warns once when kernel symbols are unavailable. 0 or -errno. */
int session__build(struct session *s, const struct collector *window, const struct build_opts *opts,
		   struct build_series **ret_series, size_t *ret_nr, struct build_stats *ret_stats);

/* After a window was built: forget processes that have exited and no window needs any more, so
 * a daemon's memory stays flat. */
void session__end_window(struct session *s);

/* The command after "--" (borrowed; pid 0 when there is none). */
struct command *session__command(struct session *s);

/* Sum of every per-CPU BPF counter (FLAMED_METRIC__MAX values). 0 or -errno. */
int session__metrics(const struct session *s, uint64_t *m);

/* Processes seen since the start. */
size_t session__nr_processes(const struct session *s);

/* CPUs sampled. */
int session__nr_cpus(const struct session *s);

/* Wall-clock start of sampling, ns since the epoch. */
int64_t session__start_wall_ns(const struct session *s);

/* Whether samples may carry pod metadata (a kubelet is asked). */
bool session__has_pods(const struct session *s);

/* CPU time flamed spent, by activity, since it started (ns, cumulative: a front end shows a
 * window's share as the difference of two readings). Activities nested in a build (the daemon's
 * drains while it builds) count as themselves, not as the build. */
struct session_costs {
	uint64_t startup_cpu_ns; /* exec to the first sample: loading, BPF open/load/attach */
	uint64_t startup_wall_ns;
	size_t startup_rss;    /* resident bytes once sampling started */
	uint64_t drain_cpu_ns; /* moving the BPF maps into the window */
	uint64_t drains;
	uint64_t events_cpu_ns; /* process events: /proc snapshots, unwind tables */
	uint64_t build_cpu_ns;	/* windows built into profiles, symbolization included */
	uint64_t symbolize_ns;	/* of the builds, CPU looking names up (build_stats) */
	uint64_t encode_cpu_ns; /* profiles encoded and written or handed to sinks */
	uint64_t total_cpu_ns;	/* everything, at the time of the call */
};
struct session_costs session__costs(const struct session *s);

/* The front end encoded and wrote a window's profiles: cpu_ns of process CPU. */
void session__add_encode_cost(struct session *s, uint64_t cpu_ns);

/* Every counter a run reports (summary.h prints them), read at once. */
struct session_stats {
	uint64_t metrics[FLAMED_METRIC__MAX]; /* the BPF counters (session__metrics) */
	uint64_t samples;		      /* in the window */
	uint64_t lost_in_drain;	   /* counted by the BPF program, never in the window: 0 unless the
				 * window holds every drain of the run (a --once capture) */
	size_t processes;	   /* in the window */
	size_t stacks, count_keys; /* distinct, in the window */
	struct build_stats build;  /* of the window's build */
	struct proc_table_stats procs;
	bool unwind_tables; /* --unwind auto or dwarf: the unwind figures are meaningful */
	struct unwind_loader_stats unwind;
	struct symbolizer_stats sym;
	const struct symbolizer *symbolizer; /* borrowed: the files it read most (summary) */
	struct py_procs_stats py;
	struct php_procs_stats php;
	struct rb_procs_stats rb;
	struct hs_procs_stats hs;
	struct v8_procs_stats v8;
	struct sampler_load_stats load;
	struct session_costs costs; /* total_cpu_ns at the time of the call */
	size_t map_bytes;	    /* BPF map memory */
	size_t rss_bytes;	    /* flamed's resident memory now */
	bool targeted;		    /* -p or a command: only some processes were sampled */
	bool cgroup_targeted;	    /* --cgroup or --k8s-*: only some cgroups were sampled */
	bool off_cpu;		    /* --off-cpu: the off-CPU figures are meaningful */
	struct sampler_offcpu_threshold offcpu_threshold; /* the off-CPU walk threshold now */
	uint64_t offcpu_ns;				  /* off-CPU time in the window's profile */
	const struct kube *kube; /* borrowed: NULL without Kubernetes or cgroup targets */
	bool cgroup_targets;	 /* --cgroup, --k8s-namespace or --k8s-selector */
	struct kube_stats k8s;	 /* kube's counters (zero without it) */
};

/* Fill *ret for window (its counters m, session__metrics, and its build's bs; without a window,
 * its fields are 0); whole_run: the window holds every drain of the run, so samples counted in
 * BPF and missing from it were lost. */
void session__stats(struct session *s, const struct collector *window, const uint64_t *m,
		    const struct build_stats *bs, bool whole_run, struct session_stats *ret);

/* The naming caches' line: names looked up and answered from the cache, files parsed and how
 * often; files parsed more than a few times are warned about by name; -v: the biggest tables. */
void session__log_names(struct session *s);

/* The daemon's exit line on the kubelet and the pod cache (none without Kubernetes). */
void session__log_kube(const struct session *s);

/* Stops the command if it still runs, detaches, frees everything. NULL-safe. */
void session__free(struct session *s);

#endif /* FLAMED_SESSION_H */
