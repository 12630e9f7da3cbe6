// SPDX-License-Identifier: MIT
/* OTLP Profiles encoder (opentelemetry-proto v1development, proto/opentelemetry/): the profile as
 * one ExportProfilesServiceRequest. The model is pprof-shaped; OTLP differs in three ways this
 * file bridges:
 *  - one ProfilesDictionary for the request, whose tables must start with their zero value and
 *    hold no duplicates and no orphans: every table is built here from what the samples reach
 *    (strings, mappings, locations, functions, stacks, attributes), deduplicated by value;
 *  - a Resource per process: samples are grouped by their "pid" label, and the process's record
 *    (profile__set_process) and the caller's attributes become resource attributes;
 *  - one Profile per sample type, with semantic-convention attributes instead of pprof labels.
 * Identical samples after that mapping (same stack and attributes) are merged, as the spec asks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb-c.h"
#include "profile/profile_internal.h"
#include "util/utf8.h"

typedef Opentelemetry__Proto__Collector__Profiles__V1development__ExportProfilesServiceRequest
	pb_request;
typedef Opentelemetry__Proto__Profiles__V1development__ProfilesDictionary pb_dictionary;
typedef Opentelemetry__Proto__Profiles__V1development__ResourceProfiles pb_resource_profiles;
typedef Opentelemetry__Proto__Profiles__V1development__ScopeProfiles pb_scope_profiles;
typedef Opentelemetry__Proto__Profiles__V1development__Profile pb_profile;
typedef Opentelemetry__Proto__Profiles__V1development__ValueType pb_value_type;
typedef Opentelemetry__Proto__Profiles__V1development__Sample pb_sample;
typedef Opentelemetry__Proto__Profiles__V1development__Mapping pb_mapping;
typedef Opentelemetry__Proto__Profiles__V1development__Stack pb_stack;
typedef Opentelemetry__Proto__Profiles__V1development__Location pb_location;
typedef Opentelemetry__Proto__Profiles__V1development__Line pb_line;
typedef Opentelemetry__Proto__Profiles__V1development__Function pb_function;
typedef Opentelemetry__Proto__Profiles__V1development__KeyValueAndUnit pb_kvu;
typedef Opentelemetry__Proto__Profiles__V1development__Link pb_link;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope pb_scope;
typedef Opentelemetry__Proto__Resource__V1__Resource pb_resource;

#define PROFILE_ID_LEN 16

/* The semantic conventions release whose attribute names this file writes. */
#define OTLP_SCHEMA_URL "https://opentelemetry.io/schemas/1.34.0"

/* pprof labels the builder writes, and what they become. */
#define LABEL_PID	   "pid"	  /* the resource: process.pid */
#define LABEL_COMM	   "comm"	  /* the resource: process.executable.name fallback */
#define LABEL_CONTAINER_ID "container_id" /* the resource: container.id */
#define LABEL_TID	   "thread"	  /* sample: thread.id */
#define LABEL_THREAD_NAME  "thread_name"  /* sample: thread.name */

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

struct enc {
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

/* --- strings --- */

static int str_idx(struct enc *e, const char *s, int32_t *ret)
{
	uintptr_t v;
	int err;

	if (!s || !*s) {
		*ret = 0;
		return 0;
	}
	if (hashmap__find(&e->str_index, (uintptr_t)s, &v)) {
		*ret = (int32_t)v;
		return 0;
	}
	if (e->nr_strs >= INT32_MAX)
		return -E2BIG;
	err = GROW(e->strs, e->cap_strs, e->nr_strs + 1);
	if (!err)
		err = hashmap__set(&e->str_index, (uintptr_t)s, e->nr_strs);
	if (err)
		return err;
	e->strs[e->nr_strs] = s;
	*ret = (int32_t)e->nr_strs++;
	return 0;
}

/* A model string by its index (UTF-8 already: the model sanitizes what it interns). */
static int model_str_idx(struct enc *e, size_t idx, int32_t *ret)
{
	int err;

	if (!idx || idx >= e->p->nr_strs) {
		*ret = 0;
		return 0;
	}
	if (e->model_str[idx]) {
		*ret = e->model_str[idx] - 1;
		return 0;
	}
	err = str_idx(e, e->p->strs[idx], ret);
	if (!err)
		e->model_str[idx] = *ret + 1;
	return err;
}

/* --- content-keyed tables: the record at the tentative index is compared before it counts --- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	return hash_u64(h ^ v) + 0x9e3779b97f4a7c15ULL;
}

static uint64_t attr_hash(uintptr_t key, void *ctx)
{
	const struct attr_rec *a = &((struct enc *)ctx)->attrs[key];
	uint64_t h = mix((uint64_t)a->key, a->kind);

	if (a->kind == ATTR_INT)
		return mix(h, (uint64_t)a->ival);
	return mix(h, hash_bytes(a->sval, strlen(a->sval), 0));
}

static bool attr_equal(uintptr_t ka, uintptr_t kb, void *ctx)
{
	const struct attr_rec *a = &((struct enc *)ctx)->attrs[ka],
			      *b = &((struct enc *)ctx)->attrs[kb];

	if (a->key != b->key || a->kind != b->kind)
		return false;
	return a->kind == ATTR_INT ? a->ival == b->ival : !strcmp(a->sval, b->sval);
}

/* Tables deduplicated by value: the caller fills the record at index *nr, then this finds an
 * equal record (*ret its index) or counts the new one (*ret = *nr, then *nr + 1). */
static int intern_tail(struct hashmap *index, size_t *nr, int32_t *ret, bool *ret_added)
{
	uintptr_t v;
	int err;

	if (ret_added)
		*ret_added = false;
	if (hashmap__find(index, *nr, &v)) {
		*ret = (int32_t)v;
		return 0;
	}
	if (*nr >= INT32_MAX)
		return -E2BIG;
	err = hashmap__set(index, *nr, *nr);
	if (err)
		return err;
	*ret = (int32_t)(*nr)++;
	if (ret_added)
		*ret_added = true;
	return 0;
}

/* Index of the attribute key=value (string when sval, else ival) in the attribute table. */
static int attr_idx(struct enc *e, const char *key, const char *sval, int64_t ival, int32_t *ret)
{
	struct attr_rec *a;
	int err;

	if (e->nr_attrs >= INT32_MAX)
		return -E2BIG;
	err = GROW(e->attrs, e->cap_attrs, e->nr_attrs + 1);
	if (err)
		return err;
	a = &e->attrs[e->nr_attrs];
	*a = (struct attr_rec){ .kind = sval ? ATTR_STR : ATTR_INT, .ival = ival, .sval = sval };
	err = str_idx(e, key, &a->key);
	if (err)
		return err;
	return intern_tail(&e->attr_index, &e->nr_attrs, ret, NULL);
}

static uint64_t mapping_hash(uintptr_t key, void *ctx)
{
	const struct mapping_rec *m = &((struct enc *)ctx)->mappings[key];

	return mix(mix(mix(mix(m->start, m->limit), m->offset), (uint64_t)m->filename),
		   (uint64_t)m->attr);
}

static bool mapping_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct enc *e = ctx;

