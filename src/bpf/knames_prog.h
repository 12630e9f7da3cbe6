/* SPDX-License-Identifier: MIT */
/* The kernel-names program (bpf/knames.bpf.c): a BPF_PROG_TYPE_SYSCALL program that formats one
 * kernel address with the kernel's own symbol lookup ("%pS"), run with BPF_PROG_RUN, its input
 * and answer in its mmapped .bss. The libbpf half of kernel names; parsing the answer and caching
 * it is symbolize/knames.c's. */
#ifndef FLAMED_BPF_KNAMES_PROG_H
#define FLAMED_BPF_KNAMES_PROG_H

#include <stddef.h>
#include <stdint.h>

struct knames_prog;

/* Load the program (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, at this call only; the
 * runs need no capability). Probes first, so a kernel without the program type or bpf_snprintf
 * (before 5.14) is told without libbpf's load warnings. A new object, or NULL with errno
 * (EOPNOTSUPP: this kernel cannot). */
struct knames_prog *knames_prog__load(void);

/* Run it for addr: 0 and the answer "name+0xoff/0xsize [module]" or "0x<addr>" (no symbol) in
 * *ret_text (borrowed until the next run), *ret_len bytes without the NUL; -EIO when the answer
 * was cut short (a name longer than the buffer: only this address is affected); another -errno
 * when the program did not run or bpf_snprintf() failed. */
int knames_prog__run(struct knames_prog *p, uint64_t addr, const char **ret_text, size_t *ret_len);

/* NULL-safe. */
void knames_prog__free(struct knames_prog *p);

#endif /* FLAMED_BPF_KNAMES_PROG_H */
