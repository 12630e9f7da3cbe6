// SPDX-License-Identifier: MIT
/* The profile model and its pprof encoder/decoder: every pprof rule checked on the protobuf-c
 * unpacked message, a decode round trip, malformed inputs, and `go tool pprof` as an independent
 * reader when Go is installed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/output.h"
#include "profile.pb-c.h"
#include "profile/profile.h"

#define FREQ_HZ 99

/* Ids of the hand-built profile, so tests can name what they check. */
struct fixture {
	struct profile *p;
	uint64_t m_app, m_kernel;
	uint64_t f_main, f_work, f_inl, f_kfunc;
	uint64_t l_main, l_work_inl, l_kernel, l_nolines;
};

/* main -> work (with inl inlined into it) -> syscall into the kernel, plus an unsymbolized frame
 * and a root-only sample; one stack is added twice so it must merge. */
static void fixture_build(struct fixture *fx)
{
	struct profile_mapping app = {
		.memory_start = 0x400000,
		.memory_limit = 0x500000,
		.file_offset = 0x1000,
		.filename = "/usr/bin/app",
		.build_id = "abcdef0123456789",
		.has_functions = true,
		.has_inline_frames = true,
	};
	struct profile_mapping kernel = {
		.memory_start = 0xffffffff81000000ULL,
		.memory_limit = 0xffffffff82000000ULL,
		.filename = "[kernel.kallsyms]",
		.has_functions = true,
	};
	struct profile_label labels[] = {
		{ .key = "comm", .str = "app" },
		{ .key = "pid", .num = 42, .num_unit = "pid" },
	};
	struct profile_line ln_main = { 0 }, ln_kfunc = { 0 }, ln_inl[2];
	uint64_t stack[3];

	memset(fx, 0, sizeof(*fx));
	fx->p = profile__new_cpu(FREQ_HZ);
	assert_non_null(fx->p);
	profile__set_time(fx->p, 1700000000000000000LL, 10000000000LL);
	assert_int_equal(profile__add_comment(fx->p, "made by test_profile"), 0);

	fx->m_app = profile__add_mapping(fx->p, &app);
	fx->m_kernel = profile__add_mapping(fx->p, &kernel);
	assert_int_equal(fx->m_app, 1);
	assert_int_equal(fx->m_kernel, 2);

	fx->f_main = profile__intern_function(fx->p, "main", "main", "app.c", 10);
	fx->f_work = profile__intern_function(fx->p, "work", "_Z4workv", "app.c", 20);
	fx->f_inl = profile__intern_function(fx->p, "inl", NULL, "app.h", 3);
	fx->f_kfunc = profile__intern_function(fx->p, "do_syscall_64", NULL, NULL, 0);
	assert_int_equal(fx->f_main, 1);
	assert_int_equal(fx->f_kfunc, 4);

	ln_main = (struct profile_line){ fx->f_main, 12 };
	ln_inl[0] = (struct profile_line){ fx->f_inl, 5 };   /* innermost callee */
	ln_inl[1] = (struct profile_line){ fx->f_work, 22 }; /* physical caller */
	ln_kfunc = (struct profile_line){ fx->f_kfunc, 0 };
	fx->l_main = profile__add_location(fx->p, fx->m_app, 0x401000, &ln_main, 1);
	fx->l_work_inl = profile__add_location(fx->p, fx->m_app, 0x402000, ln_inl, 2);
	fx->l_kernel =
		profile__add_location(fx->p, fx->m_kernel, 0xffffffff81001234ULL, &ln_kfunc, 1);
	fx->l_nolines = profile__add_location(fx->p, fx->m_app, 0x403000, NULL, 0);
	assert_int_equal(fx->l_nolines, 4);

	stack[0] = fx->l_kernel;
	stack[1] = fx->l_work_inl;
	stack[2] = fx->l_main;
	assert_int_equal(profile__add_cpu_sample(fx->p, stack, 3, 3, labels, 2), 0);
	assert_int_equal(profile__add_cpu_sample(fx->p, stack, 3, 2, labels, 2), 0); /* merges */
	stack[0] = fx->l_nolines;
	stack[1] = fx->l_main;
	assert_int_equal(profile__add_cpu_sample(fx->p, stack, 2, 1, labels, 1), 0);
	assert_int_equal(profile__add_cpu_sample(fx->p, &fx->l_main, 1, 4, NULL, 0), 0);
}

static int64_t period(void)
{
	return 1000000000LL / FREQ_HZ;
}

static char *folded_text(const struct profile *p, size_t idx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(profile__write_folded(p, idx, f), 0);
	fclose(f);
	return text;
}

