/* SPDX-License-Identifier: MIT */
/* The OTLP encoder's tables, shared by its two halves: otlp.c builds them from the model
 * (deduplicated, each with its zero value at index 0), otlp_pack.c packs them into the protobuf-c
 * message. Records hold indexes into the tables and borrow the model's strings. */
#ifndef FLAMED_PROFILE_OTLP_INTERNAL_H
#define FLAMED_PROFILE_OTLP_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "profile/profile_internal.h"
#include "util/hashmap.h"

enum attr_kind { ATTR_STR, ATTR_INT };

struct attr_rec {
	int32_t key; /* string index */
	enum attr_kind kind;
	int64_t ival;
	const char *sval; /* borrowed: the model's strings or literals */
};

struct mapping_rec {
	uint64_t start, limit, offset;
	int32_t filename;
	int32_t attr; /* build-id attribute, 0 = none */
};

struct function_rec {
	int32_t name, system_name, filename;
	int64_t start_line;
};

struct line_rec {
	int32_t function;
	int64_t line;
};

struct location_rec {
	int32_t mapping;
	uint64_t address;
	size_t line_off, nr_lines;
	int32_t attr; /* profile.frame.type, 0 = none */
};

struct stack_rec {
	size_t off, n; /* in enc.stack_locs */
};

struct sample_rec {
	int32_t stack;
	size_t attr_off; /* in enc.sample_attrs */
	uint32_t nr_attrs;
	size_t values; /* first of nr_types values in enc.values */
};

/* One Resource: a process (or the samples without a pid label). */
struct resource_rec {
	bool has_pid;
	uint32_t pid;
	const char *comm; /* a sample's comm label, borrowed */
	struct sample_rec *samples;
	size_t nr_samples, cap_samples;
	struct hashmap sample_index; /* (stack, attrs) -> index + 1; tentative key = nr_samples */
};

struct otlp_enc {
	const struct profile *p;
	const struct profile_otlp_opts *opts;

	const char **strs; /* borrowed */
	size_t nr_strs, cap_strs;
	struct hashmap str_index; /* const char * -> index */
	int32_t *model_str;	  /* model string index -> index + 1 */

	struct attr_rec *attrs;
	size_t nr_attrs, cap_attrs;
	struct hashmap attr_index; /* index (tentative: nr_attrs) -> index */

	struct mapping_rec *mappings;
	size_t nr_mappings, cap_mappings;
	struct hashmap mapping_index;
	int32_t *model_mapping; /* model mapping id - 1 -> index + 1 */

	struct function_rec *functions;
	size_t nr_functions, cap_functions;
	int32_t *
		model_function; /* model function id - 1 -> index + 1 (model functions are unique) */

	struct line_rec *lines;
	size_t nr_lines, cap_lines;
	struct location_rec *locations;
	size_t nr_locations, cap_locations;
	struct hashmap location_index;
	int32_t *model_location; /* model location id - 1 -> index + 1 */

	int32_t *stack_locs;
	size_t nr_stack_locs, cap_stack_locs;
	struct stack_rec *stacks;
	size_t nr_stacks, cap_stacks;
	struct hashmap stack_index;

	int32_t *sample_attrs;
	size_t nr_sample_attrs, cap_sample_attrs;
	int64_t *values;
	size_t nr_values, cap_values;

	struct resource_rec *resources;
	size_t nr_resources, cap_resources;
	struct hashmap resource_index; /* model string index of the pid label value -> index + 1 */

	int32_t *types; /* model sample type indexes that get a Profile */
	size_t nr_types;
};

/* calloc of n (at least one) elements; sets *err to -ENOMEM on failure, so a run of
 * allocations is checked once. */
static inline void *otlp_alloc_n(size_t n, size_t size, int *err)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		*err = -ENOMEM;
	return p;
}

/* The table index of model string idx (0 for none), interned on first use. */
int otlp_model_str_idx(struct otlp_enc *e, size_t idx, int32_t *ret);

/* Whether model sample type t is off-CPU time (--off-cpu): its Profile has no period. */
bool otlp_offcpu_type(const struct profile *p, size_t t);

/* The request for e's tables, packed: *ret_buf is malloc'd, the caller's to free. e stays the
 * caller's; packing may add strings to it (the sample and period types). */
int otlp_pack(struct otlp_enc *e, uint8_t **ret_buf, size_t *ret_len);

#endif