	return !memcmp(&e->mappings[a], &e->mappings[b], sizeof(struct mapping_rec));
}

static int mapping_idx(struct enc *e, uint64_t id, int32_t *ret)
{
	const struct profile_mapping_rec *pm;
	struct mapping_rec *m;
	const char *build_id;
	int err;

	if (!id || id > e->p->nr_mappings) {
		*ret = 0;
		return 0;
	}
	if (e->model_mapping[id - 1]) {
		*ret = e->model_mapping[id - 1] - 1;
		return 0;
	}
	pm = &e->p->mappings[id - 1];
	err = GROW(e->mappings, e->cap_mappings, e->nr_mappings + 1);
	if (err)
		return err;
	m = &e->mappings[e->nr_mappings];
	memset(m, 0, sizeof(*m)); /* padding too: records are compared with memcmp */
	m->start = pm->memory_start;
	m->limit = pm->memory_limit;
	m->offset = pm->file_offset;
	err = model_str_idx(e, pm->filename, &m->filename);
	build_id = profile_str(e->p, pm->build_id);
	if (!err && *build_id)
		err = attr_idx(e, "process.executable.build_id.gnu", build_id, 0, &m->attr);
	if (err)
		return err;
	err = intern_tail(&e->mapping_index, &e->nr_mappings, ret, NULL);
	if (!err)
		e->model_mapping[id - 1] = *ret + 1;
	return err;
}

static int function_idx(struct enc *e, uint64_t id, int32_t *ret)
{
	const struct profile_function_rec *pf;
	struct function_rec f;
	int err;

	if (!id || id > e->p->nr_functions) {
		*ret = 0;
		return 0;
	}
	if (e->model_function[id - 1]) {
		*ret = e->model_function[id - 1] - 1;
		return 0;
	}
	pf = &e->p->functions[id - 1];
	f.start_line = pf->start_line;
	err = model_str_idx(e, pf->name, &f.name) ?: model_str_idx(e, pf->system_name, &f.system_name)
						       ?: model_str_idx(e, pf->filename, &f.filename);
	if (!err && e->nr_functions >= INT32_MAX)
		err = -E2BIG;
	if (!err)
		err = GROW(e->functions, e->cap_functions, e->nr_functions + 1);
	if (err)
		return err;
	/* a function with no name, file or start line is the zero value: "no function" */
	if (!f.name && !f.system_name && !f.filename && !f.start_line) {
		*ret = 0;
	} else {
		e->functions[e->nr_functions] = f;
		*ret = (int32_t)e->nr_functions++;
	}
	e->model_function[id - 1] = *ret + 1;
	return 0;
}

static uint64_t location_hash(uintptr_t key, void *ctx)
{
	const struct enc *e = ctx;
	const struct location_rec *l = &e->locations[key];
	uint64_t h =
		mix(mix(mix((uint64_t)l->mapping, l->address), (uint64_t)l->attr), l->nr_lines);

	for (size_t i = 0; i < l->nr_lines; i++) {
		const struct line_rec *ln = &e->lines[l->line_off + i];

		h = mix(mix(h, (uint64_t)ln->function), (uint64_t)ln->line);
	}
	return h;
}

static bool location_equal(uintptr_t ka, uintptr_t kb, void *ctx)
{
	const struct enc *e = ctx;
	const struct location_rec *a = &e->locations[ka], *b = &e->locations[kb];

	if (a->mapping != b->mapping || a->address != b->address || a->attr != b->attr ||
	    a->nr_lines != b->nr_lines)
		return false;
	for (size_t i = 0; i < a->nr_lines; i++) {
		const struct line_rec *la = &e->lines[a->line_off + i],
				      *lb = &e->lines[b->line_off + i];

		if (la->function != lb->function || la->line != lb->line)
			return false;
	}
	return true;
}

/* profile.frame.type of a location in a mapping of this kind (semantic conventions values). */
static const char *frame_type(const struct enc *e, uint64_t mapping_id)
{
	if (!mapping_id || mapping_id > e->p->nr_mappings)
		return NULL;
	switch (e->p->mappings[mapping_id - 1].kind) {
	case PROFILE_MAPPING_KERNEL:
		return "kernel";
	case PROFILE_MAPPING_RUNTIME:
		return e->p->mappings[mapping_id - 1].runtime->otlp_type;
	case PROFILE_MAPPING_USER:
		return "native";
	default:
		return NULL; /* JIT code: which runtime compiled it is not known */
	}
}

