/* SPDX-License-Identifier: MIT */
/* Private layout of struct profile, shared by profile.c, pprof.c and folded.c only. Everything is
 * stored the way pprof wants it: strings interned into one table (index 0 = ""), ids 1..N equal to
 * array index + 1, and per-sample data in flat arrays so a million samples stay a few allocations. */
#ifndef FLAMED_PROFILE_INTERNAL_H
#define FLAMED_PROFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "util/array.h"
#include "util/hashmap.h"

/* What a mapping's frames are, decided once from its filename when the mapping is added. */
enum profile_mapping_kind {
	PROFILE_MAPPING_USER,
	PROFILE_MAPPING_KERNEL,
	PROFILE_MAPPING_JIT,
	PROFILE_MAPPING_RUNTIME, /* a language runtime's frames ("[python]"): rec->runtime */
};

struct profile_mapping_rec {
	uint64_t memory_start;
	uint64_t memory_limit;
	uint64_t file_offset;
	size_t filename; /* string index */
	size_t build_id; /* string index */
	bool has_functions;
	bool has_filenames;
	bool has_line_numbers;
	bool has_inline_frames;
	enum profile_mapping_kind kind;
	const struct profile_runtime_kind *runtime; /* PROFILE_MAPPING_RUNTIME: which */
};

struct profile_function_rec {
	size_t name; /* string indexes */
	size_t system_name;
	size_t filename;
	int64_t start_line;
};

struct profile_location_rec {
	uint64_t mapping_id; /* 0 = unknown */
	uint64_t address;
	size_t line_off; /* first Line in profile.lines */
	size_t nr_lines;
};

/* All fields 64-bit so the record has no padding and can be compared and hashed as words. */
struct profile_label_rec {
	uint64_t key; /* string index */
	uint64_t str; /* string index; 0 = numeric label */
	int64_t num;
	uint64_t num_unit; /* string index */
};

struct profile_sample_rec {
	size_t loc_off;	  /* first location id in profile.sample_locs */
	size_t label_off; /* first label in profile.sample_labels */
	uint32_t nr_locs;
	uint32_t nr_labels;
	/* values are profile.values[index * nr_types ...] */
};

/* What profile__set_process recorded of one process; strings owned, UTF-8. */
struct profile_process_rec {
	uint32_t pid;
	char *executable_path;	    /* NULL = unknown */
	char *container_id;	    /* NULL = none */
	struct profile_attr *attrs; /* keys and values owned */
	size_t nr_attrs;
};

struct profile {
	/* string table: strs[0] is always "" */
	char **strs;
	size_t nr_strs, cap_strs;
	struct hashmap str_index; /* char * (owned by strs) -> index */

	size_t *type_strs; /* nr_types pairs (type, unit) of string indexes */
	size_t nr_types;
	size_t period_type, period_unit;
	int64_t period;
	size_t default_type; /* string index, 0 = unset */
	int64_t time_nanos, duration_nanos;

	size_t *comments; /* string indexes */
	size_t nr_comments, cap_comments;

	struct profile_mapping_rec *mappings; /* id = index + 1 */
	size_t nr_mappings, cap_mappings;

	struct profile_function_rec *functions; /* id = index + 1 */
	size_t nr_functions, cap_functions;
	struct hashmap function_index; /* function id -> id, keyed by content */

	struct profile_location_rec *locations; /* id = index + 1 */
	size_t nr_locations, cap_locations;
	struct profile_line *lines; /* Lines of all locations, back to back */
	size_t nr_lines, cap_lines;
	/* location id -> char * (owned): the name folded/SVG/top show for a location without Lines
	 * (profile__set_location_name); kept out of the string table so pprof never carries it */
	struct hashmap loc_display;

	struct profile_sample_rec *samples;
	size_t nr_samples, cap_samples;
	uint64_t *sample_locs;
	size_t nr_sample_locs, cap_sample_locs;
	struct profile_label_rec *sample_labels;
	size_t nr_sample_labels, cap_sample_labels;
	int64_t *values; /* nr_types per sample */
	size_t cap_values;
	struct hashmap sample_index; /* sample index -> index, keyed by locations + labels */

	/* processes the samples' "pid" labels name (profile__set_process); kept out of the string
	 * table, as pprof does not carry them */
	struct profile_process_rec *processes;
	size_t nr_processes, cap_processes;
	struct hashmap process_index; /* pid -> index + 1 */
};

/* Grow *arr (of elem-sized items, capacity *cap) to hold at least need items. 0 or -ENOMEM; on
 * failure *arr and *cap are unchanged. */
#define GROW(arr, cap, need) ARRAY_GROW(arr, cap, need)

/* Free the process records (process.c). */
void profile_processes_free(struct profile *p);

/* String at index idx (borrowed, "" when out of range). */
const char *profile_str(const struct profile *p, size_t idx);

/* Index of s in the string table, adding a copy on first use (NULL = ""). 0 or -ENOMEM. */
int profile_intern(struct profile *p, const char *s, size_t *ret_idx);

#endif /* FLAMED_PROFILE_INTERNAL_H */
