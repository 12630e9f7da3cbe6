/* SPDX-License-Identifier: MIT */
/* Userspace side of the BPF aggregation: stacks (by the BPF program's 64-bit hash), sample counts
 * and off-CPU nanoseconds per key, accumulated over every drain of a capture. Raw addresses only: symbolization happens when the
 * profile is built (collect/builder.h). */
#ifndef FLAMED_COLLECTOR_H
#define FLAMED_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "flamed.h"

struct collector;

/* A stored stack: nr frames, leaf first. */
struct collector_stack {
	uint32_t nr;
	uint32_t flags; /* FLAMED_STACK_* */
	uint64_t ips[];
};

/* New empty collector. NULL with errno. */
struct collector *collector__new(void);

/* Remember a stack under hash (copied; a known hash is ignored). 0 or -ENOMEM. */
int collector__add_stack(struct collector *c, uint64_t hash, const struct flamed_stack *st);

/* Add count samples to key (copied). 0 or -ENOMEM. */
int collector__add_count(struct collector *c, const struct flamed_count_key *key, uint64_t count);

/* Add ns nanoseconds of off-CPU time (the kept waits' weights) to key (copied). 0 or -ENOMEM. */
int collector__add_offcpu(struct collector *c, const struct flamed_count_key *key, uint64_t ns);

/* Stack stored under hash, or NULL (0 or unknown hash). Borrowed. */
const struct collector_stack *collector__stack(const struct collector *c, uint64_t hash);

/* The runtime frame words of user stack us (flagged FLAMED_STACK_RUNTIME: its last word links
 * them, in parts chained by FLAMED_STACK_RT_MORE) into words[0..max), leaf first; returns how
 * many. 0 with *ret_missing when a part was never drained. */
size_t collector__runtime_words(const struct collector *c, const struct collector_stack *us,
				uint64_t *words, size_t max, bool *ret_missing);

typedef int (*collector_count_fn)(const struct flamed_count_key *key, uint64_t count,
				  uint64_t offcpu_ns, void *ctx);
/* Call fn for every key with its samples and off-CPU nanoseconds (either may be 0); stops at and
 * returns a non-zero return of fn. */
int collector__for_each_count(const struct collector *c, collector_count_fn fn, void *ctx);

uint64_t collector__samples(const struct collector *c);	  /* sum of counts */
uint64_t collector__offcpu_ns(const struct collector *c); /* sum of off-CPU nanoseconds */
size_t collector__nr_stacks(const struct collector *c);
size_t collector__nr_keys(const struct collector *c);
size_t collector__nr_processes(const struct collector *c);	    /* distinct tgids */
bool collector__has_tgid(const struct collector *c, uint32_t tgid); /* a count of tgid is held */

/* NULL-safe. */
void collector__free(struct collector *c);

#endif /* FLAMED_COLLECTOR_H */
