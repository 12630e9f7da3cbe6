/* SPDX-License-Identifier: MIT */
/* /proc/kallsyms: kernel text symbols, address lookup. Pure parser of outside input (fuzzed). */
#ifndef FLAMED_KALLSYMS_H
#define FLAMED_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct kallsyms;

/* Parse kallsyms text ("ffffffff81000000 T _stext" with an optional "\t[module]"). Keeps text
 * symbols (t/T/w/W), sorted by address. Returns a new object or NULL with errno: EINVAL when no
 * usable symbol was found, EPERM when every address is zero (kptr_restrict). */
struct kallsyms *kallsyms__parse(const char *text, size_t len);

/* Read and parse a file, normally "/proc/kallsyms". NULL with errno on failure. */
struct kallsyms *kallsyms__load(const char *path);

/* Symbol covering addr: the last symbol at or below addr, unless addr is past the end of kernel
 * text or of the symbol's module. Returns the name (borrowed, valid until kallsyms__free) or NULL.
 * *ret_offset (may be NULL) gets addr - symbol address; *ret_module (may be NULL) gets the module
 * name, or NULL for the core kernel. */
const char *kallsyms__lookup(const struct kallsyms *ks, uint64_t addr, uint64_t *ret_offset,
			     const char **ret_module);

/* Number of symbols kept. */
size_t kallsyms__count(const struct kallsyms *ks);

/* NULL-safe. */
void kallsyms__free(struct kallsyms *ks);

#endif /* FLAMED_KALLSYMS_H */
