// SPDX-License-Identifier: GPL-2.0
/* on_cpu_sample(): runs on every cpu-clock overflow. Filter, capture kernel and user stacks,
 * deduplicate them by hash, and count (thread, address space, stacks) in BPF maps, so only unique
 * stacks and counts cross to userspace.
 *
 * Why bpf_get_stack() and our own 64-bit hash rather than bpf_get_stackid() and a STACK_TRACE
 * map: stack-trace maps index buckets by a 32-bit hash and return -EEXIST on collision, which
 * silently loses hot stacks (bcc#2171, bcc#3389); their entries cannot be safely reused
 * (BPF_F_REUSE_STACKID returns wrong stacks); and the DWARF unwinder of src/unwind/ must write its
 * frames into our own buffer anyway. A 64-bit hash makes collisions negligible, and the stacks
 * map is drained and cleared with the counts (double-buffered by generation). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "flamed.h"

#define EEXIST 17 /* vmlinux.h has no errno values */

char LICENSE[] SEC("license") = "GPL";

/* Load-time knobs, set by src/bpf/sampler.c before load. */
const volatile __u32 cfg_self_tgid = 0;	  /* flamed's own pid: never sampled */
const volatile __u8 cfg_filter = 0;	  /* 1: only tgids in "targets" */
const volatile __u8 cfg_follow_forks = 0; /* 1: children of targets become targets */
const volatile __u8 cfg_include_idle = 0; /* 1: keep samples of the idle task */

/* Generation the program writes into (0 or 1). Userspace flips it, waits for programs in flight
 * to finish, then drains and clears the other generation: no sample is lost while it reads. */
__u32 active_gen = 0;

/* Per-CPU drop and event counters; one slot per enum flamed_metric. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLAMED_METRIC__MAX);
	__type(key, __u32);
	__type(value, __u64);
} metrics SEC(".maps");

/* Sample counts per (thread, address space, stacks, comm), one map per generation. Sized at load
 * time from CPUs x frequency x drain interval (at load time it will be adjusted). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct flamed_count_key);
	__type(value, __u64);
} counts0 SEC(".maps"), counts1 SEC(".maps");

/* Unique stacks by 64-bit hash (user and kernel in one map, hashed with different seeds), one map
 * per generation; at most one new entry per sample, so sized like the counts maps. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct flamed_stack);
} stacks0 SEC(".maps"), stacks1 SEC(".maps");

/* Scratch space for the two stacks of the current sample: 2 KiB does not fit the 512-byte BPF
 * stack. Slot 0 = kernel, 1 = user. Per CPU, and perf_event programs do not nest on a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct flamed_stack);
} scratch SEC(".maps");

/* Processes to profile when cfg_filter is set (-p, or the command after --, and with
 * cfg_follow_forks its descendants). Value unused. Sized at load time (default 8192). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct aspace_key {
	__u64 aspace;
	__u32 tgid;
	__u32 pad;
};

/* (tgid, address space) pairs already announced to userspace. LRU: an evicted pair is announced
 * again, which only costs userspace a redundant maps read. 16384 covers busy hosts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct aspace_key);
	__type(value, __u8);
} known SEC(".maps");

/* New-process announcements (40-byte records). 256 KiB holds ~6000 between two reads; a full
 * buffer is counted (FLAMED_METRIC_PROC_EVENT_LOST) and the pair is announced again later. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void count(__u32 metric)
{
	__u64 *v = bpf_map_lookup_elem(&metrics, &metric);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline __u64 stack_hash(const struct flamed_stack *st, __u64 seed)
{
	__u64 h = 0xcbf29ce484222325ULL ^ seed;

	for (__u32 i = 0; i < FLAMED_MAX_FRAMES; i++) {
		if (i >= st->nr)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= st->nr;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	return h ? h : 1; /* 0 means "no stack" in flamed_count_key */
}

/* Store st in the stacks map of this generation; returns its hash, or 0 if it could not be
 * stored. */
static __always_inline __u64 store_stack(void *stacks, struct flamed_stack *st, __u64 seed)
{
	__u64 h = stack_hash(st, seed);
	long err;

	err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count(FLAMED_METRIC_STACK_MAP_FULL);
		return 0;
	}
	return h;
}

