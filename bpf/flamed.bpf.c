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
#include "flamed_lookup.h"

#define EEXIST 17 /* vmlinux.h has no errno values */

/* One load of x, of its own type, that the compiler neither repeats nor elides: a value
 * userspace or another CPU may change while the program runs is read once. */
#define READ_ONCE(x)	 (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

char LICENSE[] SEC("license") = "GPL";

/* Load-time knobs, set by src/bpf/sampler.c before load. */
const volatile __u32 cfg_self_tgid = 0;			/* flamed's own pid: never sampled */
const volatile __u8 cfg_filter = 0;			/* 1: only tgids in "targets" */
const volatile __u8 cfg_follow_forks = 0;		/* 1: children of targets become targets */
const volatile __u8 cfg_include_idle = 0;		/* 1: keep samples of the idle task */
const volatile __u8 cfg_unwind_mode = FLAMED_UNWIND_FP; /* enum flamed_unwind_mode */
const volatile __u8 cfg_phase_times = 0;		/* 1: FLAMED_METRIC_NS_* (bench only) */
const volatile __u8 cfg_cgroup_filter = 0;		/* 1: only tasks in "target_cgroups" */

/* Generation counter: its low bit selects the maps the program writes into (0 or 1). Userspace
 * advances it, waits for programs in flight to finish, then drains and clears the maps of the
 * previous value: no sample is lost while it reads. A sample reads it once. */
__u32 active_gen = 0;

/* The last generation whose count slots userspace collected: until then a CPU leaves a slot of
 * an older generation alone (and counts in the map), after it the slot is free. */
__u32 collected_gen = ~0u;

/* Advanced by userspace whenever it registers or removes a runtime process (rt_procs): a CPU's
 * note that a process runs none (known_recent) holds only for the value it was taken at. */
__u32 rt_epoch = 0;

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

/* Per CPU, the count keys it sampled last and their counts (flamed.h): at 19-99 Hz a hash-map
 * lookup in "counts" is a few cache and TLB misses (measured in bench/RESULTS.md), a slot hit
 * one line. Direct mapped by stack hashes and thread; 16 slots of one cache
 * line, 1 KiB a CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flamed_count_slots);
} count_slots SEC(".maps");

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

/* Per CPU, the stacks it stored last, by hash, with the generation they were stored in: a stack
 * seen again in the same generation is known to be in its map, so the hash-map lookup (a few
 * cache misses at 19-99 Hz) is skipped. Direct mapped by hash; an entry of an older generation
 * is a miss. 64 entries, 1 KiB a CPU. */
#define STACK_SEEN_SLOTS 64
struct stack_seen_entry {
	__u64 hash;
	__u32 gen;
	__u32 pad;
};
struct stack_seen {
	struct stack_seen_entry e[STACK_SEEN_SLOTS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_seen);
} stack_seen SEC(".maps");

/* Processes to profile when cfg_filter is set (-p, or the command after --, and with
 * cfg_follow_forks its descendants). Value unused. Sized at load time (default 8192). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Cgroup v2 ids of the targets when cfg_cgroup_filter is set: the pods --k8s-namespace and
 * --k8s-selector choose, the cgroups --cgroup names; userspace adds and removes them as pods come
 * and go. Value unused. A pod's id rather than its containers': all its containers, restarted
 * ones included, share the pod's cgroup, so none waits for userspace to learn its id; the price
 * is one ancestor lookup per target level (cgroup_levels) instead of the task's own id. Sized
 * for the pods of a busy node plus the paths given (FLAMED_MAX_TARGET_CGROUPS). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLAMED_MAX_TARGET_CGROUPS);
	__type(key, __u64);
	__type(value, __u8);
} target_cgroups SEC(".maps");

/* Bit l set: some target cgroup is at level l (the root is level 0, so bit 0 is never set).
 * Written by userspace whenever the targets change; a sample reads it once. */
__u32 cgroup_levels = 0;

