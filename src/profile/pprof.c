// SPDX-License-Identifier: MIT
/* pprof protobuf encoder and decoder (protobuf-c). The model already has dense ids and one string
 * table, so encoding points the generated messages at the model's arrays; decoding validates every
 * index and renumbers ids, since other producers (Go's runtime/pprof included) need not be dense. */
#include <errno.h>
#include <stddef.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.pb-c.h"
#include "profile/profile_internal.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* --- encoder --- */

/* Every array the generated Profile points at; freed together once packed. */
struct encoder {
	pb_value_type *types, **type_ptrs, period_type;
	pb_mapping *mappings, **mapping_ptrs;
	pb_function *functions, **function_ptrs;
	pb_location *locations, **location_ptrs;
	pb_line *lines, **line_ptrs;
	pb_sample *samples, **sample_ptrs;
	pb_label *labels, **label_ptrs;
	int64_t *comments;
};

/* calloc of n items; n == 0 leaves *ret NULL, which protobuf-c accepts for empty arrays. */
static int alloc_items(void *ret, size_t n, size_t size)
{
	void *mem = NULL;

	if (n) {
		mem = calloc(n, size);
		if (!mem)
			return -ENOMEM;
	}
	*(void **)ret = mem;
	return 0;
}

#define ALLOC_PAIR(structs, ptrs, n)                      \
	(alloc_items(&(structs), (n), sizeof(*(structs))) \
		 ?: alloc_items(&(ptrs), (n), sizeof(*(ptrs))))

static void encoder_free(struct encoder *e)
{
	free(e->types);
	free(e->type_ptrs);
	free(e->mappings);
	free(e->mapping_ptrs);
	free(e->functions);
	free(e->function_ptrs);
	free(e->locations);
	free(e->location_ptrs);
	free(e->lines);
	free(e->line_ptrs);
	free(e->samples);
	free(e->sample_ptrs);
	free(e->labels);
	free(e->label_ptrs);
	free(e->comments);
}

static int encoder_alloc(struct encoder *e, const struct profile *p)
{
	return ALLOC_PAIR(e->types, e->type_ptrs, p->nr_types) ?:
	       ALLOC_PAIR(e->mappings, e->mapping_ptrs, p->nr_mappings) ?:
	       ALLOC_PAIR(e->functions, e->function_ptrs, p->nr_functions) ?:
	       ALLOC_PAIR(e->locations, e->location_ptrs, p->nr_locations) ?:
	       ALLOC_PAIR(e->lines, e->line_ptrs, p->nr_lines) ?:
	       ALLOC_PAIR(e->samples, e->sample_ptrs, p->nr_samples) ?:
	       ALLOC_PAIR(e->labels, e->label_ptrs, p->nr_sample_labels) ?:
	       alloc_items(&e->comments, p->nr_comments, sizeof(*e->comments));
}

static void encode_tables(struct encoder *e, const struct profile *p)
{
	for (size_t i = 0; i < p->nr_types; i++) {
		perftools__profiles__value_type__init(&e->types[i]);
		e->types[i].type = (int64_t)p->type_strs[2 * i];
		e->types[i].unit = (int64_t)p->type_strs[2 * i + 1];
		e->type_ptrs[i] = &e->types[i];
	}
	for (size_t i = 0; i < p->nr_mappings; i++) {
		const struct profile_mapping_rec *m = &p->mappings[i];
		pb_mapping *pm = &e->mappings[i];

		perftools__profiles__mapping__init(pm);
		pm->id = i + 1;
		pm->memory_start = m->memory_start;
		pm->memory_limit = m->memory_limit;
		pm->file_offset = m->file_offset;
		pm->filename = (int64_t)m->filename;
		pm->build_id = (int64_t)m->build_id;
		pm->has_functions = m->has_functions;
		pm->has_filenames = m->has_filenames;
		pm->has_line_numbers = m->has_line_numbers;
		pm->has_inline_frames = m->has_inline_frames;
		e->mapping_ptrs[i] = pm;
	}
	for (size_t i = 0; i < p->nr_functions; i++) {
		const struct profile_function_rec *f = &p->functions[i];
		pb_function *pf = &e->functions[i];

		perftools__profiles__function__init(pf);
		pf->id = i + 1;
		pf->name = (int64_t)f->name;
		pf->system_name = (int64_t)f->system_name;
		pf->filename = (int64_t)f->filename;
		pf->start_line = f->start_line;
		e->function_ptrs[i] = pf;
	}
	for (size_t i = 0; i < p->nr_lines; i++) {
		perftools__profiles__line__init(&e->lines[i]);
		e->lines[i].function_id = p->lines[i].function_id;
		e->lines[i].line = p->lines[i].line;
		e->line_ptrs[i] = &e->lines[i];
	}
	for (size_t i = 0; i < p->nr_locations; i++) {
		const struct profile_location_rec *l = &p->locations[i];
		pb_location *pl = &e->locations[i];

		perftools__profiles__location__init(pl);
		pl->id = i + 1;
		pl->mapping_id = l->mapping_id;
		pl->address = l->address;
		pl->n_line = l->nr_lines;
		pl->line = l->nr_lines ? e->line_ptrs + l->line_off : NULL;
		e->location_ptrs[i] = pl;
	}
	for (size_t i = 0; i < p->nr_comments; i++)
		e->comments[i] = (int64_t)p->comments[i];
}

