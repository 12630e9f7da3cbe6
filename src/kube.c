// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/sampler.h"
#include "cli.h"
#include "k8s/kubelet.h"
#include "k8s/pod_cache.h"
#include "k8s/pod_cgroups.h"
#include "kube.h"
#include "privileges.h"
#include "proc/cgroup_fs.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/log.h"

#define UNKNOWN_IDS_MAX	  4096 /* unknown container ids remembered (then forgotten at once) */

#define PATH_NEVER_LOOKED 1 /* path_target.err before the first look-up */

struct path_target {
	const char *path; /* argv */
	uint64_t id;	  /* 0: not there now */
	unsigned int level;
	int err; /* of the last look-up, to say so once per change */
};

struct kube {
	const struct config *cfg;
	char root[PATH_MAX]; /* cgroup v2 root; "" without one */
	bool filter;	     /* the kernel filters by cgroup */
	bool only_selected;  /* ... or, without cgroup v2, the builder does */
	struct sampler *sampler;
	struct path_target paths[CLI_MAX_K8S];
	int nr_paths;

	/* Kubernetes */
	struct kubelet *kubelet; /* NULL without */
	char url[512];
	const char *keys[K8S_MAX_KEYS]; /* --k8s-label keys, then --k8s-selector keys */
	size_t nr_keys;
	const char *label_names[CLI_MAX_K8S];
	size_t sel_keys[CLI_MAX_K8S];
	const char *sel_values[CLI_MAX_K8S];
	struct k8s_selector sel;
	bool selecting; /* --k8s-namespace or --k8s-selector */
	struct pod_cache *pods;
	struct pod_list *list;	  /* the last list, for cgroups found late */
	bool listed;		  /* a list arrived since the start or the last failure */
	uint64_t warned_ns;	  /* last failure warning */
	uint64_t failures_unsaid; /* failures since that warning */
	struct hashmap unknown;	  /* container id (heap) -> re-lists asked for it */
	struct kube_stats st;
};

static bool selecting(const struct config *cfg)
{
	return cfg->k8s.nr_namespaces || cfg->k8s.nr_matches;
}

