/* SPDX-License-Identifier: MIT */
/* One ELF file's DWARF through libdwfl: per address, the chain of frames {function, file, line}
 * with inlined callees first and the physical function last. The debug info is the file's own, or
 * a separate debug file found by debug_find (build-id, .gnu_debuglink, a debuginfod download; dwz's
 * alternate file likewise). Parses outside input: malformed DWARF gives no frames, never a crash
 * (fuzzed). Sections are mmapped by libelf, not read. */
#ifndef FLAMED_DWARF_LINES_H
#define FLAMED_DWARF_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/debug_find.h"

struct dwarf_lines;

/* A frame: strings borrowed from the object (valid until dwarf_lines__free). */
struct dwarf_frame {
	const char *name;      /* linkage name when there is one (mangled), else the plain name */
	const char *file;      /* source file of the address (or of the call site, for callers) */
	uint32_t line;	       /* 0 = unknown */
	const char *decl_file; /* where the function is declared; NULL unknown */
	uint32_t decl_line;
	bool inlined; /* an inlined callee (all frames but the last) */
};

/* Open the DWARF of the ELF file open on fd (the caller keeps fd; a dup is taken), looking for
 * separate debug files as where says. Always returns an object (NULL only on ENOMEM): one without
 * DWARF answers no frames. */
struct dwarf_lines *dwarf_lines__open(int fd, const struct dwarf_search *where);

/* Frames of ELF virtual address vaddr into frames[0..max): inlined callees first, the physical
 * function last. Returns how many (0: no DWARF covers vaddr); more than max are cut from the
 * inner end (the physical function stays). */
size_t dwarf_lines__lookup(struct dwarf_lines *dl, uint64_t vaddr, struct dwarf_frame *frames,
			   size_t max);

/* Function symbol at vaddr from the file's .gnu_debugdata (MiniDebugInfo: an xz-compressed
 * .symtab of the static functions, as Fedora ships), through libdwfl, or NULL (also when the file
 * has none); borrowed. */
const char *dwarf_lines__symbol(struct dwarf_lines *dl, uint64_t vaddr);

/* Whether the ELF file on fd has its own .debug_info (section headers read, nothing mapped). */
bool dwarf_lines__file_has_dwarf(int fd);

/* The DWARF found was refused for inflating past max_inflate. */
bool dwarf_lines__too_big(const struct dwarf_lines *dl);

enum dwarf_source dwarf_lines__source(const struct dwarf_lines *dl);

/* Give back the file pages read so far (madvise MADV_PAGEOUT on the mappings libelf made): they
 * count in flamed's RSS though the page cache holds them; later lookups fault in what they need.
 * Heap is untouched. */
void dwarf_lines__release_pages(struct dwarf_lines *dl);

/* Estimated bytes held (libdw's per-unit tables grow as units are touched). */
size_t dwarf_lines__mem_bytes(const struct dwarf_lines *dl);

/* NULL-safe. */
void dwarf_lines__free(struct dwarf_lines *dl);

#endif /* FLAMED_DWARF_LINES_H */
