// SPDX-License-Identifier: GPL-2.0
/* The floor of figure 3: a perf_event program that adds one to a per-CPU counter and returns, on
 * the same cpu-clock events as flamed's on_cpu_sample. What it costs per run is what any program
 * costs on this host at this rate (entry, exit, the first cold lines); flamed's cost is read
 * against it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* One counter per CPU: the least a program that records anything must touch. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_runs SEC(".maps");

SEC("perf_event")
int floor_sample(void *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&floor_runs, &zero);

	if (n)
		*n += 1;
	return 0;
}
