/* SPDX-License-Identifier: MIT */
/* Reading another process's memory for a runtime module: process_vm_readv only (never ptrace,
 * never /proc/PID/mem writes), every read whole or failed, addresses checked to be user
 * addresses. What is read is the process's to forge: callers bound what they ask for. */
#ifndef FLAMED_RT_MEM_H
#define FLAMED_RT_MEM_H

#include <stddef.h>
#include <stdint.h>

#define RT_MEM_USER_MAX ((1ULL << 47) - 1) /* x86-64 user addresses are at most this */

/* Read len bytes at addr of process pid into buf: 0, or -EFAULT (unmapped, partly read, not
 * a user address) or another -errno (ESRCH: gone; EPERM). */
int rt_mem__read(uint32_t pid, uint64_t addr, void *buf, size_t len);

/* The 8-byte word at byte off of buf[0, len), 0 past its end. */
uint64_t rt_mem__word(const uint8_t *buf, size_t len, size_t off);

/* The 4-byte word at byte off of buf[0, len), 0 past its end. */
uint32_t rt_mem__u32(const uint8_t *buf, size_t len, size_t off);

/* Copy n bytes of outside text into out (cap bytes, NUL-terminated, truncated to cap - 1) as
 * valid UTF-8 with no control characters (each bad byte becomes '?'). Returns the length. */
size_t rt_mem__text(const uint8_t *src, size_t n, char *out, size_t cap);

#endif /* FLAMED_RT_MEM_H */
