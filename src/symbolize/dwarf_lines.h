/* SPDX-License-Identifier: MIT */
/* One ELF file's DWARF through libdwfl, read into compact tables (dwarf_table.h) unit by unit:
 * what a lookup needs is copied out, so libdw's state (inflated sections, per-unit tables) lives
 * only while a table is being filled. The debug info is the file's own, or a separate debug file
 * found by debug_find (build-id, .gnu_debuglink, a debuginfod download; dwz's alternate file
 * likewise). Parses outside input: malformed DWARF gives no frames, never a crash (fuzzed);
 * a file truncated underneath (SIGBUS) abandons the object. */
#ifndef FLAMED_DWARF_LINES_H
#define FLAMED_DWARF_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/debug_find.h"

struct dwarf_lines;
struct dwarf_table;
struct elf_syms;

/* Open the DWARF of the ELF file open on fd (the caller keeps fd; a dup is taken), looking for
 * separate debug files as where says. Always returns an object (NULL only on ENOMEM): one without
 * DWARF fills no table. */
struct dwarf_lines *dwarf_lines__open(int fd, const struct dwarf_search *where);

/* A new table knowing where the file's units are, none extracted yet (owned by the caller), or
 * NULL when there is no DWARF (or on ENOMEM, or a fault). */
struct dwarf_table *dwarf_lines__table(struct dwarf_lines *dl);

/* Extract unit (a DIE offset from dwarf_table__unit_of) into t: its line breakpoints, functions
 * and inlined subroutines. A unit that cannot be read goes in empty (asked once). 0, -EEXIST (in
 * already), -ENOMEM, or -EFAULT (no DWARF, or the file faulted: never asked again). */
int dwarf_lines__extract(struct dwarf_lines *dl, struct dwarf_table *t, uint64_t unit);

/* Extract every unit not in t yet, in file order, stopping once t holds max_bytes. libdw keeps
 * each unit's tables until the object is freed: with max_heap (0: no limit), it stops with
 * -EAGAIN once the heap grew by that much since the open (free it, open it again, go on). The
 * units added, or -errno as dwarf_lines__extract. */
int dwarf_lines__extract_all(struct dwarf_lines *dl, struct dwarf_table *t, size_t max_bytes,
			     size_t max_heap);

/* The DWARF taken has compressed sections: libdw inflates them whole at every open (libc's
 * debug file: ~35 ms), where opening an uncompressed file again costs tens of microseconds. */
bool dwarf_lines__inflated(const struct dwarf_lines *dl);

/* Function symbols from libdwfl's symbol table where it is not the file's own (already read by
 * elf_syms): MiniDebugInfo's (Fedora's .gnu_debugdata, an xz-compressed .symtab of the static
 * functions) and those of a debug file found by .gnu_debuglink or handed in. A new object owned
 * by the caller, or NULL when there are none. */
struct elf_syms *dwarf_lines__symbols(struct dwarf_lines *dl);

/* Whether the ELF file on fd has its own .debug_info (section headers read, nothing mapped). */
bool dwarf_lines__file_has_dwarf(int fd);

/* The DWARF found was refused for inflating past max_inflate. */
bool dwarf_lines__too_big(const struct dwarf_lines *dl);

/* A SIGBUS was caught while reading it (the file was truncated): nothing more is read. */
bool dwarf_lines__faulted(const struct dwarf_lines *dl);

enum dwarf_source dwarf_lines__source(const struct dwarf_lines *dl);

/* Heap libdw took for it so far (measured; inflated sections and per-unit tables). */
size_t dwarf_lines__mem_bytes(const struct dwarf_lines *dl);

/* NULL-safe. */
void dwarf_lines__free(struct dwarf_lines *dl);

#endif /* FLAMED_DWARF_LINES_H */
