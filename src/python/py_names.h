/* SPDX-License-Identifier: MIT */
/* Names of Python frames from what a process holds: pure functions of outside input (fuzzed). */
#ifndef FLAMED_PY_NAMES_H
#define FLAMED_PY_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* The len characters of a str object's data of kind 1 (latin-1), 2 (UCS-2) or 4 (UCS-4), as
 * UTF-8 into out (len * 4 + 1 bytes), NUL-terminated (other kinds are read as 4); control
 * characters, surrogates and code
 * points past U+10FFFF become '?'. Returns the bytes written before the NUL. */
size_t py_names__utf8(unsigned kind, const uint8_t *data, size_t len, char *out);

/* The module a file name stands for, into out (sz bytes, truncated): "pkg/mod.py" -> "mod",
 * "pkg/__init__.py" -> "pkg", "<frozen importlib._bootstrap>" -> "importlib._bootstrap",
 * "<string>" -> "". */
void py_names__module(const char *file, char *out, size_t sz);

#endif /* FLAMED_PY_NAMES_H */
