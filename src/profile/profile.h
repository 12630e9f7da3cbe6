/* SPDX-License-Identifier: MIT */
/* The in-memory profile: interned strings, mappings, functions, locations and samples, shaped like
 * pprof (dense ids 1..N) so the pprof encoder is a straight copy. Encoders (pprof, folded, SVG) and
 * the pprof decoder are declared here too; they live in sibling files of src/profile/. */
#ifndef FLAMED_PROFILE_H
#define FLAMED_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct profile;

struct profile_value_type {
	const char *type; /* e.g. "samples", "cpu" */
	const char *unit; /* e.g. "count", "nanoseconds" */
};

struct profile_mapping {
	uint64_t memory_start;
	uint64_t memory_limit;
	uint64_t file_offset;
	const char *filename; /* path, "[vdso]", "[kernel.kallsyms]" ...; NULL = "" */
	const char *build_id; /* hex, or NULL */
	bool has_functions;
	bool has_filenames;
	bool has_line_numbers;
	bool has_inline_frames;
};

struct profile_line {
	uint64_t function_id;
	int64_t line; /* 0 = unknown */
};

struct profile_label {
	const char *key;
	const char *str;      /* string label when non-NULL */
	int64_t num;	      /* numeric label when str is NULL */
	const char *num_unit; /* only with num; may be NULL */
};

/* A key/value string pair: a process's extra resource attributes, an encoder's resource-wide
 * ones. */
struct profile_attr {
	const char *key;
	const char *value;
};

/* What is known of a process beyond its samples' labels, for encoders that describe processes
 * (OTLP: one Resource each). */
struct profile_process {
	const char *executable_path; /* /proc/PID/exe as the process names it; NULL = unknown */
	const char *container_id;    /* NULL = none */
	/* more resource attributes of the process (e.g. k8s.pod.name); keys unique, at most
	 * PROFILE_MAX_PROCESS_ATTRS */
	const struct profile_attr *attrs;
	size_t nr_attrs;
};

#define PROFILE_MAX_PROCESS_ATTRS 32

/* New empty profile with the given sample types (copied) and period. Returns NULL with errno. */
struct profile *profile__new(const struct profile_value_type *sample_types, size_t nr_types,
			     struct profile_value_type period_type, int64_t period);

/* The CPU profile flamed writes: sample types samples/count + cpu/nanoseconds, period type
 * cpu/nanoseconds, period 1e9/freq_hz, default sample type "cpu". NULL with errno. */
struct profile *profile__new_cpu(int freq_hz);

/* The sample type of off-CPU time (nanoseconds a thread waited, off the CPU). */
#define PROFILE_OFFCPU_TYPE "off_cpu"

/* profile__new_cpu with a third sample type, off_cpu/nanoseconds (--off-cpu). NULL with errno. */
struct profile *profile__new_cpu_offcpu(int freq_hz);

void profile__set_time(struct profile *p, int64_t time_nanos, int64_t duration_nanos);
/* Default sample type by type name (e.g. "cpu"); the string is copied. 0 or -errno (-EINVAL when
 * no sample type has that name). */
int profile__set_default_sample_type(struct profile *p, const char *type);
/* Append a human-readable comment (copied). 0 or -errno. */
int profile__add_comment(struct profile *p, const char *comment);

/* Add a mapping (strings copied). Returns its id (1..N, in insertion order) or 0 on ENOMEM.
 * Mappings whose filename starts with "[kernel.kallsyms]" are kernel mappings. */
uint64_t profile__add_mapping(struct profile *p, const struct profile_mapping *m);

/* Function id for (name, system_name, filename, start_line), adding it on first use (strings
 * copied; NULL = ""). Returns 1..N or 0 on ENOMEM. */
uint64_t profile__intern_function(struct profile *p, const char *name, const char *system_name,
				  const char *filename, int64_t start_line);