static void test_model_basics(void **state)
{
	struct fixture fx;

	(void)state;
	fixture_build(&fx);
	assert_int_equal(profile__nr_mappings(fx.p), 2);
	assert_int_equal(profile__nr_functions(fx.p), 4);
	assert_int_equal(profile__nr_locations(fx.p), 4);
	assert_int_equal(profile__nr_samples(fx.p), 3); /* 4 adds, two identical */
	assert_int_equal(profile__period(fx.p), period());
	assert_int_equal(profile__total(fx.p, 0), 10);
	assert_int_equal(profile__total(fx.p, 1), 10 * period());
	assert_int_equal(profile__total(fx.p, 2), 0);
	assert_int_equal(profile__sample_type_index(fx.p, "samples"), 0);
	assert_int_equal(profile__sample_type_index(fx.p, "cpu"), 1);
	assert_int_equal(profile__sample_type_index(fx.p, "wall"), -1);
	assert_string_equal(profile__sample_type(fx.p, 1).unit, "nanoseconds");
	assert_null(profile__sample_type(fx.p, 2).type);
	assert_int_equal(profile__time_nanos(fx.p), 1700000000000000000LL);
	assert_int_equal(profile__duration_nanos(fx.p), 10000000000LL);

	/* function interning keys on all four fields */
	assert_int_equal(profile__intern_function(fx.p, "work", "_Z4workv", "app.c", 20),
			 fx.f_work);
	assert_int_equal(profile__intern_function(fx.p, "work", "_Z4workv", "app.c", 21), 5);
	assert_int_equal(profile__intern_function(fx.p, "work", NULL, "app.c", 20), 6);
	assert_int_equal(profile__intern_function(fx.p, "work", "", "app.c", 20), 6);

	/* bad ids are refused */
	errno = 0;
	assert_int_equal(profile__add_location(fx.p, 3, 0, NULL, 0), 0);
	assert_int_equal(errno, EINVAL);
	{
		struct profile_line bad = { 99, 0 };
		uint64_t unknown = 77, zero = 0;

		assert_int_equal(profile__add_location(fx.p, 1, 0, &bad, 1), 0);
		assert_int_equal(profile__add_cpu_sample(fx.p, &unknown, 1, 1, NULL, 0), -EINVAL);
		assert_int_equal(profile__add_cpu_sample(fx.p, &zero, 1, 1, NULL, 0), -EINVAL);
	}
	assert_int_equal(profile__set_default_sample_type(fx.p, "nosuch"), -EINVAL);
	assert_int_equal(profile__nr_samples(fx.p), 3);
	profile__free(fx.p);
	profile__free(NULL);

	errno = 0;
	assert_null(profile__new_cpu(0));
	assert_int_equal(errno, EINVAL);
}

/* Differently labelled samples on the same stack stay apart; label order matters. */
static void test_merge_rules(void **state)
{
	struct profile_label a[] = { { .key = "comm", .str = "x" }, { .key = "tid", .num = 1 } };
	struct profile_label b[] = { { .key = "tid", .num = 1 }, { .key = "comm", .str = "x" } };
	struct profile_label c[] = { { .key = "comm", .str = "x" }, { .key = "tid", .num = 2 } };
	struct profile *p = profile__new_cpu(100);
	struct profile_line ln = { 0 };
	uint64_t loc[2];

	(void)state;
	assert_non_null(p);
	ln.function_id = profile__intern_function(p, "f", NULL, NULL, 0);
	loc[0] = profile__add_location(p, 0, 0x10, &ln, 1);
	loc[1] = profile__add_location(p, 0, 0x20, &ln, 1);
	assert_int_equal(profile__add_cpu_sample(p, loc, 2, 1, a, 2), 0);
	assert_int_equal(profile__add_cpu_sample(p, loc, 2, 1, a, 2), 0);
	assert_int_equal(profile__nr_samples(p), 1);
	assert_int_equal(profile__add_cpu_sample(p, loc, 2, 1, b, 2), 0);
	assert_int_equal(profile__add_cpu_sample(p, loc, 2, 1, c, 2), 0);
	assert_int_equal(profile__add_cpu_sample(p, loc, 2, 1, a, 1), 0);
	assert_int_equal(profile__add_cpu_sample(p, loc, 1, 1, a, 2), 0);
	assert_int_equal(profile__nr_samples(p), 5);
	{
		uint64_t rev[2] = { loc[1], loc[0] };

		assert_int_equal(profile__add_cpu_sample(p, rev, 2, 1, a, 2), 0);
	}
	assert_int_equal(profile__nr_samples(p), 6);
	assert_int_equal(profile__total(p, 0), 7);
	profile__free(p);
}

/* A million adds over 5000 distinct stacks: must merge through the hash map, not a scan. */
static void test_merge_many(void **state)
{
	enum { NR_LOCS = 64, NR_STACKS = 5000, NR_ADDS = 1000000, DEPTH = 12 };
	struct profile *p = profile__new_cpu(99);
	struct profile_line ln = { 0 };
	uint64_t locs[NR_LOCS], stack[DEPTH];

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < NR_LOCS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "fn%d", i);
		ln.function_id = profile__intern_function(p, name, NULL, NULL, 0);
		locs[i] = profile__add_location(p, 0, 0x1000 + i, &ln, 1);
		assert_int_not_equal(locs[i], 0);
	}
	for (int i = 0; i < NR_ADDS; i++) {
		unsigned int s = (unsigned int)i % NR_STACKS;

		for (int d = 0; d < DEPTH; d++) {
			s = s * 1103515245u + 12345u;
			stack[d] = locs[(s >> 8) % NR_LOCS];
		}
		assert_int_equal(profile__add_cpu_sample(p, stack, DEPTH, 1, NULL, 0), 0);
	}
	assert_int_equal(profile__nr_samples(p), NR_STACKS);
	assert_int_equal(profile__total(p, 0), NR_ADDS);
	assert_int_equal(profile__total(p, 1), (int64_t)NR_ADDS * profile__period(p));
	profile__free(p);
}

static const char *msg_str(const Perftools__Profiles__Profile *m, int64_t idx)
{
	assert_true(idx >= 0 && (size_t)idx < m->n_string_table);
	return m->string_table[idx];
}

