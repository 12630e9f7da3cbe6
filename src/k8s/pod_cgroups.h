/* SPDX-License-Identifier: MIT */
/* The cgroups kubelets make for pods, found in the host's cgroup v2 hierarchy: a kubepods root
 * ("kubepods" with the cgroupfs driver, "kubepods.slice" with systemd's, or under a kubelet's
 * --cgroup-root such as kind's kubelet.slice/kubelet-kubepods.slice), the QoS classes in it, and
 * in those one directory per pod named after its uid: "pod<uid>" (cgroupfs) or
 * "kubepods-<qos>-pod<uid with '_' for '-'>.slice" (systemd). A pod's cgroup holds all its
 * containers, whatever their ids and restarts. */
#ifndef FLAMED_POD_CGROUPS_H
#define FLAMED_POD_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/pod_list.h"

#define POD_CGROUPS_ROOT_DEPTH 3     /* how deep a kubepods root may be */
#define POD_CGROUPS_MAX_DIRS   20000 /* directories one scan reads at most */

/* The pod uid a pod cgroup's directory name carries (lowercase, with '-'), into uid
 * (K8S_UID_MAX + 1 bytes); false when name is not a pod's cgroup. Pure. */
bool pod_cgroups__uid(const char *name, char *uid);

/* Call fn for every pod cgroup under the cgroup v2 root (cgroup_fs__find_root) with its pod uid,
 * cgroup id and level. Returns the directories read, or -errno (-ENOENT: no kubepods root). */
int pod_cgroups__scan(const char *root,
		      void (*fn)(const char *uid, uint64_t id, unsigned int level, void *ctx),
		      void *ctx);

/* Set cgroup_id and cgroup_level of every pod of l whose cgroup the scan finds under root (the
 * others get 0). Returns the pods found, or -errno (-ENOENT: no kubepods root, -ENOMEM). */
int pod_cgroups__attach(struct pod_list *l, const char *root);

#endif /* FLAMED_POD_CGROUPS_H */
