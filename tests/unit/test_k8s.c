// SPDX-License-Identifier: MIT
/* Kubernetes metadata: the kubelet's pod list (tests/data/k8s/kubelet_pods.json, made by
 * tests/k8s/podlist.py in the API's PodList shape) parsed and checked, the selector, the pod
 * cache (refresh, grace, selection), pod cgroup names of both cgroup drivers and a scan of a
 * made-up kubepods tree, and cgroup2 mounts from mountinfo text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "k8s/pod_cache.h"
#include "k8s/pod_cgroups.h"
#include "k8s/pod_list.h"
#include "proc/cgroup_fs.h"

#define ID_A "3f1c9e2b7d4a5c6e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7"
#define ID_B "9b8a7c6d5e4f30211203f4e5d6c7b8a9e0f1d2c3b4a59687706f5e4d3c2b1a09"
#define ID_C "e5b0c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e"
#define ID_D "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const keys[] = { "app.kubernetes.io/name", "team" };

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/data/k8s/%s", FLAMED_TEST_SRC_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct pod_list *load(void)
{
	struct pod_list *l = NULL;
	size_t len;
	char *text = slurp("kubelet_pods.json", &len);

	assert_int_equal(pod_list__parse(text, len, keys, 2, &l), 0);
	free(text);
	return l;
}

static const struct k8s_pod *find_pod(const struct pod_list *l, const char *name)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->pods[i].name, name))
			return &l->pods[i];
	return NULL;
}

static void test_parse(void **state)
{
	struct pod_list *l = load();
	const struct k8s_pod *p;

	(void)state;
	/* the pod in "Bad_Namespace" breaks the namespace rule: skipped as a whole */
	assert_int_equal(l->nr, 4);
	assert_int_equal(l->skipped, 1);
	assert_null(find_pod(l, "x"));

	p = find_pod(l, "cart-7d9f8c6b5-x2k4q");
	assert_non_null(p);
	assert_string_equal(p->namespace, "shop");
	assert_string_equal(p->uid, "5f0e2a4c-1b3d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_string_equal(p->node, "node-a");
	assert_string_equal(p->values[0], "cart");
	assert_string_equal(p->values[1], "checkout");
	/* init containers first, then the others */
	assert_int_equal(p->nr_containers, 3);
	assert_string_equal(p->containers[0].name, "init-config");
	assert_string_equal(p->containers[1].name, "cart");
	assert_string_equal(p->containers[1].id, ID_A);
	assert_string_equal(p->containers[2].name, "istio-proxy");
	assert_string_equal(p->containers[2].id, ID_B);

	/* a static pod: 32-hex uid, cri-o id, no "team" label */
	p = find_pod(l, "etcd-node-a");
	assert_non_null(p);
	assert_string_equal(p->uid, "8d7f5b3c1e9a2b4d6f8e0a1c3b5d7f9e");
	assert_string_equal(p->containers[0].id, ID_C);
	assert_null(p->values[0]);
	assert_null(p->values[1]);

	/* a container not started yet has no id */
	p = find_pod(l, "search-5c4b3a2d1-pending");
	assert_non_null(p);
	assert_int_equal(p->nr_containers, 1);
	assert_string_equal(p->containers[0].id, "");

	/* docker's id in upper case is lowered; a label value Kubernetes would refuse is not kept */
	p = find_pod(l, "ads-1");
	assert_non_null(p);
	assert_string_equal(p->containers[0].id, ID_D);
	assert_null(p->values[0]);
	assert_string_equal(p->values[1], "ads");
	assert_int_equal(l->bad_labels, 1);
	assert_true(pod_list__bytes(l) > 0);
	pod_list__free(l);
}

static int parse_str(const char *s)
{
	struct pod_list *l = NULL;
	int err = pod_list__parse(s, strlen(s), keys, 2, &l);

	if (!err) {
		size_t nr = l->nr;

		pod_list__free(l);
		return (int)nr;
	}
	return err;
}