static const Perftools__Profiles__Function *msg_func(const Perftools__Profiles__Profile *m,
						     uint64_t id)
{
	assert_true(id >= 1 && id <= m->n_function);
	return m->function[id - 1];
}

static const Perftools__Profiles__Sample *find_sample(const Perftools__Profiles__Profile *m,
						      const uint64_t *locs, size_t n)
{
	for (size_t i = 0; i < m->n_sample; i++) {
		const Perftools__Profiles__Sample *s = m->sample[i];

		if (s->n_location_id == n && !memcmp(s->location_id, locs, n * sizeof(*locs)))
			return s;
	}
	fail_msg("sample not found");
	return NULL;
}

static void test_encode_rules(void **state)
{
	Perftools__Profiles__Profile *m;
	const Perftools__Profiles__Sample *s;
	const Perftools__Profiles__Location *l;
	struct fixture fx;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	fixture_build(&fx);
	assert_int_equal(profile__encode_pprof(fx.p, &buf, &len), 0);
	m = perftools__profiles__profile__unpack(NULL, len, buf);
	assert_non_null(m);

	/* string table: "" first, every string once */
	assert_true(m->n_string_table > 1);
	assert_string_equal(m->string_table[0], "");
	for (size_t i = 0; i < m->n_string_table; i++)
		for (size_t j = i + 1; j < m->n_string_table; j++)
			assert_string_not_equal(m->string_table[i], m->string_table[j]);

	/* types, period, default type, time, comment */
	assert_int_equal(m->n_sample_type, 2);
	assert_string_equal(msg_str(m, m->sample_type[0]->type), "samples");
	assert_string_equal(msg_str(m, m->sample_type[0]->unit), "count");
	assert_string_equal(msg_str(m, m->sample_type[1]->type), "cpu");
	assert_string_equal(msg_str(m, m->sample_type[1]->unit), "nanoseconds");
	assert_non_null(m->period_type);
	assert_string_equal(msg_str(m, m->period_type->type), "cpu");
	assert_string_equal(msg_str(m, m->period_type->unit), "nanoseconds");
	assert_int_equal(m->period, period());
	assert_string_equal(msg_str(m, m->default_sample_type), "cpu");
	assert_int_equal(m->time_nanos, 1700000000000000000LL);
	assert_int_equal(m->duration_nanos, 10000000000LL);
	assert_int_equal(m->n_comment, 1);
	assert_string_equal(msg_str(m, m->comment[0]), "made by test_profile");

	/* dense ids in array order */
	assert_int_equal(m->n_mapping, 2);
	for (size_t i = 0; i < m->n_mapping; i++)
		assert_int_equal(m->mapping[i]->id, i + 1);
	assert_int_equal(m->n_function, 4);
	for (size_t i = 0; i < m->n_function; i++)
		assert_int_equal(m->function[i]->id, i + 1);
	assert_int_equal(m->n_location, 4);
	for (size_t i = 0; i < m->n_location; i++)
		assert_int_equal(m->location[i]->id, i + 1);

	/* mappings */
	assert_string_equal(msg_str(m, m->mapping[0]->filename), "/usr/bin/app");
	assert_string_equal(msg_str(m, m->mapping[0]->build_id), "abcdef0123456789");
	assert_int_equal(m->mapping[0]->memory_start, 0x400000);
	assert_int_equal(m->mapping[0]->memory_limit, 0x500000);
	assert_int_equal(m->mapping[0]->file_offset, 0x1000);
	assert_true(m->mapping[0]->has_functions);
	assert_true(m->mapping[0]->has_inline_frames);
	assert_string_equal(msg_str(m, m->mapping[1]->filename), "[kernel.kallsyms]");
	assert_string_equal(msg_str(m, m->mapping[1]->build_id), "");

	/* functions */
	assert_string_equal(msg_str(m, msg_func(m, fx.f_work)->name), "work");
	assert_string_equal(msg_str(m, msg_func(m, fx.f_work)->system_name), "_Z4workv");
	assert_string_equal(msg_str(m, msg_func(m, fx.f_work)->filename), "app.c");
	assert_int_equal(msg_func(m, fx.f_work)->start_line, 20);

	/* inlined location: line[0] the callee, the last the physical caller */
	l = m->location[fx.l_work_inl - 1];
	assert_int_equal(l->mapping_id, fx.m_app);
	assert_int_equal(l->address, 0x402000);
	assert_int_equal(l->n_line, 2);
	assert_string_equal(msg_str(m, msg_func(m, l->line[0]->function_id)->name), "inl");
	assert_int_equal(l->line[0]->line, 5);
	assert_string_equal(msg_str(m, msg_func(m, l->line[1]->function_id)->name), "work");
	assert_int_equal(l->line[1]->line, 22);
	assert_int_equal(m->location[fx.l_nolines - 1]->n_line, 0);
	assert_int_equal(m->location[fx.l_kernel - 1]->mapping_id, fx.m_kernel);

	/* samples: merged values, leaf first, labels as strings or numbers */
	assert_int_equal(m->n_sample, 3);
	{
		uint64_t stack[3] = { fx.l_kernel, fx.l_work_inl, fx.l_main };

		s = find_sample(m, stack, 3);
	}
	assert_int_equal(s->n_value, 2);
	assert_int_equal(s->value[0], 5);
	assert_int_equal(s->value[1], 5 * period());
	assert_int_equal(s->n_label, 2);
	assert_string_equal(msg_str(m, s->label[0]->key), "comm");
	assert_string_equal(msg_str(m, s->label[0]->str), "app");
	assert_string_equal(msg_str(m, s->label[1]->key), "pid");
	assert_int_equal(s->label[1]->str, 0);
	assert_int_equal(s->label[1]->num, 42);
	assert_string_equal(msg_str(m, s->label[1]->num_unit), "pid");
	s = find_sample(m, &fx.l_main, 1);
	assert_int_equal(s->value[0], 4);
	assert_int_equal(s->n_label, 0);
	for (size_t i = 0; i < m->n_sample; i++)
		assert_int_equal(m->sample[i]->n_value, m->n_sample_type);

	perftools__profiles__profile__free_unpacked(m, NULL);
	free(buf);
	profile__free(fx.p);
}