/* Capture one stack into scratch slot; returns its hash in this generation's stacks map, or 0. */
static __always_inline __u64 capture_stack(struct bpf_perf_event_data *ctx, void *stacks,
					   __u32 slot, __u64 flags)
{
	struct flamed_stack *st = bpf_map_lookup_elem(&scratch, &slot);
	bool user = flags & BPF_F_USER_STACK;
	long len;

	if (!st)
		return 0; /* cannot happen: the verifier needs the check */
	len = bpf_get_stack(ctx, st->ips, sizeof(st->ips), flags);
	if (len < 0) {
		count(user ? FLAMED_METRIC_USTACK_ERR : FLAMED_METRIC_KSTACK_ERR);
		return 0;
	}
	st->nr = len / sizeof(__u64);
	st->flags = user ? 0 : FLAMED_STACK_KERNEL;
	if (st->nr == 0) {
		if (user)
			count(FLAMED_METRIC_USTACK_EMPTY);
		return 0;
	}
	if (st->nr >= FLAMED_MAX_FRAMES) {
		st->flags |= FLAMED_STACK_TRUNCATED;
		count(user ? FLAMED_METRIC_USTACK_TRUNCATED : FLAMED_METRIC_KSTACK_TRUNCATED);
	}
	return store_stack(stacks, st, user ? 0x75736572 : 0x6b65726e);
}

static __always_inline void announce(__u32 tgid, __u64 aspace, struct task_struct *task)
{
	struct aspace_key ak = { .aspace = aspace, .tgid = tgid };
	struct flamed_proc_event *ev;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&known, &ak))
		return;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(FLAMED_METRIC_PROC_EVENT_LOST);
		return; /* not marked known: announced at the next sample */
	}
	ev->aspace = aspace;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->tgid = tgid;
	ev->type = FLAMED_EVENT_NEW_ASPACE;
	BPF_CORE_READ_STR_INTO(&ev->comm, task, group_leader, comm);
	bpf_ringbuf_submit(ev, 0);
	bpf_map_update_elem(&known, &ak, &one, BPF_ANY);
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct flamed_count_key key = {};
	struct task_struct *task;
	__u64 pid_tgid, *val, one = 1;
	void *counts, *stacks;
	long err;

	count(FLAMED_METRIC_SAMPLES);
	pid_tgid = bpf_get_current_pid_tgid();
	key.tgid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	if (key.tid == 0 && !cfg_include_idle) {
		count(FLAMED_METRIC_IDLE);
		return 0;
	}
	if (key.tgid == cfg_self_tgid) {
		count(FLAMED_METRIC_SELF);
		return 0;
	}
	if (cfg_filter && !bpf_map_lookup_elem(&targets, &key.tgid)) {
		count(FLAMED_METRIC_FILTERED);
		return 0;
	}

	if (active_gen) {
		counts = &counts1;
		stacks = &stacks1;
	} else {
		counts = &counts0;
		stacks = &stacks0;
	}

	task = bpf_get_current_task_btf();
	key.aspace = (__u64)BPF_CORE_READ(task, mm);
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kern_stack = capture_stack(ctx, stacks, 0, 0);
	if (key.aspace) /* kernel threads have no mm and no user stack */
		key.user_stack = capture_stack(ctx, stacks, 1, BPF_F_USER_STACK);

	val = bpf_map_lookup_elem(counts, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
	} else {
		err = bpf_map_update_elem(counts, &key, &one, BPF_NOEXIST);
		if (err == -EEXIST) { /* another CPU inserted it first */
			val = bpf_map_lookup_elem(counts, &key);
			if (val)
				__sync_fetch_and_add(val, 1);
		} else if (err) {
			count(FLAMED_METRIC_COUNT_MAP_FULL);
			return 0;
		}
	}
	count(FLAMED_METRIC_COUNTED);
	if (key.aspace)
		announce(key.tgid, key.aspace, task);
	return 0;
}

/* Follow children of target processes (the command after "--" and what it starts). Threads share
 * their parent's tgid and need nothing. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid, ctgid;
	__u8 one = 1;

	if (!cfg_follow_forks)
		return 0;
	ptgid = BPF_CORE_READ(parent, tgid);
	ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY))
		count(FLAMED_METRIC_TARGETS_FULL);
	else
		count(FLAMED_METRIC_TARGET_FORKS);
	return 0;
}
