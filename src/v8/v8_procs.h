/* SPDX-License-Identifier: MIT */
/* V8 processes (Node.js, and programs embedding V8): which processes run a V8 flamed can walk
 * (found by the post-mortem metadata their binary or a mapped library exports), the code ranges
 * and parameters the BPF walker needs, and what names their JavaScript frames: functions'
 * names, scripts' names and line ends, code objects' position tables and inlined functions,
 * read once per object with process_vm_readv and kept under a byte budget.
 *
 * The garbage collector moves objects: each frame record holds two objects that must still
 * point at each other (a function and its bytecode, a code object and its function), or a tag of
 * the object, checked on every use; what does not match is shown unnamed and counted, never as
 * another function. Everything read is the process's to forge: sizes capped, types checked. */
#ifndef FLAMED_V8_PROCS_H
#define FLAMED_V8_PROCS_H

#include <stdint.h>

#include "runtime/runtime.h"

struct v8_procs;

#define V8_PROCS_CACHE_BYTES	  (64u << 20) /* names, lines and tables, all processes */
#define V8_PROCS_PROC_CACHE_BYTES (16u << 20) /* ... and per process */
#define V8_PROCS_MAX_SOURCE	  (16u << 20) /* characters of a script read for its lines */
#define V8_PROCS_MAX_TABLE	  (1u << 20)  /* bytes of a position table or of bytecode */
#define V8_PROCS_MAX_NAME	  256	      /* characters kept of a name or a script's name */

struct v8_procs_stats {
	uint64_t processes;	   /* V8 processes registered for the walker */
	uint64_t unsupported;	   /* processes with a V8 flamed cannot walk */
	uint64_t functions_read;   /* SharedFunctionInfos read */
	uint64_t functions_failed; /* ... unreadable (process gone, not a function) */
	uint64_t functions_moved;  /* cached, then found to be another object at the address */
	uint64_t codes_read;	   /* Code objects read */
	uint64_t codes_failed;
	uint64_t scripts_read;	   /* scripts whose name and line ends were read */
	uint64_t scripts_no_lines; /* ... whose source could not be read */
	uint64_t over_budget;	   /* objects not kept: the byte budget was reached */
	uint64_t cache_bytes;	   /* bytes held now */
	uint64_t frames[4];	   /* JS frames shown by record type (FLAMED_V8_*): [0] inlined */
	uint64_t frames_baseline;  /* ... of JIT records: baseline (Sparkplug) code */
	uint64_t frames_unnamed;   /* JS frames shown as "[js]" */
	uint64_t frames_stale;	   /* ... of those: the objects read no longer match the sample */
	uint64_t frames_no_line;   /* named frames shown at their function's first line */
};

/* The V8 module of the runtime registry (runtime.h): processes whose executable or a mapped
 * library exports v8dbg_ metadata, walked in V8's code space and embedded builtins. Two words
 * per frame (bpf/flamed.h FLAMED_V8_*). */
extern const struct runtime_ops v8_runtime_ops;

/* Counters of a v8_runtime_ops instance (runtimes__module(..., FLAMED_RT_V8)). */
struct v8_procs_stats v8_procs__stats(const struct v8_procs *vp);

#endif /* FLAMED_V8_PROCS_H */