struct walk_record {
	char text[1024];
	size_t calls;
};

static const char *kind_tag(enum profile_frame_kind k)
{
	switch (k) {
	case PROFILE_FRAME_KERNEL:
		return "K";
	case PROFILE_FRAME_INLINED:
		return "I";
	case PROFILE_FRAME_JIT:
		return "J";
	case PROFILE_FRAME_COMM:
		return "C";
	default:
		return "U";
	}
}

/* Records the walk of the sample whose leaf is a kernel frame. */
static int record_kernel_stack(const struct profile_frame *frames, size_t nr, int64_t value,
			       const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	struct walk_record *r = ctx;
	size_t off = 0;

	r->calls++;
	if (!nr || frames[nr - 1].kind != PROFILE_FRAME_KERNEL)
		return 0;
	for (size_t i = 0; i < nr; i++)
		off += snprintf(r->text + off, sizeof(r->text) - off, "%s%s:%s", i ? ";" : "",
				kind_tag(frames[i].kind), frames[i].name);
	off += snprintf(r->text + off, sizeof(r->text) - off, " =%lld", (long long)value);
	for (size_t i = 0; i < nr_labels; i++) {
		if (labels[i].str)
			off += snprintf(r->text + off, sizeof(r->text) - off, " %s=%s",
					labels[i].key, labels[i].str);
		else
			off += snprintf(r->text + off, sizeof(r->text) - off, " %s=%lld%s",
					labels[i].key, (long long)labels[i].num,
					labels[i].num_unit ? labels[i].num_unit : "");
	}
	return 0;
}

static int stop_at_first(const struct profile_frame *frames, size_t nr, int64_t value,
			 const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	(void)frames;
	(void)nr;
	(void)value;
	(void)labels;
	(void)nr_labels;
	++*(int *)ctx;
	return 1234;
}

static void check_kernel_walk(const struct profile *p)
{
	struct walk_record r = { 0 };

	assert_int_equal(profile__for_each_stack(p, 1, true, record_kernel_stack, &r), 0);
	assert_int_equal(r.calls, 3);
	assert_string_equal(r.text, "C:app;U:main;U:work;I:inl;K:do_syscall_64 =50505050 comm=app "
				    "pid=42pid");
	memset(&r, 0, sizeof(r));
	assert_int_equal(profile__for_each_stack(p, 0, false, record_kernel_stack, &r), 0);
	assert_string_equal(r.text, "U:main;U:work;I:inl;K:do_syscall_64 =5 comm=app pid=42pid");
}

/* profile__project: one series of a three-type profile. The CPU part keeps its types, period and
 * default; the off-CPU part is renamed with its own period type; samples without a value of the
 * kept types are left out; locations (their display names too), functions, mappings, process
 * records and times come along, and the result encodes and decodes like any profile. */
