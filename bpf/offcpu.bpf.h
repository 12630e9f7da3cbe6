/* SPDX-License-Identifier: GPL-2.0 */
/* Off-CPU profiling (--off-cpu), included by flamed.bpf.c: where user threads are off the CPU
 * and for how long, whether they wait for something (blocked: sleep, I/O, a lock) or for a CPU
 * (preempted; their kernel frames then end in the preemption path): a thread's wall time is its
 * CPU time plus its off-CPU time ("a wait" below is one stretch of it).
 *
 * At each switch (sched_switch) the thread going off the CPU gets a timestamp in its task
 * storage, and the thread coming on gets its wait measured and decided on (flamed_offcpu.h:
 * kept with a probability that grows with the wait, weighted so that the sum is unbiased). Only a
 * kept wait goes further: the CPU's pending slot tells on_switch_in, which runs at the end of
 * __schedule in the thread's own context (its user memory readable, its stacks still the ones it
 * waited with), to walk its stacks with the same walkers as CPU samples and add its weight (ns)
 * to offcpu{0,1}, drained with the counts. So a switch costs two task-storage accesses and one
 * per-CPU line; stacks are walked only for kept waits, whose rate userspace bounds by raising
 * the threshold. Kernel threads, the idle task and flamed are left out; -p/-- targets and the
 * target cgroups (--k8s-*, --cgroup) apply. */
#ifndef FLAMED_OFFCPU_BPF_H
#define FLAMED_OFFCPU_BPF_H

#include "flamed_offcpu.h"

/* vmlinux.h has no #defines */
#define TASK_DEAD_STATE 0x80	   /* TASK_DEAD */
#define PF_EXITING_FLAG 0x4	   /* PF_EXITING */
#define PF_KTHREAD_FLAG 0x00200000 /* PF_KTHREAD */

/* The sampling threshold t (ns) in use: a wait of t or longer is always kept, a shorter one with
 * probability d / t. Userspace starts it at --off-cpu-threshold and raises it while more waits
 * are kept than the walk budget allows (src/bpf/offcpu_budget.h); each decision reads it once,
 * so every weight is unbiased for the t it was drawn with. */
__u64 offcpu_threshold_ns = 10 * 1000 * 1000;

/* Per thread: when it last went off the CPU (the run queue's clock, below), 0 once it ran again.
 * Task storage rather than a hash map by tid: the value lives with the task (no hashing, no
 * bucket lock, a line of the task touched per switch), and the kernel frees it when the thread
 * exits, so no entry outlives its thread and no map needs sizing; it holds one word per user
 * thread that went off the CPU since flamed started, bounded by the host's threads. An
 * allocation that fails is counted (offcpu_storage_full) and that wait is not seen. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} offcpu_since SEC(".maps");

/* Per CPU, what a switch needs besides the two threads' storage, in one line (flamed.h): the
 * random state, the counts of waits seen, and the wait sched_switch kept for the thread it
 * switches to, which on_switch_in (the end of the same __schedule, on the same CPU) walks. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flamed_offcpu_cpu);
} offcpu_cpu SEC(".maps");

/* A uniform 32-bit number from the CPU's xorshift64* state (Vigna): a few instructions in the
 * line the switch touches anyway, not a helper call on every short wait. */