/* The kubelet's URL: --kubelet, else https://$NODE_NAME:10250; false when none. */
static bool kubelet_url(const struct config *cfg, char *url, size_t size)
{
	const char *node = getenv("NODE_NAME");

	if (cfg->k8s.kubelet_url) {
		if (!strcmp(cfg->k8s.kubelet_url, "off"))
			return false;
		snprintf(url, size, "%s", cfg->k8s.kubelet_url);
		return true;
	}
	if (!node || !node[0])
		return false;
	if (strlen(node) > K8S_NAME_MAX ||
	    strspn(node, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(node)) {
		log_warn("NODE_NAME '%.64s' is not a node name: no kubelet (give --kubelet URL)",
			 node);
		return false;
	}
	snprintf(url, size, "https://%s:10250", node);
	return true;
}

/* The targets of cfg's --cgroup paths and of the chosen pods, into the program. */
static void push_targets(struct kube *k)
{
	struct sampler_cgroup *cg;
	size_t n = 0, pods = 0, missing = 0;
	int err;

	if (!k->filter || !k->sampler)
		return;
	cg = malloc(FLAMED_MAX_TARGET_CGROUPS * sizeof(*cg));
	if (!cg) {
		log_warn("out of memory: cgroup targets not updated");
		return;
	}
	for (int i = 0; i < k->nr_paths; i++)
		if (k->paths[i].id)
			cg[n++] = (struct sampler_cgroup){ k->paths[i].id, k->paths[i].level };
	for (size_t i = 0; k->selecting && k->list && i < k->list->nr; i++) {
		const struct k8s_pod *p = &k->list->pods[i];

		if (!k8s_selector__match(&k->sel, p))
			continue;
		if (!p->cgroup_id || !p->cgroup_level || p->cgroup_level > CGROUP_FS_MAX_LEVEL) {
			missing++;
			continue;
		}
		if (n < FLAMED_MAX_TARGET_CGROUPS) {
			cg[n++] = (struct sampler_cgroup){ p->cgroup_id, p->cgroup_level };
			pods++;
		}
	}
	err = sampler__set_cgroups(k->sampler, cg, n);
	free(cg);
	if (err)
		log_warn("cgroup targets: %s (%zu wanted, at most %d)", strerror(-err), n,
			 FLAMED_MAX_TARGET_CGROUPS);
	if (k->st.targets != n)
		log_debug("cgroup targets: %zu (%zu pods, %zu pods' cgroups not found)", n, pods,
			  missing);
	k->st.targets = n;
	k->st.target_updates++;
	k->st.pods_without_cgroup = missing;
}

/* Look --cgroup paths up again; true when one changed. */
static bool resolve_paths(struct kube *k)
{
	bool changed = false;

	for (int i = 0; i < k->nr_paths; i++) {
		struct path_target *t = &k->paths[i];
		uint64_t id = 0;
		unsigned int level = 0;
		int err = cgroup_fs__id(k->root, t->path, &id, &level);

		if (err)
			id = 0;
		/* said once per change: missing, then there (a service started), ... */
		if (err && err != t->err)
			log_warn("--cgroup %s: %s: its tasks are profiled once it is there",
				 t->path,
				 err == -ENOENT	   ? "no such cgroup now"
				 : err == -ENOTDIR ? "not a cgroup v2 directory"
						   : strerror(-err));
		else if (!err && t->err && t->err != PATH_NEVER_LOOKED)
			log_info("--cgroup %s: there now", t->path);
		t->err = err;
		if (id != t->id || level != t->level) {
			t->id = id;
			t->level = level;
			changed = true;
		}
	}
	return changed;
}

/* The kubelet thread's first act: it talks to the network and parses what comes back, and
 * needs no capability for that (the token and the cgroup tree are readable by root's uid), so it
 * has none (capabilities are per thread: the process's later drop would not reach it). */
static void drop_thread_privileges(void *ctx)
{
	(void)ctx;
	if (privileges_drop(0, NULL))
		log_debug("kubelet thread: cannot drop its capabilities");
}

static int start_kubelet(struct kube *k)
{
	const struct cli_k8s *c = &k->cfg->k8s;
	struct kubelet_opts o = {
		.url = k->url,
		.token_file = c->token_file,
		.ca_file = c->ca_file,
		.insecure_skip_verify = c->insecure_skip_verify,
		.interval_ns = c->interval_ns,
		.cgroup_root = k->filter ? k->root : NULL,
		.keys = k->keys,
		.nr_keys = k->nr_keys,
		.thread_start = drop_thread_privileges,
	};
	int err;

	if (!o.token_file && !access(KUBE_TOKEN_FILE, R_OK))
		o.token_file = KUBE_TOKEN_FILE;
	if (o.token_file && access(o.token_file, R_OK)) {
		err = -errno;
		log_error("--kubelet-token-file %s: %s", o.token_file, strerror(-err));
		return err;
	}
	if (!o.ca_file && !c->insecure_skip_verify && !access(KUBE_CA_FILE, R_OK))
		o.ca_file = KUBE_CA_FILE;
	if (o.ca_file && access(o.ca_file, R_OK)) {
		err = -errno;
		log_error("--kubelet-ca %s: %s", o.ca_file, strerror(-err));
		return err;
	}
	if (!o.token_file)
		log_warn("kubelet %s: no service account token (%s): asking without one", k->url,
			 KUBE_TOKEN_FILE);
	if (c->insecure_skip_verify)
		log_warn(
			"--kubelet-insecure-skip-verify: the kubelet's certificate is not checked: "
			"whoever answers on %s gets the token and names the pods",
			k->url);
	err = kubelet__new(&o, &k->kubelet);
	if (err)
		log_error("cannot start the kubelet client for %s: %s", k->url, strerror(-err));
	return err;
}

/* The label keys the lists keep: --k8s-label's, then --k8s-selector's; and the selector over
 * them. */
static void set_keys(struct kube *k)
{
	const struct cli_k8s *c = &k->cfg->k8s;

	for (int i = 0; i < c->nr_labels; i++) {
		k->keys[k->nr_keys++] = c->labels[i].key;
		k->label_names[i] = c->labels[i].name;
	}
	for (int i = 0; i < c->nr_matches; i++) {
		k->sel_keys[i] = k->nr_keys;
		k->sel_values[i] = c->matches[i].value;
		k->keys[k->nr_keys++] = c->matches[i].key;
	}
	k->sel = (struct k8s_selector){
		.namespaces = c->namespaces,
		.nr_namespaces = (size_t)c->nr_namespaces,
		.keys = k->sel_keys,
		.values = k->sel_values,
		.nr = (size_t)c->nr_matches,
	};
	k->selecting = selecting(k->cfg);
}

/* Where the cgroup targets are filtered: in the kernel (a cgroup v2 root), in userspace (the
 * pods' only, without one), or nowhere (an error for --cgroup). */
static int find_root(struct kube *k)
{
	const struct config *cfg = k->cfg;
	int err = cgroup_fs__find_root(k->root, sizeof(k->root));

	if (!err) {
		k->filter = cli_has_cgroup_targets(cfg);
		return 0;
	}
	k->root[0] = 0;
	if (!cli_has_cgroup_targets(cfg))
		return 0;
	if (cfg->nr_cgroups) {
		log_error("--cgroup needs a cgroup v2 hierarchy: %s",
			  err == -ENOENT  ? "none is mounted (a cgroup v1 host)"
			  : err == -EXDEV ? "only a cgroup namespace's part is mounted (in a "
					    "container, mount "
					    "the host's /sys/fs/cgroup)"
					  : strerror(-err));
		return -ENOTSUP;
	}
	log_warn("no cgroup v2 hierarchy (%s): --k8s-namespace and --k8s-selector cannot filter in "
		 "the kernel; every process is sampled and other pods' samples are dropped after",
		 err == -ENOENT ? "a cgroup v1 host" : "only a cgroup namespace's part is mounted");
	k->only_selected = true;
	return 0;
}

int kube__new(const struct config *cfg, struct kube **ret, bool *ret_cgroup_filter)
{
	struct kube *k;
	bool kubelet;
	char url[512];
	int err;

	*ret = NULL;
	*ret_cgroup_filter = false;
	kubelet = kubelet_url(cfg, url, sizeof(url));
	if (!kubelet && (selecting(cfg) || cfg->k8s.nr_labels || cfg->series_by_container)) {
		log_error("--k8s-namespace, --k8s-selector, --k8s-label and --series-by container "
			  "need pods from the kubelet: give --kubelet URL, or run in a pod with "
			  "NODE_NAME set");
		return -EINVAL;
	}
	if (!kubelet && !cfg->nr_cgroups)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k) {
		log_error("out of memory");
		return -ENOMEM;
	}
	k->cfg = cfg;
	hashmap__init(&k->unknown, hashmap_hash_str, hashmap_equal_str, NULL);
	snprintf(k->url, sizeof(k->url), "%s", url);
	err = find_root(k);
	if (err)
		goto fail;
	for (int i = 0; i < cfg->nr_cgroups; i++)
		k->paths[k->nr_paths++] =
			(struct path_target){ .path = cfg->cgroups[i], .err = PATH_NEVER_LOOKED };
	if (k->filter)
		resolve_paths(k);
	if (kubelet) {
		set_keys(k);
		k->pods = pod_cache__new(k->nr_keys);
		if (!k->pods) {
			log_error("out of memory");
			err = -ENOMEM;
			goto fail;
		}
		err = start_kubelet(k);
		if (err)
			goto fail;
	}
	*ret = k;
	*ret_cgroup_filter = k->filter;
	return 0;
fail:
	kube__free(k);
	return err;
}