static void test_project(void **state)
{
	static const size_t cpu_idx[] = { 0, 1 }, off_idx = 2;
	const struct profile_value_type off_as = { "wallclock", "nanoseconds" };
	struct profile *p = profile__new_cpu_offcpu(FREQ_HZ), *cpu = NULL, *off = NULL,
		       *back = NULL;
	struct profile_label lab = { .key = "pid", .str = "7" };
	struct profile_process proc = { .executable_path = "/bin/app" }, got;
	uint64_t f1, f2, l1, l2;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(p);
	profile__set_time(p, 1000, 2000);
	f1 = profile__intern_function(p, "main", NULL, NULL, 0);
	f2 = profile__intern_function(p, "wait", NULL, NULL, 0);
	l1 = profile__add_location(p, 0, 0x10, &(struct profile_line){ f1, 3 }, 1);
	l2 = profile__add_location(p, 0, 0x20, &(struct profile_line){ f2, 4 }, 1);
	assert_int_equal(profile__set_location_name(p, l1, "app+0x10"), 0);
	assert_int_equal(profile__set_process(p, 7, &proc), 0);
	assert_int_equal(profile__add_cpu_offcpu_sample(p, &l1, 1, 5, 0, &lab, 1), 0);
	assert_int_equal(
		profile__add_cpu_offcpu_sample(p, (uint64_t[]){ l2, l1 }, 2, 0, 3000, &lab, 1), 0);
	assert_int_equal(profile__add_cpu_offcpu_sample(p, &l2, 1, 1, 500, &lab, 1), 0);

	assert_int_equal(profile__project(p, cpu_idx, NULL, 2, profile__period_type(p),
					  profile__period(p), &cpu),
			 0);
	assert_int_equal(profile__nr_samples(cpu), 2); /* the wait-only stack is left out */
	assert_int_equal(profile__total(cpu, 0), 6);
	assert_int_equal(profile__total(cpu, 1), 6 * profile__period(p));
	assert_int_equal(profile__sample_type_index(cpu, PROFILE_OFFCPU_TYPE), -1);
	assert_string_equal(profile__period_type(cpu).type, "cpu");
	assert_int_equal(profile__nr_locations(cpu), 2);
	assert_int_equal(profile__nr_functions(cpu), 2);
	assert_int_equal(profile__process(cpu, 7, &got), 0);
	assert_string_equal(got.executable_path, "/bin/app");
	assert_int_equal(profile__time_nanos(cpu), 1000);
	assert_int_equal(profile__duration_nanos(cpu), 2000);

	assert_int_equal(profile__project(p, &off_idx, &off_as, 1,
					  (struct profile_value_type){ "samples", "count" }, 1,
					  &off),
			 0);
	assert_int_equal(profile__nr_samples(off), 2);
	assert_int_equal(profile__total(off, 0), 3500);
	assert_string_equal(profile__sample_type(off, 0).type, "wallclock");
	assert_int_equal(profile__period(off), 1);
	/* it is a profile like any: encoded, read back, the same */
	assert_int_equal(profile__encode_pprof(off, &buf, &len), 0);
	assert_int_equal(profile__decode_pprof(buf, len, &back), 0);
	assert_int_equal(profile__total(back, 0), 3500);
	assert_string_equal(profile__period_type(back).type, "samples");

	/* no period type at all (Pyroscope's off-CPU series): none in the pprof either */
	profile__free(off);
	free(buf);
	assert_int_equal(profile__project(p, &off_idx, &off_as, 1,
					  (struct profile_value_type){ NULL, NULL }, 1, &off),
			 0);
	assert_int_equal(profile__encode_pprof(off, &buf, &len), 0);
	{
		Perftools__Profiles__Profile *msg =
			perftools__profiles__profile__unpack(NULL, len, buf);

		assert_non_null(msg);
		assert_null(msg->period_type);
		perftools__profiles__profile__free_unpacked(msg, NULL);
	}

	/* out of range, or nothing to keep */
	assert_int_equal(
		profile__project(p, (size_t[]){ 3 }, NULL, 1, profile__period_type(p), 1, &cpu),
		-EINVAL);
	assert_int_equal(profile__project(p, cpu_idx, NULL, 0, profile__period_type(p), 1, &cpu),
			 -EINVAL);
	free(buf);
	profile__free(back);
	profile__free(off);
	profile__free(cpu);
	profile__free(p);
}

static void test_walk(void **state)
{
	struct fixture fx;
	int calls = 0;

	(void)state;
	fixture_build(&fx);
	check_kernel_walk(fx.p);
	assert_int_equal(profile__for_each_stack(fx.p, 0, true, stop_at_first, &calls), 1234);
	assert_int_equal(calls, 1);
	assert_int_equal(profile__for_each_stack(fx.p, 2, true, stop_at_first, &calls), -EINVAL);
	profile__free(fx.p);
}

