// SPDX-License-Identifier: MIT
/* The OTLP encoder's tables (otlp.c) as an ExportProfilesServiceRequest: the ProfilesDictionary,
 * one ResourceProfiles per process with its resource attributes, one Profile per sample type,
 * then the message's bytes. The generated structs point into the tables; nothing is copied. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb-c.h"
#include "profile/otlp_internal.h"

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
static int pack_dictionary(struct otlp_enc *e, struct pack *k)
{
	int err = 0;

	k->mappings = otlp_alloc_n(e->nr_mappings, sizeof(*k->mappings), &err);
	k->mapping_ptrs = otlp_alloc_n(e->nr_mappings, sizeof(*k->mapping_ptrs), &err);
	k->locations = otlp_alloc_n(e->nr_locations, sizeof(*k->locations), &err);
	k->location_ptrs = otlp_alloc_n(e->nr_locations, sizeof(*k->location_ptrs), &err);
	k->lines = otlp_alloc_n(e->nr_lines, sizeof(*k->lines), &err);
	k->line_ptrs = otlp_alloc_n(e->nr_lines, sizeof(*k->line_ptrs), &err);
	k->loc_attr_storage = otlp_alloc_n(e->nr_locations + e->nr_mappings, sizeof(int32_t), &err);
	k->functions = otlp_alloc_n(e->nr_functions, sizeof(*k->functions), &err);
	k->function_ptrs = otlp_alloc_n(e->nr_functions, sizeof(*k->function_ptrs), &err);
	k->kvus = otlp_alloc_n(e->nr_attrs, sizeof(*k->kvus), &err);
	k->kvu_ptrs = otlp_alloc_n(e->nr_attrs, sizeof(*k->kvu_ptrs), &err);
	k->kvu_values = otlp_alloc_n(e->nr_attrs, sizeof(*k->kvu_values), &err);
	k->stacks = otlp_alloc_n(e->nr_stacks, sizeof(*k->stacks), &err);
	k->stack_ptrs = otlp_alloc_n(e->nr_stacks, sizeof(*k->stack_ptrs), &err);
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

static size_t pack_resource_attrs(const struct otlp_enc *e, struct pack *k, size_t r_idx,
				  size_t kv_off, const char *exe_name)
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
static const char *exe_name_of(const struct otlp_enc *e, const struct resource_rec *r)
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

static int pack_resources(struct otlp_enc *e, struct pack *k)
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
	k->rps = otlp_alloc_n(nr_r, sizeof(*k->rps), &err);
	k->rp_ptrs = otlp_alloc_n(nr_r, sizeof(*k->rp_ptrs), &err);
	k->sps = otlp_alloc_n(nr_r, sizeof(*k->sps), &err);
	k->sp_ptrs = otlp_alloc_n(nr_r, sizeof(*k->sp_ptrs), &err);
	k->resources = otlp_alloc_n(nr_r, sizeof(*k->resources), &err);
	k->kvs = otlp_alloc_n(nr_kv, sizeof(*k->kvs), &err);
	k->kv_ptrs = otlp_alloc_n(nr_kv, sizeof(*k->kv_ptrs), &err);
	k->kv_values = otlp_alloc_n(nr_kv, sizeof(*k->kv_values), &err);
	k->profiles = otlp_alloc_n(nr_prof, sizeof(*k->profiles), &err);
	k->profile_ptrs = otlp_alloc_n(nr_prof, sizeof(*k->profile_ptrs), &err);
	k->vts = otlp_alloc_n(nr_prof * 2, sizeof(*k->vts), &err);
	k->samples = otlp_alloc_n(nr_s, sizeof(*k->samples), &err);
	k->sample_ptrs = otlp_alloc_n(nr_s, sizeof(*k->sample_ptrs), &err);
	k->profile_ids = otlp_alloc_n(nr_prof, PROFILE_ID_LEN, &err);
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
			err = otlp_model_str_idx(e, p->type_strs[2 * mt], &st->type_strindex) ?:
			      otlp_model_str_idx(e, p->type_strs[2 * mt + 1], &st->unit_strindex) ?:
			      otlp_model_str_idx(e, p->period_type, &pt->type_strindex) ?:
			      otlp_model_str_idx(e, p->period_unit, &pt->unit_strindex);
			if (err)
				return err;
			pp->sample_type = st;
			/* off-CPU time is a sum of weighted waits, not of samples of the period */
			if ((p->period_type || p->period_unit) && !otlp_offcpu_type(p, mt)) {
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

int otlp_pack(struct otlp_enc *e, uint8_t **ret_buf, size_t *ret_len)
{
	pb_request msg =
		OPENTELEMETRY__PROTO__COLLECTOR__PROFILES__V1DEVELOPMENT__EXPORT_PROFILES_SERVICE_REQUEST__INIT;
	struct pack k = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int err;

	/* the profiles' own strings (sample and period types) go in before the tables are packed */
	err = pack_resources(e, &k);
	if (!err)
		err = pack_dictionary(e, &k);
	if (err)
		goto cleanup;
	msg.n_resource_profiles = e->nr_resources;
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
	return err;
}
