/* SPDX-License-Identifier: MIT */
/* A kubelet's pod list (GET /pods: a Kubernetes PodList, JSON) reduced to what flamed uses: per
 * pod its uid, namespace, name and node, the values of the labels asked for, and per container
 * its name and the runtime's id (what the container's cgroup is named after, proc/cgroup.h).
 * Pure parser of outside input, through json-c: names and labels are chosen by whoever may
 * create pods, so every string is bounded and checked against the rule Kubernetes itself
 * enforces, and a pod that breaks one is skipped (counted), never half kept. */
#ifndef FLAMED_POD_LIST_H
#define FLAMED_POD_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/cgroup.h"

#define K8S_MAX_PODS	   5000 /* pods kept from one list (a kubelet runs a few hundred) */
#define K8S_MAX_CONTAINERS 64	/* containers kept per pod: init and ephemeral ones included */
#define K8S_MAX_KEYS	   32	/* label keys a list keeps the values of */
#define K8S_NAME_MAX	   253	/* DNS subdomain: pod and node names */
#define K8S_LABEL_MAX	   63	/* DNS label: namespaces, container names; label values */
#define K8S_KEY_MAX	   317	/* a label key: prefix (253) '/' name (63) */
#define K8S_UID_MAX	   64	/* API-server uids are 36 characters, static pods' 32 */

struct k8s_container {
	const char *name;
	char id[CGROUP_CONTAINER_ID_LEN + 1]; /* runtime id, lowercase hex; "" = none yet */
};

struct k8s_pod {
	const char *uid; /* lowercase */
	const char *namespace;
	const char *name;
	const char *node; /* spec.nodeName; "" when unset */
	/* per key of pod_list__parse's keys, in that order: the label's value, or NULL when the
	 * pod has no such label (or an invalid value) */
	const char **values;
	struct k8s_container *containers;
	size_t nr_containers;
	/* the pod's cgroup v2 directory, when found (pod_cgroups__attach); id 0 = not found */
	uint64_t cgroup_id;
	unsigned int cgroup_level;
};

struct pod_list {
	struct k8s_pod *pods;
	size_t nr;
	size_t skipped;	     /* items that broke a rule: not kept */
	size_t truncated;    /* items beyond K8S_MAX_PODS, or containers beyond the per-pod cap */
	size_t bad_labels;   /* label values kept out (too long, not a label value) */
	struct arena *arena; /* every string and array above */
};

/* Parse text (len bytes, need not be NUL-terminated) as a PodList, keeping the values of the
 * nr_keys label keys (at most K8S_MAX_KEYS; copied). 0 and *ret_list (pod_list__free), or
 * -EINVAL (not JSON, not a PodList: no "items" array, a "kind" other than PodList), -E2BIG (over
 * INT_MAX bytes), -ENOMEM. */
int pod_list__parse(const char *text, size_t len, const char *const *keys, size_t nr_keys,
		    struct pod_list **ret_list);

/* Bytes the list holds (its arena and arrays). */
size_t pod_list__bytes(const struct pod_list *l);

/* NULL-safe. */
void pod_list__free(struct pod_list *l);

/* Which pods a run profiles: those in one of the namespaces (any when none are given) whose
 * labels have every value asked for (key k of the list's keys equal to values[k]). Borrowed. */
struct k8s_selector {
	const char *const *namespaces;
	size_t nr_namespaces;
	const size_t *keys; /* indexes into the list's keys */
	const char *const *values;
	size_t nr;
};

/* Whether pod is one sel selects. */
bool k8s_selector__match(const struct k8s_selector *sel, const struct k8s_pod *pod);

/* Label value rule (Kubernetes' IsValidLabelValue): at most 63 characters of [A-Za-z0-9._-],
 * beginning and ending with a letter or digit; "" is a value too. */
bool k8s_valid_label_value(const char *s, size_t len);

/* Label key rule (IsQualifiedName): [prefix/]name, the prefix a DNS subdomain of at most 253, the
 * name at most 63 of [A-Za-z0-9._-] beginning and ending with a letter or digit. */
bool k8s_valid_label_key(const char *s, size_t len);

#endif /* FLAMED_POD_LIST_H */