/* Whether a task is in a target cgroup, by the address of its task_struct (the key is
 * bpf_get_current_task(): no memory read): the verdict a filtered sample needs costs one line,
 * where the task's cgroup id (task, css_set, cgroup, kernfs node), its ancestors' and the
 * target_cgroups bucket are cold misses each at 19-99 Hz. A slot holds the task's address with
 * bit 0 set when it is in a target (task_structs are cache-line aligned), 0 when empty: one
 * word, so a verdict is written and read whole, by two CPUs or by userspace's clearing at once.
 * A slot holds while its task lives in its cgroup: the task's exit (sched_process_exit) and the
 * move of a process to another cgroup (cgroup_attach_task, its leader) empty it, and userspace
 * empties them all when the targets change and at every drain (a sample in flight while its
 * task exits or moves, or another thread of a process that moved, may keep the old verdict:
 * for a drain at most). Direct mapped by address; a collision only costs the look-up again.
 * 4096 slots of 8 bytes (32 KiB): the threads a busy node runs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLAMED_CGROUP_VERDICTS);
	__uint(map_flags, BPF_F_MMAPABLE); /* userspace empties it with a memset */
	__type(key, __u32);
	__type(value, __u64);
} cgroup_verdicts SEC(".maps");

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

/* Per CPU, the (tgid, address space) pairs it last found in "known", one per slot (tgid mod
 * KNOWN_RECENT_SLOTS): a CPU mostly samples the processes it sampled last, so most samples skip
 * the hash lookup in "known", and, while rt_epoch has not moved, the one in rt_procs. A stale
 * slot only means the maps are asked again. 16 slots: 256 bytes a CPU. */
#define KNOWN_RECENT_SLOTS 16
struct recent_proc {
	__u64 aspace;
	__u32 tgid;
	__u32 rt; /* rt_epoch << 1 | 1 if a runtime process; ~0: not looked up */
};
struct known_recent {
	struct recent_proc pairs[KNOWN_RECENT_SLOTS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct known_recent);
} known_recent SEC(".maps");

/* New-process announcements (40-byte records). 256 KiB holds ~6000 between two reads; a full
 * buffer is counted (FLAMED_METRIC_PROC_EVENT_LOST) and the pair is announced again later. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void add(__u32 metric, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&metrics, &metric);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

static __always_inline void count(__u32 metric)
{
	add(metric, 1);
}

/* Charge the time since *t to metric and restart the clock; nothing unless cfg_phase_times
 * (the verifier then removes the branch as dead code), nor without t (off-CPU walks: the phases
 * measure CPU samples). */
static __always_inline void phase(__u32 metric, __u64 *t)
{
	__u64 now;

	if (!cfg_phase_times || !t)
		return;
	now = bpf_ktime_get_ns();
	add(metric, now - *t);
	*t = now;
}

/* A global function: the verifier checks it once, on its own, where an inlined loop over 127
 * frames was checked frame by frame at each call site (20k instructions); and unlike a
 * bpf_loop callback it costs no indirect call per frame. */
