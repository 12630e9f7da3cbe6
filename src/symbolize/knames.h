/* SPDX-License-Identifier: MIT */
/* Kernel address -> symbol name by the kernel's own lookup: a BPF program formats the address
 * with "%pS" (src/bpf/knames_prog.h runs it; this module only gets the answer through a
 * callback), and this module parses and caches the answers. One run per distinct address instead
 * of reading all of /proc/kallsyms once per run (bench/RESULTS.md compares them), and it names
 * modules and BPF programs loaded after start-up. */
#ifndef FLAMED_KNAMES_H
#define FLAMED_KNAMES_H

#include <stddef.h>
#include <stdint.h>

struct knames;

struct knames_stats {
	uint64_t runs;	     /* addresses asked of the kernel */
	uint64_t cache_hits; /* answered from the cache of earlier answers */
	uint64_t no_symbol;  /* the kernel has no symbol there */
	uint64_t failed;     /* runs that failed or answered text that does not parse */
};

/* Ask the kernel to name addr: 0 and its "%pS" answer (*ret_text, borrowed until the next call,
 * *ret_len bytes); -EIO when only this answer is unusable (cut short); another -errno when the
 * kernel cannot be asked. */
typedef int (*knames_ask_fn)(void *ctx, uint64_t addr, const char **ret_text, size_t *ret_len);

/* A cache of the kernel's answers through ask (ctx borrowed: it must outlive the object). A new
 * object, or NULL with errno. */
struct knames *knames__new(knames_ask_fn ask, void *ctx);

/* Name addr. Returns 1 with *ret_name and *ret_module set (borrowed, valid until the next
 * knames__lookup or knames__free; *ret_module NULL for the core kernel), 0 when the kernel has no
 * symbol covering addr, -EIO when its answer for addr is unusable (a name longer than the
 * buffer), or another negative errno when the program could not run (the caller falls back to
 * /proc/kallsyms). */
int knames__lookup(struct knames *k, uint64_t addr, const char **ret_name, const char **ret_module);

struct knames_stats knames__stats(const struct knames *k);

/* NULL-safe. */
void knames__free(struct knames *k);

/* Parse one "%pS" answer of len bytes (not NUL-terminated): "name+0x1a/0x40", optionally followed
 * by " [module]". On success returns 0 and the name and module spans within text (*module_len 0
 * for the core kernel); -ENOENT for "0x..." (no symbol); -EINVAL for anything else. Pure (fuzzed
 * with the kallsyms parser). */
int knames__parse(const char *text, size_t len, size_t *name_len, const char **module,
		  size_t *module_len);

#endif /* FLAMED_KNAMES_H */
