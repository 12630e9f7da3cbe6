/* SPDX-License-Identifier: MIT */
/* HotSpot JVMs: the runtime module (runtime.h) for processes that map a libjvm.so exporting the
 * gHotSpotVM* tables. Detection reads the JVM's own description of itself (hs_vmstructs.h), its
 * code heaps and its interpreter; the BPF walker (bpf/hotspot.bpf.h) then records each Java
 * frame as a Method* and bci (interpreted) or a CodeBlob*, pc offset and compile id (compiled,
 * stubs), and this module names them: "pkg.Class.method" with the signature as system name,
 * the class's source file and the line of the bci; a compiled frame's inlined methods, from the
 * nmethod's PcDescs and scopes, as inline frames.
 *
 * Everything is read with process_vm_readv, capped (names, tables, an nmethod's data), and
 * checked against what the walker saw: a Method* must still have the ConstMethod* it had, an
 * nmethod the compile id. A frame whose code changed since (class unloaded, code freed and its
 * memory reused) is shown as "[java]" and counted, never under another method's name. */
#ifndef FLAMED_HS_PROCS_H
#define FLAMED_HS_PROCS_H

#include <stdint.h>

#include "runtime/runtime.h"

#define HS_CACHE_BYTES	    (64u << 20) /* names, line tables and nmethod data, all JVMs */
#define HS_PROC_CACHE_BYTES (16u << 20) /* ... and per JVM: past it, its caches start over */
#define HS_MAX_NAME	    512		/* bytes kept of a class, method or file name */
#define HS_MAX_LINE_TABLE   (64u << 10) /* bytes of a line number table read */
#define HS_MAX_CODE_DATA    (1u << 20)	/* bytes of an nmethod's PcDescs, scopes or metadata */

struct hs_procs;

struct hs_procs_stats {
	uint64_t processes;	  /* JVMs registered for the walker */
	uint64_t unsupported;	  /* JVMs whose tables flamed cannot use */
	uint64_t methods_read;	  /* Method* read and named */
	uint64_t methods_failed;  /* ... unreadable */
	uint64_t nmethods_read;	  /* nmethods read (PcDescs, scopes) */
	uint64_t nmethods_failed; /* ... unreadable */
	uint64_t
		stale; /* frames (x samples) whose code changed before the drain read it: "[java]" */
	uint64_t gone;		 /* frames (x samples) of a JVM gone before the drain read them */
	uint64_t evictions;	 /* a JVM's caches started over past HS_PROC_CACHE_BYTES */
	uint64_t over_budget;	 /* not cached: HS_CACHE_BYTES reached */
	uint64_t cache_bytes;	 /* held now */
	uint64_t frames_unnamed; /* locations shown as "[java]" */
	/* Java frames by kind, weighted by samples (at the drain they were read) */
	uint64_t interpreted, c1, c2, inlined, stubs, native;
};

/* The HotSpot module of the runtime registry. */
extern const struct runtime_ops hs_runtime_ops;

/* Counters of an hs_runtime_ops instance (runtimes__module(..., FLAMED_RT_HOTSPOT)). */
struct hs_procs_stats hs_procs__stats(const struct hs_procs *hp);

#endif /* FLAMED_HS_PROCS_H */