static int location_idx(struct enc *e, uint64_t id, int32_t *ret)
{
	const struct profile_location_rec *pl;
	struct location_rec l = { 0 };
	const char *type;
	bool added;
	int err;

	if (e->model_location[id - 1]) {
		*ret = e->model_location[id - 1] - 1;
		return 0;
	}
	pl = &e->p->locations[id - 1];
	l.address = pl->address;
	l.line_off = e->nr_lines;
	err = mapping_idx(e, pl->mapping_id, &l.mapping);
	type = frame_type(e, pl->mapping_id);
	if (!err && type)
		err = attr_idx(e, "profile.frame.type", type, 0, &l.attr);
	if (!err)
		err = GROW(e->lines, e->cap_lines, e->nr_lines + pl->nr_lines);
	for (size_t i = 0; !err && i < pl->nr_lines; i++) {
		const struct profile_line *pline = &e->p->lines[pl->line_off + i];
		struct line_rec *ln = &e->lines[e->nr_lines + l.nr_lines];

		err = function_idx(e, pline->function_id, &ln->function);
		ln->line = pline->line;
		if (!err && (ln->function || ln->line))
			l.nr_lines++;
	}
	if (!err && e->nr_locations >= INT32_MAX)
		err = -E2BIG;
	if (!err)
		err = GROW(e->locations, e->cap_locations, e->nr_locations + 1);
	if (err)
		return err;
	e->locations[e->nr_locations] = l;
	/* a duplicate's lines stay past nr_lines, overwritten next */
	err = intern_tail(&e->location_index, &e->nr_locations, ret, &added);
	if (err)
		return err;
	if (added)
		e->nr_lines += l.nr_lines;
	e->model_location[id - 1] = *ret + 1;
	return 0;
}

static uint64_t stack_hash(uintptr_t key, void *ctx)
{
	const struct enc *e = ctx;
	const struct stack_rec *s = &e->stacks[key];
	uint64_t h = s->n;

	for (size_t i = 0; i < s->n; i++)
		h = mix(h, (uint64_t)e->stack_locs[s->off + i]);
	return h;
}

static bool stack_equal(uintptr_t ka, uintptr_t kb, void *ctx)
{
	const struct enc *e = ctx;
	const struct stack_rec *a = &e->stacks[ka], *b = &e->stacks[kb];

	return a->n == b->n &&
	       !memcmp(e->stack_locs + a->off, e->stack_locs + b->off, a->n * sizeof(int32_t));
}

/* The stack of model location ids (leaf first). An empty stack is the zero value, index 0. */
static int stack_idx(struct enc *e, const uint64_t *ids, size_t n, int32_t *ret)
{
	struct stack_rec *s;
	bool added;
	int err;

	if (!n) {
		*ret = 0;
		return 0;
	}
	err = GROW(e->stack_locs, e->cap_stack_locs, e->nr_stack_locs + n);
	if (!err)
		err = GROW(e->stacks, e->cap_stacks, e->nr_stacks + 1);
	if (!err && e->nr_stacks >= INT32_MAX)
		err = -E2BIG;
	for (size_t i = 0; !err && i < n; i++)
		err = location_idx(e, ids[i], &e->stack_locs[e->nr_stack_locs + i]);
	if (err)
		return err;
	s = &e->stacks[e->nr_stacks];
	s->off = e->nr_stack_locs;
	s->n = n;
	err = intern_tail(&e->stack_index, &e->nr_stacks, ret, &added);
	if (!err && added)
		e->nr_stack_locs += n;
	return err;
}

/* --- samples and resources --- */

static int sample_cmp_attrs(const struct enc *e, const struct sample_rec *a,
			    const struct sample_rec *b)
{
	return a->nr_attrs != b->nr_attrs ||
	       memcmp(e->sample_attrs + a->attr_off, e->sample_attrs + b->attr_off,
		      a->nr_attrs * sizeof(int32_t));
}

/* Sample maps live per resource; the resource is found through the key's high bits. */
struct sample_key_ctx {
	struct enc *e;
	struct resource_rec *r;
};

static uint64_t sample_hash(uintptr_t key, void *ctx)
{
	const struct sample_key_ctx *c = ctx;
	const struct sample_rec *s = &c->r->samples[key];
	uint64_t h = mix((uint64_t)s->stack, s->nr_attrs);

	for (uint32_t i = 0; i < s->nr_attrs; i++)
		h = mix(h, (uint64_t)c->e->sample_attrs[s->attr_off + i]);
	return h;
}

static bool sample_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct sample_key_ctx *c = ctx;
	const struct sample_rec *sa = &c->r->samples[a], *sb = &c->r->samples[b];

	return sa->stack == sb->stack && !sample_cmp_attrs(c->e, sa, sb);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* Parse a decimal label value (pid, tid); false when it is not one. */
static bool parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > UINT32_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static int resource_for(struct enc *e, const struct profile_sample_rec *s,
			struct resource_rec **ret)
{
	const struct profile_label_rec *labels = e->p->sample_labels + s->label_off;
	size_t pid_str = 0, comm_str = 0;
	struct resource_rec *r;
	uintptr_t v;
	int err;