static void test_decode_round_trip(void **state)
{
	struct profile *back = NULL;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	char *orig_text, *back_text;
	struct fixture fx;

	(void)state;
	fixture_build(&fx);
	assert_int_equal(profile__encode_pprof(fx.p, &buf, &len), 0);
	assert_int_equal(profile__decode_pprof(buf, len, &back), 0);
	assert_non_null(back);

	assert_int_equal(profile__nr_samples(back), 3);
	assert_int_equal(profile__nr_mappings(back), 2);
	assert_int_equal(profile__nr_functions(back), 4);
	assert_int_equal(profile__nr_locations(back), 4);
	assert_int_equal(profile__total(back, 0), profile__total(fx.p, 0));
	assert_int_equal(profile__total(back, 1), profile__total(fx.p, 1));
	assert_int_equal(profile__period(back), period());
	assert_int_equal(profile__time_nanos(back), 1700000000000000000LL);
	assert_int_equal(profile__duration_nanos(back), 10000000000LL);
	assert_string_equal(profile__sample_type(back, 1).type, "cpu");

	orig_text = folded_text(fx.p, 1);
	back_text = folded_text(back, 1);
	assert_string_equal(orig_text, back_text);
	assert_non_null(strstr(orig_text, "app;main;[app] 10101010\n"));
	check_kernel_walk(back);

	/* a decoded profile encodes to the same bytes: nothing is lost or reordered */
	assert_int_equal(profile__encode_pprof(back, &buf2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(buf2, buf, len);

	free(orig_text);
	free(back_text);
	free(buf);
	free(buf2);
	profile__free(back);
	profile__free(fx.p);
}

/* A small hand-made message in the shape other producers write; tests mutate it before packing. */
struct msg_fixture {
	Perftools__Profiles__Profile prof;
	Perftools__Profiles__ValueType vt[2], *vt_ptrs[2], period_type;
	Perftools__Profiles__Mapping map[2], *map_ptrs[2];
	Perftools__Profiles__Function fn[2], *fn_ptrs[2];
	Perftools__Profiles__Location loc[4], *loc_ptrs[4];
	Perftools__Profiles__Line line[3], *line_ptrs[3];
	Perftools__Profiles__Sample smp[2], *smp_ptrs[2];
	Perftools__Profiles__Label lbl[1], *lbl_ptrs[1];
	uint64_t stack0[3], stack1[2];
	int64_t values0[2], values1[2];
	char *strings[12];
};

enum {
	S_EMPTY,
	S_SAMPLES,
	S_COUNT,
	S_CPU,
	S_NS,
	S_LIBFOO,
	S_FOO,
	S_BAR,
	S_THREAD,
	S_WORKER,
	S_ANON,
	S_NR,
};

/* Ids are sparse and out of order (as Go's runtime/pprof writes them); one location has mapping 0,
 * one an unknown mapping id, one no lines. */
static void msg_fixture_init(struct msg_fixture *f)
{
	static const char *const strs[S_NR] = {
		"",    "samples", "count",    "cpu", "nanoseconds", "/lib/libfoo.so", "foo",
		"bar", "thread",  "worker-1", ""
	};

	memset(f, 0, sizeof(*f));
	perftools__profiles__profile__init(&f->prof);
	for (int i = 0; i < S_NR; i++)
		f->strings[i] = (char *)strs[i];
	f->prof.n_string_table = S_NR;
	f->prof.string_table = f->strings;

	for (int i = 0; i < 2; i++) {
		perftools__profiles__value_type__init(&f->vt[i]);
		f->vt_ptrs[i] = &f->vt[i];
	}
	f->vt[0].type = S_SAMPLES;
	f->vt[0].unit = S_COUNT;
	f->vt[1].type = S_CPU;
	f->vt[1].unit = S_NS;
	f->prof.n_sample_type = 2;
	f->prof.sample_type = f->vt_ptrs;
	perftools__profiles__value_type__init(&f->period_type);
	f->period_type.type = S_CPU;
	f->period_type.unit = S_NS;
	f->prof.period_type = &f->period_type;
	f->prof.period = 10000000;

	perftools__profiles__mapping__init(&f->map[0]);
	f->map[0].id = 9;
	f->map[0].filename = S_LIBFOO;
	f->map[0].memory_start = 0x7f0000000000;
	f->map_ptrs[0] = &f->map[0];
	f->prof.n_mapping = 1;
	f->prof.mapping = f->map_ptrs;

	for (int i = 0; i < 2; i++) {
		perftools__profiles__function__init(&f->fn[i]);
		f->fn_ptrs[i] = &f->fn[i];
	}
	f->fn[0].id = 50;
	f->fn[0].name = S_FOO;
	f->fn[1].id = 7;
	f->fn[1].name = S_BAR;
	f->prof.n_function = 2;
	f->prof.function = f->fn_ptrs;

	for (int i = 0; i < 3; i++) {
		perftools__profiles__line__init(&f->line[i]);
		f->line_ptrs[i] = &f->line[i];
	}
	f->line[0].function_id = 50;
	f->line[1].function_id = 7;
	f->line[2].function_id = 7;
	for (int i = 0; i < 4; i++) {
		perftools__profiles__location__init(&f->loc[i]);
		f->loc_ptrs[i] = &f->loc[i];
	}
	f->loc[0].id = 1000; /* foo inlined into bar, in libfoo */
	f->loc[0].mapping_id = 9;
	f->loc[0].n_line = 2;
	f->loc[0].line = &f->line_ptrs[0];
	f->loc[1].id = 3; /* no lines, in libfoo: "[libfoo.so]" */
	f->loc[1].mapping_id = 9;
	f->loc[1].address = 0x7f0000001234;
	f->loc[2].id = 2; /* no mapping, no lines: "0xabc" */
	f->loc[2].address = 0xabc;
	f->loc[3].id = 77; /* unknown mapping id: tolerated as none */
	f->loc[3].mapping_id = 12345;
	f->loc[3].n_line = 1;
	f->loc[3].line = &f->line_ptrs[2];
	f->prof.n_location = 4;
	f->prof.location = f->loc_ptrs;

	for (int i = 0; i < 2; i++) {
		perftools__profiles__sample__init(&f->smp[i]);
		f->smp_ptrs[i] = &f->smp[i];
	}
	f->stack0[0] = 1000;
	f->stack0[1] = 3;
	f->stack0[2] = 2;
	f->values0[0] = 2;
	f->values0[1] = 20000000;
	f->smp[0].n_location_id = 3;
	f->smp[0].location_id = f->stack0;
	f->smp[0].n_value = 2;
	f->smp[0].value = f->values0;
	perftools__profiles__label__init(&f->lbl[0]);
	f->lbl[0].key = S_THREAD;
	f->lbl[0].str = S_WORKER;
	f->lbl_ptrs[0] = &f->lbl[0];
	f->smp[0].n_label = 1;
	f->smp[0].label = f->lbl_ptrs;
	f->stack1[0] = 77;
	f->stack1[1] = 2;
	f->values1[0] = 1;
	f->values1[1] = 10000000;
	f->smp[1].n_location_id = 2;
	f->smp[1].location_id = f->stack1;
	f->smp[1].n_value = 2;
	f->smp[1].value = f->values1;
	f->prof.n_sample = 2;
	f->prof.sample = f->smp_ptrs;
	f->prof.default_sample_type = S_CPU;
}

static int msg_fixture_decode(struct msg_fixture *f, struct profile **ret)
{
	size_t len = perftools__profiles__profile__get_packed_size(&f->prof);
	uint8_t *buf = malloc(len + 1);
	int err;

	assert_non_null(buf);
	assert_int_equal(perftools__profiles__profile__pack(&f->prof, buf), len);
	*ret = NULL;
	err = profile__decode_pprof(buf, len, ret);
	free(buf);
	if (err)
		assert_null(*ret);
	return err;
}

static void test_decode_foreign(void **state)
{
	struct msg_fixture f;
	struct profile *p = NULL;
	char *text;

	(void)state;
	msg_fixture_init(&f);
	assert_int_equal(msg_fixture_decode(&f, &p), 0);
	assert_int_equal(profile__nr_mappings(p), 1);
	assert_int_equal(profile__nr_functions(p), 2);
	assert_int_equal(profile__nr_locations(p), 4);
	assert_int_equal(profile__nr_samples(p), 2);
	assert_int_equal(profile__total(p, 1), 30000000);
	text = folded_text(p, 0);
	assert_string_equal(text, "0xabc;[libfoo.so];bar;foo_[i] 2\n"
				  "0xabc;bar 1\n");
	free(text);
	profile__free(p);
}

static void expect_einval(struct msg_fixture *f, const char *what)
{
	struct profile *p = (struct profile *)0x1;

	if (msg_fixture_decode(f, &p) != -EINVAL)
		fail_msg("decode accepted: %s", what);
	assert_null(p);
}

static void test_decode_rejects(void **state)
{
	struct msg_fixture f;
	char *bad_first = "x";
	struct profile *p = NULL;
	uint64_t *deep;

	(void)state;
	msg_fixture_init(&f);
	f.fn[0].name = S_NR;
	expect_einval(&f, "function name index out of range");

	msg_fixture_init(&f);
	f.fn[1].filename = -1;
	expect_einval(&f, "negative string index");

	msg_fixture_init(&f);
	f.lbl[0].str = 1000;
	expect_einval(&f, "label string index out of range");

	msg_fixture_init(&f);
	f.map[0].build_id = S_NR + 5;
	expect_einval(&f, "mapping build id index out of range");

	msg_fixture_init(&f);
	f.prof.default_sample_type = S_NR;
	expect_einval(&f, "default sample type index out of range");

	msg_fixture_init(&f);
	f.vt[1].unit = 99;
	expect_einval(&f, "sample type unit index out of range");

	msg_fixture_init(&f);
	f.stack0[1] = 4;
	expect_einval(&f, "unknown location id");

	msg_fixture_init(&f);
	f.line[1].function_id = 8;
	expect_einval(&f, "unknown function id");

	msg_fixture_init(&f);
	f.smp[1].n_value = 1;
	expect_einval(&f, "value count mismatch");

	msg_fixture_init(&f);
	f.loc[1].id = 1000;
	expect_einval(&f, "duplicate location id");

	msg_fixture_init(&f);
	f.fn[0].id = 0;
	expect_einval(&f, "function id 0");

	msg_fixture_init(&f);
	f.strings[0] = bad_first;
	expect_einval(&f, "string_table[0] not empty");

	/* a deep stack decodes up to the limit, and one frame more is refused */
	msg_fixture_init(&f);
	deep = calloc(PROFILE_MAX_DECODED_FRAMES + 1, sizeof(*deep));
	assert_non_null(deep);
	for (size_t i = 0; i <= PROFILE_MAX_DECODED_FRAMES; i++)
		deep[i] = 3; /* no lines: one frame each */
	f.smp[0].location_id = deep;
	f.smp[0].n_location_id = PROFILE_MAX_DECODED_FRAMES;
	assert_int_equal(msg_fixture_decode(&f, &p), 0);
	profile__free(p);
	f.smp[0].n_location_id = PROFILE_MAX_DECODED_FRAMES + 1;
	assert_int_equal(msg_fixture_decode(&f, &p), -E2BIG);
	free(deep);

	msg_fixture_init(&f);
	f.prof.n_string_table = 0;
	expect_einval(&f, "no string table");

	msg_fixture_init(&f);
	f.prof.n_sample_type = 0;
	f.smp[0].n_value = 0;
	f.smp[1].n_value = 0;
	expect_einval(&f, "samples without sample types");
}

static void test_decode_truncated(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x05 };
	struct profile *p = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct fixture fx;

	(void)state;
	fixture_build(&fx);
	assert_int_equal(profile__encode_pprof(fx.p, &buf, &len), 0);
	/* the last field is default_sample_type, a 2-byte varint field: cutting one byte breaks it */
	assert_int_equal(profile__decode_pprof(buf, len - 1, &p), -EINVAL);
	assert_null(p);
	/* every other prefix either fails cleanly or decodes to something consistent */
	for (size_t n = 0; n < len; n++) {
		int err = profile__decode_pprof(buf, n, &p);

		if (!err) {
			assert_true(profile__nr_samples(p) <= 3);
			profile__free(p);
			p = NULL;
		} else {
			assert_int_equal(err, -EINVAL);
		}
	}
	assert_int_equal(profile__decode_pprof(garbage, sizeof(garbage), &p), -EINVAL);
	assert_int_equal(profile__decode_pprof(NULL, 5, &p), -EINVAL);
	free(buf);
	profile__free(fx.p);
}

/* Profiles written by Go's runtime/pprof (go1.19, committed as fuzz seeds): a CPU profile with
 * two sample types and no default, and a heap profile with four types and numeric labels. */
static uint8_t *read_seed(const char *name, size_t *ret_len)
{
	char path[512];
	uint8_t *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/../fuzz/corpus/pprof_decode/%s", FLAMED_TEST_SRC_DIR,
		 name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = malloc(len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	fclose(f);
	*ret_len = len;
	return buf;
}

static int check_go_stack(const struct profile_frame *frames, size_t nr, int64_t value,
			  const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	static const char *const chain[] = { "runtime.main", "main.main", "main.outer",
					     "main.spin" };

	(void)labels;
	(void)nr_labels;
	assert_int_equal(nr, 4);
	for (size_t i = 0; i < nr; i++) {
		assert_string_equal(frames[i].name, chain[i]);
		assert_int_equal(frames[i].kind, PROFILE_FRAME_USER);
	}
	*(int64_t *)ctx += value;
	return 0;
}

static void test_decode_go_runtime(void **state)
{
	struct profile *p = NULL;
	int64_t walked = 0;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = read_seed("go_runtime_cpu.pb", &len);
	assert_int_equal(profile__decode_pprof(buf, len, &p), 0);
	free(buf);
	assert_string_equal(profile__sample_type(p, 0).type, "samples");
	assert_string_equal(profile__sample_type(p, 1).type, "cpu");
	assert_int_equal(profile__period(p), 10000000);
	assert_true(profile__nr_samples(p) > 0);
	assert_int_equal(profile__total(p, 1), profile__total(p, 0) * profile__period(p));
	assert_int_equal(profile__for_each_stack(p, 0, true, check_go_stack, &walked), 0);
	assert_int_equal(walked, profile__total(p, 0));

	/* the same profile as Go wrote it to disk, gzipped, read through output_read_pprof() */
	{
		char path[512];
		struct profile *gz = NULL;

		snprintf(path, sizeof(path), "%s/../fuzz/corpus/pprof_decode/go_runtime_cpu.pb.gz",
			 FLAMED_TEST_SRC_DIR);
		assert_int_equal(output_read_pprof(path, &gz), 0);
		assert_int_equal(profile__nr_samples(gz), profile__nr_samples(p));
		assert_int_equal(profile__total(gz, 1), profile__total(p, 1));
		profile__free(gz);
	}
	profile__free(p);

	buf = read_seed("go_runtime_heap.pb", &len);
	assert_int_equal(profile__decode_pprof(buf, len, &p), 0);
	free(buf);
	assert_int_equal(profile__sample_type_index(p, "inuse_space"), 3);
	assert_true(profile__total(p, 1) > 0);
	profile__free(p);
}

/* --- go tool pprof as an independent reader --- */

static char *run_capture(const char *cmd, int *ret_status)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	FILE *f = popen(cmd, "r");
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		memcpy(out + len, chunk, n);
		len += n;
	}
	if (!out) {
		out = malloc(1);
		assert_non_null(out);
	}
	out[len] = '\0';
	*ret_status = pclose(f);
	return out;
}

