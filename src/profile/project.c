// SPDX-License-Identifier: MIT
/* profile__project: one series of a profile that holds several sample types (CPU and off-CPU
 * time), for servers that file each sample type under the series' name. */
#include <errno.h>
#include <stdlib.h>

#include "profile/profile_internal.h"

/* Everything but the samples, with the same ids: mappings, functions and locations are added in
 * their order (ids are dense and follow it), so every sample's location ids stay valid. */
static int copy_tables(const struct profile *p, struct profile *q)
{
	struct profile_line *lines = NULL;
	uint64_t *fmap = NULL; /* p's function id -> q's */
	size_t cap_lines = 0;

	for (size_t i = 0; i < p->nr_mappings; i++) {
		const struct profile_mapping_rec *m = &p->mappings[i];
		struct profile_mapping pm = {
			.memory_start = m->memory_start,
			.memory_limit = m->memory_limit,
			.file_offset = m->file_offset,
			.filename = profile_str(p, m->filename),
			.build_id = m->build_id ? profile_str(p, m->build_id) : NULL,
			.has_functions = m->has_functions,
			.has_filenames = m->has_filenames,
			.has_line_numbers = m->has_line_numbers,
			.has_inline_frames = m->has_inline_frames,
		};

		if (profile__add_mapping(q, &pm) != i + 1)
			goto nomem;
	}
	/* functions are interned: two of p that are alike (a decoded file's) become one of q */
	fmap = calloc(p->nr_functions + 1, sizeof(*fmap));
	if (!fmap)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_functions; i++) {
		const struct profile_function_rec *f = &p->functions[i];

		fmap[i + 1] = profile__intern_function(q, profile_str(p, f->name),
						       profile_str(p, f->system_name),
						       profile_str(p, f->filename), f->start_line);
		if (!fmap[i + 1])
			goto nomem;
	}
	for (size_t i = 0; i < p->nr_locations; i++) {
		const struct profile_location_rec *l = &p->locations[i];
		uintptr_t name;

		if (l->nr_lines > cap_lines) {
			struct profile_line *grown =
				reallocarray(lines, l->nr_lines, sizeof(*lines));

			if (!grown)
				goto nomem;
			lines = grown;
			cap_lines = l->nr_lines;
		}
		for (size_t j = 0; j < l->nr_lines; j++) {
			lines[j] = p->lines[l->line_off + j];
			lines[j].function_id = lines[j].function_id <= p->nr_functions
						       ? fmap[lines[j].function_id]
						       : 0;
		}
		if (profile__add_location(q, l->mapping_id, l->address, lines, l->nr_lines) !=
		    i + 1)
			goto nomem;
		if (hashmap__find(&p->loc_display, i + 1, &name) &&
		    profile__set_location_name(q, i + 1, (const char *)name))
			goto nomem;
	}
	free(fmap);
	free(lines);
	for (size_t i = 0; i < p->nr_comments; i++)
		if (profile__add_comment(q, profile_str(p, p->comments[i])))
			return -ENOMEM;
	for (size_t i = 0; i < p->nr_processes; i++) {
		const struct profile_process_rec *r = &p->processes[i];
		struct profile_process proc = {
			.executable_path = r->executable_path,
			.container_id = r->container_id,
			.attrs = r->attrs,
			.nr_attrs = r->nr_attrs,
		};
		int err = profile__set_process(q, r->pid, &proc);

		if (err)
			return err;
	}
	q->time_nanos = p->time_nanos;
	q->duration_nanos = p->duration_nanos;
	return 0;
nomem:
	free(fmap);
	free(lines);
	return -ENOMEM;
}

/* Sample i's labels as profile_label (strings borrowed from p) into out (at least nr_labels). */
static void sample_labels(const struct profile *p, const struct profile_sample_rec *s,
			  struct profile_label *out)
{
	for (uint32_t j = 0; j < s->nr_labels; j++) {
		const struct profile_label_rec *l = &p->sample_labels[s->label_off + j];

		out[j] = (struct profile_label){
			.key = profile_str(p, l->key),
			.str = l->str ? profile_str(p, l->str) : NULL,
			.num = l->num,
			.num_unit = l->num_unit ? profile_str(p, l->num_unit) : NULL,
		};
	}
}

static int copy_samples(const struct profile *p, struct profile *q, const size_t *idx, size_t nr)
{
	struct profile_label *labels = NULL;
	size_t cap = 0;
	int64_t *values;
	int err = 0;

	values = calloc(nr ? nr : 1, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_samples && !err; i++) {
		const struct profile_sample_rec *s = &p->samples[i];
		bool any = false;

		for (size_t k = 0; k < nr; k++) {
			values[k] = p->values[i * p->nr_types + idx[k]];
			any |= values[k] != 0;
		}
		if (!any)
			continue;
		if (s->nr_labels > cap) {
			struct profile_label *grown =
				reallocarray(labels, s->nr_labels, sizeof(*grown));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			labels = grown;
			cap = s->nr_labels;
		}
		sample_labels(p, s, labels);
		err = profile__add_sample(q, p->sample_locs + s->loc_off, s->nr_locs, values,
					  labels, s->nr_labels);
	}
	free(labels);
	free(values);
	return err;
}

int profile__project(const struct profile *p, const size_t *idx,
		     const struct profile_value_type *as, size_t nr,
		     struct profile_value_type period_type, int64_t period,
		     struct profile **ret_profile)
{
	struct profile_value_type *types = NULL;
	struct profile *q = NULL;
	int err;

	if (!p || !ret_profile || !nr || !idx)
		return -EINVAL;
	types = calloc(nr, sizeof(*types));
	if (!types)
		return -ENOMEM;
	for (size_t k = 0; k < nr; k++) {
		if (idx[k] >= p->nr_types) {
			err = -EINVAL;
			goto cleanup;
		}
		types[k] = as ? as[k]
			      : (struct profile_value_type){
					profile_str(p, p->type_strs[2 * idx[k]]),
					profile_str(p, p->type_strs[2 * idx[k] + 1]),
				};
	}
	q = profile__new(types, nr, period_type, period);
	if (!q) {
		err = -errno;
		goto cleanup;
	}
	/* the default type when it is one of those kept */
	if (p->default_type)
		(void)profile__set_default_sample_type(q, profile_str(p, p->default_type));
	err = copy_tables(p, q);
	if (!err)
		err = copy_samples(p, q, idx, nr);
	if (err)
		goto cleanup;
	*ret_profile = q;
	q = NULL;
cleanup:
	profile__free(q);
	free(types);
	return err;
}
