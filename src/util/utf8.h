/* SPDX-License-Identifier: MIT */
/* UTF-8 checks for names that come from outside (process and thread names, paths, symbols):
 * pprof strings must be UTF-8 (Go's reader refuses the whole profile otherwise), and so must
 * the SVG and folded text. */
#ifndef FLAMED_UTF8_H
#define FLAMED_UTF8_H

#include <stdbool.h>

/* True when s is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF). */
bool utf8_valid(const char *s);

/* A copy of s with every byte that is not part of a well-formed sequence replaced by U+FFFD.
 * malloc'ed (owned by the caller); NULL on ENOMEM. */
char *utf8_sanitize(const char *s);

#endif /* FLAMED_UTF8_H */
