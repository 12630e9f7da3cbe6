/* SPDX-License-Identifier: MIT */
/* Inside the V8 module (v8_procs.h is its face): what it keeps per process, shared by its
 * parts: detection (v8_detect.c), functions and their scripts (v8_funcs.c), code objects
 * (v8_codes.c), frame records into frames (v8_frames.c), the caches' lifetimes and budget
 * (v8_procs.c). */
#ifndef FLAMED_V8_PROCS_INTERNAL_H
#define FLAMED_V8_PROCS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/rt_files.h"
#include "util/hashmap.h"
#include "v8/v8_classes.h"
#include "v8/v8_elf.h"
#include "v8/v8_heap.h"
#include "v8/v8_names.h"
#include "v8/v8_procs.h"
#include "v8/v8_spt.h"

#define V8_MAX_BINS    1024 /* distinct candidate files remembered */
#define V8_OBJ_HEAD    64   /* bytes of an object's head read at once */
#define V8_FOUND_SLOTS 64   /* codes found by pc remembered, and pcs not found */

/* What a candidate file holds (struct rt_files record). */
struct v8_bin {
	bool reported; /* an unsupported V8 was reported */
	struct v8_elf elf;
};

struct v8_script {
	uint64_t addr; /* the Script, tagged */
	int64_t id;
	uint64_t source; /* its source String when read */
	char *name;	 /* NULL: none (eval) */
	struct v8_lines lines;
	struct v8_classes classes; /* the classes it declares, for methods' names */
	bool lines_ok;
	uint64_t epoch; /* the drain it was last checked in */
	size_t bytes;
};

struct v8_func {
	uint64_t ident[3]; /* name or scope info, script, the tag's bytes: what makes it this */
	uint64_t data;	   /* function data when read (bytecode, baseline code, a builtin id) */
	uint64_t bytecode; /* its BytecodeArray, 0 when none */
	uint32_t tag;	   /* FLAMED_V8_SFI_TAG of its immutable bytes */
	uint64_t epoch;
	char *name;
	struct v8_script *script; /* owned by the process's scripts */
	uint32_t first_line;	  /* 0 unknown */
	uint8_t *positions;	  /* its bytecode's source positions, NULL until V8 made them */
	size_t positions_len;
	uint8_t *bytecodes; /* its bytecode (for baseline code), NULL until needed */
	size_t bytecodes_len;
	size_t bytes;
};

struct v8_code {
	uint64_t start; /* instruction start */
	uint32_t size;
	uint32_t kind;
	uint64_t sfi;	   /* its function */
	uint64_t bytecode; /* baseline code: its function's BytecodeArray */
	uint64_t epoch;
	uint8_t *positions; /* source positions; baseline: pc -> bytecode offsets */
	size_t positions_len;
	uint8_t *inlining; /* InliningPositions: 16-byte entries */
	size_t inlining_len;
	uint64_t *literals; /* the inlined functions' SharedFunctionInfos */
	size_t nr_literals;
	size_t bytes;
};

struct v8_proc {
	uint32_t tgid;
	uint64_t aspace;
	const struct v8_bin *bin;
	struct v8_heap heap;
	struct hashmap funcs;	/* SharedFunctionInfo (tagged) -> struct v8_func * */
	struct hashmap codes;	/* Code (tagged) -> struct v8_code * */
	struct hashmap scripts; /* Script (tagged) -> struct v8_script * */
	size_t bytes;
	uint64_t istream_map; /* the Map of instruction streams, once a code object showed it */
	/* codes found by a pc they hold (on-stack replacement), and pcs searched in vain, this
	 * drain: direct mapped by pc */
	uint64_t found[V8_FOUND_SLOTS];
	uint64_t missed[V8_FOUND_SLOTS];
	uint64_t missed_epoch;
};

struct v8_procs {
	struct rt_files *bins; /* struct v8_bin per candidate file */
	struct hashmap procs;  /* tgid -> struct v8_proc * */
	uint64_t epoch;	       /* drains so far */
	struct v8_procs_stats stats;
	char name[V8_PROCS_MAX_NAME * 8 + 64]; /* a name being composed */
};

/* --- v8_procs.c: the caches' bytes and lifetimes --- */

/* Count bytes (negative: released) held for p. */
void v8_procs__account(struct v8_procs *vp, struct v8_proc *p, ssize_t bytes);

/* Whether p or all processes hold their budget's worth (counted). */
bool v8_procs__over_budget(struct v8_procs *vp, const struct v8_proc *p);

/* The process (tgid, aspace), or NULL. Borrowed. */
struct v8_proc *v8_proc__find(const struct v8_procs *vp, uint32_t tgid, uint64_t aspace);

/* Free p and all it caches (its bytes uncounted). NULL-safe. */
void v8_proc__free(struct v8_procs *vp, struct v8_proc *p);

/* --- v8_funcs.c: functions and their scripts --- */

/* The script at addr (tagged), read on first use and checked once a drain; owned by p. */
struct v8_script *v8_script__get(struct v8_procs *vp, struct v8_proc *p, uint64_t addr);

/* The line of script offset off in s; 0 when unknown. */
uint32_t v8_script__line(const struct v8_script *s, int64_t off);

/* NULL-safe. */
void v8_script__free(struct v8_script *s);

/* The function at sfi (tagged), read on first use; with check, its identity read again once a
 * drain. Owned by p; NULL when over budget, out of memory, or not a function. */
struct v8_func *v8_func__get(struct v8_procs *vp, struct v8_proc *p, uint64_t sfi, bool check);

/* Read f's bytecode itself (for baseline code's pcs), while the process lives. */
void v8_func__bytecodes(struct v8_procs *vp, struct v8_proc *p, struct v8_func *f);

/* The BytecodeArray of function data fd (itself, a baseline code's, an interpreter data's); 0
 * when none. */
uint64_t v8_func__bytecode_of(struct v8_proc *p, uint64_t fd);

/* NULL-safe. */
void v8_func__free(struct v8_func *f);

/* --- v8_codes.c: code objects --- */

/* The Code at code (tagged; of function sfi as the frame said), read on first use; with check,
 * its instruction start read again once a drain. Owned by p; NULL when over budget. */
struct v8_code *v8_code__get(struct v8_procs *vp, struct v8_proc *p, uint64_t code, uint64_t sfi,
			     bool check);

/* The code object holding pc, of function sfi: one found earlier, or with search, found in the
 * process. Owned by p; NULL when not found. */
struct v8_code *v8_code__at(struct v8_procs *vp, struct v8_proc *p, uint64_t pc, uint64_t sfi,
			    bool search);

/* NULL-safe. */
void v8_code__free(struct v8_code *c);

/* --- the registry's hooks (runtime.h), in v8_detect.c and v8_frames.c --- */

int v8_procs__detect(void *inst, struct proc_entry *e, struct flamed_rt_proc *rt,
		     struct runtime_detect *what);
void v8_procs__prefetch(void *mod, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			uint32_t nr, uint32_t stamp, uint64_t samples);
size_t v8_procs__frames(void *mod, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			struct runtime_frame *ret, size_t max);

#endif /* FLAMED_V8_PROCS_INTERNAL_H */
