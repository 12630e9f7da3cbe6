/* SPDX-License-Identifier: MIT */
/* The BPF <-> userspace ABI: limits, map keys and values, event records, metric ids.
 * No includes: BPF includes it after vmlinux.h, userspace after <linux/types.h>. */
#ifndef FLAMED_H
#define FLAMED_H

#define FLAMED_MAX_FRAMES 127 /* per stack, user and kernel alike (perf's default max is 127) */
#define FLAMED_COMM_LEN	  16  /* TASK_COMM_LEN */

/* Per-CPU counters, index into the "metrics" map. Append only: names in src/bpf/metrics.c. */
enum flamed_metric {
	FLAMED_METRIC_SAMPLES,		/* the program ran on a cpu-clock overflow */
	FLAMED_METRIC_IDLE,		/* pid 0 (idle task) skipped */
	FLAMED_METRIC_SELF,		/* flamed's own process skipped */
	FLAMED_METRIC_FILTERED,		/* not a target process (-p / --) */
	FLAMED_METRIC_COUNTED,		/* added to the counts map */
	FLAMED_METRIC_COUNT_MAP_FULL,	/* counts map full: sample DROPPED */
	FLAMED_METRIC_STACK_MAP_FULL,	/* stacks map full: sample kept without that stack */
	FLAMED_METRIC_KSTACK_ERR,	/* bpf_get_stack(kernel) < 0 */
	FLAMED_METRIC_USTACK_ERR,	/* bpf_get_stack(user) < 0, user task */
	FLAMED_METRIC_USTACK_EMPTY,	/* user task with 0 user frames (e.g. kernel thread) */
	FLAMED_METRIC_KSTACK_TRUNCATED, /* kernel stack hit FLAMED_MAX_FRAMES */
	FLAMED_METRIC_USTACK_TRUNCATED, /* user stack hit FLAMED_MAX_FRAMES */
	FLAMED_METRIC_PROC_EVENT_LOST,	/* "events" ring buffer full: a new process not announced */
	FLAMED_METRIC_TARGET_FORKS,	/* children of target processes added to the targets map */
	FLAMED_METRIC_TARGETS_FULL,	/* targets map full: a child of a target is not followed */
	FLAMED_METRIC__MAX,
};

/* Key of the "counts" maps: one entry per distinct (thread, address space, stacks, comm). */
struct flamed_count_key {
	__u64 aspace;	  /* task->mm as a cookie: changes on exec, so maps snapshots match */
	__u64 user_stack; /* hash into the "stacks" map, 0 = none */
	__u64 kern_stack; /* hash into the "stacks" map, 0 = none */
	__u32 tgid;	  /* process id (init namespace) */
	__u32 tid;	  /* thread id (init namespace) */
	char comm[FLAMED_COMM_LEN]; /* thread name */
};

/* Value of the "stacks" maps: the frames, deduplicated by hash. */
struct flamed_stack {
	__u32 nr;    /* frames used in ips[] */
	__u32 flags; /* FLAMED_STACK_* */
	__u64 ips[FLAMED_MAX_FRAMES];
};

#define FLAMED_STACK_KERNEL    (1u << 0)
#define FLAMED_STACK_TRUNCATED (1u << 1)

/* Record in the "events" ring buffer: a (process, address space) seen for the first time, so
 * userspace snapshots its maps while it is alive. */
struct flamed_proc_event {
	__u64 aspace;
	__u64 ktime_ns;
	__u32 tgid;
	__u32 type;		    /* FLAMED_EVENT_* */
	char comm[FLAMED_COMM_LEN]; /* process (group leader) name */
};

#define FLAMED_EVENT_NEW_ASPACE 1 /* first sample of (tgid, aspace) */

_Static_assert(sizeof(struct flamed_count_key) == 48, "flamed_count_key layout changed");
_Static_assert(sizeof(struct flamed_stack) == 8 + 8 * FLAMED_MAX_FRAMES, "flamed_stack layout");
_Static_assert(sizeof(struct flamed_proc_event) == 40, "flamed_proc_event layout changed");

#endif /* FLAMED_H */