static void test_go_pprof_reads_it(void **state)
{
	char dir[] = "/tmp/flamed-test-pprof.XXXXXX", path[256], cmd[1024];
	const char *const names[] = { "main", "work", "inl", "do_syscall_64" };
	char *out;
	struct fixture fx;
	int status;

	(void)state;
	if (access("/usr/bin/go", X_OK)) {
		print_message(
			"go not installed (Debian golang-go): skipping the go tool pprof check\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	fixture_build(&fx);
	snprintf(path, sizeof(path), "%s/cpu.pb.gz", dir);
	assert_int_equal(output_write_profile(fx.p, path, OUTPUT_PPROF_GZ, NULL), 0);

	/* HOME and the Go caches in the temp dir: nothing outside it is read or written */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && HOME=%s GOCACHE=%s/cache GOPATH=%s/go PPROF_TMPDIR=%s "
		 "/usr/bin/go tool pprof -raw -symbolize=none %s 2>&1",
		 dir, dir, dir, dir, dir, path);
	out = run_capture(cmd, &status);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("go tool pprof -raw failed: %s", out);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(out, names[i]))
			fail_msg("'%s' missing from go tool pprof -raw:\n%s", names[i], out);
	assert_non_null(strstr(out, "samples/count cpu/nanoseconds[dflt]"));
	assert_non_null(strstr(out, "comm:[app]"));
	free(out);

	snprintf(cmd, sizeof(cmd),
		 "cd %s && HOME=%s GOCACHE=%s/cache GOPATH=%s/go PPROF_TMPDIR=%s "
		 "/usr/bin/go tool pprof -top -symbolize=none %s 2>&1",
		 dir, dir, dir, dir, dir, path);
	out = run_capture(cmd, &status);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("go tool pprof -top failed: %s", out);
	assert_non_null(strstr(out, "Type: cpu"));
	assert_non_null(strstr(out, "inl (inline)"));
	assert_non_null(strstr(out, "do_syscall_64"));
	free(out);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	profile__free(fx.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_basics),
		cmocka_unit_test(test_merge_rules),
		cmocka_unit_test(test_merge_many),
		cmocka_unit_test(test_encode_rules),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_project),
		cmocka_unit_test(test_decode_round_trip),
		cmocka_unit_test(test_decode_foreign),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_go_runtime),
		cmocka_unit_test(test_go_pprof_reads_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
