// SPDX-License-Identifier: GPL-2.0
/* name_addr(): names one kernel address with the kernel's own symbol lookup (printk's "%pS"),
 * so flamed does not read the whole of /proc/kallsyms (every symbol of the kernel, formatted
 * line by line) to name the few hundred kernel addresses a profile holds. Never attached:
 * userspace runs it with BPF_PROG_RUN, one address at a time, through src/bpf/knames_prog.c. It
 * also names what was loaded after flamed started (modules, BPF programs), which a copy of
 * kallsyms read at start-up would not. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* A name of up to KSYM_NAME_LEN (512) bytes, "+0x<off>/0x<size>" (up to 38) and " [<module>]"
 * (up to 59), with room to spare; userspace takes the size from the skeleton. */
#define KNAMES_TEXT 640

char LICENSE[] SEC("license") = "GPL";

/* In: the address (written by userspace into the mmapped .bss before the run). */
__u64 knames_addr;
/* Out: "name+0x<off>/0x<size>" with " [module]" for a module, or "0x<addr>" when no symbol
 * covers the address; knames_len is bpf_snprintf()'s return (the length it needed, with the
 * NUL, or a negative errno). */
char knames_text[KNAMES_TEXT];
long knames_len;

SEC("syscall")
int name_addr(void *ctx)
{
	__u64 addr = knames_addr;

	knames_len = bpf_snprintf(knames_text, sizeof(knames_text), "%pS", &addr, sizeof(addr));
	return 0;
}