	for (uint32_t i = 0; i < s->nr_labels; i++) {
		const char *key = profile_str(e->p, labels[i].key);

		if (!strcmp(key, LABEL_PID) && labels[i].str)
			pid_str = labels[i].str;
		else if (!strcmp(key, LABEL_COMM) && labels[i].str)
			comm_str = labels[i].str;
	}
	if (hashmap__find(&e->resource_index, pid_str, &v)) {
		*ret = &e->resources[v - 1];
		return 0;
	}
	err = GROW(e->resources, e->cap_resources, e->nr_resources + 1);
	if (err)
		return err;
	r = &e->resources[e->nr_resources];
	memset(r, 0, sizeof(*r));
	r->has_pid = pid_str && parse_u32(profile_str(e->p, pid_str), &r->pid);
	r->comm = comm_str ? profile_str(e->p, comm_str) : NULL;
	hashmap__init(&r->sample_index, sample_hash, sample_equal, NULL);
	err = hashmap__set(&e->resource_index, pid_str, e->nr_resources + 1);
	if (err)
		return err;
	e->nr_resources++;
	*ret = r;
	return 0;
}

/* The sample attributes of a model sample: thread.id, thread.name, and any label the builder
 * adds beyond those the resource carries, under its own name. */
static int sample_attrs(struct enc *e, const struct profile_sample_rec *s, uint32_t *ret_n)
{
	const struct profile_label_rec *labels = e->p->sample_labels + s->label_off;
	uint32_t n = 0;
	int err;

	err = GROW(e->sample_attrs, e->cap_sample_attrs, e->nr_sample_attrs + s->nr_labels);
	for (uint32_t i = 0; !err && i < s->nr_labels; i++) {
		const struct profile_label_rec *l = &labels[i];
		const char *key = profile_str(e->p, l->key), *val = profile_str(e->p, l->str);
		int32_t *out = &e->sample_attrs[e->nr_sample_attrs + n];
		uint32_t tid;

		if (!strcmp(key, LABEL_PID) || !strcmp(key, LABEL_COMM) ||
		    !strcmp(key, LABEL_CONTAINER_ID))
			continue;
		if (!strcmp(key, LABEL_TID) && l->str && parse_u32(val, &tid))
			err = attr_idx(e, "thread.id", NULL, tid, out);
		else if (!strcmp(key, LABEL_THREAD_NAME) && l->str)
			err = attr_idx(e, "thread.name", val, 0, out);
		else if (l->str)
			err = attr_idx(e, key, val, 0, out);
		else
			err = attr_idx(e, key, NULL, l->num, out);
		n++;
	}
	if (err)
		return err;
	/* a set: order must not make two samples differ */
	if (n)
		qsort(e->sample_attrs + e->nr_sample_attrs, n, sizeof(int32_t), cmp_i32);
	*ret_n = n;
	return 0;
}

static int add_sample(struct enc *e, size_t idx)
{
	const struct profile_sample_rec *s = &e->p->samples[idx];
	const int64_t *values = e->p->values + idx * e->p->nr_types;
	struct resource_rec *r;
	struct sample_rec *out;
	struct sample_key_ctx kc;
	uintptr_t v;
	bool zero = true;
	int err;

	for (size_t t = 0; t < e->nr_types; t++)
		zero = zero && !values[e->types[t]];
	if (zero)
		return 0;
	err = resource_for(e, s, &r);
	if (!err)
		err = GROW(r->samples, r->cap_samples, r->nr_samples + 1);
	if (err)
		return err;
	out = &r->samples[r->nr_samples];
	out->attr_off = e->nr_sample_attrs;
	err = stack_idx(e, e->p->sample_locs + s->loc_off, s->nr_locs, &out->stack);
	if (!err)
		err = sample_attrs(e, s, &out->nr_attrs);
	if (err)
		return err;
	kc = (struct sample_key_ctx){ e, r };
	r->sample_index.ctx = &kc;
	if (hashmap__find(&r->sample_index, r->nr_samples, &v)) {
		for (size_t t = 0; t < e->nr_types; t++)
			e->values[r->samples[v].values + t] += values[e->types[t]];
		r->sample_index.ctx = NULL;
		return 0; /* its attributes stay unused past nr_sample_attrs: overwritten next */
	}
	err = hashmap__set(&r->sample_index, r->nr_samples, r->nr_samples);
	r->sample_index.ctx = NULL;
	if (!err)
		err = GROW(e->values, e->cap_values, e->nr_values + e->nr_types);
	if (err)
		return err;
	out->values = e->nr_values;
	for (size_t t = 0; t < e->nr_types; t++)
		e->values[e->nr_values++] = values[e->types[t]];
	e->nr_sample_attrs += out->nr_attrs;
	r->nr_samples++;
	return 0;
}

/* Whether sample type t is off-CPU time (--off-cpu): its Profile has no period. */
static bool offcpu_type(const struct profile *p, size_t t)
{
	return !strcmp(profile_str(p, p->type_strs[2 * t]), PROFILE_OFFCPU_TYPE);
}

/* Sample types that get a Profile: each one, but for a plain sample count next to the type the
 * period is measured in (samples/count beside cpu/nanoseconds): OTLP keeps the unsampled value
 * and the period, from which the count follows. */
static int pick_types(struct enc *e)
{
	const struct profile *p = e->p;
	bool has_period_type = false;

	for (size_t t = 0; t < p->nr_types; t++)
		has_period_type = has_period_type || (p->type_strs[2 * t] == p->period_type &&
						      p->type_strs[2 * t + 1] == p->period_unit);
	e->types = calloc(p->nr_types ? p->nr_types : 1, sizeof(*e->types));
	if (!e->types)
		return -ENOMEM;
	for (size_t t = 0; t < p->nr_types; t++) {
		bool count = !strcmp(profile_str(p, p->type_strs[2 * t]), "samples") &&
			     !strcmp(profile_str(p, p->type_strs[2 * t + 1]), "count");

		if (!(count && has_period_type && p->period))
			e->types[e->nr_types++] = (int32_t)t;
	}
	return 0;
}

/* --- packing --- */

