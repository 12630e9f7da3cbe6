/* SPDX-License-Identifier: MIT */
/* The hot leaf functions of the unwind_* workloads: linked into the program (unwind_nofp,
 * unwind_fp) or loaded from a shared library (unwind_lib). */
#ifndef FLAMED_UNWIND_HOT_H
#define FLAMED_UNWIND_HOT_H

#include <stdint.h>

uint64_t hot_add(uint64_t n);
uint64_t hot_mul(uint64_t n);
uint64_t hot_deep(uint64_t n);

#endif /* FLAMED_UNWIND_HOT_H */
