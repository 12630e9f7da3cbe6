// SPDX-License-Identifier: MIT
/* Process records of a profile (profile__set_process): what the builder knows of each process
 * beyond its samples' labels, for the OTLP encoder's resources. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile_internal.h"
#include "util/utf8.h"

/* A UTF-8 copy of s (bad bytes as U+FFFD); NULL stays NULL. -ENOMEM or 0. */
static int dup_utf8(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = utf8_valid(s) ? strdup(s) : utf8_sanitize(s);
	return *ret ? 0 : -ENOMEM;
}

static void process_rec_free(struct profile_process_rec *r)
{
	free(r->executable_path);
	free(r->container_id);
	for (size_t i = 0; i < r->nr_attrs; i++) {
		free((char *)r->attrs[i].key);
		free((char *)r->attrs[i].value);
	}
	free(r->attrs);
}

int profile__set_process(struct profile *p, uint32_t pid, const struct profile_process *proc)
{
	struct profile_process_rec r = { .pid = pid };
	int err;

	if (!p || !proc || proc->nr_attrs > PROFILE_MAX_PROCESS_ATTRS ||
	    (proc->nr_attrs && !proc->attrs))
		return -EINVAL;
	for (size_t i = 0; i < proc->nr_attrs; i++)
		if (!proc->attrs[i].key || !proc->attrs[i].value)
			return -EINVAL;
	if (hashmap__find(&p->process_index, pid, NULL))
		return 0;
	err = GROW(p->processes, p->cap_processes, p->nr_processes + 1);
	if (err)
		return err;
	err = dup_utf8(proc->executable_path, &r.executable_path);
	if (!err)
		err = dup_utf8(proc->container_id, &r.container_id);
	if (!err && proc->nr_attrs) {
		r.attrs = calloc(proc->nr_attrs, sizeof(*r.attrs));
		err = r.attrs ? 0 : -ENOMEM;
	}
	for (size_t i = 0; !err && i < proc->nr_attrs; i++) {
		char *k, *v = NULL;

		err = dup_utf8(proc->attrs[i].key, &k);
		if (!err) {
			err = dup_utf8(proc->attrs[i].value, &v);
			r.attrs[r.nr_attrs++] = (struct profile_attr){ k, v };
		}
	}
	if (!err)
		err = hashmap__set(&p->process_index, pid, p->nr_processes + 1);
	if (err) {
		process_rec_free(&r);
		return err;
	}
	p->processes[p->nr_processes++] = r;
	return 0;
}

int profile__process(const struct profile *p, uint32_t pid, struct profile_process *ret_proc)
{
	const struct profile_process_rec *r;
	uintptr_t idx;

	if (!p || !hashmap__find(&p->process_index, pid, &idx))
		return -ENOENT;
	r = &p->processes[idx - 1];
	*ret_proc = (struct profile_process){
		.executable_path = r->executable_path,
		.container_id = r->container_id,
		.attrs = r->attrs,
		.nr_attrs = r->nr_attrs,
	};
	return 0;
}

void profile_processes_free(struct profile *p)
{
	for (size_t i = 0; i < p->nr_processes; i++)
		process_rec_free(&p->processes[i]);
	free(p->processes);
	hashmap__clear(&p->process_index);
}