int kube__start(struct kube *k, struct sampler *s)
{
	if (!k)
		return 0;
	k->sampler = s;
	push_targets(k);
	if (k->filter && k->selecting && !k->list)
		log_info("profiling only the chosen pods: none is known until the kubelet answers");
	return 0;
}

int kube__fd(const struct kube *k)
{
	return k && k->kubelet ? kubelet__fd(k->kubelet) : -1;
}

static void on_failure(struct kube *k, const char *detail)
{
	uint64_t now = mono_ns();

	k->st.list_failures++;
	k->listed = false;
	if (k->warned_ns && now - k->warned_ns < KUBE_WARN_EVERY_NS) {
		k->failures_unsaid++;
		return;
	}
	log_warn("kubelet %s: %s; %s", k->url, detail,
		 k->list ? "samples keep the pods last listed, and the targets stay"
			 : "samples have no pod labels until it answers");
	if (k->failures_unsaid)
		log_warn("kubelet %s: %llu more failures in the last minute", k->url,
			 (unsigned long long)k->failures_unsaid);
	k->failures_unsaid = 0;
	k->warned_ns = now;
}

static void on_list(struct kube *k, struct pod_list *l)
{
	struct pod_cache_stats cs;
	size_t chosen = 0;

	if (!k->listed && (k->st.list_failures || !k->st.lists))
		log_info("kubelet %s: %zu pods listed%s", k->url, l->nr,
			 k->st.list_failures ? " (answering again)" : "");
	k->listed = true;
	k->st.lists++;
	if (pod_cache__update(k->pods, l, k->selecting ? &k->sel : NULL, mono_ns()))
		log_warn("out of memory: pod labels incomplete");
	pod_list__free(k->list);
	k->list = l;
	for (size_t i = 0; i < l->nr; i++)
		chosen += k->selecting && k8s_selector__match(&k->sel, &l->pods[i]);
	pod_cache__stats(k->pods, &cs);
	k->st.pods = l->nr;
	k->st.containers = cs.containers;
	k->st.pod_cache_bytes = cs.bytes + pod_list__bytes(l);
	/* a container seen before this list may be in it now: ask again if not */
	hashmap__for_each (&k->unknown, e)
		free((void *)e->key);
	hashmap__clear(&k->unknown);
	if (k->selecting)
		log_debug("kubelet: %zu pods, %zu chosen", l->nr, chosen);
	push_targets(k);
}

