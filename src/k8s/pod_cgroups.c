// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "k8s/pod_cgroups.h"
#include "proc/cgroup_fs.h"
#include "util/hashmap.h"

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static bool is_kubepods_root(const char *name)
{
	size_t len = strlen(name);

	return !strcmp(name, "kubepods") || !strcmp(name, "kubepods.slice") ||
	       has_suffix(name, len, "-kubepods.slice");
}

bool pod_cgroups__uid(const char *name, char *uid)
{
	size_t len = strlen(name), n;
	const char *p;
	bool systemd = has_suffix(name, len, ".slice");

	if (systemd) {
		/* the last "-pod" of "...-pod<uid>.slice" */
		p = NULL;
		for (const char *q = name; (q = strstr(q, "-pod")); q++)
			p = q;
		if (!p)
			return false;
		p += 4;
		n = (size_t)(name + len - 6 - p);
	} else {
		if (strncmp(name, "pod", 3))
			return false;
		p = name + 3;
		n = len - 3;
	}
	if (!n || n > K8S_UID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == (systemd ? '_' : '-'))
			c = '-';
		else if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		uid[i] = c;
	}
	uid[n] = 0;
	return true;
}

struct scan {
	void (*fn)(const char *uid, uint64_t id, unsigned int level, void *ctx);
	void *ctx;
	int dirs;
	bool found_root;
};

/* Visit the subdirectories of dirfd (at level): fn(sc, fd, name, level + 1) for each. */
static void each_subdir(struct scan *sc, int dirfd, unsigned int level,
			void (*fn)(struct scan *sc, int fd, const char *name, unsigned int level))
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && sc->dirs < POD_CGROUPS_MAX_DIRS) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		sc->dirs++;
		fn(sc, sub, de->d_name, level + 1);
		close(sub);
	}
	closedir(d);
}

/* Under a kubepods root: pods, and the QoS classes that hold pods (one level deeper). */
static void visit_pods(struct scan *sc, int fd, const char *name, unsigned int level)
{
	char uid[K8S_UID_MAX + 1];
	struct stat st;

	if (pod_cgroups__uid(name, uid)) {
		if (!fstat(fd, &st))
			sc->fn(uid, st.st_ino, level, sc->ctx);
		return; /* nothing below a pod is a pod */
	}
}

static void visit_qos(struct scan *sc, int fd, const char *name, unsigned int level)
{
	char uid[K8S_UID_MAX + 1];

	if (pod_cgroups__uid(name, uid)) {
		visit_pods(sc, fd, name, level);
		return;
	}
	if (level <= CGROUP_FS_MAX_LEVEL)
		each_subdir(sc, fd, level, visit_pods);
}

static void visit_search(struct scan *sc, int fd, const char *name, unsigned int level)
{
	if (is_kubepods_root(name)) {
		sc->found_root = true;
		each_subdir(sc, fd, level, visit_qos);
		return;
	}
	if (level < POD_CGROUPS_ROOT_DEPTH)
		each_subdir(sc, fd, level, visit_search);
}

int pod_cgroups__scan(const char *root,
		      void (*fn)(const char *uid, uint64_t id, unsigned int level, void *ctx),
		      void *ctx)
{
	struct scan sc = { .fn = fn, .ctx = ctx };
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	each_subdir(&sc, fd, 0, visit_search);
	close(fd);
	return sc.found_root ? sc.dirs : -ENOENT;
}

struct attach {
	struct hashmap by_uid; /* pod uid -> struct k8s_pod * */
	int found;
};

static void on_pod(const char *uid, uint64_t id, unsigned int level, void *ctx)
{
	struct attach *at = ctx;
	uintptr_t v;

	if (hashmap__find(&at->by_uid, (uintptr_t)uid, &v) && !((struct k8s_pod *)v)->cgroup_id) {
		((struct k8s_pod *)v)->cgroup_id = id;
		((struct k8s_pod *)v)->cgroup_level = level;
		at->found++;
	}
}

int pod_cgroups__attach(struct pod_list *l, const char *root)
{
	struct attach at = { .found = 0 };
	int err = 0;

	hashmap__init(&at.by_uid, hashmap_hash_str, hashmap_equal_str, NULL);
	for (size_t i = 0; i < l->nr && !err; i++) {
		l->pods[i].cgroup_id = 0;
		l->pods[i].cgroup_level = 0;
		err = hashmap__set(&at.by_uid, (uintptr_t)l->pods[i].uid, (uintptr_t)&l->pods[i]);
	}
	if (!err) {
		err = pod_cgroups__scan(root, on_pod, &at);
		err = err < 0 ? err : at.found;
	}
	hashmap__clear(&at.by_uid);
	return err;
}
