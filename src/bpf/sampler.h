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
	const char *btf_path;  /* kernel BTF for CO-RE; NULL = the running kernel's */
	int freq_hz;	       /* samples per second per CPU */
	bool filter;	       /* only processes added with sampler__add_target */
	bool follow_forks;     /* children of targets become targets (needs filter) */
	bool include_idle;     /* keep samples of the idle task */
	uint32_t drain_ms;     /* how often the caller drains; sizes the maps */
	uint32_t max_targets;  /* 0 = 8192 */
	int unwind_mode;       /* enum flamed_unwind_mode */
	uint32_t unwind_rows;  /* rows of table space; 0 = 2M (16 MiB); unused with FP */
	uint32_t unwind_procs; /* processes with tables; 0 = 4096 */
};

/* Called for each new (process, address space) the BPF program announces. */
typedef void (*sampler_event_fn)(const struct flamed_proc_event *ev, void *ctx);
/* Called for each drained stack (borrowed for the call) and count entry. */
typedef int (*sampler_stack_fn)(uint64_t hash, const struct flamed_stack *st, void *ctx);
typedef int (*sampler_count_fn)(const struct flamed_count_key *key, uint64_t count, void *ctx);

/* Open, size and load the BPF object (not attached yet); on_event/event_ctx are borrowed for the
 * sampler's life. New object or NULL with errno. */
struct sampler *sampler__load(const struct sampler_opts *opts, sampler_event_fn on_event,
			      void *event_ctx);

/* Add a target process (before or after attach). 0 or -errno. */
int sampler__add_target(struct sampler *s, uint32_t tgid);

/* Open the perf events and attach. 0 or -errno (-EINVAL for a frequency the kernel refuses). */
int sampler__attach(struct sampler *s);

/* Stop sampling (destroy the perf events); maps stay readable for a final drain. NULL-safe. */
void sampler__detach(struct sampler *s);

/* Epoll-able fd that becomes readable when new-process events are pending. */
int sampler__event_fd(const struct sampler *s);

/* Deliver pending new-process events to the callback. Number delivered or -errno. */
int sampler__poll_events(struct sampler *s);

/* Switch generations, wait for programs in flight, and hand every stack then every count of the
 * previous generation to the callbacks, clearing it. Stacks come first so a count never refers to
 * a stack the caller has not seen. 0 or -errno (or a callback's negative return). */
int sampler__drain(struct sampler *s, sampler_stack_fn on_stack, sampler_count_fn on_count,
		   void *ctx);

/* The unwind-row array, mapped writable into this process (NULL with FP unwinding); *ret_cap gets
 * its number of rows. Borrowed until sampler__free. Rows a process refers to must be written
 * before sampler__set_unwind_proc publishes them. */
struct flamed_unwind_row *sampler__unwind_rows(const struct sampler *s, uint32_t *ret_cap);

/* Publish (or replace) the mappings of process tgid for the BPF walker. 0 or -errno (-E2BIG when
 * the map is full). */
int sampler__set_unwind_proc(struct sampler *s, uint32_t tgid,
			     const struct flamed_unwind_proc *proc);

/* Forget process tgid's mappings (it exited). 0 or -errno (-ENOENT if unknown). */
int sampler__delete_unwind_proc(struct sampler *s, uint32_t tgid);

/* Publish (or replace) where process tgid's CPython interpreter is, for the Python walker.
 * 0 or -errno (-E2BIG when the map is full). */
int sampler__set_py_proc(struct sampler *s, uint32_t tgid, const struct flamed_py_proc *proc);

/* Forget process tgid's interpreter. 0 or -errno (-ENOENT if unknown). */
int sampler__delete_py_proc(struct sampler *s, uint32_t tgid);

/* Sum of each metric over all CPUs into out[FLAMED_METRIC__MAX]. 0 or -errno. */
int sampler__read_metrics(const struct sampler *s, uint64_t *out);

/* Name of a metric for summaries ("count_map_full"). Static string. */
const char *sampler_metric_name(enum flamed_metric m);

/* Number of CPUs sampled after attach. */
int sampler__nr_cpus(const struct sampler *s);

/* Bytes of BPF map memory this sampler asked for (keys + values x max entries). */
size_t sampler__map_bytes(const struct sampler *s);

/* Detach and free. NULL-safe. */
void sampler__free(struct sampler *s);

#endif /* FLAMED_SAMPLER_H */
