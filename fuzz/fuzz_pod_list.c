// SPDX-License-Identifier: MIT
/* Fuzz the kubelet's pod list reader: whatever the answer, every pod kept has names Kubernetes
 * would accept, label values that are label values, and container ids of 64 lowercase hex digits
 * or none; and the pod cache and the selector take the list. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "k8s/pod_cache.h"
#include "k8s/pod_list.h"

static void check_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "app", "app.kubernetes.io/name" };
	static const char *const ns[] = { "shop" };
	static const size_t sel_keys[] = { 0 };
	static const char *const sel_values[] = { "cart" };
	const struct k8s_selector sel = { ns, 1, sel_keys, sel_values, 1 };
	struct pod_list *l = NULL;
	struct pod_cache *c;

	if (pod_list__parse((const char *)data, size, keys, 2, &l))
		return 0;
	for (size_t i = 0; i < l->nr; i++) {
		const struct k8s_pod *p = &l->pods[i];

		check_name(p->namespace, K8S_LABEL_MAX);
		check_name(p->name, K8S_NAME_MAX);
		if (p->node[0])
			check_name(p->node, K8S_NAME_MAX);
		if (strspn(p->uid, "0123456789abcdef-") != strlen(p->uid) || !p->uid[0])
			abort();
		for (size_t k = 0; k < 2; k++)
			if (p->values[k] &&
			    !k8s_valid_label_value(p->values[k], strlen(p->values[k])))
				abort();
		if (p->nr_containers > K8S_MAX_CONTAINERS)
			abort();
		for (size_t j = 0; j < p->nr_containers; j++) {
			size_t n = strlen(p->containers[j].id);

			check_name(p->containers[j].name, K8S_LABEL_MAX);
			if (n && (n != CGROUP_CONTAINER_ID_LEN ||
				  strspn(p->containers[j].id, "0123456789abcdef") != n))
				abort();
		}
	}
	c = pod_cache__new(2);
	if (c) {
		pod_cache__update(c, l, &sel, 1);
		for (size_t i = 0; i < l->nr; i++)
			for (size_t j = 0; j < l->pods[i].nr_containers; j++)
				pod_cache__lookup(c, l->pods[i].containers[j].id);
		pod_cache__free(c);
	}
	pod_list__free(l);
	return 0;
}
