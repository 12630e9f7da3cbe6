/* SPDX-License-Identifier: MIT */
/* Container id from /proc/PID/cgroup: the 64-hex-digit id that docker, containerd (Kubernetes),
 * cri-o and podman put in a container's cgroup path, with the cgroupfs or the systemd driver
 * (".scope" units), cgroup v1 and v2. Pure parser of outside input (fuzzed). */
#ifndef FLAMED_CGROUP_H
#define FLAMED_CGROUP_H

#include <stddef.h>

#define CGROUP_CONTAINER_ID_LEN 64 /* hex digits of a docker/OCI container id */

/* Find the container id in the text of /proc/PID/cgroup (len bytes, need not be NUL-terminated).
 * The id is the last path component (of any line) that is 64 hex digits, alone or with a
 * runtime's prefix ("docker-", "cri-containerd-", "crio-", "libpod-", ...) and an optional
 * ".scope"; the deepest match wins (a container nested in a pod). ret_id gets the lowercase id
 * and a NUL (CGROUP_CONTAINER_ID_LEN + 1 bytes). 0, or -ENOENT when no line names a container. */
int cgroup__container_id(const char *text, size_t len, char *ret_id);

#endif /* FLAMED_CGROUP_H */
