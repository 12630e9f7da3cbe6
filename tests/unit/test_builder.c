// SPDX-License-Identifier: MIT
/* Names in the outputs. The profile builder's kernel frames over a kallsyms fixture: a module's
 * function is named with its module in every output ("nf_hook_slow [nf_conntrack]"), with the
 * bare symbol kept as the pprof system_name; core kernel functions stay bare; an address no
 * symbol covers makes the kernel mapping's has_functions false. A location's display name (a
 * stripped binary's function by its start) groups addresses in folded output and never reaches
 * pprof. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/builder.h"
#include "collect/collector.h"
#include "profile.pb-c.h"
#include "proc/proc_table.h"
#include "profile/profile.h"
#include "symbolize/symbolizer.h"

static const char kallsyms[] = "ffffffff81000000 T _stext\n"
			       "ffffffff81000100 T do_syscall_64\n"
			       "ffffffff81000200 T nf_hook_slow_core_twin\n"
			       "ffffffff81001000 T _etext\n"
			       "ffffffffc0001000 t nf_hook_slow\t[nf_conntrack]\n"
			       "ffffffffc0001100 t nf_ct_get_tuple\t[nf_conntrack]\n"
			       "ffffffffc0002000 t xfs_iread\t[xfs]\n";

struct fixture {
	char path[64];
	struct collector *c;
	struct proc_table *pt;
	struct symbolizer *sym;
	struct profile *p;
};

static void add_kernel_stack(struct collector *c, uint64_t hash, const uint64_t *ips, uint32_t nr,
			     uint64_t count)
{
	static struct flamed_stack st; /* too big for the stack of a test */
	struct flamed_count_key key = { .kern_stack = hash, .tgid = 0, .tid = 0 };

	memset(&st, 0, sizeof(st));
	st.nr = nr;
	st.flags = FLAMED_STACK_KERNEL;
	memcpy(st.ips, ips, nr * sizeof(*ips));
	memcpy(key.comm, "kworker/0:1", sizeof("kworker/0:1"));
	assert_int_equal(collector__add_stack(c, hash, &st), 0);
	assert_int_equal(collector__add_count(c, &key, count), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct build_opts opts = { .freq_hz = 99 };
	struct build_stats bs;
	/* leaf first: the leaf is exact, callers are return addresses (looked up at ip - 1) */
	const uint64_t mod[] = { 0xffffffffc0001010ull, 0xffffffffc0002010ull,
				 0xffffffff81000110ull };
	const uint64_t core[] = { 0xffffffff81000210ull, 0xffffffff81000110ull };
	const uint64_t unknown[] = { 0xfffffffff0000000ull, 0xffffffff81000110ull };
	FILE *f;

	assert_non_null(fx);
	snprintf(fx->path, sizeof(fx->path), "/tmp/flamed-kallsyms.XXXXXX");
	assert_true(mkstemp(fx->path) >= 0);
	f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(kallsyms, f);
	fclose(f);
	fx->c = collector__new();
	fx->pt = proc_table__new();
	fx->sym = symbolizer__new(fx->path);
	assert_non_null(fx->c);
	assert_non_null(fx->pt);
	assert_non_null(fx->sym);
	add_kernel_stack(fx->c, 1, mod, 3, 5);
	add_kernel_stack(fx->c, 2, core, 2, 3);
	add_kernel_stack(fx->c, 3, unknown, 2, 1);
	assert_int_equal(build_profile(fx->c, fx->pt, fx->sym, &opts, &fx->p, &bs), 0);
	assert_int_equal(bs.samples, 9);
	assert_int_equal(bs.frames_unsymbolized, 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	profile__free(fx->p);
	symbolizer__free(fx->sym);
	proc_table__free(fx->pt);
	collector__free(fx->c);
	unlink(fx->path);
	free(fx);
	return 0;
}

static char *folded(const struct profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(profile__write_folded(p, 0, f), 0);
	fclose(f);
	return buf;
}

static void module_names_in_folded(void **state)
{
	struct fixture *fx = *state;
	char *out = folded(fx->p);

	/* root first: the syscall, xfs (a return address: ip - 1 still in xfs_iread), the leaf */
	assert_non_null(strstr(out, "kworker/0:1;do_syscall_64_[k];xfs_iread [xfs]_[k];"
				    "nf_hook_slow [nf_conntrack]_[k] 5\n"));
	/* a core function stays bare, even when a module has a similar name */
	assert_non_null(
		strstr(out, "kworker/0:1;do_syscall_64_[k];nf_hook_slow_core_twin_[k] 3\n"));
	assert_non_null(strstr(out, "[kernel.kallsyms]_[k] 1\n")); /* no symbol: the mapping */
	free(out);
}

/* pprof: Function.name carries the module, system_name the symbol as kallsyms spells it; the
 * kernel mapping does not claim functions for every location (one is a bare address). */
static void module_names_in_pprof(void **state)
{
	struct fixture *fx = *state;
	struct profile *back = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *out;

	Perftools__Profiles__Profile *m;
	bool found = false;

	assert_int_equal(profile__encode_pprof(fx->p, &buf, &len), 0);
	m = perftools__profiles__profile__unpack(NULL, len, buf);
	assert_non_null(m);
	for (size_t i = 0; i < m->n_function; i++) {
		const Perftools__Profiles__Function *fn = m->function[i];

		if (strcmp(m->string_table[fn->name], "nf_hook_slow [nf_conntrack]") == 0) {
			assert_string_equal(m->string_table[fn->system_name], "nf_hook_slow");
			found = true;
		}
	}
	assert_true(found);
	assert_int_equal(m->n_mapping, 1);
	assert_string_equal(m->string_table[m->mapping[0]->filename], "[kernel.kallsyms]");
	assert_false(m->mapping[0]->has_functions);
	perftools__profiles__profile__free_unpacked(m, NULL);
	assert_int_equal(profile__decode_pprof(buf, len, &back), 0);
	out = folded(back);
	assert_non_null(strstr(out, "nf_hook_slow [nf_conntrack]_[k] 5\n"));
	free(out);
	profile__free(back);
	free(buf);
}

/* Two addresses of one stripped function share its display name (one folded line); a third
 * without one is the mapping's "[basename]"; pprof has the addresses and not the name. */
static void display_names(void **state)
{
	struct profile_mapping pm = { .filename = "/usr/lib/liblzma.so.5",
				      .build_id = "ab12",
				      .has_functions = true,
				      .has_filenames = true,
				      .has_line_numbers = true,
				      .has_inline_frames = true };
	Perftools__Profiles__Profile *msg;
	struct profile *p = profile__new_cpu(99), *back = NULL;
	uint64_t m, l1, l2, l3;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *out;

	(void)state;
	assert_non_null(p);
	m = profile__add_mapping(p, &pm);
	l1 = profile__add_location(p, m, 0x7f0000015b20, NULL, 0);
	l2 = profile__add_location(p, m, 0x7f0000015b48, NULL, 0);
	l3 = profile__add_location(p, m, 0x7f0000099000, NULL, 0);
	assert_true(m && l1 && l2 && l3);
	assert_int_equal(profile__set_location_name(p, l1, "liblzma.so.5+0x15b10"), 0);
	assert_int_equal(profile__set_location_name(p, l2, "liblzma.so.5+0x15b10"), 0);
	assert_int_equal(profile__set_location_name(p, 99, "x"), -EINVAL);
	assert_int_equal(profile__clear_mapping_symbols(p, 99), -EINVAL);
	assert_int_equal(profile__clear_mapping_symbols(p, m), 0);
	assert_int_equal(profile__add_cpu_sample(p, &l1, 1, 2, NULL, 0), 0);
	assert_int_equal(profile__add_cpu_sample(p, &l2, 1, 3, NULL, 0), 0);
	assert_int_equal(profile__add_cpu_sample(p, &l3, 1, 1, NULL, 0), 0);
	out = folded(p);
	assert_string_equal(out, "[liblzma.so.5] 1\nliblzma.so.5+0x15b10 5\n");
	free(out);
	assert_int_equal(profile__encode_pprof(p, &buf, &len), 0);
	assert_null(memmem(buf, len, "+0x15b10", 8));
	/* a location without a Line: the mapping claims no symbolic info (go tool pprof then
	 * symbolizes it from the binary, by build-id) */
	msg = perftools__profiles__profile__unpack(NULL, len, buf);
	assert_non_null(msg);
	assert_int_equal(msg->n_mapping, 1);
	assert_false(msg->mapping[0]->has_functions);
	assert_false(msg->mapping[0]->has_filenames);
	assert_false(msg->mapping[0]->has_line_numbers);
	assert_false(msg->mapping[0]->has_inline_frames);
	assert_string_equal(msg->string_table[msg->mapping[0]->build_id], "ab12");
	perftools__profiles__profile__free_unpacked(msg, NULL);
	assert_int_equal(profile__decode_pprof(buf, len, &back), 0);
	out = folded(back); /* read back: the addresses, under the mapping's name */
	assert_string_equal(out, "[liblzma.so.5] 6\n");
	free(out);
	profile__free(back);
	profile__free(p);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest kernel[] = {
		cmocka_unit_test(module_names_in_folded),
		cmocka_unit_test(module_names_in_pprof),
	};
	const struct CMUnitTest profile[] = {
		cmocka_unit_test(display_names),
	};

	return cmocka_run_group_tests(kernel, setup, teardown) |
	       cmocka_run_group_tests(profile, NULL, NULL);
}