static void encode_samples(struct encoder *e, const struct profile *p)
{
	for (size_t i = 0; i < p->nr_sample_labels; i++) {
		const struct profile_label_rec *l = &p->sample_labels[i];

		perftools__profiles__label__init(&e->labels[i]);
		e->labels[i].key = (int64_t)l->key;
		e->labels[i].str = (int64_t)l->str;
		e->labels[i].num = l->num;
		e->labels[i].num_unit = (int64_t)l->num_unit;
		e->label_ptrs[i] = &e->labels[i];
	}
	for (size_t i = 0; i < p->nr_samples; i++) {
		const struct profile_sample_rec *s = &p->samples[i];
		pb_sample *ps = &e->samples[i];

		perftools__profiles__sample__init(ps);
		/* protobuf-c only reads through these pointers when packing */
		ps->n_location_id = s->nr_locs;
		ps->location_id = s->nr_locs ? p->sample_locs + s->loc_off : NULL;
		ps->n_value = p->nr_types;
		ps->value = p->nr_types ? p->values + i * p->nr_types : NULL;
		ps->n_label = s->nr_labels;
		ps->label = s->nr_labels ? e->label_ptrs + s->label_off : NULL;
		e->sample_ptrs[i] = ps;
	}
}

int profile__encode_pprof(const struct profile *p, uint8_t **ret_buf, size_t *ret_len)
{
	pb_profile msg = PERFTOOLS__PROFILES__PROFILE__INIT;
	struct encoder e = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int err;

	if (!p || !ret_buf || !ret_len)
		return -EINVAL;
	err = encoder_alloc(&e, p);
	if (err)
		goto cleanup;
	encode_tables(&e, p);
	encode_samples(&e, p);

	msg.n_sample_type = p->nr_types;
	msg.sample_type = e.type_ptrs;
	msg.n_sample = p->nr_samples;
	msg.sample = e.sample_ptrs;
	msg.n_mapping = p->nr_mappings;
	msg.mapping = e.mapping_ptrs;
	msg.n_location = p->nr_locations;
	msg.location = e.location_ptrs;
	msg.n_function = p->nr_functions;
	msg.function = e.function_ptrs;
	msg.n_string_table = p->nr_strs;
	msg.string_table = p->strs;
	msg.time_nanos = p->time_nanos;
	msg.duration_nanos = p->duration_nanos;
	perftools__profiles__value_type__init(&e.period_type);
	e.period_type.type = (int64_t)p->period_type;
	e.period_type.unit = (int64_t)p->period_unit;
	/* a profile without a period type (one series of an --off-cpu profile) has none */
	msg.period_type = p->period_type || p->period_unit ? &e.period_type : NULL;
	msg.period = p->period;
	msg.n_comment = p->nr_comments;
	msg.comment = e.comments;
	msg.default_sample_type = (int64_t)p->default_type;

	len = perftools__profiles__profile__get_packed_size(&msg);
	buf = malloc(len ? len : 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (perftools__profiles__profile__pack(&msg, buf) != len) {
		err = -EIO;
		goto cleanup;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;

cleanup:
	free(buf);
	encoder_free(&e);
	return err;
}

/* --- decoder --- */

/* Old (file) id -> new dense id, for one of mapping/function/location. */
struct id_map {
	size_t n;
	uint64_t *old_ids;    /* by message index */
	uint64_t *new_ids;    /* by message index; filled as entries are added */
	bool dense;	      /* old ids are 1..n in order: no hash needed */
	struct hashmap index; /* (uintptr_t)&old id -> message index */
};

static uint64_t id_hash(uintptr_t key, void *ctx)
{
	(void)ctx;
	return hash_u64(*(const uint64_t *)key);
}

static bool id_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return *(const uint64_t *)a == *(const uint64_t *)b;
}

static void id_map_free(struct id_map *m)
{
	free(m->old_ids);
	free(m->new_ids);
	hashmap__clear(&m->index);
}

/* Index the ids of n messages (items[i] + id_off is each one's uint64_t id). Ids must be non-zero
 * and unique, what Go's CheckValid demands too. new_ids is left for the caller to fill. */
static int id_map_build(struct id_map *m, void *const *items, size_t n, size_t id_off)
{
	int err;

	*m = (struct id_map){ .n = n };
	hashmap__init(&m->index, id_hash, id_equal, NULL);
	if (!n)
		return 0;
	m->old_ids = calloc(n, sizeof(*m->old_ids));
	m->new_ids = calloc(n, sizeof(*m->new_ids));
	if (!m->old_ids || !m->new_ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(&m->old_ids[i], (const char *)items[i] + id_off, sizeof(uint64_t));

	m->dense = true;
	for (size_t i = 0; i < m->n; i++) {
		if (!m->old_ids[i])
			return -EINVAL;
		if (m->old_ids[i] != i + 1)
			m->dense = false;
	}
	if (m->dense)
		return 0;
	for (size_t i = 0; i < m->n; i++) {
		if (hashmap__find(&m->index, (uintptr_t)&m->old_ids[i], NULL))
			return -EINVAL;
		err = hashmap__set(&m->index, (uintptr_t)&m->old_ids[i], i);
		if (err)
			return err;
	}
	return 0;
}

/* New id for old, or 0 when unknown. */
static uint64_t id_map_find(const struct id_map *m, uint64_t old)
{
	uintptr_t i;

	if (m->dense)
		return old && old <= m->n ? m->new_ids[old - 1] : 0;
	if (!hashmap__find(&m->index, (uintptr_t)&old, &i))
		return 0;
	return m->new_ids[i];
}

struct decoder {
	const pb_profile *msg;
	struct profile *p;
	struct id_map mappings, functions, locations;
	struct profile_line *lines;
	size_t cap_lines;
	uint64_t *locs;
	size_t cap_locs;
	struct profile_label *labels;
	size_t cap_labels;
	int64_t zero_values[1];
};

/* String at a file string index; -EINVAL when out of range. */
static int dec_str(const struct decoder *d, int64_t idx, const char **ret)
{
	const char *s;

	if (idx < 0 || (uint64_t)idx >= d->msg->n_string_table)
		return -EINVAL;
	s = d->msg->string_table[idx];
	*ret = s ? s : "";
	return 0;
}

static int decode_header(struct decoder *d)
{
	const pb_profile *msg = d->msg;
	struct profile_value_type *types = NULL, period = { "", "" };
	const char *s;
	size_t idx;
	int err = 0;

	/* every reader rejects a missing table or a non-empty string 0 */
	if (!msg->n_string_table || !msg->string_table[0] || msg->string_table[0][0])
		return -EINVAL;
	if (!msg->n_sample_type && msg->n_sample)
		return -EINVAL;
	if (msg->n_sample_type) {
		types = calloc(msg->n_sample_type, sizeof(*types));
		if (!types)
			return -ENOMEM;
	}
	for (size_t i = 0; i < msg->n_sample_type && !err; i++) {
		err = dec_str(d, msg->sample_type[i]->type, &types[i].type);
		if (!err)
			err = dec_str(d, msg->sample_type[i]->unit, &types[i].unit);
	}
	if (!err && msg->period_type) {
		err = dec_str(d, msg->period_type->type, &period.type);
		if (!err)
			err = dec_str(d, msg->period_type->unit, &period.unit);
	}
	/* fields flamed does not keep are still checked, so a bad file is rejected as Go would */
	if (!err)
		err = dec_str(d, msg->drop_frames, &s);
	if (!err)
		err = dec_str(d, msg->keep_frames, &s);
	if (!err)
		err = dec_str(d, msg->doc_url, &s);
	if (err)
		goto cleanup;

	d->p = profile__new(types, msg->n_sample_type, period, msg->period);
	if (!d->p) {
		err = -errno;
		goto cleanup;
	}
	profile__set_time(d->p, msg->time_nanos, msg->duration_nanos);
	/* kept even if it names no sample type: it is the producer's choice, not ours to judge */
	err = dec_str(d, msg->default_sample_type, &s);
	if (!err)
		err = profile_intern(d->p, s, &idx);
	if (err)
		goto cleanup;
	d->p->default_type = idx;
	for (size_t i = 0; i < msg->n_comment && !err; i++) {
		err = dec_str(d, msg->comment[i], &s);
		if (!err)
			err = profile__add_comment(d->p, s);
	}

cleanup:
	free(types);
	return err;
}

static int decode_mappings(struct decoder *d)
{
	const pb_profile *msg = d->msg;
	int err;

	err = id_map_build(&d->mappings, (void *const *)msg->mapping, msg->n_mapping,
			   offsetof(pb_mapping, id));
	if (err)
		return err;
	for (size_t i = 0; i < msg->n_mapping; i++) {
		const pb_mapping *pm = msg->mapping[i];
		struct profile_mapping m = {
			.memory_start = pm->memory_start,
			.memory_limit = pm->memory_limit,
			.file_offset = pm->file_offset,
			.has_functions = pm->has_functions,
			.has_filenames = pm->has_filenames,
			.has_line_numbers = pm->has_line_numbers,
			.has_inline_frames = pm->has_inline_frames,
		};

		err = dec_str(d, pm->filename, &m.filename);
		if (!err)
			err = dec_str(d, pm->build_id, &m.build_id);
		if (err)
			return err;
		if (!m.build_id[0])
			m.build_id = NULL;
		d->mappings.new_ids[i] = profile__add_mapping(d->p, &m);
		if (!d->mappings.new_ids[i])
			return -errno;
	}
	return 0;
}

static int decode_functions(struct decoder *d)
{
	const pb_profile *msg = d->msg;
	int err;

	err = id_map_build(&d->functions, (void *const *)msg->function, msg->n_function,
			   offsetof(pb_function, id));
	if (err)
		return err;
	for (size_t i = 0; i < msg->n_function; i++) {
		const pb_function *pf = msg->function[i];
		const char *name, *system_name, *filename;

		err = dec_str(d, pf->name, &name);
		if (!err)
			err = dec_str(d, pf->system_name, &system_name);
		if (!err)
			err = dec_str(d, pf->filename, &filename);
		if (err)
			return err;
		/* identical functions collapse into one id: harmless, readers key on content */
		d->functions.new_ids[i] =
			profile__intern_function(d->p, name, system_name, filename, pf->start_line);
		if (!d->functions.new_ids[i])
			return -errno;
	}
	return 0;
}

static int decode_locations(struct decoder *d)
{
	const pb_profile *msg = d->msg;
	int err;

	err = id_map_build(&d->locations, (void *const *)msg->location, msg->n_location,
			   offsetof(pb_location, id));
	if (err)
		return err;
	for (size_t i = 0; i < msg->n_location; i++) {
		const pb_location *pl = msg->location[i];
		uint64_t mapping_id = 0;

		err = array_grow((void **)&d->lines, &d->cap_lines, pl->n_line, sizeof(*d->lines));
		if (err)
			return err;
		for (size_t j = 0; j < pl->n_line; j++) {
			uint64_t fid = pl->line[j]->function_id;

			d->lines[j].function_id = fid ? id_map_find(&d->functions, fid) : 0;
			if (fid && !d->lines[j].function_id)
				return -EINVAL;
			d->lines[j].line = pl->line[j]->line;
		}
		/* an unknown mapping is tolerated as "no mapping", as go tool pprof does */
		if (pl->mapping_id)
			mapping_id = id_map_find(&d->mappings, pl->mapping_id);
		d->locations.new_ids[i] =
			profile__add_location(d->p, mapping_id, pl->address, d->lines, pl->n_line);
		if (!d->locations.new_ids[i])
			return -errno;
	}
	return 0;
}

static int decode_samples(struct decoder *d)
{
	const pb_profile *msg = d->msg;
	int err;

	for (size_t i = 0; i < msg->n_sample; i++) {
		const pb_sample *ps = msg->sample[i];
		size_t depth = 0;

		if (ps->n_value != msg->n_sample_type)
			return -EINVAL;
		err = array_grow((void **)&d->locs, &d->cap_locs, ps->n_location_id,
				 sizeof(*d->locs));
		if (!err)
			err = array_grow((void **)&d->labels, &d->cap_labels, ps->n_label,
					 sizeof(*d->labels));
		if (err)
			return err;
		for (size_t j = 0; j < ps->n_location_id; j++) {
			const struct profile_location_rec *loc;

			d->locs[j] = id_map_find(&d->locations, ps->location_id[j]);
			if (!d->locs[j])
				return -EINVAL;
			/* locations are shared, so a few bytes can name a huge expanded stack */
			loc = &d->p->locations[d->locs[j] - 1];
			depth += loc->nr_lines ? loc->nr_lines : 1;
			if (depth > PROFILE_MAX_DECODED_FRAMES)
				return -E2BIG;
		}
		for (size_t j = 0; j < ps->n_label; j++) {
			const pb_label *pl = ps->label[j];
			struct profile_label *l = &d->labels[j];

			*l = (struct profile_label){ .num = pl->num };
			err = dec_str(d, pl->key, &l->key);
			if (!err && pl->str)
				err = dec_str(d, pl->str, &l->str);
			if (!err && pl->num_unit)
				err = dec_str(d, pl->num_unit, &l->num_unit);
			if (err)
				return err;
		}
		err = profile__add_sample(d->p, d->locs, ps->n_location_id,
					  ps->n_value ? ps->value : d->zero_values, d->labels,
					  ps->n_label);
		if (err)
			return err;
	}
	return 0;
}

/* protobuf-c allocator that refuses past a byte budget: every repeated field costs a struct of up
 * to ~100 bytes per 2 bytes on the wire, so without it a small file of empty messages unpacks into
 * gigabytes. Blocks are counted at their usable size, so that frees give back what they took. */
struct budget {
	size_t used, limit;
	bool exceeded;
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	void *mem = size <= b->limit - b->used ? malloc(size) : NULL;
	size_t usable = mem ? malloc_usable_size(mem) : size;

	if (usable > b->limit - b->used) {
		free(mem);
		b->exceeded = true;
		return NULL;
	}
	if (mem)
		b->used += usable;
	return mem;
}

static void budget_free(void *data, void *ptr)
{
	struct budget *b = data;

	b->used -= malloc_usable_size(ptr); /* 0 for NULL */
	free(ptr);
}

int profile__decode_pprof(const uint8_t *buf, size_t len, struct profile **ret_profile)
{
	return profile__decode_pprof_limit(buf, len, SIZE_MAX, ret_profile);
}

int profile__decode_pprof_limit(const uint8_t *buf, size_t len, size_t max_bytes,
				struct profile **ret_profile)
{
	struct budget budget = { .limit = max_bytes };
	ProtobufCAllocator alloc = { budget_alloc, budget_free, &budget };
	struct decoder d = { 0 };
	pb_profile *msg;
	int err;

	if ((!buf && len) || !ret_profile)
		return -EINVAL;
	msg = perftools__profiles__profile__unpack(&alloc, len, buf);
	if (!msg && budget.exceeded)
		return -EFBIG;
	/* protobuf-c cannot tell malformed input from ENOMEM; malformed is far likelier */
	if (!msg)
		return -EINVAL;
	d.msg = msg;
	err = decode_header(&d);
	if (!err)
		err = decode_mappings(&d);
	if (!err)
		err = decode_functions(&d);
	if (!err)
		err = decode_locations(&d);
	if (!err)
		err = decode_samples(&d);
	if (!err) {
		*ret_profile = d.p;
		d.p = NULL;
	}

	profile__free(d.p);
	id_map_free(&d.mappings);
	id_map_free(&d.functions);
	id_map_free(&d.locations);
	free(d.lines);
	free(d.locs);
	free(d.labels);
	perftools__profiles__profile__free_unpacked(msg, &alloc);
	return err;
}
