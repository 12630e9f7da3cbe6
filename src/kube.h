/* SPDX-License-Identifier: MIT */
/* A run's Kubernetes metadata and cgroup targets, from the command line: the kubelet client
 * (k8s/kubelet.h) and the pod cache its lists keep current (k8s/pod_cache.h), which the builder
 * labels samples from; the cgroups the run profiles (--cgroup paths, and the cgroups of the pods
 * --k8s-namespace and --k8s-selector choose), kept current in the BPF program's target map as
 * pods come and go and services restart. Part of the command-line layer: it logs (a failing
 * kubelet at most once a minute). */
#ifndef FLAMED_KUBE_H
#define FLAMED_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct pod_cache;
struct sampler;

#define KUBE_WARN_EVERY_NS	 (60 * 1000000000ULL) /* a failing kubelet: one warning a minute */
#define KUBE_TOKEN_FILE		 "/var/run/secrets/kubernetes.io/serviceaccount/token"
#define KUBE_CA_FILE		 "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
#define KUBE_RELISTS_PER_UNKNOWN 3 /* re-lists one unknown container id may ask for */

struct kube;

/* What a build needs from the run (borrowed from kube, valid until its next kube__poll). */
struct kube_labels {
	const struct pod_cache *pods;	/* NULL: no Kubernetes metadata */
	const char *const *label_names; /* sample label per --k8s-label, values[i] of a meta */
	const char *const *label_keys;	/* the pod label keys they hold */
	size_t nr_labels;
	bool only_selected; /* samples outside the chosen pods are dropped in userspace: the
			     * kernel cannot filter (no cgroup v2) */
};

struct kube_stats {
	uint64_t lists, list_failures;
	uint64_t pods, containers; /* in the last list; containers known to the cache */
	uint64_t pod_cache_bytes;
	uint64_t unknown_containers;  /* processes read whose container id no list had */
	uint64_t relists;	      /* re-lists asked for because of them */
	uint64_t targets;	      /* target cgroups now (pods + paths) */
	uint64_t target_updates;      /* times the program's target set changed */
	uint64_t pods_without_cgroup; /* chosen pods whose cgroup is not found (now) */
	uint64_t kubelet_cpu_ns;      /* the kubelet thread's CPU: requests, parses, cgroup scans */
	uint64_t main_cpu_ns;	      /* the caller's CPU in kube__poll and kube__tick: the cache,
				       * the targets, the --cgroup look-ups */
};

/* Set up from cfg. *ret is NULL when the run has no cgroup targets and no kubelet (nothing to
 * do); *ret_cgroup_filter says whether the BPF program filters by cgroup. 0 or -errno after
 * logging why (a --cgroup on a host without cgroup v2, targets or pod labels without a kubelet,
 * an unreadable --kubelet-token-file). */
int kube__new(const struct config *cfg, struct kube **ret, bool *ret_cgroup_filter);

/* The program is loaded (not necessarily attached): set its targets now, and from then on as
 * they change. 0 or -errno. */
int kube__start(struct kube *k, struct sampler *s);

/* Readable when the kubelet client has news for kube__poll; -1 without a kubelet. NULL-safe. */
int kube__fd(const struct kube *k);

/* Take the kubelet's news: a new list into the pod cache and the targets, or a failure (a
 * warning at most once a minute; the last known pods and targets stay). NULL-safe. */
void kube__poll(struct kube *k);

/* Every second: --cgroup paths looked up again (a restarted service has a new cgroup), chosen
 * pods whose cgroup was missing looked for again. NULL-safe. */
void kube__tick(struct kube *k);

/* A process in container id (64 hex; "" = none) was read: a container no list had asks the
 * kubelet for a new one, so a new pod is labelled from its first window. NULL-safe. */
void kube__on_container(struct kube *k, const char *id);

/* What the builder labels samples with (all zero without Kubernetes). NULL-safe. */
struct kube_labels kube__labels(const struct kube *k);

struct kube_stats kube__stats(const struct kube *k);

/* The summary's line on the kubelet and the pod cache (and, under -v, the targets). NULL-safe. */
void kube__log_summary(const struct kube *k);

/* NULL-safe. */
void kube__free(struct kube *k);

#endif /* FLAMED_KUBE_H */
