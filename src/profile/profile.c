// SPDX-License-Identifier: MIT
/* The profile model: interning, samples merged through a hash map, accessors and the stack walker
 * the folded and SVG encoders share. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile_internal.h"
#include "util/utf8.h"

const char *profile_str(const struct profile *p, size_t idx)
{
	return idx < p->nr_strs ? p->strs[idx] : "";
}

int profile_intern(struct profile *p, const char *s, size_t *ret_idx)
{
	uintptr_t found;
	char *copy;
	int err;

	if (!s)
		s = "";
	if (hashmap__find(&p->str_index, (uintptr_t)s, &found)) {
		*ret_idx = found;
		return 0;
	}
	/* names come from other users' processes and binaries: a string that is not UTF-8 would
	 * make pprof readers refuse the whole profile, so its bad bytes become U+FFFD */
	if (!utf8_valid(s)) {
		char *clean = utf8_sanitize(s);

		if (!clean)
			return -ENOMEM;
		err = profile_intern(p, clean, ret_idx);
		free(clean);
		return err;
	}
	err = GROW(p->strs, p->cap_strs, p->nr_strs + 1);
	if (err)
		return err;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	err = hashmap__set(&p->str_index, (uintptr_t)copy, p->nr_strs);
	if (err) {
		free(copy);
		return err;
	}
	p->strs[p->nr_strs] = copy;
	*ret_idx = p->nr_strs++;
	return 0;
}

/* Hash a run of 64-bit words; cheaper than hash_bytes() on long stacks. */
static uint64_t hash_words(const uint64_t *w, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = hash_u64(h ^ w[i]) + i;
	return h;
}

/* Function map keys are ids; id nr_functions + 1 is the tentative slot being looked up. */
static uint64_t function_hash(uintptr_t key, void *ctx)
{
	const struct profile *p = ctx;
	const struct profile_function_rec *f = &p->functions[key - 1];
	uint64_t w[4] = { f->name, f->system_name, f->filename, (uint64_t)f->start_line };

	return hash_words(w, 4, 0);
}

static bool function_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct profile *p = ctx;
	const struct profile_function_rec *fa = &p->functions[a - 1], *fb = &p->functions[b - 1];

	return fa->name == fb->name && fa->system_name == fb->system_name &&
	       fa->filename == fb->filename && fa->start_line == fb->start_line;
}

/* Sample map keys are sample indexes; index nr_samples is the tentative slot being looked up. */
static uint64_t sample_hash(uintptr_t key, void *ctx)
{
	const struct profile *p = ctx;
	const struct profile_sample_rec *s = &p->samples[key];
	uint64_t h = hash_u64(((uint64_t)s->nr_labels << 32) | s->nr_locs);

	if (s->nr_locs)
		h = hash_words(p->sample_locs + s->loc_off, s->nr_locs, h);
	if (s->nr_labels)
		h = hash_words((const uint64_t *)(p->sample_labels + s->label_off),
			       s->nr_labels * (sizeof(struct profile_label_rec) / sizeof(uint64_t)),
			       h);
	return h;
}

static bool sample_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct profile *p = ctx;
	const struct profile_sample_rec *sa = &p->samples[a], *sb = &p->samples[b];

	if (sa->nr_locs != sb->nr_locs || sa->nr_labels != sb->nr_labels)
		return false;
	if (sa->nr_locs && memcmp(p->sample_locs + sa->loc_off, p->sample_locs + sb->loc_off,
				  sa->nr_locs * sizeof(uint64_t)))
		return false;
	return !sa->nr_labels ||
	       !memcmp(p->sample_labels + sa->label_off, p->sample_labels + sb->label_off,
		       sa->nr_labels * sizeof(struct profile_label_rec));
}

struct profile *profile__new(const struct profile_value_type *sample_types, size_t nr_types,
			     struct profile_value_type period_type, int64_t period)
{
	struct profile *p = NULL;
	size_t idx;
	int err;

