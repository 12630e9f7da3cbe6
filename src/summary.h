/* SPDX-License-Identifier: MIT */
/* What a run says about itself, from the counters the session gathers (session__stats): the
 * summary lines at the end of a capture, one function per line; the start-up line and what
 * flamed itself cost (-v); a window's cost for the daemon's status line; the comments every
 * profile carries. Formatting only, part of the command-line layer (it logs). */
#ifndef FLAMED_SUMMARY_H
#define FLAMED_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct config;

/* Every summary line of a capture, in order (each function below prints one). */
void summary_log(const struct session_stats *st);

/* "N samples, N processes, N dropped (count map full N, lost in the drain N)" */
void summary_log_samples(const struct session_stats *st);
/* "stacks: X% of frames symbolized ...; stack map full ..., lost process events N" */
void summary_log_stacks(const struct session_stats *st);
/* "process files: ...": only when a process made flamed refuse or give up something, or -v */
void summary_log_process_files(const struct session_stats *st);
/* -v: "process table: ..." (files reopened, closed, peak open) */
void summary_log_process_table(const struct session_stats *st);
/* "no samples: ...", only when there were none */
void summary_log_no_samples(const struct session_stats *st);
/* "off-CPU: N waits seen ...", with --off-cpu */
void summary_log_offcpu(const struct session_stats *st);
/* Kubernetes and cgroup targets: samples left out and labelled, the kubelet (kube.h's line). */
void summary_log_targets(const struct session_stats *st);
/* "unwind: X% of N user stacks complete ...; stops: ...", or what frame pointers walked */
void summary_log_unwind(const struct session_stats *st);
/* "unwind tables: N built ...", with --unwind auto or dwarf */
void summary_log_unwind_tables(const struct session_stats *st);
/* "names: N looked up, ...": the naming caches, files parsed and how often; the files parsed
 * more than a few times are warned about by name, and -v lists the biggest tables */
void summary_log_names(const struct session_stats *st);
/* -v: "N addresses named by function start ..." */
void summary_log_symbol_cache(const struct session_stats *st);
/* -v: "kernel names: ..." */
void summary_log_kernel_names(const struct session_stats *st);
/* "debug info: N of N files with DWARF ..." */
void summary_log_debug_info(const struct session_stats *st);
/* "python: ...", when Python frames were walked, or -v */
void summary_log_python(const struct session_stats *st);
/* "php: ...", when PHP frames were walked, or -v */
void summary_log_php(const struct session_stats *st);
/* "ruby: ...", when Ruby frames were walked, or -v */
void summary_log_ruby(const struct session_stats *st);
/* "java: ...", when Java frames were shown, or -v */
void summary_log_java(const struct session_stats *st);

/* The v8: line (shown when a sample met V8 frames, or at -v). */
void summary_log_v8(const struct session_stats *st);
/* -v: "after start-up: agent N ms CPU (...); resident now N MiB" */
void summary_log_costs(const struct session_stats *st);
/* -v: every BPF counter by name, and the maps' size */
void summary_log_metrics(const struct session_stats *st);

/* -v: what start-up cost (CPU, wall, the BPF load, resident memory, the verifier). */
void summary_log_startup(const struct session_costs *costs, const struct sampler_load_stats *ls);

/* What flamed spent between two session__costs readings (now minus prev; without prev,
 * everything after start-up: total_cpu_ns without startup_cpu_ns). The start-up fields are
 * now's. */
struct session_costs summary_costs_since(const struct session_costs *now,
					 const struct session_costs *prev);

/* One line of what a window cost (summary_costs_since), for status lines:
 * "agent 12.3 ms CPU (drain 1.0 in 10, events 0.5, build 8.1 (names 2.0), encode 2.2)". */
void summary_format_costs(const struct session_costs *now, const struct session_costs *prev,
			  char *buf, size_t size);

/* The comments every profile of a run carries: what ran (version, host, duration, rate, CPUs,
 * unwind mode) and the drop counters of m (session__metrics). */
struct summary_comments {
	char title[512];
	char drops[256];
	const char *list[3]; /* NULL-terminated, for build_opts.comments */
};
void summary_comments(const struct config *cfg, int nr_cpus, const uint64_t *m,
		      uint64_t duration_ns, struct summary_comments *ret);

#endif /* FLAMED_SUMMARY_H */
