/* SPDX-License-Identifier: MIT */
/* Address -> function name, for user addresses (through the mapped file's ELF symbols, and its
 * separate debug file under $FLAMED_DEBUG_DIR or /usr/lib/debug/.build-id/ when installed; where
 * no symbol covers an address, the start of its function from .eh_frame) and kernel addresses
 * (the kernel's own lookup through a BPF program, or /proc/kallsyms). Segments and build-id come
 * from the file's ELF object (proc_file__elf).
 *
 * A name is paid for once: an address's answer is kept in a name cache (name_cache.h) keyed by the
 * file's identity and the ELF address, across windows and processes; what a file says of itself
 * (whether it has DWARF, and from where) is kept for as long as flamed knows the file; its symbol
 * and line tables, in compact form (elf_syms, dwarf_table), are kept in a byte budget, least
 * recently used evicted, and parsed again only for an address no cache has. A file's identity is
 * its (dev, inode) plus size and times, checked once per build: a file rewritten in place is a
 * new file (never a build-id alone). Parses per file are counted. /proc/kallsyms is read on first
 * use, and only when the kernel's lookup cannot answer. */
#ifndef FLAMED_SYMBOLIZER_H
#define FLAMED_SYMBOLIZER_H

#include <stdbool.h>
#include <stdint.h>

#include "proc/proc_table.h"
#include "symbolize/knames.h"

struct symbolizer;

struct symbolizer_stats {
	uint64_t user_lookups;
	uint64_t user_misses; /* no symbol nor function for a user address (or file unreadable) */
	uint64_t user_synthetic; /* no symbol, but a function start from .eh_frame (stripped) */
	uint64_t funcs_parsed;	 /* .eh_frame function ranges read (files, again after eviction) */
	uint64_t kernel_lookups;
	uint64_t kernel_misses;
	uint64_t
		kernel_by_kernel; /* of kernel_lookups: answered by the kernel's lookup (knames.h) */
	uint64_t elf_parsed;	  /* ELF symbol tables read (files, again after eviction) */
	uint64_t elf_failed;	  /* files that are not readable ELF */
	uint64_t debug_files;	  /* separate debug files found by build-id */
	uint64_t elf_bytes;	  /* memory of every table parsed (cumulative) */
	uint64_t cache_hits;	  /* name-cache misses answered from a file's tables kept */
	uint64_t cache_misses;	  /* ... that had to read the file's tables first */
	uint64_t evicted;	  /* files whose tables were evicted to stay within the budget */
	uint64_t expired;      /* ... dropped for not being used in SYMBOLIZER_IDLE_BUILDS builds */
	uint64_t cache_bytes;  /* memory of the tables kept now */
	uint64_t cache_peak;   /* most ever kept at once */
	uint64_t dwarf_opened; /* files whose DWARF was looked for */
	uint64_t dwarf_found;  /* ... and found: embedded, build-id, debuglink or debuginfod */
	uint64_t dwarf_by_source[5]; /* per enum dwarf_source (debug_find.h), [0] none */
	uint64_t dwarf_tables;	     /* DWARF tables made (files, again after eviction) */
	uint64_t dwarf_reads;	     /* libdw opens (first reads and reads again) */
	uint64_t dwarf_units;	     /* units copied into compact tables */
	uint64_t dwarf_bytes;	/* memory of the compact DWARF tables kept now (in cache_bytes) */
	uint64_t dwarf_too_big; /* compressed DWARF inflating past half the budget: not read */
	uint64_t dwarf_faults;	/* files truncated while read (SIGBUS caught): abandoned */
	uint64_t frame_lookups; /* addresses resolved to frames */
	uint64_t frame_hits;	/* ... answered from the name cache */
	uint64_t inline_frames; /* inlined frames returned */
	uint64_t names_evicted; /* name-cache entries dropped for its budget */
	uint64_t names_expired; /* ... not asked for in SYMBOLIZER_IDLE_BUILDS builds */
	uint64_t names_entries; /* ... held now, and their memory */
	uint64_t names_bytes;
	uint64_t names_peak;
	uint64_t files;		    /* file identities with an answer (replaced ones count again) */
	uint64_t files_parsed;	    /* ... whose tables were read at least once */
	uint64_t parses_max;	    /* most reads of one part of one file (ELF, DWARF, .eh_frame) */
	uint64_t files_reparsed;    /* files read more than SYMBOLIZER_PARSES_WARN times */
	uint64_t files_replaced;    /* files whose size or times changed under the same inode */
	uint64_t debuginfod_queued; /* build-ids asked of debuginfod servers */
	uint64_t debuginfod_fetched; /* ... found */
	uint64_t debuginfod_failed;  /* ... not found, or failed */
};