/* Add a location (lines copied; lines[0] is the innermost inlined callee, the last the physical
 * caller). mapping_id may be 0 (unknown). No de-duplication: callers cache ids. Returns 1..N or 0
 * on ENOMEM / bad ids (errno EINVAL). */
uint64_t profile__add_location(struct profile *p, uint64_t mapping_id, uint64_t address,
			       const struct profile_line *lines, size_t nr_lines);

/* Name that folded, SVG and top output show for location_id while it has no Lines, instead of
 * "[mapping basename]": e.g. "liblzma.so.5.4.1+0x1a2b0", a stripped binary's function by its
 * start. Not written to pprof, where the location stays an address (with its mapping's build-id)
 * for a symbolizing server to name. Copied. 0 or -errno (-EINVAL unknown id). */
int profile__set_location_name(struct profile *p, uint64_t location_id, const char *name);

/* A location without a Line was added to mapping_id: clear its has_functions, has_filenames,
 * has_line_numbers and has_inline_frames (pprof: what every location of the mapping carries), so
 * readers that symbolize try (go tool pprof skips a mapping with any of the first three set).
 * 0 or -EINVAL. */
int profile__clear_mapping_symbols(struct profile *p, uint64_t mapping_id);

/* Record process pid, the one samples with the string label pid=<pid> belong to (strings
 * copied, made UTF-8). The first record of a pid wins: later calls for it return 0 and change
 * nothing. 0 or -errno (-EINVAL: too many attrs or a NULL key). */
int profile__set_process(struct profile *p, uint32_t pid, const struct profile_process *proc);

/* The record of pid: *ret_proc borrows from the profile. 0 or -ENOENT. */
int profile__process(const struct profile *p, uint32_t pid, struct profile_process *ret_proc);

/* Add a sample: location ids leaf first, one value per sample type, labels copied. Identical
 * samples (same locations and labels) are merged by adding values. 0 or -errno (-EINVAL for an
 * unknown location id). */
int profile__add_sample(struct profile *p, const uint64_t *location_ids, size_t nr_locations,
			const int64_t *values, const struct profile_label *labels,
			size_t nr_labels);

/* Convenience for CPU profiles: values {count, count * period}. */
int profile__add_cpu_sample(struct profile *p, const uint64_t *location_ids, size_t nr_locations,
			    int64_t count, const struct profile_label *labels, size_t nr_labels);

/* The same for profile__new_cpu_offcpu's profiles: values {count, count * period, offcpu_ns}.
 * -EINVAL for a profile of another shape. */
int profile__add_cpu_offcpu_sample(struct profile *p, const uint64_t *location_ids,
				   size_t nr_locations, int64_t count, int64_t offcpu_ns,
				   const struct profile_label *labels, size_t nr_labels);

/* A copy of p with only the sample types at idx[0..nr) (named as[i], or as p names them when as is
 * NULL), period_type and period, and only the samples with one of them non-zero: one series of a
 * profile that holds several (a server that files each sample type under the series' name gets
 * only the types that series is for). Mappings, functions, locations, their display names,
 * process records, comments and times are copied. *ret_profile is new, owned by the caller.
 * 0 or -errno (-EINVAL: an index out of range). */
int profile__project(const struct profile *p, const size_t *idx,
		     const struct profile_value_type *as, size_t nr,
		     struct profile_value_type period_type, int64_t period,
		     struct profile **ret_profile);

/* Read access (for tests, reports and encoders outside this folder). */
size_t profile__nr_samples(const struct profile *p);
size_t profile__nr_locations(const struct profile *p);
size_t profile__nr_functions(const struct profile *p);
size_t profile__nr_mappings(const struct profile *p);
int64_t profile__period(const struct profile *p);
/* The period's type (borrowed; empty strings when it has none). */
struct profile_value_type profile__period_type(const struct profile *p);
/* Sum of sample values for sample type index idx. */
int64_t profile__total(const struct profile *p, size_t idx);

