/* SPDX-License-Identifier: MIT */
/* Demangled names for C++ (Itanium ABI) and Rust (legacy scheme; v0 names stay mangled, see
 * demangle.c) symbols, through libiberty's demangler (the one binutils and GDB use). Symbol
 * names come from other users' binaries: lengths are capped and the demangler's own recursion
 * limit stays on. */
#ifndef FLAMED_DEMANGLE_H
#define FLAMED_DEMANGLE_H

#define DEMANGLE_MAX_INPUT 4096 /* longer mangled names are left as they are */

/* The readable name of a mangled symbol ("_ZN3geo4GridIiE5relaxEi" -> "geo::Grid<int>::relax(int)",
 * Rust hashes dropped), malloc'ed and owned by the caller; NULL when name is not a mangled name
 * the demangler understands (C symbols, kernel symbols), or on ENOMEM. */
char *demangle(const char *name);

#endif /* FLAMED_DEMANGLE_H */