/* Everything the generated message points at, freed once packed. */
struct pack {
	pb_dictionary dict;
	pb_mapping *mappings, **mapping_ptrs;
	pb_location *locations, **location_ptrs;
	pb_line *lines, **line_ptrs;
	int32_t *loc_attr_storage;
	pb_function *functions, **function_ptrs;
	pb_kvu *kvus, **kvu_ptrs;
	pb_any *kvu_values;
	pb_stack *stacks, **stack_ptrs;
	pb_link link0, *link_ptrs[1];
	pb_resource_profiles *rps, **rp_ptrs;
	pb_scope_profiles *sps, **sp_ptrs;
	pb_scope scope;
	pb_resource *resources;
	pb_kv *kvs, **kv_ptrs;
	pb_any *kv_values;
	pb_profile *profiles, **profile_ptrs;
	pb_value_type *vts;
	pb_sample *samples, **sample_ptrs;
	uint8_t *profile_ids; /* 16 random bytes per Profile */
	uint8_t zero_trace[16], zero_span[8];
};

static void *alloc_n(size_t n, size_t size, int *err)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		*err = -ENOMEM;
	return p;
}

static void pack_free(struct pack *k)
{
	free(k->profile_ids);
	free(k->mappings);
	free(k->mapping_ptrs);
	free(k->locations);
	free(k->location_ptrs);
	free(k->lines);
	free(k->line_ptrs);
	free(k->loc_attr_storage);
	free(k->functions);
	free(k->function_ptrs);
	free(k->kvus);
	free(k->kvu_ptrs);
	free(k->kvu_values);
	free(k->stacks);
	free(k->stack_ptrs);
	free(k->rps);
	free(k->rp_ptrs);
	free(k->sps);
	free(k->sp_ptrs);
	free(k->resources);
	free(k->kvs);
	free(k->kv_ptrs);
	free(k->kv_values);
	free(k->profiles);
	free(k->profile_ptrs);
	free(k->vts);
	free(k->samples);
	free(k->sample_ptrs);
}

/* The tables, each with its zero value at index 0 (the records' index i is the table's i + 1
 * for mappings, locations, functions, stacks and attributes, whose own index 0 the encoder
 * reserves by starting its counters at 1). */
static int pack_dictionary(struct enc *e, struct pack *k)
{
	int err = 0;

	k->mappings = alloc_n(e->nr_mappings, sizeof(*k->mappings), &err);
	k->mapping_ptrs = alloc_n(e->nr_mappings, sizeof(*k->mapping_ptrs), &err);
	k->locations = alloc_n(e->nr_locations, sizeof(*k->locations), &err);
	k->location_ptrs = alloc_n(e->nr_locations, sizeof(*k->location_ptrs), &err);
	k->lines = alloc_n(e->nr_lines, sizeof(*k->lines), &err);
	k->line_ptrs = alloc_n(e->nr_lines, sizeof(*k->line_ptrs), &err);
	k->loc_attr_storage = alloc_n(e->nr_locations + e->nr_mappings, sizeof(int32_t), &err);
	k->functions = alloc_n(e->nr_functions, sizeof(*k->functions), &err);
	k->function_ptrs = alloc_n(e->nr_functions, sizeof(*k->function_ptrs), &err);
	k->kvus = alloc_n(e->nr_attrs, sizeof(*k->kvus), &err);
	k->kvu_ptrs = alloc_n(e->nr_attrs, sizeof(*k->kvu_ptrs), &err);
	k->kvu_values = alloc_n(e->nr_attrs, sizeof(*k->kvu_values), &err);
	k->stacks = alloc_n(e->nr_stacks, sizeof(*k->stacks), &err);
	k->stack_ptrs = alloc_n(e->nr_stacks, sizeof(*k->stack_ptrs), &err);
	if (err)
		return err;

	opentelemetry__proto__profiles__v1development__profiles_dictionary__init(&k->dict);
	for (size_t i = 0; i < e->nr_mappings; i++) {
		const struct mapping_rec *m = &e->mappings[i];
		pb_mapping *pm = &k->mappings[i];

		opentelemetry__proto__profiles__v1development__mapping__init(pm);
		pm->memory_start = m->start;
		pm->memory_limit = m->limit;
		pm->file_offset = m->offset;
		pm->filename_strindex = m->filename;
		if (m->attr) {
			k->loc_attr_storage[e->nr_locations + i] = m->attr;
			pm->n_attribute_indices = 1;
			pm->attribute_indices = &k->loc_attr_storage[e->nr_locations + i];
		}
		k->mapping_ptrs[i] = pm;
	}
	for (size_t i = 0; i < e->nr_lines; i++) {
		opentelemetry__proto__profiles__v1development__line__init(&k->lines[i]);
		k->lines[i].function_index = e->lines[i].function;
		k->lines[i].line = e->lines[i].line;
		k->line_ptrs[i] = &k->lines[i];
	}
	for (size_t i = 0; i < e->nr_locations; i++) {
		const struct location_rec *l = &e->locations[i];
		pb_location *pl = &k->locations[i];

		opentelemetry__proto__profiles__v1development__location__init(pl);
		pl->mapping_index = l->mapping;
		pl->address = l->address;
		pl->n_lines = l->nr_lines;
		pl->lines = l->nr_lines ? k->line_ptrs + l->line_off : NULL;
		if (l->attr) {
			k->loc_attr_storage[i] = l->attr;
			pl->n_attribute_indices = 1;
			pl->attribute_indices = &k->loc_attr_storage[i];
		}
		k->location_ptrs[i] = pl;
	}
	for (size_t i = 0; i < e->nr_functions; i++) {
		pb_function *pf = &k->functions[i];

		opentelemetry__proto__profiles__v1development__function__init(pf);
		pf->name_strindex = e->functions[i].name;
		pf->system_name_strindex = e->functions[i].system_name;
		pf->filename_strindex = e->functions[i].filename;
		pf->start_line = e->functions[i].start_line;
		k->function_ptrs[i] = pf;
	}
	for (size_t i = 0; i < e->nr_attrs; i++) {
		const struct attr_rec *a = &e->attrs[i];
		pb_kvu *kv = &k->kvus[i];

		opentelemetry__proto__profiles__v1development__key_value_and_unit__init(kv);
		k->kvu_ptrs[i] = kv;
		if (!i)
			continue; /* the zero value: no key, no value */
		opentelemetry__proto__common__v1__any_value__init(&k->kvu_values[i]);
		if (a->kind == ATTR_STR) {
			k->kvu_values[i].value_case =
				OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
			k->kvu_values[i].string_value = (char *)a->sval;
		} else {
			k->kvu_values[i].value_case =
				OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
			k->kvu_values[i].int_value = a->ival;
		}
		kv->key_strindex = a->key;
		kv->value = &k->kvu_values[i];
	}
	for (size_t i = 0; i < e->nr_stacks; i++) {
		opentelemetry__proto__profiles__v1development__stack__init(&k->stacks[i]);
		k->stacks[i].n_location_indices = e->stacks[i].n;
		k->stacks[i].location_indices =
			e->stacks[i].n ? e->stack_locs + e->stacks[i].off : NULL;
		k->stack_ptrs[i] = &k->stacks[i];
	}
	/* link_table[0]: the zero Link, with ids of the lengths strict codecs expect */
	opentelemetry__proto__profiles__v1development__link__init(&k->link0);
	k->link0.trace_id = (ProtobufCBinaryData){ sizeof(k->zero_trace), k->zero_trace };
	k->link0.span_id = (ProtobufCBinaryData){ sizeof(k->zero_span), k->zero_span };
	k->link_ptrs[0] = &k->link0;

	k->dict.n_mapping_table = e->nr_mappings;
	k->dict.mapping_table = k->mapping_ptrs;
	k->dict.n_location_table = e->nr_locations;
	k->dict.location_table = k->location_ptrs;
	k->dict.n_function_table = e->nr_functions;
	k->dict.function_table = k->function_ptrs;
	k->dict.n_link_table = 1;
	k->dict.link_table = k->link_ptrs;
	k->dict.n_string_table = e->nr_strs;
	k->dict.string_table = (char **)e->strs;
	k->dict.n_attribute_table = e->nr_attrs;
	k->dict.attribute_table = k->kvu_ptrs;
	k->dict.n_stack_table = e->nr_stacks;
	k->dict.stack_table = k->stack_ptrs;
	return 0;
}