static __always_inline __u32 offcpu_random(struct flamed_offcpu_cpu *c)
{
	__u64 x = c->rng;

	if (!x)
		x = ((__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32()) | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return (__u32)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Off-CPU nanoseconds (the kept waits' weights) per (thread, address space, stacks, comm), one
 * map per generation like the counts. Not preallocated: only kept waits add keys, a few per
 * thread and wait site. Sized at load time like the counts maps; a full map is counted
 * (offcpu_map_full, offcpu_ns_lost). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct flamed_count_key);
	__type(value, __u64);
} offcpu0 SEC(".maps"), offcpu1 SEC(".maps");

/* Now, by the clock of the run queue the switch happens on: __schedule has just updated it, so
 * it costs a few loads where bpf_ktime_get_ns() reads the TSC (several times the cost of the rest
 * of a switch). It is sched_clock, one clock for every CPU on hosts with a stable TSC, and t's
 * se.cfs_rq is set for tasks of every class. Kernels without group scheduling have no link from
 * a task to its run queue: bpf_ktime_get_ns() there, at both ends. */
static __always_inline __u64 offcpu_clock(struct task_struct *t)
{
	if (bpf_core_field_exists(struct cfs_rq, rq))
		return t->se.cfs_rq->rq->clock;
	return bpf_ktime_get_ns();
}

/* A switch from prev to next: prev's timestamp, next's wait measured and decided. Runs with
 * interrupts off, in prev's context. */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch_out, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct flamed_offcpu_cpu *c;
	__u64 *since, now, start, d, w, t;
	__u32 tgid, zero = 0;

	now = offcpu_clock(next);
	/* prev: not the idle task, a kernel thread, one that exits, flamed, a non-target (-p, --,
	 * or outside the target cgroups: prev is current here) */
	tgid = prev->tgid;
	if (prev->pid && !(prev->flags & (PF_KTHREAD_FLAG | PF_EXITING_FLAG)) &&
	    !(prev_state & TASK_DEAD_STATE) && tgid != cfg_self_tgid &&
	    (!cfg_filter || bpf_map_lookup_elem(&targets, &tgid)) &&
	    (!cfg_cgroup_filter || in_target_cgroup())) {
		since = bpf_task_storage_get(&offcpu_since, prev, 0,
					     BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (since)
			*since = now;
		else
			count(FLAMED_METRIC_OFFCPU_STORAGE_FULL);
	}
	/* next: only threads whose switch out was seen have storage */
	if (!next->pid)
		return 0;
	since = bpf_task_storage_get(&offcpu_since, next, 0, 0);
	if (!since)
		return 0;
	start = *since;
	if (!start)
		return 0;
	*since = 0;
	c = bpf_map_lookup_elem(&offcpu_cpu, &zero);
	if (!c)
		return 0; /* cannot happen (per-CPU array, key 0): the verifier needs the check */
	d = now > start ? now - start : 0;
	c->waits++;
	c->ns_seen += d;
	t = READ_ONCE(offcpu_threshold_ns);
	/* the random number only for a wait that needs it */
	w = offcpu_weight(d, t, d < t ? offcpu_random(c) : 0);
	if (w) {
		c->tid = next->pid;
		c->weight = w;
	}
	return 0;
}

/* __schedule ends: with is_switch, in the context of the thread that now runs again. If
 * sched_switch kept its wait, walk its stacks and count it. Interrupts are on here (the switch
 * has finished), so a CPU sample may interrupt the walk: ws->busy tells it to leave the per-CPU
 * state alone. */
SEC("tp_btf/sched_exit_tp")
int BPF_PROG(on_switch_in, bool is_switch)
{
	struct flamed_count_key key = {};
	struct task_struct *task;
	struct flamed_offcpu_cpu *c;
	struct recent_proc *slot;
	struct walk_state *ws;
	struct rt_out *out;
	__u32 gen, rt_ep, zero = 0;
	__u64 w;

	if (!is_switch)
		return 0;
	c = bpf_map_lookup_elem(&offcpu_cpu, &zero);
	if (!c || !c->tid)
		return 0;
	task = bpf_get_current_task_btf();
	key.tid = c->tid;
	w = c->weight;
	c->tid = 0;
	if (key.tid != (__u32)task->pid)
		return 0; /* cannot happen: the switch it was kept at ends here */
	count(FLAMED_METRIC_OFFCPU_KEPT);
	add(FLAMED_METRIC_OFFCPU_NS_KEPT, w);

	key.tgid = task->tgid;
	gen = READ_ONCE(active_gen);
	ws = bpf_map_lookup_elem(&walk_scratch, &zero);
	out = bpf_map_lookup_elem(&rt_scratch, &zero);
	slot = recent_slot(key.tgid);
	if (!ws || !out || !slot)
		return 0; /* cannot happen (per-CPU arrays, key 0): the verifier needs the check */
	ws->busy = 1;
	rt_ep = READ_ONCE(rt_epoch);
	identify(&key, ws, slot, task, rt_ep);
	/* the kernel's frames down to where it waited (do_nanosleep, pipe_read, futex_wait...) */
	key.kern_stack = capture_kernel_stack(ctx, gen);
	if (key.aspace) {
		/* the registers of its entry into the kernel: the user code that waits */
		ws->v.exact = 0;
		if (task_user_regs(task, &ws->v))
			capture_user_stack(&key, ws, out, task, gen, NULL);
		else
			count(FLAMED_METRIC_USTACK_ERR);
	}
	if (!key.kern_stack || (key.aspace && !key.user_stack))
		count(FLAMED_METRIC_OFFCPU_STACK_FAILED);
	if (add_count(gen & 1 ? (void *)&offcpu1 : (void *)&offcpu0, &key, w,
		      FLAMED_METRIC_OFFCPU_NS_LOST))
		count(FLAMED_METRIC_OFFCPU_MAP_FULL);
	else if (key.aspace)
		/* a process that only waits is never sampled on the CPU: announce it here */
		announce(ws, slot, key.tgid, key.aspace, task, rt_ep);
	ws->busy = 0;
	return 0;
}

#endif /* FLAMED_OFFCPU_BPF_H */
