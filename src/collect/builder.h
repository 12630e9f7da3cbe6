/* SPDX-License-Identifier: MIT */
/* Turn a capture (collector + process table) into a symbolized CPU profile: one pprof Mapping per
 * process mapping, one Location per distinct address, Functions named from ELF symbols and
 * kallsyms, labels pid / comm / thread / thread_name. */
#ifndef FLAMED_BUILDER_H
#define FLAMED_BUILDER_H

#include <stddef.h>
#include <stdint.h>

struct collector;
struct proc_table;
struct symbolizer;
struct profile;

struct build_opts {
	int freq_hz;
	int64_t time_nanos;	     /* capture start, ns since the epoch */
	int64_t duration_nanos;	     /* capture length */
	const char *const *comments; /* NULL-terminated, may be NULL */
};

struct build_stats {
	uint64_t samples;
	uint64_t frames;	      /* user + kernel frames in all samples (weighted by count) */
	uint64_t frames_unsymbolized; /* of those, without a function name */
	uint64_t stacks_missing;      /* a count referred to a stack hash never drained */
	uint64_t no_user_stack;	      /* samples of user processes without a user stack */
};

/* Build the profile. pt and sym are updated (maps refreshed on misses, caches filled). Returns 0
 * and a new profile in *ret_profile (owned by the caller), or -errno. */
int build_profile(const struct collector *c, struct proc_table *pt, struct symbolizer *sym,
		  const struct build_opts *opts, struct profile **ret_profile,
		  struct build_stats *ret_stats);

#endif /* FLAMED_BUILDER_H */
