/* SPDX-License-Identifier: MIT */
/* CRuby processes: which processes run a CRuby flamed knows (a mapped libruby or ruby binary
 * exporting ruby_current_vm_ptr and rb_vm_exec, its version from ruby_version), what the
 * BPF walker needs for them (vm_exec_core, found as the largest function rb_vm_exec calls; YJIT's
 * code), and what their frames name: iseqs (label, file, first line, line table), method
 * entries (class path, method name), read once per object with process_vm_readv and kept under
 * a byte budget, checked once per drain.
 *
 * Everything read is the process's to forge: sizes are capped, types checked, strings
 * sanitized; a failed read names the frame "[ruby]" (or leaves out its class or line) and is
 * counted. */
#ifndef FLAMED_RB_PROCS_H
#define FLAMED_RB_PROCS_H

#include <stdint.h>

#include "runtime/runtime.h"

struct rb_procs;

#define RB_PROCS_CACHE_BYTES	  (32u << 20) /* names and line tables, all processes */
#define RB_PROCS_PROC_CACHE_BYTES (4u << 20)  /* ... per process: past it, it starts over */

struct rb_procs_stats {
	uint64_t processes;	  /* Ruby processes registered for the walker */
	uint64_t unknown_version; /* processes of a Ruby flamed does not know */
	uint64_t iseq_read;	  /* iseqs read */
	uint64_t iseq_failed;	  /* ... unreadable (process gone, not an iseq) */
	uint64_t me_read;	  /* method entries read (C functions, classes of methods) */
	uint64_t me_failed;	  /* ... unreadable */
	uint64_t over_budget; /* objects not kept: the byte budget of all processes was reached */
	uint64_t evicted;     /* objects dropped when a process's cache started over */
	uint64_t replaced;    /* cached, then found replaced by another at its address */
	uint64_t cache_bytes; /* bytes held now */
	uint64_t frames_unnamed; /* Ruby frames shown as "[ruby]" */
	uint64_t no_class;	 /* methods shown without their class (unreadable) */
	uint64_t no_line;	 /* Ruby frames shown without a line */
};

/* The Ruby module of the runtime registry (runtime.h). Two words per frame (bpf/flamed.h
 * FLAMED_RB_*). */
extern const struct runtime_ops rb_runtime_ops;

/* Counters of an rb_runtime_ops instance (runtimes__module(..., FLAMED_RT_RUBY)). */
struct rb_procs_stats rb_procs__stats(const struct rb_procs *rp);

#endif /* FLAMED_RB_PROCS_H */
