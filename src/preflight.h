/* SPDX-License-Identifier: MIT */
/* Checks before any BPF work, each failing with one clear line: privileges, kernel BTF, the
 * sampling frequency the kernel allows, target pids. Part of the command-line layer: only
 * preflight_check logs. */
#ifndef FLAMED_PREFLIGHT_H
#define FLAMED_PREFLIGHT_H

#include <stddef.h>

struct config;

/* Every check below for the run cfg describes, in that order; the first that fails is logged as
 * one line (what is wrong and what to do) and returned as -errno. 0 when all pass. */
int preflight_check(const struct config *cfg);

/* 0 when the process has CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), else -EPERM. */
int preflight_privileges(void);

/* Path of the kernel BTF flamed will use: $FLAMED_BTF_PATH or /sys/kernel/btf/vmlinux. */
const char *preflight_btf_path(void);

/* 0 if the BTF file is readable, else -errno. */
int preflight_btf(const char *path);

/* 0 if freq_hz is within kernel.perf_event_max_sample_rate, else -ERANGE with *ret_max set. */
int preflight_freq(int freq_hz, int *ret_max);

/* Resolve pid to its process (thread-group) id: 0 and *ret_tgid, or -ESRCH. */
int preflight_pid(int pid, int *ret_tgid);

#endif /* FLAMED_PREFLIGHT_H */
