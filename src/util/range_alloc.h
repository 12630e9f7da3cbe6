/* SPDX-License-Identifier: MIT */
/* First-fit allocator of index ranges in [0, cap), e.g. rows of a BPF array. Freed ranges wait in
 * quarantine for one period of range_alloc__recycle(), so a reader still using them (a BPF program in flight)
 * never sees them rewritten under it. */
#ifndef FLAMED_RANGE_ALLOC_H
#define FLAMED_RANGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct range {
	uint32_t start;
	uint32_t len;
};

struct range_alloc {
	uint32_t cap;
	uint32_t used;	    /* allocated, quarantine included */
	struct range *free; /* sorted by start, never adjacent */
	size_t nr_free, cap_free;
	struct range *quarantine; /* [0, nr_aged) freed before the last recycle */
	size_t nr_quarantine, cap_quarantine, nr_aged;
};

/* All of [0, cap) free. 0 or -ENOMEM. */
int range_alloc__init(struct range_alloc *ra, uint32_t cap);

/* A range of len (> 0) indexes: 0 and *ret_start, or -ENOSPC / -ENOMEM. */
int range_alloc__alloc(struct range_alloc *ra, uint32_t len, uint32_t *ret_start);

/* Give back [start, start + len): quarantined until the next recycle. 0 or -ENOMEM. */
int range_alloc__free(struct range_alloc *ra, uint32_t start, uint32_t len);

/* Ranges freed before the previous recycle become allocatable again: called periodically, a
 * freed range waits at least one full period (the grace for its readers). 0 or -ENOMEM. */
int range_alloc__recycle(struct range_alloc *ra);

/* Size of the largest free range (quarantine excluded). */
uint32_t range_alloc__largest(const struct range_alloc *ra);

/* Frees the bookkeeping. NULL-safe. */
void range_alloc__destroy(struct range_alloc *ra);

#endif /* FLAMED_RANGE_ALLOC_H */