/* NULL-safe. */
void profile__free(struct profile *p);

/* --- encoders and decoder --- */

/* Serialize to raw (uncompressed) pprof protobuf. *ret_buf is malloc'ed, owned by the caller.
 * 0 or -errno. */
int profile__encode_pprof(const struct profile *p, uint8_t **ret_buf, size_t *ret_len);

/* Options of the OTLP encoder; strings borrowed, UTF-8. */
struct profile_otlp_opts {
	/* attributes of every Resource (service.name, host.name, ...), after each process's own
	 * (process.*, container.id, its record's attrs), which win on a shared key */
	const struct profile_attr *resource_attrs;
	size_t nr_resource_attrs;
	const char *scope_name;	   /* InstrumentationScope; NULL = "flamed" */
	const char *scope_version; /* NULL = none */
};

/* Serialize to an OTLP ExportProfilesServiceRequest (opentelemetry-proto v1development): one
 * ProfilesDictionary (every table's index 0 the zero value, no duplicates, no orphans), one
 * ResourceProfiles per process (samples grouped by their "pid" label, resource attributes
 * process.pid, process.executable.name/path, container.id from profile__set_process), a Profile
 * per sample type (samples/count is left out beside the period's type: the period gives it),
 * samples with thread.id / thread.name attributes, locations with profile.frame.type, mappings
 * with process.executable.build_id.gnu. *ret_buf is malloc'ed, owned by the caller. 0 or -errno
 * (-EINVAL: bad options). */
int profile__encode_otlp(const struct profile *p, const struct profile_otlp_opts *opts,
			 uint8_t **ret_buf, size_t *ret_len);

/* Deepest stack the decoder accepts, in frames after inline expansion: far above any real stack,
 * low enough that a small hostile file cannot expand into gigabytes of frames. */
#define PROFILE_MAX_DECODED_FRAMES 65536

/* Parse raw (uncompressed) pprof protobuf into a new profile (ids renumbered densely). Returns 0 and
 * *ret_profile, or -EINVAL (malformed: bad string index, unknown id, value count mismatch) /
 * -E2BIG (a sample deeper than PROFILE_MAX_DECODED_FRAMES) / -ENOMEM. */
int profile__decode_pprof(const uint8_t *buf, size_t len, struct profile **ret_profile);

/* profile__decode_pprof, refusing with -EFBIG when the unpacked protobuf message would take more
 * than max_bytes of memory (protobuf-c's allocations, at their malloc_usable_size): a few
 * bytes on the wire can name a message of ~100 bytes, so this is what bounds a hostile file. */
int profile__decode_pprof_limit(const uint8_t *buf, size_t len, size_t max_bytes,
				struct profile **ret_profile);

/* Folded stacks, one line per unique stack: "comm;root;...;leaf COUNT" (the comm label first when
 * present; kernel frames suffixed "_[k]", inlined frames "_[i]", JIT frames "_[j]", a language
 * runtime's frames its suffix ("_[py]", "_[php]", "_[ruby]": struct profile_runtime_kind); ';' in names
 * replaced by ':', line breaks by ' '). Lines sorted, zero counts and empty stacks skipped. COUNT
 * is the value of sample type value_idx. 0 or -errno (-EIO on write error). */
int profile__write_folded(const struct profile *p, size_t value_idx, FILE *out);

/* Folded stacks of two profiles, "STACK BASE_COUNT COUNT" (difffolded.pl's format, which
 * flamegraph.pl draws as a differential graph): the union of the stacks of base (sample type
 * base_idx) and p (value_idx), lines as in profile__write_folded, skipped when both are zero.
 * Both profiles borrowed. 0 or -errno. */
int profile__write_folded_diff(const struct profile *base, size_t base_idx, const struct profile *p,
			       size_t value_idx, FILE *out);

/* SVG flame graph (flamegraph.pl layout) of sample type value_idx; title NULL = "Flame Graph".
 * 0 or -errno (-EIO on write error). Implemented in svg.c. */
