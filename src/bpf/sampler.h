/* SPDX-License-Identifier: MIT */
/* The BPF side seen from userspace: load and size the program, open one cpu-clock perf event per
 * online CPU, manage target processes, drain counts and stacks (double-buffered), read the per-CPU
 * metrics, and deliver new-process events. The only module that knows libbpf. */
#ifndef FLAMED_SAMPLER_H
#define FLAMED_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "flamed.h"

struct sampler;

struct sampler_opts {
	const char *btf_path;	       /* kernel BTF for CO-RE; NULL = the running kernel's */
	int freq_hz;		       /* samples per second per CPU */
	bool filter;		       /* only processes added with sampler__add_target */
	bool follow_forks;	       /* children of targets become targets (needs filter) */
	bool include_idle;	       /* keep samples of the idle task */
	bool cgroup_filter;	       /* only tasks in the cgroups of sampler__set_cgroups */
	uint32_t drain_ms;	       /* how often the caller drains; sizes the maps */
	uint32_t max_targets;	       /* 0 = 8192 */
	int unwind_mode;	       /* enum flamed_unwind_mode */
	uint32_t unwind_procs;	       /* processes with tables; 0 = 4096 */
	uint64_t unwind_memory;	       /* bytes of unwind tables at most; 0 = 256 MiB */
	bool explain_failure;	       /* a failed load is tried once more for libbpf to print the
				 * verifier's log (through libbpf_set_print's callback) */
	bool off_cpu;		       /* also record where threads wait (bpf/offcpu.bpf.h) */
	uint64_t off_cpu_threshold_ns; /* waits this long are always kept, shorter ones with
					* probability d / threshold (bpf/flamed_offcpu.h): the
					* threshold's floor */
	uint32_t off_cpu_walks;	       /* kept waits (stack walks) a second per CPU, on average:
					* past it the threshold rises (offcpu_budget.h); 0: fixed */
};

/* What loading cost (sampler__load): wall time of opening the object (parsing its ELF and BTF)
 * and of loading it (CO-RE against the kernel's BTF, creating the maps, the verifier), the load's
 * CPU split into user (libbpf: BTF, relocations) and system (the kernel: verifier, maps), and
 * the bytes of BPF maps mapped into this process (resident: they count in its RSS). */
struct sampler_load_stats {
	uint64_t open_ns;		/* bpf_object open (BTF parse) */
	uint64_t load_ns;		/* time to load the object (verifier included) */
	uint64_t load_user_ns;		/* ... of it flamed's CPU in user mode (libbpf) */
	uint64_t load_sys_ns;		/* ... and in the kernel (verifier, maps) */
	uint64_t verifier_us;		/* the kernel's verification time of on_cpu_sample */
	uint64_t verifier_insns;	/* instructions the verifier processed for it */
	uint64_t offcpu_verifier_us;	/* the same for on_switch_in (off-CPU), 0 without */
	uint64_t offcpu_verifier_insns; /* ... */
	size_t mapped_bytes;		/* BPF map memory mapped into flamed (counts in its RSS) */
};

/* Called for each new (process, address space) the BPF program announces. */
typedef void (*sampler_event_fn)(const struct flamed_proc_event *ev, void *ctx);
/* Called for each drained stack (borrowed for the call) and count entry (samples, or off-CPU
 * nanoseconds). */
typedef int (*sampler_stack_fn)(uint64_t hash, const struct flamed_stack *st, void *ctx);
typedef int (*sampler_count_fn)(const struct flamed_count_key *key, uint64_t count, void *ctx);

/* Whether the kernel has what --off-cpu needs: the sched_exit_tp tracepoint (Linux 6.16), the
 * one point where a thread that ran again is current and still has the stacks it waited with.
 * btf_path as in sampler_opts. */
bool sampler_offcpu_supported(const char *btf_path);

/* Open, size and load the BPF object (not attached yet); on_event/event_ctx are borrowed for the
 * sampler's life. New object or NULL with errno. */
struct sampler *sampler__load(const struct sampler_opts *opts, sampler_event_fn on_event,
			      void *event_ctx);

/* Add a target process (before or after attach). 0 or -errno. */
int sampler__add_target(struct sampler *s, uint32_t tgid);