__noinline __u64 stack_hash(const struct flamed_stack *st, __u64 seed)
{
	__u64 h = 0xcbf29ce484222325ULL ^ seed;
	__u32 nr;

	if (!st)
		return 1;
	nr = st->nr;
	for (__u32 i = 0; i < FLAMED_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= nr;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	return h ? h : 1; /* 0 means "no stack" in flamed_count_key */
}

/* Store st in the stacks map of generation gen; returns its hash, or 0 if it could not be
 * stored. A global function: verified once, not at each of its three callers' states. */
__noinline __u64 store_stack(struct flamed_stack *st, __u32 gen, __u64 seed)
{
	void *stacks = gen & 1 ? (void *)&stacks1 : (void *)&stacks0;
	__u32 zero = 0;
	struct stack_seen *seen = bpf_map_lookup_elem(&stack_seen, &zero);
	struct stack_seen_entry *e = NULL;
	long err;
	__u64 h;

	if (!st)
		return 0;
	h = stack_hash(st, seed);

	if (seen) {
		e = &seen->e[h & (STACK_SEEN_SLOTS - 1)];
		if (e->hash == h && e->gen == gen) {
			count(FLAMED_METRIC_STACK_SEEN_HITS);
			return h;
		}
	}
	/* most stacks repeat: a lookup is cheap, while an update copies the whole 1 KiB value
	 * into a fresh element before it finds the key exists */
	if (!bpf_map_lookup_elem(stacks, &h)) {
		err = bpf_map_update_elem(stacks, &h, st, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count(FLAMED_METRIC_STACK_MAP_FULL);
			return 0;
		}
	}
	if (e) {
		e->hash = h;
		e->gen = gen;
	}
	return h;
}

/* Capture the kernel stack into scratch slot 0; returns its hash in this generation's stacks map,
 * or 0 (none). Not called for samples in user mode, which have none. */
static __always_inline __u64 capture_kernel_stack(void *ctx, __u32 gen)
{
	__u32 slot = 0;
	struct flamed_stack *st = bpf_map_lookup_elem(&scratch, &slot);
	long len;

	if (!st)
		return 0; /* cannot happen: the verifier needs the check */
	len = bpf_get_stack(ctx, st->ips, sizeof(st->ips), 0);
	if (len < 0) {
		count(FLAMED_METRIC_KSTACK_ERR);
		return 0;
	}
	st->nr = len / sizeof(__u64);
	st->flags = FLAMED_STACK_KERNEL;
	if (st->nr == 0)
		return 0;
	if (st->nr >= FLAMED_MAX_FRAMES) {
		st->flags |= FLAMED_STACK_TRUNCATED;
		count(FLAMED_METRIC_KSTACK_TRUNCATED);
	}
	return store_stack(st, gen, 0x6b65726e);
}

#include "unwind.bpf.h"

/* Address-space cookie: the mm pointer mixed with the process's start time. The kernel reuses
 * pids and mm_struct slots alike, so a process that gets both from one that exited still gets a
 * new cookie (and a fresh maps snapshot). 0 only without an mm (kernel threads). */
static __always_inline __u64 aspace_cookie(struct task_struct *task)
{
	/* mm through bpf_probe_read_kernel(): a pointer loaded directly stays a pointer to the
	 * verifier, which refuses to mix it into a hash; the start time by direct loads through
	 * the BTF-typed task (relocated by CO-RE all the same), two helper calls fewer a sample */
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);

	if (!mm)
		return 0;
	return (mm ^ (task->group_leader->start_time * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Whether process tgid runs a runtime flamed registered: its description copied into out for
 * the walk (ws->v.rt_on), and noted (ws->rt_state) for this CPU's recent slot. */
static __always_inline void find_runtime(struct walk_state *ws, struct rt_out *out, __u32 tgid,
					 __u64 aspace)
{
	struct flamed_rt_proc *rt = bpf_map_lookup_elem(&rt_procs, &tgid);

	ws->rt_state = rt != NULL;
	if (!rt)
		return;
	if (rt->aspace != aspace) {
		count(FLAMED_METRIC_RT_STALE); /* exec'd: userspace is told by the exec event */
		return;
	}
	__builtin_memcpy(&out->rt, rt, sizeof(out->rt));
	ws->v.rt_on = 1;
}

/* Whether the sampled task's cgroup is a target or below one: its ancestor at each level that
 * holds targets, looked up in target_cgroups. */
static __always_inline bool cgroup_is_target(void)
{
	__u32 levels = READ_ONCE(cgroup_levels);

	for (__u32 l = 1; l < 32; l++) {
		__u64 id;

		if (!(levels >> l))
			break;
		if (!(levels & (1u << l)))
			continue;
		id = bpf_get_current_ancestor_cgroup_id(l);
		if (id && bpf_map_lookup_elem(&target_cgroups, &id))
			return true;
	}
	return false;
}

/* The slot of the verdict on task (cgroup_verdicts), or NULL. */
static __always_inline __u64 *verdict_slot(__u64 task)
{
	/* task_structs are at least cache-line aligned: the low bits say nothing */
	__u32 i = (__u32)((task >> 6) ^ (task >> 19)) & (FLAMED_CGROUP_VERDICTS - 1);

	return bpf_map_lookup_elem(&cgroup_verdicts, &i);
}

/* cgroup_is_target for the current task, through its verdict when there is one. */
static __always_inline bool in_target_cgroup(void)
{
	__u64 task = bpf_get_current_task(), seen;
	__u64 *v = verdict_slot(task);
	bool keep;

	if (v) {
		seen = READ_ONCE(*v);
		if ((seen & ~1ULL) == task)
			return seen & 1;
	}
	keep = cgroup_is_target();
	if (v)
		WRITE_ONCE(*v, task | keep);
	return keep;
}

/* The task at address task (a number: the verifier refuses arithmetic on a task pointer) leaves
 * its cgroup (exit, or a move): its verdict, if it holds the slot, goes. */
static __always_inline void forget_verdict(__u64 task)
{
	__u64 *v = verdict_slot(task);

	if (v && (READ_ONCE(*v) & ~1ULL) == task)
		WRITE_ONCE(*v, 0);
}

/* Send a process event; false (and counted) when the ring buffer is full. */
static __always_inline bool send_event(__u32 type, __u32 tgid, __u64 aspace,
				       struct task_struct *task)
{
	struct flamed_proc_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count(FLAMED_METRIC_PROC_EVENT_LOST);
		return false;
	}
	ev->aspace = aspace;
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->tgid = tgid;
	ev->type = type;
	BPF_CORE_READ_STR_INTO(&ev->comm, task, group_leader, comm);
	bpf_ringbuf_submit(ev, 0);
	return true;
}

/* This CPU's recent slot for tgid (NULL only if the map lookup fails) */
static __always_inline struct recent_proc *recent_slot(__u32 tgid)
{
	__u32 zero = 0;
	struct known_recent *recent = bpf_map_lookup_elem(&known_recent, &zero);

	return recent ? &recent->pairs[tgid & (KNOWN_RECENT_SLOTS - 1)] : NULL;
}

/* Make sure userspace knows (tgid, aspace). ws->hit: this CPU's slot already holds the pair (no
 * hash lookup: at 19-99 Hz the lookup in "known" is a cold one; bench/RESULTS.md). ws->rt_state, when looked up, is noted in the slot for rt_ep. */
static __always_inline void announce(struct walk_state *ws, struct recent_proc *slot, __u32 tgid,
				     __u64 aspace, struct task_struct *task, __u32 rt_ep)
{
	struct aspace_key ak = { .aspace = aspace, .tgid = tgid };
	__s32 rt_state;
	__u8 one = 1;

	if (!VLOAD(ws->hit)) {
		if (!bpf_map_lookup_elem(&known, &ak)) {
			/* not marked known when the event is lost: the next sample announces it
			 * again */
			if (!send_event(FLAMED_EVENT_NEW_ASPACE, tgid, aspace, task))
				return;
			bpf_map_update_elem(&known, &ak, &one, BPF_ANY);
		}
		slot->aspace = aspace;
		slot->tgid = tgid;
		slot->rt = ~0u;
	}
	rt_state = READ_ONCE(ws->rt_state);
	if (rt_state >= 0)
		slot->rt = rt_ep << 1 | (__u32)rt_state;
}

/* The walker met code outside every mapping userspace described (a library loaded after the
 * snapshot, or a sample during exec): ask for a re-read, once in flight and at most once a
 * second per process. */
static __always_inline void request_remap(struct flamed_unwind_proc *proc, __u32 tgid, __u64 aspace,
					  struct task_struct *task)
{
	if (proc->remap_requested || bpf_ktime_get_ns() < proc->remap_after_ns)
		return;
	if (send_event(FLAMED_EVENT_REMAP, tgid, aspace, task)) {
		proc->remap_requested = 1;
		count(FLAMED_METRIC_UNWIND_REMAPS);
	}
}

/* The thread's identity in key (address space, comm) and this CPU's notes on its process in ws:
 * whether the CPU's recent slot holds it (ws->hit), and runs no runtime (ws->skip_rt). */
static __always_inline void identify(struct flamed_count_key *key, struct walk_state *ws,
				     const struct recent_proc *slot, struct task_struct *task,
				     __u32 rt_ep)
{
	key->aspace = aspace_cookie(task);
	bpf_get_current_comm(&key->comm, sizeof(key->comm));
	ws->hit = key->aspace && slot->tgid == key->tgid && slot->aspace == key->aspace;
	/* this CPU found it runs no runtime flamed walks, and none was registered since */
	ws->skip_rt = ws->hit && slot->rt == rt_ep << 1;
	ws->rt_state = -1;
}

/* The user stack of the thread, from the registers in ws->v, into key->user_stack: with its
 * process's unwind tables (or frame pointers), and its runtime's frames. */
static __always_inline void capture_user_stack(struct flamed_count_key *key, struct walk_state *ws,
					       struct rt_out *out, struct task_struct *task,
					       __u32 gen, __u64 *t)
{
	struct flamed_unwind_proc *proc = NULL;

	if (cfg_unwind_mode != FLAMED_UNWIND_FP) {
		proc = bpf_map_lookup_elem(&unwind_procs, &key->tgid);
		if (proc && proc->aspace != key->aspace)
			proc = NULL; /* stale: the process exec'd since */
		if (!proc)
			count(FLAMED_METRIC_UNWIND_NO_PROC);
	}
	/* without tables the same walker follows frame pointers, cheaper per frame than the
	 * kernel's user callchain walk behind bpf_get_stack() */
	ws->v.rt_on = 0;
	if (!VLOAD(ws->skip_rt))
		find_runtime(ws, out, key->tgid, key->aspace);
	ws->v.unknown_pc = 0;
	key->user_stack = walk_user_stack(gen, proc, out, ws, t);
	if (proc && VLOAD(ws->v.unknown_pc))
		request_remap(proc, key->tgid, key->aspace, task);
}

/* Add n to key's value in counts (a counts map: samples; an off-CPU map: nanoseconds); 0, or -1
 * when the map is full (n added to metric full: lost). */
static __always_inline int add_count(void *counts, struct flamed_count_key *key, __u64 n,
				     __u32 full)
{
	__u64 *val = bpf_map_lookup_elem(counts, key);
	long err;

	if (val) {
		__sync_fetch_and_add(val, n);
		return 0;
	}
	err = bpf_map_update_elem(counts, key, &n, BPF_NOEXIST);
	if (err == -EEXIST) { /* another CPU inserted it first */
		val = bpf_map_lookup_elem(counts, key);
		if (val)
			__sync_fetch_and_add(val, n);
		return 0;
	}
	if (err) {
		add(full, n);
		return -1;
	}
	return 0;
}

static __always_inline bool same_key(const struct flamed_count_key *a,
				     const struct flamed_count_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	for (__u32 i = 0; i < sizeof(*a) / 8; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* Count the sample in this CPU's slot for key: true when done there, false when the slot belongs
 * to an older generation userspace has not collected yet (the caller counts in the map). A slot
 * of another key of this generation is moved to the map first. */
static __always_inline bool count_in_slot(struct flamed_count_key *key, __u32 gen, void *counts)
{
	__u32 zero = 0, i, n, sgen;
	struct flamed_count_slots *slots = bpf_map_lookup_elem(&count_slots, &zero);
	struct flamed_count_slot *cs;

	if (!slots)
		return false;
	i = (__u32)(((key->user_stack ^ key->kern_stack ^ key->tid) * 0x9e3779b97f4a7c15ULL) >> 60);
	cs = &slots->s[i & (FLAMED_COUNT_SLOTS - 1)];
	n = cs->n;
	sgen = cs->gen;
	if (n && sgen == gen && same_key(&cs->key, key)) {
		cs->n = n + 1;
		count(FLAMED_METRIC_COUNT_SLOT_HITS);
		return true;
	}
	if (n && sgen != gen) {
		if ((__s32)(READ_ONCE(collected_gen) - sgen) < 0)
			return false; /* userspace has yet to collect it */
	} else if (n) {
		/* the slot's key moves to the map; a full map loses its samples: counted as
		 * count_map_full, and no longer as counted */
		if (add_count(counts, &cs->key, n, FLAMED_METRIC_COUNT_MAP_FULL))
			add(FLAMED_METRIC_COUNTED, -(__u64)n);
	}
	cs->key = *key;
	cs->gen = gen;
	cs->n = 1;
	return true;
}

/* Count one sample of key in generation gen: in this CPU's slot, else in the counts map; 0, or -1
 * when it was lost to a full map (counted). A global function: verified once, apart from the
 * walker's states. */
__noinline int count_sample(struct flamed_count_key *key, __u32 gen)
{
	void *counts = gen & 1 ? (void *)&counts1 : (void *)&counts0;

	if (!key)
		return -1;
	if (count_in_slot(key, gen, counts))
		return 0;
	return add_count(counts, key, 1, FLAMED_METRIC_COUNT_MAP_FULL);
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct flamed_count_key key = {};
	struct task_struct *task;
	__u64 pid_tgid, t = 0, cs;
	struct recent_proc *slot;
	struct walk_state *ws;
	struct rt_out *out;
	__u32 gen, rt_ep, zero = 0;

	if (cfg_phase_times)
		t = bpf_ktime_get_ns();
	/* first: a sample of another cgroup costs its verdict's line and a counter */
	if (cfg_cgroup_filter && !in_target_cgroup()) {
		count(FLAMED_METRIC_CGROUP_FILTERED);
		return 0;
	}
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

	gen = READ_ONCE(active_gen); /* once: every map of this sample from one generation */
	ws = bpf_map_lookup_elem(&walk_scratch, &zero);
	out = bpf_map_lookup_elem(&rt_scratch, &zero);
	slot = recent_slot(key.tgid);
	if (!ws || !out || !slot)
		return 0; /* cannot happen (per-CPU arrays, key 0): the verifier needs the check */
	if (VLOAD(ws->busy)) {
		/* this sample interrupted an off-CPU event's walk, whose state it would clobber */
		count(FLAMED_METRIC_OFFCPU_CPU_SAMPLES_LOST);
		return 0;
	}

	task = bpf_get_current_task_btf();
	rt_ep = READ_ONCE(rt_epoch);
	identify(&key, ws, slot, task, rt_ep);
	/* the context allows only 8-byte loads; cs shares its word with padding */
	cs = *(volatile __u64 *)((void *)&ctx->regs + __builtin_offsetof(struct pt_regs, cs));
	ws->v.exact = (cs & 3) == 3; /* the sample hit user mode */
	phase(FLAMED_METRIC_NS_HEAD, &t);
	/* a sample in user mode has no kernel stack: bpf_get_stack() would only say so, after
	 * touching cold caches (bench/RESULTS.md) */
	if (!VLOAD(ws->v.exact))
		key.kern_stack = capture_kernel_stack(ctx, gen);
	phase(FLAMED_METRIC_NS_KSTACK, &t);
	if (key.aspace) { /* kernel threads have no mm and no user stack */
		/* the outcome in map memory (the walk resets it), so that one path goes on */
		ws->v.stop = 0;
		if (VLOAD(ws->v.exact)) { /* the sample hit user mode: its registers are exact */
			ws->v.pc = ctx->regs.ip;
			ws->v.sp = ctx->regs.sp;
			ws->v.bp = ctx->regs.bp;
			ws->v.r13 = ctx->regs.r13;
		} else if (!task_user_regs(task, &ws->v)) { /* saved at kernel entry */
			ws->v.stop = FLAMED_METRIC_USTACK_ERR;
		}
		if (VLOAD(ws->v.stop))
			count(FLAMED_METRIC_USTACK_ERR);
		else
			capture_user_stack(&key, ws, out, task, gen, &t);
		phase(FLAMED_METRIC_NS_USTORE, &t);
	}

	if (count_sample(&key, gen))
		return 0;
	count(FLAMED_METRIC_COUNTED);
	phase(FLAMED_METRIC_NS_COUNT, &t);
	if (key.aspace)
		announce(ws, slot, key.tgid, key.aspace, task, rt_ep);
	phase(FLAMED_METRIC_NS_ANNOUNCE, &t);
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

/* An exec completed: the process has its new address space and its final name (a sample taken
 * during the exec sees the new mm with the old comm and no libraries yet). Announce it now, even
 * if a sample already did, so userspace snapshots the finished image. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct aspace_key ak = {};

	ak.tgid = BPF_CORE_READ(p, tgid);
	if (cfg_filter && !bpf_map_lookup_elem(&targets, &ak.tgid))
		return 0;
	ak.aspace = aspace_cookie(p);
	if (!ak.aspace || ak.tgid == cfg_self_tgid)
		return 0;
	/* not marked known: userspace reads a process only once a sample shows it runs (an exec
	 * storm of processes never sampled costs no snapshots), then its first sample after the
	 * exec announces it; this event only refreshes a process announced already (by a sample
	 * during the exec), so on the whole host no other exec wakes userspace. Targets are read
	 * at their exec. */
	if (!cfg_filter && !bpf_map_lookup_elem(&known, &ak))
		return 0;
	send_event(FLAMED_EVENT_EXEC, ak.tgid, ak.aspace, p);
	return 0;
}

/* A process with unwind tables ended (its last thread): userspace releases its tables, so rows of
 * binaries no process maps any more are reused. Only processes in "unwind_procs" are reported. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid;

	if (cfg_cgroup_filter) /* every thread's: the verdicts are per task; p is current */
		forget_verdict(bpf_get_current_task());
	if (cfg_unwind_mode == FLAMED_UNWIND_FP)
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* other threads live on */
	tgid = BPF_CORE_READ(p, tgid);
	if (!bpf_map_lookup_elem(&unwind_procs, &tgid))
		return 0;
	send_event(FLAMED_EVENT_EXIT, tgid, 0, p);
	return 0;
}

/* A task moved to another cgroup (cgroup.procs, a container's first process joining its pod's):
 * its verdict is judged again at its next sample. Loaded only with cgroup targets. */
SEC("tp_btf/cgroup_attach_task")
int on_cgroup_attach(__u64 *ctx)
{
	__u64 task = 0;

	/* the task, the tracepoint's third argument, as a number */
	bpf_probe_read_kernel(&task, sizeof(task), &ctx[2]);
	forget_verdict(task);
	return 0;
}

#include "offcpu.bpf.h"
