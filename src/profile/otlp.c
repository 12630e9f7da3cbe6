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
 * Identical samples after that mapping (same stack and attributes) are merged, as the spec asks.
 * otlp_pack.c turns the tables this file builds into the protobuf-c message and its bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/otlp_internal.h"
#include "util/utf8.h"

/* pprof labels the builder writes, and what they become. */
#define LABEL_PID	   "pid"	  /* the resource: process.pid */
#define LABEL_COMM	   "comm"	  /* the resource: process.executable.name fallback */
#define LABEL_CONTAINER_ID "container_id" /* the resource: container.id */
#define LABEL_TID	   "thread"	  /* sample: thread.id */
#define LABEL_THREAD_NAME  "thread_name"  /* sample: thread.name */

/* --- strings --- */

static int str_idx(struct otlp_enc *e, const char *s, int32_t *ret)
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

int otlp_model_str_idx(struct otlp_enc *e, size_t idx, int32_t *ret)
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
	const struct attr_rec *a = &((struct otlp_enc *)ctx)->attrs[key];
	uint64_t h = mix((uint64_t)a->key, a->kind);

	if (a->kind == ATTR_INT)
		return mix(h, (uint64_t)a->ival);
	return mix(h, hash_bytes(a->sval, strlen(a->sval), 0));
}

static bool attr_equal(uintptr_t ka, uintptr_t kb, void *ctx)
{
	const struct attr_rec *a = &((struct otlp_enc *)ctx)->attrs[ka],
			      *b = &((struct otlp_enc *)ctx)->attrs[kb];

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
static int attr_idx(struct otlp_enc *e, const char *key, const char *sval, int64_t ival,
		    int32_t *ret)
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
	const struct mapping_rec *m = &((struct otlp_enc *)ctx)->mappings[key];

	return mix(mix(mix(mix(m->start, m->limit), m->offset), (uint64_t)m->filename),
		   (uint64_t)m->attr);
}

static bool mapping_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct otlp_enc *e = ctx;

	return !memcmp(&e->mappings[a], &e->mappings[b], sizeof(struct mapping_rec));
}

static int mapping_idx(struct otlp_enc *e, uint64_t id, int32_t *ret)
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
	err = otlp_model_str_idx(e, pm->filename, &m->filename);
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

static int function_idx(struct otlp_enc *e, uint64_t id, int32_t *ret)
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
	err = otlp_model_str_idx(e, pf->name, &f.name) ?: otlp_model_str_idx(e, pf->system_name, &f.system_name)
						       ?: otlp_model_str_idx(e, pf->filename, &f.filename);
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
	const struct otlp_enc *e = ctx;
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
	const struct otlp_enc *e = ctx;
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
static const char *frame_type(const struct otlp_enc *e, uint64_t mapping_id)
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

static int location_idx(struct otlp_enc *e, uint64_t id, int32_t *ret)
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
	const struct otlp_enc *e = ctx;
	const struct stack_rec *s = &e->stacks[key];
	uint64_t h = s->n;

	for (size_t i = 0; i < s->n; i++)
		h = mix(h, (uint64_t)e->stack_locs[s->off + i]);
	return h;
}

static bool stack_equal(uintptr_t ka, uintptr_t kb, void *ctx)
{
	const struct otlp_enc *e = ctx;
	const struct stack_rec *a = &e->stacks[ka], *b = &e->stacks[kb];

	return a->n == b->n &&
	       !memcmp(e->stack_locs + a->off, e->stack_locs + b->off, a->n * sizeof(int32_t));
}

/* The stack of model location ids (leaf first). An empty stack is the zero value, index 0. */
static int stack_idx(struct otlp_enc *e, const uint64_t *ids, size_t n, int32_t *ret)
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

static int sample_cmp_attrs(const struct otlp_enc *e, const struct sample_rec *a,
			    const struct sample_rec *b)
{
	return a->nr_attrs != b->nr_attrs ||
	       memcmp(e->sample_attrs + a->attr_off, e->sample_attrs + b->attr_off,
		      a->nr_attrs * sizeof(int32_t));
}

/* Sample maps live per resource; the resource is found through the key's high bits. */
struct sample_key_ctx {
	struct otlp_enc *e;
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

static int resource_for(struct otlp_enc *e, const struct profile_sample_rec *s,
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
static int sample_attrs(struct otlp_enc *e, const struct profile_sample_rec *s, uint32_t *ret_n)
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

static int add_sample(struct otlp_enc *e, size_t idx)
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

bool otlp_offcpu_type(const struct profile *p, size_t t)
{
	return !strcmp(profile_str(p, p->type_strs[2 * t]), PROFILE_OFFCPU_TYPE);
}

/* Sample types that get a Profile: each one, but for a plain sample count next to the type the
 * period is measured in (samples/count beside cpu/nanoseconds): OTLP keeps the unsampled value
 * and the period, from which the count follows. */
static int pick_types(struct otlp_enc *e)
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

/* --- the encoder --- */

static void enc_free(struct otlp_enc *e)
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
static int enc_init(struct otlp_enc *e)
{
	const struct profile *p = e->p;
	int err = 0;

	hashmap__init(&e->str_index, hashmap_hash_str, hashmap_equal_str, NULL);
	hashmap__init(&e->attr_index, attr_hash, attr_equal, e);
	hashmap__init(&e->mapping_index, mapping_hash, mapping_equal, e);
	hashmap__init(&e->location_index, location_hash, location_equal, e);
	hashmap__init(&e->stack_index, stack_hash, stack_equal, e);
	hashmap__init(&e->resource_index, hashmap_hash_int, hashmap_equal_int, NULL);
	e->model_str = otlp_alloc_n(p->nr_strs, sizeof(int32_t), &err);
	e->model_mapping = otlp_alloc_n(p->nr_mappings, sizeof(int32_t), &err);
	e->model_function = otlp_alloc_n(p->nr_functions, sizeof(int32_t), &err);
	e->model_location = otlp_alloc_n(p->nr_locations, sizeof(int32_t), &err);
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
	struct otlp_enc e = { .p = p, .opts = opts };
	int err;

	if (!p || !ret_buf || !ret_len || !opts_valid(opts))
		return -EINVAL;
	err = enc_init(&e);
	for (size_t i = 0; !err && i < p->nr_samples; i++)
		err = add_sample(&e, i);
	if (!err)
		err = otlp_pack(&e, ret_buf, ret_len);
	enc_free(&e);
	return err;
}