/* A target cgroup: its cgroup v2 id and its level (proc/cgroup_fs.h). */
struct sampler_cgroup {
	uint64_t id;
	uint32_t level; /* 1..31 */
};

/* Make the program's target cgroups (opts.cgroup_filter) exactly cg[0, nr) (borrowed): new ones
 * added before the levels to look at are widened, old ones removed after. 0, or -errno: -E2BIG
 * past FLAMED_MAX_TARGET_CGROUPS (the first ones are kept), -EINVAL (a level out of range). */
int sampler__set_cgroups(struct sampler *s, const struct sampler_cgroup *cg, size_t nr);

/* Open the perf events (a fixed period of 1/freq_hz s of CPU clock) and attach. 0 or -errno. */
int sampler__attach(struct sampler *s);

/* Stop sampling (destroy the perf events); maps stay readable for a final drain. NULL-safe. */
void sampler__detach(struct sampler *s);

/* Epoll-able fd that becomes readable when new-process events are pending. */
int sampler__event_fd(const struct sampler *s);

/* Deliver pending new-process events to the callback. Number delivered or -errno. */
int sampler__poll_events(struct sampler *s);

/* Switch generations, wait for programs in flight, and hand every stack, then every count and
 * every off-CPU total (on_offcpu, nanoseconds; may be NULL without off_cpu) of the previous
 * generation to the callbacks, clearing it. Stacks come first so a count never refers to a stack
 * the caller has not seen. 0 or -errno (or a callback's negative return). */
int sampler__drain(struct sampler *s, sampler_stack_fn on_stack, sampler_count_fn on_count,
		   sampler_count_fn on_offcpu, void *ctx);

/* Load a table (flamed.h: page index then rows, nr 8-byte elements, borrowed) under id table
 * (its blocks in unwind_blocks); *ret_bytes (may be NULL) gets the kernel memory it takes.
 * Process descriptions may refer to the id once this returns. 0 or -errno (-EINVAL with --unwind
 * fp, -E2BIG past --unwind-memory). */
int sampler__add_unwind_table(struct sampler *s, uint32_t table, const void *elems, uint32_t nr,
			      size_t *ret_bytes);

/* Delete the table of nr elements loaded under id table; the kernel frees each block once no
 * program in flight uses it. 0 or -errno. */
int sampler__delete_unwind_table(struct sampler *s, uint32_t table, uint32_t nr);

/* Publish (or replace) the mappings of process tgid for the BPF walker. 0 or -errno (-E2BIG when
 * the map is full). */
int sampler__set_unwind_proc(struct sampler *s, uint32_t tgid,
			     const struct flamed_unwind_proc *proc);

/* Forget process tgid's mappings (it exited). 0 or -errno (-ENOENT if unknown). */
int sampler__delete_unwind_proc(struct sampler *s, uint32_t tgid);

/* Publish (or replace) process tgid's language runtime for the walker (bpf/runtime.bpf.h).
 * 0 or -errno (-E2BIG when the map is full). */
int sampler__set_rt_proc(struct sampler *s, uint32_t tgid, const struct flamed_rt_proc *proc);

/* Forget process tgid's runtime. 0 or -errno (-ENOENT if unknown). */
int sampler__delete_rt_proc(struct sampler *s, uint32_t tgid);

/* The off-CPU sampling threshold: in use now, and the least and most used since attach. */
struct sampler_offcpu_threshold {
	uint64_t now_ns, min_ns, max_ns;
};
struct sampler_offcpu_threshold sampler__offcpu_threshold(const struct sampler *s);

/* Sum of each metric over all CPUs into out[FLAMED_METRIC__MAX]. 0 or -errno. */
int sampler__read_metrics(const struct sampler *s, uint64_t *out);

/* Name of a metric for summaries ("count_map_full"). Static string. */
const char *sampler_metric_name(enum flamed_metric m);

/* What sampler__load cost. */
struct sampler_load_stats sampler__load_stats(const struct sampler *s);

/* Number of CPUs sampled after attach. */
int sampler__nr_cpus(const struct sampler *s);

/* Bytes of BPF map memory this sampler asked for (keys + values x max entries). */
size_t sampler__map_bytes(const struct sampler *s);

/* Detach and free. NULL-safe. */
void sampler__free(struct sampler *s);

#endif /* FLAMED_SAMPLER_H */
