/* SPDX-License-Identifier: MIT */
/* Strict parsers for command-line values: whole string consumed, ranges checked. */
#ifndef FLAMED_PARSE_H
#define FLAMED_PARSE_H

#include <stdint.h>

/* "500ms", "10s", "2m", "1h", "1500us", or plain seconds ("10", "2.5"). Must be > 0 and at most
 * 366 days. 0 and *ret_ns, or -EINVAL. */
int parse_duration_ns(const char *s, uint64_t *ret_ns);

/* Decimal integer in [min, max]. 0 and *ret, or -EINVAL (garbage) / -ERANGE (out of range). */
int parse_int(const char *s, long long min, long long max, long long *ret);

/* A size in bytes: "4096", "512K", "256M", "1G", "2T" (powers of 1024; "KiB", "MB"-style spellings
 * and lower case accepted), "1.5G". Must be > 0 and below 2^60. 0 and *ret_bytes, or -EINVAL. */
int parse_size_bytes(const char *s, uint64_t *ret_bytes);

/* "1.5s"-style rendering of a duration into buf (always NUL-terminated). Returns buf. */
const char *format_duration(uint64_t ns, char *buf, unsigned long len);

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
int parse_hex_digit(char c);

#endif /* FLAMED_PARSE_H */