	if (nr_types && !sample_types) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&p->str_index, hashmap_hash_str, hashmap_equal_str, NULL);
	hashmap__init(&p->function_index, function_hash, function_equal, p);
	hashmap__init(&p->sample_index, sample_hash, sample_equal, p);
	hashmap__init(&p->loc_display, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&p->process_index, hashmap_hash_int, hashmap_equal_int, NULL);

	err = profile_intern(p, "", &idx); /* string_table[0] = "" */
	if (err)
		goto cleanup;
	if (nr_types) {
		p->type_strs = calloc(nr_types, 2 * sizeof(*p->type_strs));
		if (!p->type_strs) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (size_t i = 0; i < nr_types; i++) {
		err = profile_intern(p, sample_types[i].type, &p->type_strs[2 * i]);
		if (!err)
			err = profile_intern(p, sample_types[i].unit, &p->type_strs[2 * i + 1]);
		if (err)
			goto cleanup;
	}
	p->nr_types = nr_types;
	err = profile_intern(p, period_type.type, &p->period_type);
	if (!err)
		err = profile_intern(p, period_type.unit, &p->period_unit);
	if (err)
		goto cleanup;
	p->period = period;
	return p;

cleanup:
	profile__free(p);
	errno = -err;
	return NULL;
}

struct profile *profile__new_cpu(int freq_hz)
{
	static const struct profile_value_type types[] = {
		{ "samples", "count" },
		{ "cpu", "nanoseconds" },
	};
	struct profile *p;
	int err;

