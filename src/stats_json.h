/* SPDX-License-Identifier: MIT */
/* --stats-json: every counter of a run's summary as one JSON object (the schema, whose key names
 * are an interface, is docs/stats.md), for monitoring and for tests. A capture writes it once at
 * exit; the daemon after every window (and the last, partial one). To a file, it is replaced
 * atomically each time (a reader never sees half of it); to "-", it is one line on stdout each
 * time. Part of the command-line layer. */
#ifndef FLAMED_STATS_JSON_H
#define FLAMED_STATS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "sinks.h"

struct config;
struct output_opts;

#define STATS_JSON_SCHEMA 1 /* bumped only when a key changes meaning or goes away */

/* The window just ended (the daemon's), or a capture's only one. */
struct stats_window {
	uint64_t number;  /* 1, 2, ... */
	int64_t start_ns; /* wall clock, ns since the epoch */
	int64_t end_ns;
	uint64_t samples;
	size_t processes; /* with samples in it */
	size_t series;	  /* profiles it was built into */
	size_t stacks;	  /* distinct stacks and count keys the BPF maps gave it */
	size_t count_keys;
	struct build_stats build;
	uint64_t count_map_full; /* BPF counters, in this window only */
	uint64_t stack_map_full;
	uint64_t proc_event_lost;
	struct session_costs cost; /* what it cost flamed (summary_costs_since) */
};

struct stats_report {
	const struct config *cfg;
	bool daemon;
	int nr_cpus;
	int64_t start_ns;		 /* sampling started, wall clock */
	int64_t time_ns;		 /* now */
	bool final;			 /* the run's last report */
	const struct session_stats *run; /* since the start; the daemon sums its windows' samples
					  * and builds into samples and build */
	const struct stats_window *window;
	const struct sinks_entry *sinks;
	size_t nr_sinks;
};

/* The report as JSON text, one line (no newline), malloc'ed into *ret_text. 0 or -ENOMEM. */
int stats_json_format(const struct stats_report *r, char **ret_text);

/* Write the report to path ("-": a line on stdout, flushed), a file atomically with oo's mode and
 * owner. 0 or -errno. */
int stats_json_write(const char *path, const struct stats_report *r, const struct output_opts *oo);

#endif /* FLAMED_STATS_JSON_H */
