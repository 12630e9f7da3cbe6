/* SPDX-License-Identifier: MIT */
/* Dropping capabilities once the BPF program is loaded and attached: a capture then reads
 * untrusted input (other users' /proc files and ELF binaries) with only the capabilities it needs
 * for that, no ambient set, a bounding set cut to the same, and no_new_privs. The uid is kept.
 * Capability sets are bit masks (1 << CAP_X), through capget/capset and prctl directly. */
#ifndef FLAMED_PRIVILEGES_H
#define FLAMED_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/capability.h>

struct output_opts;

#define PRIV_CAP(c) (1ULL << (c))

/* Capabilities newer than some distributions' <linux/capability.h>. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

/* What a capture needs after attach, each checked on Linux 6.18 by reading another user's process
 * with only the listed capabilities (setpriv --bounding-set=-all,+...):
 *   CAP_SYS_PTRACE          /proc/PID/maps and /proc/PID/root/... (ptrace read access)
 *   CAP_CHECKPOINT_RESTORE  /proc/PID/map_files/ entries (else CAP_SYS_ADMIN, which is never kept)
 *   CAP_DAC_READ_SEARCH     map_files/ and root/ are mode 0500 of the target's uid, and binaries
 *                           may be unreadable to others
 *   CAP_SYSLOG              real addresses in /proc/kallsyms (read when the profile is built)
 * BPF map reads and writes on fds already open, the ring buffer and perf event fds need none.
 * Callers add CAP_KILL (to stop a command that changed uid), CAP_CHOWN (--output-owner) and
 * CAP_DAC_OVERRIDE (an output directory only writable with it) when they apply. */
uint64_t privileges_steady_set(void);

/* Effective and permitted sets of this thread. 0 or -errno. */
int privileges_get(uint64_t *ret_effective, uint64_t *ret_permitted);

/* Lower the effective set to effective & permitted, keeping the permitted set (so it can be raised
 * again): to test what the reduced set can do before committing to it. 0 or -errno. */
int privileges_lower_effective(uint64_t effective);

/* Keep only keep (intersected with what the process has) in the effective and permitted sets,
 * clear the inheritable and ambient sets, cut the bounding set to keep where CAP_SETPCAP allows,
 * and set no_new_privs. *ret_kept (optional) is the resulting effective set. 0 or -errno. */
int privileges_drop(uint64_t keep, uint64_t *ret_kept);

/* "cap_sys_ptrace,cap_syslog" (or "none") into buf. */
void privileges_format(uint64_t caps, char *buf, size_t len);

/* Once the BPF program is attached: keep only the steady set, plus CAP_KILL with_command (to
 * stop a command that changed uid), CAP_CHOWN when oo gives files another owner, and
 * CAP_DAC_OVERRIDE only when one of the paths (files to write, or directories with a trailing
 * "/") needs it. -v names what was kept. 0 or -errno. */
int privileges_drop_for_run(bool with_command, const char *const *paths, size_t nr_paths,
			    const struct output_opts *oo);

#endif /* FLAMED_PRIVILEGES_H */