/* Resource attributes: the process's own first, then the caller's whose key is not taken. */
#define RES_FIXED_ATTRS 4 /* process.pid, process.executable.name, .path, container.id */

static void kv_str(pb_kv *kv, pb_any *val, const char *key, const char *s)
{
	opentelemetry__proto__common__v1__key_value__init(kv);
	opentelemetry__proto__common__v1__any_value__init(val);
	kv->key = (char *)key;
	val->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
	val->string_value = (char *)s;
	kv->value = val;
}

static bool has_key(pb_kv **kvs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kvs[i]->key, key))
			return true;
	return false;
}

static size_t pack_resource_attrs(const struct enc *e, struct pack *k, size_t r_idx, size_t kv_off,
				  const char *exe_name)
{
	const struct resource_rec *r = &e->resources[r_idx];
	const struct profile_otlp_opts *o = e->opts;
	pb_kv **out = k->kv_ptrs + kv_off;
	struct profile_process proc = { 0 };
	size_t n = 0;

#define PUT_STR(key, s)                                                             \
	do {                                                                        \
		kv_str(&k->kvs[kv_off + n], &k->kv_values[kv_off + n], (key), (s)); \
		out[n] = &k->kvs[kv_off + n];                                       \
		n++;                                                                \
	} while (0)
	if (r->has_pid) {
		(void)profile__process(e->p, r->pid, &proc);
		PUT_STR("process.pid", NULL);
		k->kv_values[kv_off].value_case =
			OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
		k->kv_values[kv_off].int_value = r->pid;
		if (exe_name && *exe_name)
			PUT_STR("process.executable.name", exe_name);
		if (proc.executable_path)
			PUT_STR("process.executable.path", proc.executable_path);
		if (proc.container_id)
			PUT_STR("container.id", proc.container_id);
		for (size_t i = 0; i < proc.nr_attrs; i++)
			if (!has_key(out, n, proc.attrs[i].key))
				PUT_STR(proc.attrs[i].key, proc.attrs[i].value);
	}
	for (size_t i = 0; o && i < o->nr_resource_attrs; i++)
		if (!has_key(out, n, o->resource_attrs[i].key))
			PUT_STR(o->resource_attrs[i].key, o->resource_attrs[i].value);
#undef PUT_STR
	return n;
}

/* process.executable.name: the base name of the executable, else the process name (kernel
 * threads have no executable). */
static const char *exe_name_of(const struct enc *e, const struct resource_rec *r)
{
	struct profile_process proc;
	const char *slash;

	if (!r->has_pid)
		return NULL;
	if (!profile__process(e->p, r->pid, &proc) && proc.executable_path) {
		slash = strrchr(proc.executable_path, '/');
		return slash ? slash + 1 : proc.executable_path;
	}
	return r->comm;
}

