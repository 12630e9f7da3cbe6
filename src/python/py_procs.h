/* SPDX-License-Identifier: MIT */
/* CPython processes: which processes run an interpreter flamed knows (found in their mapped
 * python3.X / libpython3.X.so by _PyRuntime), what the BPF walker needs for them, and the code
 * objects their Python frames name: qualname, file and line table, read once per (process,
 * code object) with process_vm_readv and kept under a byte budget.
 *
 * Everything read is the process's to forge: sizes are capped, types checked (a code object's
 * ob_type must be the interpreter's PyCode_Type), strings sanitized; a failed read names the
 * frame "[python]" and is counted. */
#ifndef FLAMED_PY_PROCS_H
#define FLAMED_PY_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "flamed.h"
#include "runtime/runtime.h"

struct py_procs;

#define PY_PROCS_CACHE_BYTES	  (64u << 20)  /* code objects' names and tables, all processes */
#define PY_PROCS_PROC_CACHE_BYTES (8u << 20)   /* ... and per process */
#define PY_PROCS_MAX_TABLE	  (256u << 10) /* a line table above this is not read */
#define PY_PROCS_MAX_NAME	  256	       /* characters kept of a name or a file */

struct py_procs_stats {
	uint64_t processes;	    /* CPython processes registered for the walker */
	uint64_t unknown_version;   /* processes with a CPython flamed does not know */
	uint64_t code_read;	    /* code objects read */
	uint64_t code_failed;	    /* ... unreadable (process gone, not a code object) */
	uint64_t code_over_budget;  /* not kept: the byte budget was reached */
	uint64_t code_replaced;	    /* cached, then found replaced by another at its address */
	uint64_t cache_bytes;	    /* bytes held now */
	uint64_t frames_unnamed;    /* Python frames shown as "[python]" */
	uint64_t frames_mismatched; /* ... of those: the code object read was not the one sampled */
};

/* The CPython module of the runtime registry (runtime.h): processes whose mapped python3.X or
 * libpython3.X.so has _PyRuntime, walked in their _PyEval_EvalFrameDefault. One word per frame
 * (bpf/flamed.h FLAMED_PY_*), named by its code object. */
extern const struct runtime_ops py_runtime_ops;

/* Counters of a py_runtime_ops instance (runtimes__module(..., FLAMED_RT_PYTHON)). */
struct py_procs_stats py_procs__stats(const struct py_procs *pp);

#endif /* FLAMED_PY_PROCS_H */
