/* SPDX-License-Identifier: MIT */
/* PHP processes: which processes run a Zend engine flamed knows (a mapped php* executable or
 * library exporting executor_globals and execute_ex, identified by its module build id
 * "API<number>,NTS"), what the BPF walker needs for them, and the functions their PHP frames
 * name: class, function name, file and first line, read once per (process, zend_function) with
 * process_vm_readv and kept under a byte budget.
 *
 * Everything read is the process's to forge: sizes are capped, types checked, strings
 * sanitized; a failed read names the frame "[php]" and is counted. */
#ifndef FLAMED_PHP_PROCS_H
#define FLAMED_PHP_PROCS_H

#include <stdint.h>

#include "runtime/runtime.h"

struct php_procs;

#define PHP_PROCS_CACHE_BYTES	   (32u << 20) /* functions' names, all processes */
#define PHP_PROCS_PROC_CACHE_BYTES (4u << 20)  /* ... per process: past it, it starts over */

struct php_procs_stats {
	uint64_t processes;	  /* PHP processes registered for the walker */
	uint64_t unknown_version; /* processes of an engine flamed does not know, or thread-safe */
	uint64_t fn_read;	  /* functions read */
	uint64_t fn_failed;	  /* ... unreadable (process gone, not a function) */
	uint64_t fn_over_budget;  /* not kept: the byte budget of all processes was reached */
	uint64_t fn_evicted;	  /* dropped when a process's cache started over */
	uint64_t fn_replaced;	  /* cached, then found replaced by another at its address */
	uint64_t cache_bytes;	  /* bytes held now */
	uint64_t frames_unnamed;  /* PHP frames shown as "[php]" */
};

/* The PHP module of the runtime registry (runtime.h). One word per frame (bpf/flamed.h
 * FLAMED_PHP_*), named by its zend_function. */
extern const struct runtime_ops php_runtime_ops;

/* Counters of a php_runtime_ops instance (runtimes__module(..., FLAMED_RT_PHP)). */
struct php_procs_stats php_procs__stats(const struct php_procs *pp);

#endif /* FLAMED_PHP_PROCS_H */