/* Compact tables kept (symbols, .eh_frame functions, DWARF), least recently used evicted beyond
 * it (a file read again later costs a parse; a daemon's memory stays bounded whatever the host
 * runs). A busy host's working set (node, a JVM, cc1plus, libc's debug file, CPython) fits. */
#define SYMBOLIZER_CACHE_BYTES (24u << 20)
/* Answers kept (name cache): tens of thousands of addresses. */
#define SYMBOLIZER_NAMES_BYTES (8u << 20)
/* During a build, files it uses are evicted only past budget + budget / SLACK_DIV (a working set
 * slightly over the budget is kept rather than parsed again for every stack); the excess goes at
 * the end of the build. */
#define SYMBOLIZER_SLACK_DIV 4
/* In a long-lived symbolizer, tables of a file no build used in this many builds, and answers
 * not asked for in as many, are dropped: the memory follows what the host runs now (a program
 * that ran once an hour ago is not kept). */
#define SYMBOLIZER_IDLE_BUILDS 30
/* A file read more often than this is named in the summary: its tables keep being evicted. */
#define SYMBOLIZER_PARSES_WARN 3

/* New symbolizer. kallsyms_path NULL = "/proc/kallsyms". NULL with errno. */
struct symbolizer *symbolizer__new(const char *kallsyms_path);

struct sym_user {
	const char *name;     /* function, or NULL when unknown; borrowed until the next call (a
			       * later lookup may evict its file's tables) */
	uint64_t offset;      /* address - function start */
	const char *build_id; /* hex or NULL; borrowed */
	uint64_t vaddr;	      /* ELF virtual address of the lookup */
	uint64_t func_start;  /* name NULL: ELF address of the function around vaddr from its
			       * .eh_frame FDE (a stripped file), or 0 when unknown */
};

/* Resolve addr, which lies in mapping m of a process, with the file pinned in f (may be NULL).
 * Returns 0 when a symbol was found, -ENOENT when not (res->build_id and res->func_start may still
 * be set), -errno otherwise. */
int symbolizer__user(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
		     uint64_t addr, struct sym_user *res);

/* One frame of an address: inlined callees first, the physical function last. Strings borrowed
 * like sym_user.name. */
struct sym_frame {
	const char *name;      /* symbol (mangled for C++/Rust), or NULL when unknown */
	const char *display;   /* name demangled, or name itself; NULL with name */
	const char *file;      /* source file of the address, or of the call site for callers */
	uint32_t line;	       /* 0 = unknown */
	const char *decl_file; /* the function's declaration, or NULL */
	uint32_t decl_line;
	bool inlined;
};

#define SYM_MAX_FRAMES 32 /* inline depth kept per address (innermost callees cut beyond) */

/* symbolizer__user, plus the address's frames from DWARF (*ret_frames borrowed until the next
 * call, *ret_nr >= 1 when a name is known: without DWARF the one frame is the ELF symbol's).
 * tgid is the process whose root holds m's file (debug files named by .gnu_debuglink are looked
 * for there), 0 for the host only. Answers are kept in the name cache (not while a debuginfod
 * download for the file is pending). Returns as symbolizer__user. */