static void test_parse_bad(void **state)
{
	(void)state;
	assert_int_equal(parse_str(""), -EINVAL);
	assert_int_equal(parse_str("{"), -EINVAL);
	assert_int_equal(parse_str("[]"), -EINVAL);
	assert_int_equal(parse_str("{}"), -EINVAL); /* no items */
	assert_int_equal(parse_str("{\"kind\":\"Status\",\"items\":[]}"), -EINVAL);
	assert_int_equal(parse_str("{\"items\":[]} x"), -EINVAL); /* trailing garbage */
	assert_int_equal(parse_str("{\"items\":[]}\n"), 0);	  /* white space is fine */
	assert_int_equal(parse_str("{\"items\":[1,\"a\",null,{}]}"), 0);
	/* invalid UTF-8 in a string */
	assert_int_equal(parse_str("{\"items\":[],\"x\":\"\xff\xfe\"}"), -EINVAL);
	/* a NUL inside a name: the pod is skipped */
	assert_int_equal(
		parse_str("{\"items\":[{\"metadata\":{\"name\":\"a\\u0000b\",\"namespace\":"
			  "\"n\",\"uid\":\"1\"}}]}"),
		0);
	assert_int_equal(parse_str("{\"items\":[{\"metadata\":{\"name\":\"ab\",\"namespace\":"
				   "\"n\",\"uid\":\"1\"}}]}"),
			 1);
	/* uids: hex and dashes only, at most 64 */
	assert_int_equal(parse_str("{\"items\":[{\"metadata\":{\"name\":\"ab\",\"namespace\":"
				   "\"n\",\"uid\":\"../x\"}}]}"),
			 0);
	/* container ids other than 64 hex digits map to nothing */
	{
		struct pod_list *l = NULL;
		const char *s = "{\"items\":[{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
				"\"uid\":\"1\"},\"status\":{\"containerStatuses\":[{\"name\":\"c\","
				"\"containerID\":\"containerd://" ID_A "0\"},{\"name\":\"d\","
				"\"containerID\":\"" ID_A "\"}]}}]}";

		assert_int_equal(pod_list__parse(s, strlen(s), NULL, 0, &l), 0);
		assert_int_equal(l->pods[0].nr_containers, 2);
		assert_string_equal(l->pods[0].containers[0].id, "");
		assert_string_equal(l->pods[0].containers[1].id, "");
		pod_list__free(l);
	}
	/* too deep a document */
	{
		char deep[512] = "{\"items\":[],\"x\":";
		size_t n = strlen(deep);

		for (int i = 0; i < 100; i++)
			deep[n++] = '[';
		for (int i = 0; i < 100; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		deep[n] = 0;
		assert_int_equal(parse_str(deep), -EINVAL);
	}
}

static void test_label_rules(void **state)
{
	(void)state;
	assert_true(k8s_valid_label_value("", 0));
	assert_true(k8s_valid_label_value("a.b-c_d", 7));
	assert_false(k8s_valid_label_value("-a", 2));
	assert_false(k8s_valid_label_value("a b", 3));
	assert_true(k8s_valid_label_key("app.kubernetes.io/name", 22));
	assert_true(k8s_valid_label_key("team", 4));
	assert_false(k8s_valid_label_key("a/b/c", 5));
	assert_false(k8s_valid_label_key("/name", 5));
	assert_false(k8s_valid_label_key("Example.com/name", 16));
}

static void test_selector(void **state)
{
	struct pod_list *l = load();
	const char *ns[] = { "shop" };
	const size_t k_team[] = { 1 };
	const char *v_team[] = { "checkout" };
	struct k8s_selector by_ns = { .namespaces = ns, .nr_namespaces = 1 };
	struct k8s_selector by_label = { .keys = k_team, .values = v_team, .nr = 1 };
	struct k8s_selector both = by_ns;

	(void)state;
	both.keys = k_team;
	both.values = v_team;
	both.nr = 1;
	assert_true(k8s_selector__match(&by_ns, find_pod(l, "cart-7d9f8c6b5-x2k4q")));
	assert_true(k8s_selector__match(&by_ns, find_pod(l, "ads-1")));
	assert_false(k8s_selector__match(&by_ns, find_pod(l, "etcd-node-a")));
	assert_true(k8s_selector__match(&by_label, find_pod(l, "cart-7d9f8c6b5-x2k4q")));
	assert_false(k8s_selector__match(&by_label, find_pod(l, "ads-1")));
	assert_false(k8s_selector__match(&by_label, find_pod(l, "etcd-node-a")));
	assert_true(k8s_selector__match(&both, find_pod(l, "cart-7d9f8c6b5-x2k4q")));
	assert_false(k8s_selector__match(&both, find_pod(l, "ads-1")));
	pod_list__free(l);
}

static void test_cache(void **state)
{
	struct pod_list *l = load(), *empty = NULL;
	struct pod_cache *c = pod_cache__new(2);
	const char *ns[] = { "shop" };
	struct k8s_selector sel = { .namespaces = ns, .nr_namespaces = 1 };
	const struct k8s_meta *m;
	struct pod_cache_stats st;
	const uint64_t s = 1000000000ULL;

	(void)state;
	assert_non_null(c);
	assert_int_equal(pod_cache__update(c, l, &sel, 10 * s), 0);
	m = pod_cache__lookup(c, ID_B);
	assert_non_null(m);
	assert_string_equal(m->namespace, "shop");
	assert_string_equal(m->pod, "cart-7d9f8c6b5-x2k4q");
	assert_string_equal(m->container, "istio-proxy");
	assert_string_equal(m->node, "node-a");
	assert_string_equal(m->uid, "5f0e2a4c-1b3d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_string_equal(m->values[0], "cart");
	assert_true(m->selected);
	m = pod_cache__lookup(c, ID_C);
	assert_non_null(m);
	assert_false(m->selected); /* kube-system */
	assert_null(pod_cache__lookup(c, ID_A "x"));
	assert_null(pod_cache__lookup(c, "ffff"));
	pod_cache__stats(c, &st);
	/* cart: init + 2, etcd, ads: the pending container has no id */
	assert_int_equal(st.containers, 5);
	assert_int_equal(st.added, 5);

	/* the same list again changes nothing */
	assert_int_equal(pod_cache__update(c, l, &sel, 20 * s), 0);
	pod_cache__stats(c, &st);
	assert_int_equal(st.added, 5);

	/* gone from the list: kept through the grace period, then forgotten */
	assert_int_equal(pod_list__parse("{\"items\":[]}", 12, keys, 2, &empty), 0);
	assert_int_equal(pod_cache__update(c, empty, &sel, 30 * s), 0);
	assert_non_null(pod_cache__lookup(c, ID_A));
	assert_int_equal(pod_cache__update(c, empty, &sel, 30 * s + POD_CACHE_GRACE_NS - 1), 0);
	assert_non_null(pod_cache__lookup(c, ID_A));
	assert_int_equal(pod_cache__update(c, empty, &sel, 30 * s + POD_CACHE_GRACE_NS), 0);
	assert_null(pod_cache__lookup(c, ID_A));
	pod_cache__stats(c, &st);
	assert_int_equal(st.containers, 0);
	assert_int_equal(st.expired, 5);

	/* back, and its selection follows the selector */
	assert_int_equal(pod_cache__update(c, l, NULL, 400 * s), 0);
	m = pod_cache__lookup(c, ID_C);
	assert_non_null(m);
	assert_true(m->selected);
	pod_list__free(empty);
	pod_list__free(l);
	pod_cache__free(c);
	pod_cache__free(NULL);
}

static void test_cgroup_names(void **state)
{
	char uid[K8S_UID_MAX + 1];

	(void)state;
	assert_true(pod_cgroups__uid(
		"kubepods-burstable-pod5f0e2a4c_1b3d_4e6f_8a9b_0c1d2e3f4a5b.slice", uid));
	assert_string_equal(uid, "5f0e2a4c-1b3d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_true(pod_cgroups__uid("kubepods-pod8d7f5b3c1e9a2b4d6f8e0a1c3b5d7f9e.slice", uid));
	assert_string_equal(uid, "8d7f5b3c1e9a2b4d6f8e0a1c3b5d7f9e");
	assert_true(pod_cgroups__uid("kubelet-kubepods-besteffort-podAB_CD.slice", uid));
	assert_string_equal(uid, "ab-cd");
	assert_true(pod_cgroups__uid("pod5f0e2a4c-1b3d-4e6f-8a9b-0c1d2e3f4a5b", uid));
	assert_string_equal(uid, "5f0e2a4c-1b3d-4e6f-8a9b-0c1d2e3f4a5b");
	assert_false(pod_cgroups__uid("kubepods-burstable.slice", uid));
	assert_false(pod_cgroups__uid("burstable", uid));
	assert_false(pod_cgroups__uid("pod", uid));
	assert_false(pod_cgroups__uid("kubepods-pod.slice", uid));
	assert_false(pod_cgroups__uid("pod../x", uid));
	assert_false(pod_cgroups__uid("cri-containerd-" ID_A ".scope", uid));
}

static void mk(const char *root, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

struct seen {
	char uid[8][K8S_UID_MAX + 1];
	unsigned int level[8];
	int n;
};

static void on_pod(const char *uid, uint64_t id, unsigned int level, void *ctx)
{
	struct seen *s = ctx;

	assert_true(id > 0);
	if (s->n < 8) {
		snprintf(s->uid[s->n], sizeof(s->uid[0]), "%s", uid);
		s->level[s->n++] = level;
	}
}

static int level_of(const struct seen *s, const char *uid)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->uid[i], uid))
			return (int)s->level[i];
	return -1;
}

static void test_cgroup_scan(void **state)
{
	char root[] = "/tmp/flamed-k8s-test.XXXXXX";
	char cmd[4200];
	struct seen s = { .n = 0 };

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(pod_cgroups__scan(root, on_pod, &s), -ENOENT);
	/* systemd driver: guaranteed pods under the root, the others under their QoS class */
	mk(root, "kubepods.slice");
	mk(root, "kubepods.slice/kubepods-pod0a_1.slice");
	mk(root, "kubepods.slice/kubepods-pod0a_1.slice/cri-containerd-" ID_A ".scope");
	mk(root, "kubepods.slice/kubepods-burstable.slice");
	mk(root, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b_2.slice");
	/* a kubelet's --cgroup-root (kind), cgroupfs driver names, and a look-alike elsewhere */
	mk(root, "kubelet.slice");
	mk(root, "kubelet.slice/kubelet-kubepods.slice");
	mk(root, "kubelet.slice/kubelet-kubepods.slice/besteffort");
	mk(root, "kubelet.slice/kubelet-kubepods.slice/besteffort/pod0c-3");
	mk(root, "system.slice");
	mk(root, "system.slice/pod0d-4");
	assert_true(pod_cgroups__scan(root, on_pod, &s) > 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(level_of(&s, "0a-1"), 2);
	assert_int_equal(level_of(&s, "0b-2"), 3);
	assert_int_equal(level_of(&s, "0c-3"), 4);
	assert_int_equal(level_of(&s, "0d-4"), -1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static int collect(const char *path, void *ctx)
{
	char *out = ctx;

	strcat(out, path);
	strcat(out, "|");
	return 0;
}

static void test_mountinfo(void **state)
{
	static const char text[] =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n"
		"90 41 0:38 /.. /host\\040cg rw - cgroup2 cgroup2 rw\n"
		"91 41 0:38 / /x rw - cgroup2\n"
		"92 41 0:38 / /y rw - cgroup2x none rw\n"
		"bad line\n"
		"93 1 0:1 / /z rw - cgroup2 cgroup2 rw";
	char out[512] = "";

	(void)state;
	assert_int_equal(cgroup_fs__each_mount(text, sizeof(text) - 1, collect, out), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified|/host cg|/x|/z|");
}

static void test_cgroup_id(void **state)
{
	uint64_t id;
	unsigned int level;

	(void)state;
	assert_int_equal(cgroup_fs__id("/tmp", "../etc", &id, &level), -EINVAL);
	assert_int_equal(cgroup_fs__id("/tmp", "a/./b", &id, &level), -EINVAL);
	/* a directory that is not a cgroup */
	assert_int_equal(cgroup_fs__id("/", "tmp", &id, &level), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),	    cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_label_rules), cmocka_unit_test(test_selector),
		cmocka_unit_test(test_cache),	    cmocka_unit_test(test_cgroup_names),
		cmocka_unit_test(test_cgroup_scan), cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_cgroup_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