int profile__write_svg(const struct profile *p, size_t value_idx, const char *title, FILE *out);

/* Differential SVG flame graph: frames and widths from p (sample type value_idx), each frame
 * coloured by its change in share of the total from base (sample type base_idx) to p: red grew,
 * blue shrank, grey unchanged; titles give both values. Both profiles borrowed. 0 or -errno. */
int profile__write_svg_diff(const struct profile *base, size_t base_idx, const struct profile *p,
			    size_t value_idx, const char *title, FILE *out);

/* `go tool pprof -top`-style text table of sample type value_idx: flat, flat%, sum%, cum, cum% per
 * function (inlined frames as "NAME (inline)"), sorted by flat; max_rows 0 = all. 0 or -errno.
 * Implemented in top.c. */
int profile__write_top(const struct profile *p, size_t value_idx, size_t max_rows, FILE *out);

/* --- stack walking, shared by the folded and SVG encoders and by reports --- */

enum profile_frame_kind {
	PROFILE_FRAME_USER,    /* native user code */
	PROFILE_FRAME_KERNEL,  /* location in a "[kernel.kallsyms]" mapping */
	PROFILE_FRAME_INLINED, /* a Line other than the last of its Location */
	PROFILE_FRAME_JIT,     /* mapping "[jit]", "//anon", or a perf-PID.map */
	PROFILE_FRAME_COMM,    /* synthetic root: the sample's comm label */
	PROFILE_FRAME_RUNTIME, /* a language runtime's function: its mapping ("[python]") */
};

/* A language runtime's frames sit in a mapping of their own ("[python]", "[php]", "[ruby]"):
 * how each output tells them apart. One table (profile.c): a new runtime is a row, not a case
 * in every output. */
struct profile_runtime_kind {
	const char *mapping;   /* the mapping's name: "[python]" */
	const char *suffix;    /* folded stacks: "_[py]" */
	const char *svg_class; /* the SVG frame's class: "p" */
	const char *otlp_type; /* OTLP's profile.frame.type: "cpython" */
	uint8_t rgb[3];	       /* the SVG colour: rgb + spread x (the name's hash in [0, 1]) */
	uint8_t spread[3];
};

/* The runtime kind of mappings named filename; NULL when it names none. Static. */
const struct profile_runtime_kind *profile__runtime_kind(const char *filename);

struct profile_frame {
	const char *name; /* borrowed from the profile */
	enum profile_frame_kind kind;
	const struct profile_runtime_kind *runtime; /* PROFILE_FRAME_RUNTIME: whose */
	const char *file; /* the function's source file (borrowed) or NULL */
	int64_t line;	  /* the Line's line number, 0 = unknown */
};

/* Called once per sample with its frames root first (inlined Lines expanded, caller before
 * callee). Return 0 to go on, non-zero to stop (that value is returned by the walker). */
typedef int (*profile_stack_fn)(const struct profile_frame *frames, size_t nr_frames, int64_t value,
				const struct profile_label *labels, size_t nr_labels, void *ctx);

/* Walk every sample; value is that of sample type value_idx. With comm_root, a sample that has a
 * "comm" string label gets it as a PROFILE_FRAME_COMM frame in front. Frames borrowed for the
 * call only. 0, -errno, or the callback's non-zero value. */
int profile__for_each_stack(const struct profile *p, size_t value_idx, bool comm_root,
			    profile_stack_fn fn, void *ctx);

/* Index of the sample type named type (e.g. "samples", "cpu"), or -1. */
int profile__sample_type_index(const struct profile *p, const char *type);
/* Sample type idx (borrowed), or a zeroed struct when out of range. */
struct profile_value_type profile__sample_type(const struct profile *p, size_t idx);
int64_t profile__time_nanos(const struct profile *p);
int64_t profile__duration_nanos(const struct profile *p);

#endif /* FLAMED_PROFILE_H */