	if (freq_hz <= 0) {
		errno = EINVAL;
		return NULL;
	}
	p = profile__new(types, 2, types[1], 1000000000LL / freq_hz);
	if (!p)
		return NULL;
	err = profile__set_default_sample_type(p, "cpu");
	if (err) {
		profile__free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

struct profile *profile__new_cpu_offcpu(int freq_hz)
{
	static const struct profile_value_type types[] = {
		{ "samples", "count" },
		{ "cpu", "nanoseconds" },
		{ PROFILE_OFFCPU_TYPE, "nanoseconds" },
	};
	struct profile *p;
	int err;

	if (freq_hz <= 0) {
		errno = EINVAL;
		return NULL;
	}
	p = profile__new(types, 3, types[1], 1000000000LL / freq_hz);
	if (!p)
		return NULL;
	err = profile__set_default_sample_type(p, "cpu");
	if (err) {
		profile__free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

void profile__set_time(struct profile *p, int64_t time_nanos, int64_t duration_nanos)
{
	if (!p)
		return;
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
}

int profile__set_default_sample_type(struct profile *p, const char *type)
{
	if (!p || !type)
		return -EINVAL;
	/* only a declared type can be the default; a typo would silently fall back to the last */
	if (profile__sample_type_index(p, type) < 0)
		return -EINVAL;
	return profile_intern(p, type, &p->default_type);
}

int profile__add_comment(struct profile *p, const char *comment)
{
	size_t idx;
	int err;

	if (!p || !comment)
		return -EINVAL;
	err = GROW(p->comments, p->cap_comments, p->nr_comments + 1);
	if (!err)
		err = profile_intern(p, comment, &idx);
	if (err)
		return err;
	p->comments[p->nr_comments++] = idx;
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static enum profile_mapping_kind mapping_kind(const char *filename)
{
	if (has_prefix(filename, "[kernel.kallsyms]"))
		return PROFILE_MAPPING_KERNEL;
	if (!strcmp(filename, "[jit]") || has_prefix(filename, "//anon") ||
	    has_prefix(filename, "[anon") ||
	    (has_prefix(filename, "/tmp/perf-") && has_suffix(filename, ".map")))
		return PROFILE_MAPPING_JIT;
	if (profile__runtime_kind(filename))
		return PROFILE_MAPPING_RUNTIME;
	return PROFILE_MAPPING_USER;
}

/* Colours in the runtime's own family, none of them flamegraph.pl's "hot" native palette. */
static const struct profile_runtime_kind runtime_kinds[] = {
	/* yellow to olive: Python's own colours */
	{ "[python]", "_[py]", "p", "cpython", { 200, 180, 40 }, { 40, 40, 50 } },
	/* lavender to indigo: PHP's elephant */
	{ "[php]", "_[php]", "h", "php", { 120, 110, 190 }, { 40, 40, 50 } },
	/* ruby to rose */
	{ "[ruby]", "_[ruby]", "r", "ruby", { 190, 40, 70 }, { 50, 40, 50 } },
	/* HotSpot's Java methods: JIT code's green and "_[j]" (flamegraph.pl's Java palette) */
	{ "[java]", "_[j]", "j", "jvm", { 40, 180, 40 }, { 60, 55, 60 } },
	/* amber to ochre: JavaScript's yellow, darker than Python's */
	{ "[js]", "_[js]", "s", "v8js", { 225, 150, 20 }, { 30, 40, 40 } },
};

const struct profile_runtime_kind *profile__runtime_kind(const char *filename)
{
	for (size_t i = 0; filename && i < sizeof(runtime_kinds) / sizeof(runtime_kinds[0]); i++)
		if (!strcmp(filename, runtime_kinds[i].mapping))
			return &runtime_kinds[i];
	return NULL;
}

uint64_t profile__add_mapping(struct profile *p, const struct profile_mapping *m)
{
	struct profile_mapping_rec *rec;
	int err;

	if (!p || !m) {
		errno = EINVAL;
		return 0;
	}
	err = GROW(p->mappings, p->cap_mappings, p->nr_mappings + 1);
	if (err)
		goto cleanup;
	rec = &p->mappings[p->nr_mappings];
	*rec = (struct profile_mapping_rec){
		.memory_start = m->memory_start,
		.memory_limit = m->memory_limit,
		.file_offset = m->file_offset,
		.has_functions = m->has_functions,
		.has_filenames = m->has_filenames,
		.has_line_numbers = m->has_line_numbers,
		.has_inline_frames = m->has_inline_frames,
	};
	err = profile_intern(p, m->filename, &rec->filename);
	if (!err)
		err = profile_intern(p, m->build_id, &rec->build_id);
	if (err)
		goto cleanup;
	rec->kind = mapping_kind(profile_str(p, rec->filename));
	rec->runtime = profile__runtime_kind(profile_str(p, rec->filename));
	return ++p->nr_mappings;

cleanup:
	errno = -err;
	return 0;
}

uint64_t profile__intern_function(struct profile *p, const char *name, const char *system_name,
				  const char *filename, int64_t start_line)
{
	struct profile_function_rec *rec;
	uintptr_t found, id;
	int err;

	if (!p) {
		errno = EINVAL;
		return 0;
	}
	err = GROW(p->functions, p->cap_functions, p->nr_functions + 1);
	if (err)
		goto cleanup;
	/* fill the slot past the end, look it up, and keep it only when new */
	rec = &p->functions[p->nr_functions];
	rec->start_line = start_line;
	err = profile_intern(p, name, &rec->name);
	if (!err)
		err = profile_intern(p, system_name, &rec->system_name);
	if (!err)
		err = profile_intern(p, filename, &rec->filename);
	if (err)
		goto cleanup;
	id = p->nr_functions + 1;
	if (hashmap__find(&p->function_index, id, &found))
		return found;
	err = hashmap__set(&p->function_index, id, id);
	if (err)
		goto cleanup;
	p->nr_functions++;
	return id;

cleanup:
	errno = -err;
	return 0;
}

uint64_t profile__add_location(struct profile *p, uint64_t mapping_id, uint64_t address,
			       const struct profile_line *lines, size_t nr_lines)
{
	struct profile_location_rec *rec;
	int err = -EINVAL;

	if (!p || (nr_lines && !lines) || mapping_id > p->nr_mappings)
		goto cleanup;
	/* function_id 0 is "unknown" (Go pprof accepts it); anything else must exist */
	for (size_t i = 0; i < nr_lines; i++)
		if (lines[i].function_id > p->nr_functions)
			goto cleanup;
	if (nr_lines > SIZE_MAX - p->nr_lines) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = GROW(p->lines, p->cap_lines, p->nr_lines + nr_lines);
	if (!err)
		err = GROW(p->locations, p->cap_locations, p->nr_locations + 1);
	if (err)
		goto cleanup;
	if (nr_lines)
		memcpy(p->lines + p->nr_lines, lines, nr_lines * sizeof(*lines));
	rec = &p->locations[p->nr_locations];
	*rec = (struct profile_location_rec){
		.mapping_id = mapping_id,
		.address = address,
		.line_off = p->nr_lines,
		.nr_lines = nr_lines,
	};
	p->nr_lines += nr_lines;
	return ++p->nr_locations;

cleanup:
	errno = -err;
	return 0;
}

int profile__set_location_name(struct profile *p, uint64_t location_id, const char *name)
{
	uintptr_t old = 0;
	char *copy;

	if (!p || !location_id || location_id > p->nr_locations || !name)
		return -EINVAL;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (hashmap__find(&p->loc_display, location_id, &old))
		free((void *)old);
	if (hashmap__set(&p->loc_display, location_id, (uintptr_t)copy)) {
		hashmap__delete(&p->loc_display, location_id, NULL); /* old was freed */
		free(copy);
		return -ENOMEM;
	}
	return 0;
}

int profile__clear_mapping_symbols(struct profile *p, uint64_t mapping_id)
{
	struct profile_mapping_rec *m;

	if (!p || !mapping_id || mapping_id > p->nr_mappings)
		return -EINVAL;
	m = &p->mappings[mapping_id - 1];
	m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = false;
	return 0;
}

static void add_values(int64_t *dst, const int64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (int64_t)((uint64_t)dst[i] + (uint64_t)src[i]); /* wrap, never UB */
}

int profile__add_sample(struct profile *p, const uint64_t *location_ids, size_t nr_locations,
			const int64_t *values, const struct profile_label *labels, size_t nr_labels)
{
	struct profile_sample_rec *rec;
	size_t need_values;
	uintptr_t found;
	int err;

	if (!p || (nr_locations && !location_ids) || (p->nr_types && !values) ||
	    (nr_labels && !labels))
		return -EINVAL;
	if (nr_locations > UINT32_MAX || nr_labels > UINT32_MAX)
		return -E2BIG;
	for (size_t i = 0; i < nr_locations; i++)
		if (!location_ids[i] || location_ids[i] > p->nr_locations)
			return -EINVAL;
	for (size_t i = 0; i < nr_labels; i++)
		if (!labels[i].key)
			return -EINVAL;
	if (nr_locations > SIZE_MAX - p->nr_sample_locs ||
	    nr_labels > SIZE_MAX - p->nr_sample_labels ||
	    __builtin_mul_overflow(p->nr_samples + 1, p->nr_types, &need_values))
		return -ENOMEM;
	err = GROW(p->samples, p->cap_samples, p->nr_samples + 1);
	if (!err)
		err = GROW(p->sample_locs, p->cap_sample_locs, p->nr_sample_locs + nr_locations);
	if (!err)
		err = GROW(p->sample_labels, p->cap_sample_labels, p->nr_sample_labels + nr_labels);
	if (!err)
		err = GROW(p->values, p->cap_values, need_values);
	if (err)
		return err;

	/* stage the sample past the end; it is committed only if no identical one exists */
	if (nr_locations)
		memcpy(p->sample_locs + p->nr_sample_locs, location_ids,
		       nr_locations * sizeof(*location_ids));
	for (size_t i = 0; i < nr_labels; i++) {
		struct profile_label_rec *l = &p->sample_labels[p->nr_sample_labels + i];
		size_t key, str = 0, unit = 0;

		err = profile_intern(p, labels[i].key, &key);
		if (!err && labels[i].str)
			err = profile_intern(p, labels[i].str, &str);
		if (!err && !labels[i].str && labels[i].num_unit)
			err = profile_intern(p, labels[i].num_unit, &unit);
		if (err)
			return err;
		*l = (struct profile_label_rec){
			.key = key,
			.str = str,
			.num = labels[i].str ? 0 : labels[i].num,
			.num_unit = unit,
		};
	}
	rec = &p->samples[p->nr_samples];
	*rec = (struct profile_sample_rec){
		.loc_off = p->nr_sample_locs,
		.label_off = p->nr_sample_labels,
		.nr_locs = (uint32_t)nr_locations,
		.nr_labels = (uint32_t)nr_labels,
	};
	if (hashmap__find(&p->sample_index, p->nr_samples, &found)) {
		if (p->nr_types)
			add_values(p->values + found * p->nr_types, values, p->nr_types);
		return 0;
	}

	err = hashmap__set(&p->sample_index, p->nr_samples, p->nr_samples);
	if (err)
		return err;
	if (p->nr_types)
		memcpy(p->values + p->nr_samples * p->nr_types, values,
		       p->nr_types * sizeof(*values));
	p->nr_sample_locs += nr_locations;
	p->nr_sample_labels += nr_labels;
	p->nr_samples++;
	return 0;
}

int profile__add_cpu_sample(struct profile *p, const uint64_t *location_ids, size_t nr_locations,
			    int64_t count, const struct profile_label *labels, size_t nr_labels)
{
	int64_t values[2];

	if (!p || p->nr_types != 2)
		return -EINVAL;
	values[0] = count;
	if (__builtin_mul_overflow(count, p->period, &values[1]))
		return -ERANGE;
	return profile__add_sample(p, location_ids, nr_locations, values, labels, nr_labels);
}

int profile__add_cpu_offcpu_sample(struct profile *p, const uint64_t *location_ids,
				   size_t nr_locations, int64_t count, int64_t offcpu_ns,
				   const struct profile_label *labels, size_t nr_labels)
{
	int64_t values[3];

	if (!p || p->nr_types != 3)
		return -EINVAL;
	values[0] = count;
	if (__builtin_mul_overflow(count, p->period, &values[1]))
		return -ERANGE;
	values[2] = offcpu_ns;
	return profile__add_sample(p, location_ids, nr_locations, values, labels, nr_labels);
}

size_t profile__nr_samples(const struct profile *p)
{
	return p ? p->nr_samples : 0;
}

size_t profile__nr_locations(const struct profile *p)
{
	return p ? p->nr_locations : 0;
}

size_t profile__nr_functions(const struct profile *p)
{
	return p ? p->nr_functions : 0;
}

size_t profile__nr_mappings(const struct profile *p)
{
	return p ? p->nr_mappings : 0;
}

struct profile_value_type profile__period_type(const struct profile *p)
{
	if (!p)
		return (struct profile_value_type){ NULL, NULL };
	return (struct profile_value_type){ profile_str(p, p->period_type),
					    profile_str(p, p->period_unit) };
}

int64_t profile__period(const struct profile *p)
{
	return p ? p->period : 0;
}

int64_t profile__total(const struct profile *p, size_t idx)
{
	uint64_t sum = 0;

	if (!p || idx >= p->nr_types)
		return 0;
	for (size_t i = 0; i < p->nr_samples; i++)
		sum += (uint64_t)p->values[i * p->nr_types + idx];
	return (int64_t)sum;
}

int profile__sample_type_index(const struct profile *p, const char *type)
{
	if (!p || !type)
		return -1;
	for (size_t i = 0; i < p->nr_types && i < INT32_MAX; i++)
		if (!strcmp(profile_str(p, p->type_strs[2 * i]), type))
			return (int)i;
	return -1;
}

struct profile_value_type profile__sample_type(const struct profile *p, size_t idx)
{
	if (!p || idx >= p->nr_types)
		return (struct profile_value_type){ 0 };
	return (struct profile_value_type){
		.type = profile_str(p, p->type_strs[2 * idx]),
		.unit = profile_str(p, p->type_strs[2 * idx + 1]),
	};
}

int64_t profile__time_nanos(const struct profile *p)
{
	return p ? p->time_nanos : 0;
}

int64_t profile__duration_nanos(const struct profile *p)
{
	return p ? p->duration_nanos : 0;
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_strs; i++)
		free(p->strs[i]);
	free(p->strs);
	hashmap__clear(&p->str_index);
	free(p->type_strs);
	free(p->comments);
	free(p->mappings);
	free(p->functions);
	hashmap__clear(&p->function_index);
	free(p->locations);
	free(p->lines);
	free(p->samples);
	free(p->sample_locs);
	free(p->sample_labels);
	free(p->values);
	hashmap__clear(&p->sample_index);
	hashmap__for_each (&p->loc_display, e)
		free((void *)e->value);
	hashmap__clear(&p->loc_display);
	profile_processes_free(p);
	free(p);
}

/* --- stack walking --- */

struct walker {
	const struct profile *p;
	char **loc_names; /* lazily built names of locations without a usable function name */
	struct profile_frame *frames;
	size_t cap_frames;
	struct profile_label *labels;
	size_t cap_labels;
};

/* The location's display name (profile__set_location_name), else "[basename]" of the mapping
 * file, or the address: what perf shows for unsymbolized frames. */
static const char *location_name(struct walker *w, size_t loc_idx)
{
	const struct profile *p = w->p;
	const struct profile_location_rec *loc = &p->locations[loc_idx];
	const char *file = "", *base;
	uintptr_t display;
	int n;

	if (!w->loc_names) {
		w->loc_names = calloc(p->nr_locations, sizeof(*w->loc_names));
		if (!w->loc_names)
			return NULL;
	}
	if (w->loc_names[loc_idx])
		return w->loc_names[loc_idx];
	if (hashmap__find(&p->loc_display, loc_idx + 1, &display))
		return (const char *)display;
	if (loc->mapping_id)
		file = profile_str(p, p->mappings[loc->mapping_id - 1].filename);
	base = strrchr(file, '/');
	base = base && base[1] ? base + 1 : file;
	if (base[0] == '[') /* already bracketed: "[vdso]", "[kernel.kallsyms]" */
		n = asprintf(&w->loc_names[loc_idx], "%s", base);
	else if (base[0])
		n = asprintf(&w->loc_names[loc_idx], "[%s]", base);
	else
		n = asprintf(&w->loc_names[loc_idx], "0x%" PRIx64, loc->address);
	if (n < 0) {
		w->loc_names[loc_idx] = NULL;
		return NULL;
	}
	return w->loc_names[loc_idx];
}

static enum profile_frame_kind location_kind(const struct profile *p,
					     const struct profile_location_rec *loc)
{
	if (!loc->mapping_id)
		return PROFILE_FRAME_USER;
	switch (p->mappings[loc->mapping_id - 1].kind) {
	case PROFILE_MAPPING_KERNEL:
		return PROFILE_FRAME_KERNEL;
	case PROFILE_MAPPING_JIT:
		return PROFILE_FRAME_JIT;
	case PROFILE_MAPPING_RUNTIME:
		return PROFILE_FRAME_RUNTIME;
	default:
		return PROFILE_FRAME_USER;
	}
}

/* Append the frames of one location, caller first: its last Line, then the inlined callees. */
static int push_location(struct walker *w, size_t loc_idx, size_t *n)
{
	const struct profile *p = w->p;
	const struct profile_location_rec *loc = &p->locations[loc_idx];
	enum profile_frame_kind kind = location_kind(p, loc);
	const struct profile_runtime_kind *rt =
		loc->mapping_id ? p->mappings[loc->mapping_id - 1].runtime : NULL;
	size_t nr = loc->nr_lines ? loc->nr_lines : 1;
	int err;

	if (nr > SIZE_MAX - *n)
		return -ENOMEM;
	err = GROW(w->frames, w->cap_frames, *n + nr);
	if (err)
		return err;
	if (!loc->nr_lines) {
		w->frames[*n] = (struct profile_frame){ .name = location_name(w, loc_idx) };
		if (!w->frames[*n].name)
			return -ENOMEM;
		w->frames[*n].runtime = rt;
		w->frames[(*n)++].kind = kind;
		return 0;
	}
	for (size_t j = loc->nr_lines; j-- > 0;) {
		const struct profile_line *ln = &p->lines[loc->line_off + j];
		const char *name = "", *file = NULL;

		if (ln->function_id) {
			const struct profile_function_rec *f = &p->functions[ln->function_id - 1];

			file = profile_str(p, f->filename);
			name = profile_str(p, f->name);
			if (!name[0])
				name = profile_str(p, f->system_name);
		}
		if (!name[0])
			name = location_name(w, loc_idx);
		if (!name)
			return -ENOMEM;
		w->frames[(*n)++] = (struct profile_frame){
			.name = name,
			.kind = j + 1 < loc->nr_lines ? PROFILE_FRAME_INLINED : kind,
			.runtime = j + 1 < loc->nr_lines ? NULL : rt,
			.file = file && file[0] ? file : NULL,
			.line = ln->line,
		};
	}
	return 0;
}

int profile__for_each_stack(const struct profile *p, size_t value_idx, bool comm_root,
			    profile_stack_fn fn, void *ctx)
{
	struct walker w = { .p = p };
	uintptr_t comm_key = 0;
	int err = 0;

	if (!p || !fn || value_idx >= p->nr_types)
		return -EINVAL;
	if (comm_root && !hashmap__find(&p->str_index, (uintptr_t) "comm", &comm_key))
		comm_root = false; /* no sample can carry a comm label */

	for (size_t s = 0; s < p->nr_samples && !err; s++) {
		const struct profile_sample_rec *rec = &p->samples[s];
		const struct profile_label_rec *lr =
			rec->nr_labels ? p->sample_labels + rec->label_off : NULL;
		size_t n = 0;

		err = GROW(w.frames, w.cap_frames, 1);
		if (!err)
			err = GROW(w.labels, w.cap_labels, rec->nr_labels);
		if (err)
			break;
		for (size_t i = 0; i < rec->nr_labels; i++) {
			w.labels[i] = (struct profile_label){
				.key = profile_str(p, lr[i].key),
				.str = lr[i].str ? profile_str(p, lr[i].str) : NULL,
				.num = lr[i].num,
				.num_unit = lr[i].num_unit ? profile_str(p, lr[i].num_unit) : NULL,
			};
			if (comm_root && !n && lr[i].key == comm_key && lr[i].str) {
				w.frames[0] = (struct profile_frame){
					.name = profile_str(p, lr[i].str),
					.kind = PROFILE_FRAME_COMM,
				};
				n = 1;
			}
		}
		/* location ids are leaf first; frames go root first */
		for (size_t i = rec->nr_locs; i-- > 0 && !err;)
			err = push_location(&w, p->sample_locs[rec->loc_off + i] - 1, &n);
		if (!err)
			err = fn(w.frames, n, p->values[s * p->nr_types + value_idx], w.labels,
				 rec->nr_labels, ctx);
	}

	if (w.loc_names)
		for (size_t i = 0; i < p->nr_locations; i++)
			free(w.loc_names[i]);
	free(w.loc_names);
	free(w.frames);
	free(w.labels);
	return err;
}
