// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "k8s/pod_list.h"
#include "util/arena.h"

#define JSON_DEPTH 64 /* a PodList nests about 10 deep; managedFields a little more */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9] at both ends, [A-Za-z0-9._-] between, at most max characters (0 allowed when
 * empty_ok). */
static bool valid_name(const char *s, size_t len, size_t max, bool empty_ok)
{
	if (!len)
		return empty_ok;
	if (len > max || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* DNS subdomain (RFC 1123, as Kubernetes checks names): [a-z0-9] at both ends, [a-z0-9.-] */
static bool valid_dns(const char *s, size_t len, size_t max)
{
	if (!len || len > max || s[0] == '.' || s[0] == '-' || s[len - 1] == '.' ||
	    s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-'))
			return false;
	return true;
}

bool k8s_valid_label_value(const char *s, size_t len)
{
	return valid_name(s, len, K8S_LABEL_MAX, true);
}

bool k8s_valid_label_key(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);

	if (!slash)
		return valid_name(s, len, K8S_LABEL_MAX, false);
	return valid_dns(s, (size_t)(slash - s), K8S_NAME_MAX) &&
	       valid_name(slash + 1, len - (size_t)(slash - s) - 1, K8S_LABEL_MAX, false);
}

/* A string member of obj, with its length; NULL when absent, not a string, or holding a NUL. */
static const char *get_str(struct json_object *obj, const char *key, size_t *ret_len)
{
	struct json_object *v;
	const char *s;
	int len;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (!s || len < 0 || strlen(s) != (size_t)len)
		return NULL;
	*ret_len = (size_t)len;
	return s;
}

static struct json_object *get_type(struct json_object *obj, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* The 64-hex id of a containerID "<runtime>://<id>" (containerd, cri-o, docker) into id, or "". */
static void runtime_id(const char *s, size_t len, char *id)
{
	const char *sep = len > 3 ? memmem(s, len, "://", 3) : NULL;
	const char *p = sep ? sep + 3 : NULL;

	id[0] = 0;
	if (!p || (size_t)(s + len - p) != CGROUP_CONTAINER_ID_LEN)
		return;
	for (size_t i = 0; i < CGROUP_CONTAINER_ID_LEN; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			id[0] = 0;
			return;
		}
		id[i] = c;
	}
	id[CGROUP_CONTAINER_ID_LEN] = 0;
}

/* s in lowercase, in place (uids: a cgroup names a pod by its uid in lowercase). */
static char *lower(char *s)
{
	for (char *c = s; c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return s;
}

struct parse {
	struct pod_list *l;
	const char *const *keys;
	size_t nr_keys;
};

/* The containers of one status array ("containerStatuses", ...) appended to pod. -EINVAL when
 * one breaks a rule, -ENOMEM. */
static int add_statuses(struct parse *ps, struct k8s_pod *pod, struct json_object *statuses)
{
	size_t n = statuses ? json_object_array_length(statuses) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *st = json_object_array_get_idx(statuses, i);
		struct k8s_container *c;
		const char *name, *cid;
		size_t name_len, cid_len;

		if (!json_object_is_type(st, json_type_object))
			return -EINVAL;
		name = get_str(st, "name", &name_len);
		if (!name || !valid_dns(name, name_len, K8S_LABEL_MAX))
			return -EINVAL;
		if (pod->nr_containers == K8S_MAX_CONTAINERS) {
			ps->l->truncated++;
			return 0;
		}
		c = &pod->containers[pod->nr_containers];
		c->name = arena__strndup(ps->l->arena, name, name_len);
		if (!c->name)
			return -ENOMEM;
		cid = get_str(st, "containerID", &cid_len);
		if (cid)
			runtime_id(cid, cid_len, c->id);
		pod->nr_containers++;
	}
	return 0;
}

/* One item of the list into pod. -EINVAL when it breaks a rule (skipped), -ENOMEM. */
static int parse_pod(struct parse *ps, struct json_object *item, struct k8s_pod *pod)
{
	static const char *const status_keys[] = { "initContainerStatuses", "containerStatuses",
						   "ephemeralContainerStatuses" };
	struct arena *a = ps->l->arena;
	struct json_object *meta, *spec, *status, *labels;
	const char *uid, *ns, *name, *node = "";
	size_t uid_len, ns_len, name_len, node_len = 0, nr = 0;
	int err;

	meta = get_type(item, "metadata", json_type_object);
	if (!meta)
		return -EINVAL;
	uid = get_str(meta, "uid", &uid_len);
	ns = get_str(meta, "namespace", &ns_len);
	name = get_str(meta, "name", &name_len);
	if (!uid || !ns || !name || !uid_len || uid_len > K8S_UID_MAX ||
	    strspn(uid, "0123456789abcdefABCDEF-") != uid_len ||
	    !valid_dns(ns, ns_len, K8S_LABEL_MAX) || !valid_dns(name, name_len, K8S_NAME_MAX))
		return -EINVAL;
	spec = get_type(item, "spec", json_type_object);
	if (spec && get_type(spec, "nodeName", json_type_string)) {
		node = get_str(spec, "nodeName", &node_len);
		if (!node || !valid_dns(node, node_len, K8S_NAME_MAX))
			return -EINVAL;
	}
	pod->uid = lower(arena__strndup(a, uid, uid_len));
	pod->namespace = arena__strndup(a, ns, ns_len);
	pod->name = arena__strndup(a, name, name_len);
	pod->node = arena__strndup(a, node, node_len);
	pod->values = ps->nr_keys ? arena__alloc(a, ps->nr_keys * sizeof(*pod->values)) : NULL;
	status = get_type(item, "status", json_type_object);
	for (size_t i = 0; status && i < sizeof(status_keys) / sizeof(status_keys[0]); i++) {
		struct json_object *arr = get_type(status, status_keys[i], json_type_array);

		nr += arr ? json_object_array_length(arr) : 0;
	}
	nr = nr < K8S_MAX_CONTAINERS ? nr : K8S_MAX_CONTAINERS;
	pod->containers = nr ? arena__alloc(a, nr * sizeof(*pod->containers)) : NULL;
	if (!pod->uid || !pod->namespace || !pod->name || !pod->node ||
	    (ps->nr_keys && !pod->values) || (nr && !pod->containers))
		return -ENOMEM;
	labels = get_type(meta, "labels", json_type_object);
	for (size_t k = 0; labels && k < ps->nr_keys; k++) {
		size_t len;
		const char *v = get_str(labels, ps->keys[k], &len);

		if (!v)
			continue;
		if (!k8s_valid_label_value(v, len)) {
			ps->l->bad_labels++;
			continue;
		}
		pod->values[k] = arena__strndup(a, v, len);
		if (!pod->values[k])
			return -ENOMEM;
	}
	for (size_t i = 0; status && i < sizeof(status_keys) / sizeof(status_keys[0]); i++) {
		err = add_statuses(ps, pod, get_type(status, status_keys[i], json_type_array));
		if (err)
			return err;
	}
	return 0;
}

static int parse_items(struct parse *ps, struct json_object *root)
{
	struct json_object *items = get_type(root, "items", json_type_array);
	struct pod_list *l = ps->l;
	size_t n;
	int err;

	if (!items)
		return -EINVAL;
	n = json_object_array_length(items);
	if (n > K8S_MAX_PODS) {
		l->truncated += n - K8S_MAX_PODS;
		n = K8S_MAX_PODS;
	}
	l->pods = n ? arena__alloc(l->arena, n * sizeof(*l->pods)) : NULL;
	if (n && !l->pods)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(items, i);
		struct k8s_pod *pod = &l->pods[l->nr];

		if (!json_object_is_type(item, json_type_object)) {
			l->skipped++;
			continue;
		}
		err = parse_pod(ps, item, pod);
		if (err == -ENOMEM)
			return err;
		if (err) {
			/* its strings stay in the arena until the list is freed: bounded by the
			 * answer's size */
			memset(pod, 0, sizeof(*pod));
			l->skipped++;
			continue;
		}
		l->nr++;
	}
	return 0;
}

int pod_list__parse(const char *text, size_t len, const char *const *keys, size_t nr_keys,
		    struct pod_list **ret_list)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *kind;
	struct parse ps = { .nr_keys = nr_keys };
	const char **copy = NULL;
	size_t end;
	int err;

	if (len > INT_MAX)
		return -E2BIG;
	if (nr_keys > K8S_MAX_KEYS)
		return -EINVAL;
	ps.l = calloc(1, sizeof(*ps.l));
	if (!ps.l || !(ps.l->arena = arena__new())) {
		err = -ENOMEM;
		goto cleanup;
	}
	copy = nr_keys ? arena__alloc(ps.l->arena, nr_keys * sizeof(*copy)) : NULL;
	for (size_t i = 0; i < nr_keys; i++) {
		copy[i] = copy ? arena__strndup(ps.l->arena, keys[i], strlen(keys[i])) : NULL;
		if (!copy[i]) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	ps.keys = copy;
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok) {
		err = -ENOMEM;
		goto cleanup;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	/* the whole text is the document (and white space after it): an unfinished one
	 * (json_tokener_continue) is as bad as an error */
	end = root ? json_tokener_get_parse_end(tok) : 0;
	while (end < len && text[end] && strchr(" \t\r\n", text[end]))
		end++;
	if (!root || json_tokener_get_error(tok) != json_tokener_success || end != len ||
	    !json_object_is_type(root, json_type_object)) {
		err = -EINVAL;
		goto cleanup;
	}
	kind = get_type(root, "kind", json_type_string);
	if (kind && strcmp(json_object_get_string(kind), "PodList")) {
		err = -EINVAL;
		goto cleanup;
	}
	err = parse_items(&ps, root);
cleanup:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	if (err) {
		pod_list__free(ps.l);
		return err;
	}
	*ret_list = ps.l;
	return 0;
}

bool k8s_selector__match(const struct k8s_selector *sel, const struct k8s_pod *pod)
{
	bool ns = !sel->nr_namespaces;

	for (size_t i = 0; i < sel->nr_namespaces && !ns; i++)
		ns = !strcmp(sel->namespaces[i], pod->namespace);
	if (!ns)
		return false;
	for (size_t i = 0; i < sel->nr; i++) {
		const char *v = pod->values ? pod->values[sel->keys[i]] : NULL;

		if (!v || strcmp(v, sel->values[i]))
			return false;
	}
	return true;
}

size_t pod_list__bytes(const struct pod_list *l)
{
	return l ? sizeof(*l) + arena__bytes(l->arena) : 0;
}

void pod_list__free(struct pod_list *l)
{
	if (!l)
		return;
	arena__free(l->arena);
	free(l);
}
