/* SPDX-License-Identifier: MIT */
/* CPython line tables: instruction offset -> source line. Pure decoder of bytes read from a
 * process (fuzzed): any input gives a line or 0, never a read past len. */
#ifndef FLAMED_PY_LINETABLE_H
#define FLAMED_PY_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* Line of the instruction at instr in a code object of CPython 3.minor whose first line is
 * firstlineno, from its co_lnotab (3.8-3.9, instr in bytes) or co_linetable (3.10: instr in
 * 2-byte units, start/line deltas; 3.11+: the location table, instr in code units). 0 when the
 * table has no line for it. */
int64_t py_linetable__line(int minor, const uint8_t *table, size_t len, int64_t firstlineno,
			   uint32_t instr);

#endif /* FLAMED_PY_LINETABLE_H */
