/* SPDX-License-Identifier: MIT */
/* Turn a capture (collector + process table) into a symbolized CPU profile: one pprof Mapping per
 * process mapping, one Location per distinct address, Functions named from ELF symbols and
 * kallsyms, labels pid / comm / thread / thread_name. */
#ifndef FLAMED_BUILDER_H
#define FLAMED_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "flamed.h"

struct collector;
struct pod_cache;
struct proc_table;
struct runtimes;
struct symbolizer;
struct profile;

#define BUILD_YIELD_EVERY 256 /* samples between two calls of build_opts.yield */

/* The sets of series a build makes (build_opts.sets): each sample goes into one series of each. */
#define BUILD_SET_BASE 1u /* one series, or one per process name (by_process) */
#define BUILD_SET_PODS \
	2u /* one per pod container (and one for the rest), for servers whose
			   * series labels carry the pod (Pyroscope, Parca) */

struct build_opts {
	int freq_hz;
	int64_t time_nanos;	     /* capture start, ns since the epoch */
	int64_t duration_nanos;	     /* capture length */
	const char *const *comments; /* NULL-terminated, may be NULL */
	bool by_process;	     /* build_profiles: one profile per process name (comm) */
	bool off_cpu;		     /* a third sample type, off_cpu (ns): the window's waits */
	/* called every BUILD_YIELD_EVERY samples, with nothing of the process table held: a
	 * long build (cold caches) lets the caller drain the BPF maps meanwhile. May be NULL. */
	void (*yield)(void *ctx);
	void *yield_ctx;
	/* Language runtimes: the frames their walkers recorded are named by their modules. May
	 * be NULL (runtime frames are then shown as placeholders). */
	struct runtimes *rt;
	/* Kubernetes: samples of a process in a container the cache knows get the string labels
	 * namespace, pod, container, node, and pod_label_names[i] with the meta's values[i] (the
	 * pod's label pod_label_keys[i]); its process record the k8s.* resource attributes. NULL:
	 * none. With only_selected, samples outside the selected pods are left out (counted). */
	const struct pod_cache *pods;
	const char *const *pod_label_names;
	const char *const *pod_label_keys;
	size_t nr_pod_labels;
	bool only_selected;
	unsigned int sets; /* BUILD_SET_* bits; 0 = BUILD_SET_BASE */
};

/* The pod container a BUILD_SET_PODS series holds: copies, freed with the series. */
struct build_pod {
	const char *namespace;
	const char *pod;
	const char *container;
	const char *node;
	const char *uid;
	const char **values; /* build_opts.nr_pod_labels values, NULL = the pod has none */
};

/* One profile of build_profiles, and the process name it holds ("" unless by_process). */
struct build_series {
	char name[FLAMED_COMM_LEN + 1];
	struct profile *profile;
	unsigned int set;      /* BUILD_SET_BASE or BUILD_SET_PODS */
	struct build_pod *pod; /* BUILD_SET_PODS: its pod container; NULL = processes outside */
};

struct build_stats {
	uint64_t samples;
	uint64_t offcpu_ns;	      /* off-CPU nanoseconds in the profiles */
	uint64_t frames;	      /* user + kernel frames in all samples (weighted by count) */
	uint64_t frames_unsymbolized; /* of those, without a function name */
	uint64_t frames_by_start;     /* of those, named after their function's start (stripped
				       * binaries: "lib.so+0x1a2b0" in folded/SVG, an address in pprof) */
	uint64_t stacks_missing;      /* a count referred to a stack hash never drained */
	uint64_t no_user_stack;	      /* samples of user processes without a user stack */
	uint64_t runtime_frames[FLAMED_RT_KINDS]; /* runtime frames shown, by enum flamed_runtime
						   * (weighted by count) */
	uint64_t runtime_missing; /* samples whose runtime words' stack was never drained */
	uint64_t symbolize_ns;	  /* CPU in the symbolizer (names of new addresses) */
	uint64_t pod_samples;	  /* samples labelled with their pod */
	uint64_t unselected;	  /* samples outside the selected pods (only_selected) */
};

/* Build the profile. pt and sym are updated (maps refreshed on misses, caches filled). Returns 0
 * and a new profile in *ret_profile (owned by the caller), or -errno. */
int build_profile(const struct collector *c, struct proc_table *pt, struct symbolizer *sym,
		  const struct build_opts *opts, struct profile **ret_profile,
		  struct build_stats *ret_stats);

/* Like build_profile, but with opts->by_process one profile per process name, and with
 * BUILD_SET_PODS in opts->sets a second set of series, one per pod container. *ret_series (free
 * with build_series__free) gets *ret_nr series, the BUILD_SET_BASE ones first; stats count each
 * sample once. 0 or -errno. */
int build_profiles(const struct collector *c, struct proc_table *pt, struct symbolizer *sym,
		   const struct build_opts *opts, struct build_series **ret_series, size_t *ret_nr,
		   struct build_stats *ret_stats);

/* Frees the series and their profiles. NULL-safe. */
void build_series__free(struct build_series *series, size_t nr);

#endif /* FLAMED_BUILDER_H */
