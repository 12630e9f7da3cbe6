// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/bpf_log.h"
#include "bpf/knames_prog.h"
#include "knames.skel.h"

struct knames_prog {
	struct knames_bpf *skel;
	int prog_fd;
};

struct knames_prog *knames_prog__load(void)
{
	struct knames_prog *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	bpf_log_install();
	/* probed first: a load that fails has libbpf print warnings, and an older kernel without
	 * the program type or the helper is no error, only the /proc/kallsyms fallback */
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL) != 1 ||
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_snprintf, NULL) != 1) {
		err = -EOPNOTSUPP;
		goto fail;
	}
	p->skel = knames_bpf__open();
	if (!p->skel) {
		err = -errno;
		goto fail;
	}
	err = knames_bpf__load(p->skel);
	if (err)
		goto fail;
	if (!p->skel->bss) { /* .bss not mmapped: every run would need two syscalls more */
		err = -EOPNOTSUPP;
		goto fail;
	}
	p->prog_fd = bpf_program__fd(p->skel->progs.name_addr);
	return p;
fail:
	knames_prog__free(p);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

int knames_prog__run(struct knames_prog *p, uint64_t addr, const char **ret_text, size_t *ret_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	const size_t cap = sizeof(p->skel->bss->knames_text);
	int err;

	p->skel->bss->knames_addr = addr;
	p->skel->bss->knames_len = -1;
	err = bpf_prog_test_run_opts(p->prog_fd, &opts);
	if (err || p->skel->bss->knames_len <= 0) /* the run, or bpf_snprintf(), failed */
		return err ? err : -EINVAL;
	if ((size_t)p->skel->bss->knames_len > cap) /* a name cut short: not one to show */
		return -EIO;
	*ret_text = p->skel->bss->knames_text;
	*ret_len = strnlen(*ret_text, cap - 1);
	return 0;
}

void knames_prog__free(struct knames_prog *p)
{
	if (!p)
		return;
	knames_bpf__destroy(p->skel);
	free(p);
}