void kube__poll(struct kube *k)
{
	enum kubelet_failure f;
	struct pod_list *l;
	char detail[256];

	uint64_t t0;

	if (!k || !k->kubelet)
		return;
	t0 = thread_cpu_ns();
	kubelet__take(k->kubelet, &l, &f, detail, sizeof(detail));
	if (f != KUBELET_OK)
		on_failure(k, detail);
	if (l)
		on_list(k, l);
	k->st.main_cpu_ns += thread_cpu_ns() - t0;
}

void kube__tick(struct kube *k)
{
	uint64_t t0;
	bool changed;

	if (!k || !k->filter)
		return;
	t0 = thread_cpu_ns();
	changed = resolve_paths(k);
	/* a pod listed before its cgroup was made: found by looking again, not a re-list */
	if (k->list && k->st.pods_without_cgroup) {
		pod_cgroups__attach(k->list, k->root);
		changed = true;
	}
	if (changed)
		push_targets(k);
	k->st.main_cpu_ns += thread_cpu_ns() - t0;
}

void kube__on_container(struct kube *k, const char *id)
{
	uintptr_t n = 0;
	char *key;

	if (!k || !k->kubelet || !id || !id[0] || pod_cache__lookup(k->pods, id))
		return;
	k->st.unknown_containers++;
	if (hashmap__find(&k->unknown, (uintptr_t)id, &n)) {
		/* a container no re-list knows (not Kubernetes', or its pod not listed yet) */
		if (n >= KUBE_RELISTS_PER_UNKNOWN)
			return;
		hashmap__set(&k->unknown, (uintptr_t)id, n + 1);
	} else {
		if (k->unknown.len >= UNKNOWN_IDS_MAX) {
			hashmap__for_each (&k->unknown, e)
				free((void *)e->key);
			hashmap__clear(&k->unknown);
		}
		key = strdup(id);
		if (!key || hashmap__set(&k->unknown, (uintptr_t)key, 1)) {
			free(key);
			return;
		}
	}
	k->st.relists++;
	kubelet__relist(k->kubelet);
}

struct kube_labels kube__labels(const struct kube *k)
{
	if (!k)
		return (struct kube_labels){ 0 };
	return (struct kube_labels){
		.pods = k->pods,
		.label_names = k->label_names,
		.label_keys = k->keys,
		.nr_labels = (size_t)k->cfg->k8s.nr_labels,
		.only_selected = k->only_selected && k->selecting,
	};
}

struct kube_stats kube__stats(const struct kube *k)
{
	struct kube_stats st = { 0 };
	struct kubelet_stats ks;

	if (!k)
		return st;
	st = k->st;
	if (k->kubelet) {
		kubelet__stats(k->kubelet, &ks);
		st.kubelet_cpu_ns = ks.cpu_ns;
	}
	return st;
}

void kube__log_summary(const struct kube *k)
{
	struct kube_stats st = kube__stats(k);
	struct kubelet_stats ks = { 0 };
	unsigned long long failed = 0;
	char fails[256] = "";
	size_t off = 0;

	if (!k)
		return;
	if (k->kubelet) {
		kubelet__stats(k->kubelet, &ks);
		for (int f = 1; f < KUBELET_FAILURE__MAX && off < sizeof(fails); f++) {
			if (!ks.failures[f])
				continue;
			failed += ks.failures[f];
			off += (size_t)snprintf(fails + off, sizeof(fails) - off, "%s%s %llu",
						off ? ", " : ": ",
						kubelet_failure_name((enum kubelet_failure)f),
						(unsigned long long)ks.failures[f]);
		}
		log_info(
			"kubernetes: %llu pod lists (%llu failed%s), %llu pods, %llu containers "
			"known (%llu KiB), %llu processes in unknown containers, %llu re-lists for "
			"them; CPU %.1f ms in the kubelet thread, %.1f ms in the cache and targets",
			(unsigned long long)st.lists, failed, fails, (unsigned long long)st.pods,
			(unsigned long long)st.containers,
			(unsigned long long)(st.pod_cache_bytes >> 10),
			(unsigned long long)st.unknown_containers, (unsigned long long)st.relists,
			(double)st.kubelet_cpu_ns / 1e6, (double)st.main_cpu_ns / 1e6);
	}
	if (k->filter)
		log_debug("cgroup targets: %llu (%llu updates), %llu chosen pods without a cgroup",
			  (unsigned long long)st.targets, (unsigned long long)st.target_updates,
			  (unsigned long long)st.pods_without_cgroup);
}

void kube__free(struct kube *k)
{
	if (!k)
		return;
	kubelet__free(k->kubelet);
	pod_cache__free(k->pods);
	pod_list__free(k->list);
	hashmap__for_each (&k->unknown, e)
		free((void *)e->key);
	hashmap__clear(&k->unknown);
	free(k);
}
