// SPDX-License-Identifier: MIT
/* knames: the parser of the kernel's "%pS" answers (core, module, BPF program, no symbol,
 * malformed), and, when this process may load BPF, names of live kernel functions agreeing with
 * /proc/kallsyms (tests/integration/test_kernel_names.sh compares them all). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "symbolize/kallsyms.h"
#include "bpf/knames_prog.h"
#include "symbolize/knames.h"

static int parse(const char *text, char *name, char *module)
{
	const char *mod;
	size_t name_len = 0, mod_len = 0;
	int err = knames__parse(text, strlen(text), &name_len, &mod, &mod_len);

	name[0] = module[0] = '\0';
	if (!err) {
		memcpy(name, text, name_len);
		name[name_len] = '\0';
		if (mod) {
			memcpy(module, mod, mod_len);
			module[mod_len] = '\0';
		}
	}
	return err;
}

static void parses_answers(void **state)
{
	char name[640], module[640];

	(void)state;
	assert_int_equal(parse("do_syscall_64+0x82/0x190", name, module), 0);
	assert_string_equal(name, "do_syscall_64");
	assert_string_equal(module, "");
	assert_int_equal(parse("ext4_file_read_iter+0x1a/0x120 [ext4]", name, module), 0);
	assert_string_equal(name, "ext4_file_read_iter");
	assert_string_equal(module, "ext4");
	assert_int_equal(
		parse("bpf_prog_6deef7357e7b4530_on_cpu_sample+0x4c/0x1e8 [bpf]", name, module), 0);
	assert_string_equal(name, "bpf_prog_6deef7357e7b4530_on_cpu_sample");
	assert_string_equal(module, "bpf");
	/* a name may hold '.' and '+' (clones, Rust): the split is the last "+0x" before "/0x" */
	assert_int_equal(parse("sched_clock_cpu.part.0+0x5/0x50", name, module), 0);
	assert_string_equal(name, "sched_clock_cpu.part.0");
	assert_int_equal(parse("a+b+0x0/0x10", name, module), 0);
	assert_string_equal(name, "a+b");
}

static void rejects_the_rest(void **state)
{
	char name[640], module[640];

	(void)state;
	assert_int_equal(parse("0xffffffff81000000", name, module), -ENOENT);
	assert_int_equal(parse("0x1000", name, module), -ENOENT);
	assert_int_equal(parse("", name, module), -EINVAL);
	assert_int_equal(parse("do_syscall_64", name, module), -EINVAL);
	assert_int_equal(parse("do_syscall_64+0x82", name, module), -EINVAL);
	assert_int_equal(parse("+0x82/0x190", name, module), -EINVAL);
	assert_int_equal(parse("f+0x1/0x2 []", name, module), -EINVAL);
	assert_int_equal(parse("f+0x1/0x2 [a b]", name, module), -EINVAL);
	assert_int_equal(parse("f+0x1/0x2 ext4]", name, module), -EINVAL);
	assert_int_equal(parse("f\n+0x1/0x2", name, module), -EINVAL);
	assert_int_equal(parse("f+0x1/", name, module), -EINVAL);
	assert_int_equal(parse("]", name, module), -EINVAL);
	assert_int_equal(parse("[]", name, module), -EINVAL);
}

/* A kernel that names 0x1000 and up by a table, answers "0x..." below, cuts 0x2000's answer
 * short and cannot run at 0x3000. */
static int fake_ask(void *ctx, uint64_t addr, const char **ret_text, size_t *ret_len)
{
	static char text[64];
	int *runs = ctx;

	(*runs)++;
	if (addr == 0x2000)
		return -EIO;
	if (addr == 0x3000)
		return -EPERM;
	if (addr < 0x1000)
		snprintf(text, sizeof(text), "0x%llx", (unsigned long long)addr);
	else
		snprintf(text, sizeof(text), "fn_%llx+0x0/0x10%s", (unsigned long long)addr,
			 addr & 1 ? " [mod]" : "");
	*ret_text = text;
	*ret_len = strlen(text);
	return 0;
}

/* The cache and the answers' meanings, without BPF. */
static void names_through_the_callback(void **state)
{
	int runs = 0;
	struct knames *kn = knames__new(fake_ask, &runs);
	const char *name, *module;

	(void)state;
	assert_non_null(kn);
	assert_int_equal(knames__lookup(kn, 0x1001, &name, &module), 1);
	assert_string_equal(name, "fn_1001");
	assert_string_equal(module, "mod");
	assert_int_equal(knames__lookup(kn, 0x1001, &name, &module), 1); /* from the cache */
	assert_string_equal(name, "fn_1001");
	assert_int_equal(runs, 1);
	assert_int_equal(knames__lookup(kn, 0x10, &name, &module), 0); /* no symbol: cached too */
	assert_null(name);
	assert_int_equal(knames__lookup(kn, 0x10, &name, &module), 0);
	assert_int_equal(runs, 2);
	/* a cut-short answer concerns that address only, and is not cached */
	assert_int_equal(knames__lookup(kn, 0x2000, &name, &module), -EIO);
	assert_int_equal(knames__lookup(kn, 0x2000, &name, &module), -EIO);
	assert_int_equal(runs, 4);
	assert_int_equal(knames__lookup(kn, 0x3000, &name, &module), -EPERM);
	assert_int_equal(knames__stats(kn).cache_hits, 2);
	assert_int_equal(knames__stats(kn).no_symbol, 1);
	assert_int_equal(knames__stats(kn).failed, 3);
	knames__free(kn);
}

static int ask_kernel(void *ctx, uint64_t addr, const char **ret_text, size_t *ret_len)
{
	return knames_prog__run(ctx, addr, ret_text, ret_len);
}

/* The live kernel, when this process may load BPF (root in CI); skipped otherwise. */
static void names_live_kernel(void **state)
{
	struct kallsyms *ks = kallsyms__load("/proc/kallsyms");
	struct knames_prog *prog = knames_prog__load();
	struct knames *kn = prog ? knames__new(ask_kernel, prog) : NULL;
	const char *name, *module, *want;
	uint64_t off;
	FILE *f;
	char line[512];
	unsigned long long addr = 0;
	char type, sym[256];

	(void)state;
	if (!kn || !ks) {
		kallsyms__free(ks);
		knames__free(kn);
		knames_prog__free(prog);
		skip();
	}
	f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, "do_sys_openat2"))
			break;
	fclose(f);
	assert_string_equal(sym, "do_sys_openat2");
	assert_int_equal(knames__lookup(kn, addr + 2, &name, &module), 1);
	assert_string_equal(name, "do_sys_openat2");
	assert_null(module);
	want = kallsyms__lookup(ks, addr + 2, &off, NULL);
	assert_string_equal(name, want);
	/* the same address again comes from the cache */
	assert_int_equal(knames__lookup(kn, addr + 2, &name, &module), 1);
	assert_int_equal(knames__stats(kn).cache_hits, 1);
	assert_int_equal(knames__lookup(kn, 0x1000, &name, &module), 0);
	assert_null(name);
	assert_int_equal(knames__stats(kn).no_symbol, 1);
	kallsyms__free(ks);
	knames__free(kn);
	knames_prog__free(prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_answers),
		cmocka_unit_test(rejects_the_rest),
		cmocka_unit_test(names_through_the_callback),
		cmocka_unit_test(names_live_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