static int pack_resources(struct enc *e, struct pack *k)
{
	const struct profile *p = e->p;
	const struct profile_otlp_opts *o = e->opts;
	size_t nr_r = e->nr_resources, nr_prof = nr_r * e->nr_types, nr_kv = 0, nr_s = 0;
	size_t kv_off = 0, prof_off = 0, s_off = 0;
	int err = 0;

	for (size_t i = 0; i < nr_r; i++) {
		struct profile_process proc = { 0 };

		if (e->resources[i].has_pid)
			(void)profile__process(p, e->resources[i].pid, &proc);
		nr_kv += RES_FIXED_ATTRS + proc.nr_attrs + (o ? o->nr_resource_attrs : 0);
		nr_s += e->resources[i].nr_samples * e->nr_types;
	}
	k->rps = alloc_n(nr_r, sizeof(*k->rps), &err);
	k->rp_ptrs = alloc_n(nr_r, sizeof(*k->rp_ptrs), &err);
	k->sps = alloc_n(nr_r, sizeof(*k->sps), &err);
	k->sp_ptrs = alloc_n(nr_r, sizeof(*k->sp_ptrs), &err);
	k->resources = alloc_n(nr_r, sizeof(*k->resources), &err);
	k->kvs = alloc_n(nr_kv, sizeof(*k->kvs), &err);
	k->kv_ptrs = alloc_n(nr_kv, sizeof(*k->kv_ptrs), &err);
	k->kv_values = alloc_n(nr_kv, sizeof(*k->kv_values), &err);
	k->profiles = alloc_n(nr_prof, sizeof(*k->profiles), &err);
	k->profile_ptrs = alloc_n(nr_prof, sizeof(*k->profile_ptrs), &err);
	k->vts = alloc_n(nr_prof * 2, sizeof(*k->vts), &err);
	k->samples = alloc_n(nr_s, sizeof(*k->samples), &err);
	k->sample_ptrs = alloc_n(nr_s, sizeof(*k->sample_ptrs), &err);
	k->profile_ids = alloc_n(nr_prof, PROFILE_ID_LEN, &err);
	if (err)
		return err;

	opentelemetry__proto__common__v1__instrumentation_scope__init(&k->scope);
	k->scope.name = (char *)(o && o->scope_name ? o->scope_name : "flamed");
	k->scope.version = (char *)(o && o->scope_version ? o->scope_version : "");
	/* ids are drawn once per window, so a retried request carries the same ones and a
	 * receiver can tell it from a new window; without randomness they stay unset (optional) */
	if (nr_prof && getrandom(k->profile_ids, nr_prof * PROFILE_ID_LEN, GRND_NONBLOCK) !=
			       (ssize_t)(nr_prof * PROFILE_ID_LEN))
		memset(k->profile_ids, 0, nr_prof * PROFILE_ID_LEN);

	for (size_t i = 0; i < nr_r; i++) {
		const struct resource_rec *r = &e->resources[i];
		pb_resource_profiles *rp = &k->rps[i];
		pb_scope_profiles *sp = &k->sps[i];
		size_t n_attrs;

		opentelemetry__proto__profiles__v1development__resource_profiles__init(rp);
		opentelemetry__proto__profiles__v1development__scope_profiles__init(sp);
		opentelemetry__proto__resource__v1__resource__init(&k->resources[i]);
		n_attrs = pack_resource_attrs(e, k, i, kv_off, exe_name_of(e, r));
		k->resources[i].n_attributes = n_attrs;
		k->resources[i].attributes = k->kv_ptrs + kv_off;
		kv_off += n_attrs;
		rp->resource = &k->resources[i];
		rp->schema_url = OTLP_SCHEMA_URL;
		rp->n_scope_profiles = 1;
		rp->scope_profiles = &k->sp_ptrs[i];
		k->sp_ptrs[i] = sp;
		k->rp_ptrs[i] = rp;
		sp->scope = &k->scope;
		sp->schema_url = OTLP_SCHEMA_URL;
		sp->n_profiles = e->nr_types;
		sp->profiles = k->profile_ptrs + prof_off;

		for (size_t t = 0; t < e->nr_types; t++) {
			pb_profile *pp = &k->profiles[prof_off];
			pb_value_type *st = &k->vts[2 * prof_off], *pt = &k->vts[2 * prof_off + 1];
			size_t mt = (size_t)e->types[t];

			opentelemetry__proto__profiles__v1development__profile__init(pp);
			opentelemetry__proto__profiles__v1development__value_type__init(st);
			opentelemetry__proto__profiles__v1development__value_type__init(pt);
			err = model_str_idx(e, p->type_strs[2 * mt], &st->type_strindex) ?:
			      model_str_idx(e, p->type_strs[2 * mt + 1], &st->unit_strindex) ?:
			      model_str_idx(e, p->period_type, &pt->type_strindex) ?:
			      model_str_idx(e, p->period_unit, &pt->unit_strindex);
			if (err)
				return err;
			pp->sample_type = st;
			/* off-CPU time is a sum of weighted waits, not of samples of the period */
			if ((p->period_type || p->period_unit) && !offcpu_type(p, mt)) {
				pp->period_type = pt;
				pp->period = p->period;
			}
			pp->time_unix_nano = (uint64_t)p->time_nanos;
			pp->duration_nano = (uint64_t)p->duration_nanos;
			if (k->profile_ids[prof_off * PROFILE_ID_LEN])
				pp->profile_id = (ProtobufCBinaryData){
					PROFILE_ID_LEN, k->profile_ids + prof_off * PROFILE_ID_LEN
				};
			pp->samples = k->sample_ptrs + s_off;
			for (size_t j = 0; j < r->nr_samples; j++) {
				const struct sample_rec *s = &r->samples[j];
				pb_sample *ps = &k->samples[s_off];

				/* a stack with CPU time and no wait, or the other way round */
				if (!e->values[s->values + t])
					continue;
				pp->n_samples++;
				opentelemetry__proto__profiles__v1development__sample__init(ps);
				ps->stack_index = s->stack;
				ps->n_attribute_indices = s->nr_attrs;
				ps->attribute_indices =
					s->nr_attrs ? e->sample_attrs + s->attr_off : NULL;
				ps->n_values = 1;
				ps->values = &e->values[s->values + t];
				k->sample_ptrs[s_off++] = ps;
			}
			k->profile_ptrs[prof_off++] = pp;
		}
	}
	return 0;
}