int symbolizer__frames(struct symbolizer *s, uint32_t tgid, const struct proc_map *m,
		       const struct proc_file *f, uint64_t addr, struct sym_user *res,
		       const struct sym_frame **ret_frames, size_t *ret_nr);

/* Whether the file's DWARF was found (looked for once per file identity; the answer is kept):
 * its frames have files, lines and inline frames. False while a debuginfod download is
 * pending. */
bool symbolizer__has_lines(struct symbolizer *s, uint32_t tgid, const struct proc_file *f);

/* After a build: libdw's state opened during it is dropped (a long-lived symbolizer first copies
 * every unit of compressed DWARF into the compact tables, so later builds need not inflate it
 * again, and packs the names of the tables used), the tables kept over the budget are evicted,
 * and in a long-lived symbolizer what went unused for SYMBOLIZER_IDLE_BUILDS builds. The next
 * build checks the files' identities again. */
void symbolizer__release_pages(struct symbolizer *s);

/* Whether builds will follow (the daemon): see symbolizer__release_pages. Default false. */
void symbolizer__set_long_lived(struct symbolizer *s, bool long_lived);

/* The files holding the most table memory now: fn(path, bytes, ctx) for at most max of them,
 * biggest first (the working set, under -v). */
void symbolizer__biggest_files(const struct symbolizer *s, size_t max,
			       void (*fn)(const char *path, uint64_t bytes, void *ctx), void *ctx);

/* Files read more than SYMBOLIZER_PARSES_WARN times: calls fn for each, most read first, at most
 * max of them. */
void symbolizer__reparsed_files(const struct symbolizer *s, size_t max,
				void (*fn)(const char *path, uint64_t parses, void *ctx),
				void *ctx);

/* Ask debuginfod servers for debug files not found locally (see debuginfod_fetch.h); call
 * dfetch__configure first. 0 or -errno. */
int symbolizer__enable_debuginfod(struct symbolizer *s);

/* With debuginfod on: start downloading f's debug info now, as its process is met, when f has no
 * DWARF of its own and no debug file is installed by build-id (cheap checks: section headers and
 * two paths; nothing is mapped or parsed). */
void symbolizer__prefetch(struct symbolizer *s, uint32_t tgid, const struct proc_file *f);

/* Wait up to timeout_ms for debuginfod downloads in flight (a one-shot run before its only
 * build). 0 or -ETIMEDOUT. */
int symbolizer__wait_downloads(struct symbolizer *s, int timeout_ms);

/* Build-id of the pinned file (hex, borrowed while f is) or NULL; from its ELF headers
 * (proc_file__elf), no symbol table read. */
const char *symbolizer__build_id(struct symbolizer *s, const struct proc_file *f);

/* Name kernel addresses by the kernel's own lookup, asked through ask (symbolize/knames.h; ctx
 * borrowed, it must outlive s) rather than by reading /proc/kallsyms, which stays the fallback
 * when the kernel cannot be asked. 0 or -ENOMEM. */
int symbolizer__use_kernel_lookup(struct symbolizer *s, knames_ask_fn ask, void *ctx);

/* Kernel symbol name for addr (borrowed, valid until the next call) or NULL; *ret_module (may be
 * NULL) gets the module name or NULL for the core kernel. */
const char *symbolizer__kernel(struct symbolizer *s, uint64_t addr, const char **ret_module);

/* Error of the kallsyms load (0 if loaded or not tried yet). */
int symbolizer__kernel_error(const struct symbolizer *s);

/* Change the tables' budget, or the name cache's (tests), evicting at once what is over. */
void symbolizer__set_cache_budget(struct symbolizer *s, size_t bytes);
void symbolizer__set_names_budget(struct symbolizer *s, size_t bytes);

struct symbolizer_stats symbolizer__stats(const struct symbolizer *s);

/* NULL-safe. */
void symbolizer__free(struct symbolizer *s);

#endif /* FLAMED_SYMBOLIZER_H */
