/* SPDX-License-Identifier: MIT */
/* The name of a function as its DWARF DIEs describe it, spelled the way its out-of-line symbol
 * would be after demangling. A function that exists only inlined has no symbol, and GCC gives
 * no DW_AT_linkage_name to C++ functions with internal linkage (static, anonymous namespace), so
 * their inline frames would otherwise say "twist" where the same function, not inlined, says
 * "geo::twist(unsigned long)". The DIEs come from other users' binaries: every walk, chain and
 * table is bounded. */
#ifndef FLAMED_DWARF_NAMES_H
#define FLAMED_DWARF_NAMES_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>

#define DWARF_NAME_MAX 1024 /* a longer built name is not built (the plain name instead) */

/* Names built for one DWARF file (and its dwz alternate file): each unit's scope table (which
 * namespace or class holds which declaration, read in one walk of the unit's declarations, not
 * of its function bodies) and every name built, both kept until dwarf_names__free. Not
 * thread-safe; the Dwarf handles it was given must outlive it. */
struct dwarf_names;

/* A new, empty set. NULL with errno = ENOMEM. */
struct dwarf_names *dwarf_names__new(void);

/* The DIE that declares the function die (a DW_TAG_subprogram or DW_TAG_inlined_subroutine)
 * stands for: DW_AT_abstract_origin, then DW_AT_specification, followed at most a few hops.
 * Copies it to *ret_decl (die itself when it refers nowhere). */
void dwarf_names__decl(Dwarf_Die *die, Dwarf_Die *ret_decl);

/* The function's linkage name (mangled; the caller demangles), through abstract origin and
 * specification; NULL when it has none. Borrowed from libdw. */
const char *dwarf_names__linkage(Dwarf_Die *die);

/* The function's plain DW_AT_name, through abstract origin and specification; NULL when it has
 * none. Borrowed from libdw. */
const char *dwarf_names__plain(Dwarf_Die *die);

/* For a declaration DIE (dwarf_names__decl's answer) in a C++ unit: its name qualified by its
 * enclosing namespaces and classes, with its parameter types as the demangler prints them
 * ("(anonymous namespace)::mix(unsigned int, char const*)", "geo::Grid<int>::step(int) const",
 * "int geo::clampv<int>(int, int)"); without the parameters where a type cannot be spelled.
 * Borrowed from dn (freed with it). NULL when the unit is not C++, the DIE has no name or its
 * scope cannot be found, or on ENOMEM. */
const char *dwarf_names__qualified(struct dwarf_names *dn, Dwarf_Die *decl);

/* Heap bytes dn holds (scope tables and names). */
size_t dwarf_names__mem_bytes(const struct dwarf_names *dn);

/* Free dn and every name it handed out. NULL-safe. */
void dwarf_names__free(struct dwarf_names *dn);

#endif /* FLAMED_DWARF_NAMES_H */
