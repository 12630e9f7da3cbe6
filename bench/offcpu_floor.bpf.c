// SPDX-License-Identifier: GPL-2.0
/* The floor of the off-CPU cost figure (bench/offcpu.py): a program on each of the two hooks
 * flamed's --off-cpu uses (sched_switch, sched_exit_tp) that adds one to a per-CPU counter and
 * returns. What it costs per run, measured the same way (kernel.bpf_stats_enabled), is what any
 * program costs there on this host, the measurement's own clock reads included; flamed's
 * programs are read against it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* One counter per CPU: the least a program that records anything must touch. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_runs SEC(".maps");

static __always_inline void bump(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&floor_runs, &zero);

	if (n)
		*n += 1;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	bump();
	return 0;
}

SEC("tp_btf/sched_exit_tp")
int BPF_PROG(floor_exit, bool is_switch)
{
	bump();
	return 0;
}