/* --- the encoder --- */

static void enc_free(struct enc *e)
{
	for (size_t i = 0; i < e->nr_resources; i++) {
		free(e->resources[i].samples);
		hashmap__clear(&e->resources[i].sample_index);
	}
	free(e->resources);
	hashmap__clear(&e->resource_index);
	free(e->strs);
	hashmap__clear(&e->str_index);
	free(e->model_str);
	free(e->attrs);
	hashmap__clear(&e->attr_index);
	free(e->mappings);
	hashmap__clear(&e->mapping_index);
	free(e->model_mapping);
	free(e->functions);
	free(e->model_function);
	free(e->lines);
	free(e->locations);
	hashmap__clear(&e->location_index);
	free(e->model_location);
	free(e->stack_locs);
	free(e->stacks);
	hashmap__clear(&e->stack_index);
	free(e->sample_attrs);
	free(e->values);
	free(e->types);
}

/* Index 0 of every table: the zero value, present and never a real entry's. */
static int enc_init(struct enc *e)
{
	const struct profile *p = e->p;
	int err = 0;

	hashmap__init(&e->str_index, hashmap_hash_str, hashmap_equal_str, NULL);
	hashmap__init(&e->attr_index, attr_hash, attr_equal, e);
	hashmap__init(&e->mapping_index, mapping_hash, mapping_equal, e);
	hashmap__init(&e->location_index, location_hash, location_equal, e);
	hashmap__init(&e->stack_index, stack_hash, stack_equal, e);
	hashmap__init(&e->resource_index, hashmap_hash_int, hashmap_equal_int, NULL);
	e->model_str = alloc_n(p->nr_strs, sizeof(int32_t), &err);
	e->model_mapping = alloc_n(p->nr_mappings, sizeof(int32_t), &err);
	e->model_function = alloc_n(p->nr_functions, sizeof(int32_t), &err);
	e->model_location = alloc_n(p->nr_locations, sizeof(int32_t), &err);
	if (!err)
		err = GROW(e->strs, e->cap_strs, 1) ?: GROW(e->attrs, e->cap_attrs, 1) ?:
		      GROW(e->mappings, e->cap_mappings, 1) ?: GROW(e->functions, e->cap_functions, 1) ?:
		      GROW(e->locations, e->cap_locations, 1) ?: GROW(e->stacks, e->cap_stacks, 1);
	if (err)
		return err;
	e->strs[e->nr_strs++] = "";
	e->attrs[e->nr_attrs++] = (struct attr_rec){ .kind = ATTR_INT };
	e->mappings[e->nr_mappings++] = (struct mapping_rec){ 0 };
	e->functions[e->nr_functions++] = (struct function_rec){ 0 };
	e->locations[e->nr_locations++] = (struct location_rec){ 0 };
	e->stacks[e->nr_stacks++] = (struct stack_rec){ 0 };
	/* a record equal to a zero value is index 0, not a duplicate of it */
	err = hashmap__set(&e->attr_index, 0, 0) ?: hashmap__set(&e->mapping_index, 0, 0) ?:
	      hashmap__set(&e->location_index, 0, 0) ?: hashmap__set(&e->stack_index, 0, 0);
	return err ?: pick_types(e);
}

/* Strings of the caller's options must be UTF-8 like the model's: checked, not repaired, since
 * they come from the command line. */
static bool opts_valid(const struct profile_otlp_opts *o)
{
	if (!o)
		return true;
	if ((o->nr_resource_attrs && !o->resource_attrs) ||
	    (o->scope_name && !utf8_valid(o->scope_name)) ||
	    (o->scope_version && !utf8_valid(o->scope_version)))
		return false;
	for (size_t i = 0; i < o->nr_resource_attrs; i++) {
		const struct profile_attr *a = &o->resource_attrs[i];

		if (!a->key || !*a->key || !a->value || !utf8_valid(a->key) ||
		    !utf8_valid(a->value))
			return false;
	}
	return true;
}

int profile__encode_otlp(const struct profile *p, const struct profile_otlp_opts *opts,
			 uint8_t **ret_buf, size_t *ret_len)
{
	pb_request msg =
		OPENTELEMETRY__PROTO__COLLECTOR__PROFILES__V1DEVELOPMENT__EXPORT_PROFILES_SERVICE_REQUEST__INIT;
	struct enc e = { .p = p, .opts = opts };
	struct pack k = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int err;

	if (!p || !ret_buf || !ret_len || !opts_valid(opts))
		return -EINVAL;
	err = enc_init(&e);
	for (size_t i = 0; !err && i < p->nr_samples; i++)
		err = add_sample(&e, i);
	/* the profiles' own strings (sample and period types) go in before the tables are packed */
	if (!err)
		err = pack_resources(&e, &k);
	if (!err)
		err = pack_dictionary(&e, &k);
	if (err)
		goto cleanup;
	msg.n_resource_profiles = e.nr_resources;
	msg.resource_profiles = k.rp_ptrs;
	msg.dictionary = &k.dict;

	len = opentelemetry__proto__collector__profiles__v1development__export_profiles_service_request__get_packed_size(
		&msg);
	buf = malloc(len ? len : 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (opentelemetry__proto__collector__profiles__v1development__export_profiles_service_request__pack(
		    &msg, buf) != len) {
		err = -EIO;
		goto cleanup;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;

cleanup:
	free(buf);
	pack_free(&k);
	enc_free(&e);
	return err;
}
