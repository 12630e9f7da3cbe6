/* SPDX-License-Identifier: MIT */
/* The HotSpot module's state, shared by its two halves: hs_procs.c (the runtime module: JVMs
 * detected, their caches and budget, frame records to frames) and hs_methods.c (methods,
 * nmethods and stubs read from a JVM and cached in its maps). */
#ifndef FLAMED_HS_PROCS_INTERNAL_H
#define FLAMED_HS_PROCS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hotspot/hs_procs.h"
#include "hotspot/hs_vmstructs.h"
#include "util/hashmap.h"

#define HS_USER_LIMIT (1ULL << 47) /* every pointer read must be a user address below this */

/* A method, named: what a Method* with its ConstMethod* stands for. Keyed by both: a class
 * unloaded leaves its Method's memory to the next class's methods, and a window's samples may
 * name several generations of methods at one address. */
struct hs_method {
	uint64_t addr; /* the Method* */
	uint64_t cm; /* its ConstMethod* (48 bits) when read: with tag, what makes it this method */
	uint32_t tag;	/* FLAMED_HS_TAG of its code */
	char *name;	/* "pkg.Class.method"; NULL when unreadable */
	char *sysname;	/* "pkg.Class.method(signature)" */
	char *file;	/* the class's source file, or NULL */
	uint8_t *lines; /* the compressed line number table, or NULL */
	size_t lines_len;
	int32_t first_line;
	size_t bytes;
};

/* Compiled code: an nmethod and what names its pcs. Keyed by its address and compile id (unique
 * in a JVM's life), so code freed and its memory reused by other code is never confused. */
struct hs_nmethod {
	uint64_t blob;
	uint32_t compile_id; /* what makes it this code */
	uint64_t method;     /* its Method* */
	int comp_level;	     /* 1-3: C1, 4: C2 */
	bool native;	     /* a native method's wrapper */
	bool ok;
	uint8_t *pcs; /* PcDescs */
	size_t nr_pcs;
	uint8_t *scopes;
	size_t scopes_len;
	uint64_t *meta; /* the metadata a scope's method index points into */
	size_t nr_meta;
	struct hs_method **named; /* meta[i] named (read while the JVM lives), NULL until then */
	struct hs_method *self;	  /* the method, named */
	size_t bytes;
};

/* A stub or adapter, by its blob's name. */
struct hs_stub {
	uint32_t name4; /* the name's first 4 bytes, as the walker saw them */
	char *name;
	size_t bytes;
};

struct hs_proc {
	uint32_t tgid;
	uint64_t aspace;
	bool restart; /* over its share of the cache: cleared at the next drain */
	struct hs_layout lay;
	uint64_t gc_count;	 /* &CollectedHeap::_total_collections, 0 when unknown */
	uint8_t ident_mask;	 /* FLAMED_HS_TAG's mask (flamed_hs_proc) */
	uint64_t jvm_bias;	 /* libjvm's load bias when lay was read */
	struct hashmap methods;	 /* struct hs_method * (key: itself, by address and ConstMethod*) */
	struct hashmap nmethods; /* struct hs_nmethod * (key: itself, by address and compile id) */
	struct hashmap stubs;	 /* CodeBlob* -> struct hs_stub * */
	size_t bytes;
};

struct hs_procs {
	struct hashmap bins;  /* struct hs_bin * (key: itself, by dev and inode) */
	struct hashmap procs; /* tgid -> struct hs_proc * */
	struct hs_procs_stats stats;
};

/* The 8 bytes at addr of pid's memory (rt_mem__read); 0 when unreadable. */
uint64_t hs_mem_u64(uint32_t pid, uint64_t addr);

/* Room for bytes more in p's cache (taken when true); false when p's share or the whole budget
 * is spent (counted in hp's stats). */
bool hs_budget(struct hs_procs *hp, struct hs_proc *p, size_t bytes);

/* The named method at addr of p with ConstMethod* cm (48 bits) and code tag tag: cached, else
 * read now. NULL when it cannot be named as that method. The method is p's (its methods map). */
struct hs_method *hs_method_get(struct hs_procs *hp, struct hs_proc *p, uint64_t addr, uint64_t cm,
				uint32_t tag);

/* The named method at addr as it is now (an nmethod's metadata vouches for it); p's, or NULL. */
struct hs_method *hs_method_vouched(struct hs_procs *hp, struct hs_proc *p, uint64_t addr);

/* The nmethod at blob of that compile id, cached or read now; p's (its nmethods map), or NULL. */
struct hs_nmethod *hs_nmethod_get(struct hs_procs *hp, struct hs_proc *p, uint64_t blob,
				  uint32_t compile_id);

/* The stub at blob whose name starts with the 4 bytes name4, cached or read now; p's, or NULL. */
struct hs_stub *hs_stub_get(struct hs_procs *hp, struct hs_proc *p, uint64_t blob, uint32_t name4);

/* Destructors of what the maps of struct hs_proc hold; NULL-safe. */
void hs_method_free(struct hs_method *m);
void hs_nmethod_free(struct hs_nmethod *n);
void hs_stub_free(struct hs_stub *s);

#endif /* FLAMED_HS_PROCS_INTERNAL_H */
