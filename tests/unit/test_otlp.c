// SPDX-License-Identifier: MIT
/* The OTLP profiles encoder (src/profile/otlp.c, otlp_pack.c): a hand-built window of three processes and a
 * kernel thread is encoded and read back by tests/upload/otlp_check.py, a decoder python3-protobuf
 * generates from the official .proto files (independent of flamed's protobuf-c code), which
 * checks the dictionary rules (zero values at index 0, no duplicates, no orphans, indices in
 * range) and compares what it decoded with what the profile holds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile/profile.h"

#define FREQ_HZ	   100 /* period 10 ms */
#define PERIOD	   10000000LL
#define TIME_NANOS 1700000000000000000LL
#define DUR_NANOS  10000000000LL

struct fixture {
	struct profile *p;
};

static uint64_t loc(struct profile *p, uint64_t map, uint64_t addr, const struct profile_line *l,
		    size_t n)
{
	uint64_t id = profile__add_location(p, map, addr, l, n);

	assert_true(id > 0);
	return id;
}

static void sample(struct profile *p, const uint64_t *locs, size_t n, int64_t count,
		   const char *pid, const char *comm, const char *tid, const char *tname)
{
	struct profile_label labels[4];
	size_t nl = 0;

	if (pid)
		labels[nl++] = (struct profile_label){ .key = "pid", .str = pid };
	labels[nl++] = (struct profile_label){ .key = "comm", .str = comm };
	labels[nl++] = (struct profile_label){ .key = "thread", .str = tid };
	labels[nl++] = (struct profile_label){ .key = "thread_name", .str = tname };
	assert_int_equal(profile__add_cpu_sample(p, locs, n, count, labels, nl), 0);
}

/* pid 100 (app, in a container): main -> work (helper inlined) -> memcpy in libc, from two
 * threads; pid 200 (other): the same libc mapped at the same place, memcpy -> a kernel function;
 * pid 300: no process record; and a kernel thread without a pid label. */
static struct profile *build(void)
{
	struct profile *p = profile__new_cpu(FREQ_HZ);
	struct profile_mapping app = { .memory_start = 0x400000,
				       .memory_limit = 0x500000,
				       .filename = "/usr/bin/app",
				       .build_id = "aa01",
				       .has_functions = true },
			       libc = { .memory_start = 0x7f0000000000,
					.memory_limit = 0x7f0000100000,
					.file_offset = 0x28000,
					.filename = "/lib/libc.so.6",
					.build_id = "bb02",
					.has_functions = true },
			       kern = { .memory_start = 0xffff800000000000ULL,
					.memory_limit = UINT64_MAX,
					.filename = "[kernel.kallsyms]",
					.has_functions = true };
	uint64_t m_app, m_libc1, m_libc2, m_kern, f_main, f_work, f_helper, f_memcpy, f_k;
	uint64_t l_main, l_work, l_memcpy1, l_memcpy2, l_k, l_main300;
	struct profile_process p100 = { .executable_path = "/usr/bin/app",
					.container_id = "c0ffee0123456789" },
			       p200 = { .executable_path = "/usr/bin/other" };

	assert_non_null(p);
	profile__set_time(p, TIME_NANOS, DUR_NANOS);
	m_app = profile__add_mapping(p, &app);
	m_libc1 = profile__add_mapping(p, &libc);
	m_libc2 = profile__add_mapping(p, &libc); /* another process's: equal by value */
	m_kern = profile__add_mapping(p, &kern);
	f_main = profile__intern_function(p, "main", "main", "app.c", 10);
	f_work = profile__intern_function(p, "work", "_Z4workv", "app.c", 20);
	f_helper = profile__intern_function(p, "helper", "helper", "util.h", 5);
	f_memcpy = profile__intern_function(p, "memcpy", NULL, NULL, 0);
	f_k = profile__intern_function(p, "do_syscall_64", NULL, NULL, 0);
	l_main = loc(p, m_app, 0x401000, &(struct profile_line){ f_main, 12 }, 1);
	l_work = loc(p, m_app, 0x402000, (struct profile_line[]){ { f_helper, 7 }, { f_work, 25 } },
		     2);
	l_memcpy1 = loc(p, m_libc1, 0x7f0000001000, &(struct profile_line){ f_memcpy, 0 }, 1);
	l_memcpy2 = loc(p, m_libc2, 0x7f0000001000, &(struct profile_line){ f_memcpy, 0 }, 1);
	l_k = loc(p, m_kern, 0xffffffff81000000ULL, &(struct profile_line){ f_k, 0 }, 1);
	l_main300 = loc(p, m_app, 0x401000, &(struct profile_line){ f_main, 12 }, 1);

	assert_int_equal(profile__set_process(p, 100, &p100), 0);
	assert_int_equal(profile__set_process(p, 200, &p200), 0);
	/* the first record of a pid wins */
	assert_int_equal(profile__set_process(p, 100, &p200), 0);

	sample(p, (uint64_t[]){ l_memcpy1, l_work, l_main }, 3, 3, "100", "app", "101", "worker");
	sample(p, (uint64_t[]){ l_memcpy1, l_work, l_main }, 3, 2, "100", "app", "102", "worker2");
	/* differs from the first only by comm, which OTLP keeps on the resource: merged */
	sample(p, (uint64_t[]){ l_memcpy1, l_work, l_main }, 3, 4, "100", "app2", "101", "worker");
	sample(p, (uint64_t[]){ l_k, l_memcpy2 }, 2, 5, "200", "other", "200", "other");
	sample(p, (uint64_t[]){ l_main300 }, 1, 6, "300", "gone", "300", "gone");
	sample(p, (uint64_t[]){ l_k }, 1, 1, NULL, "kworker/0:1", "17", "kworker/0:1");
	assert_int_equal(profile__add_cpu_sample(p, (uint64_t[]){ l_main }, 1, 0, NULL, 0), 0);
	return p;
}

static const char *expected =
	"{\"dictionary\": {\"mapping_table\": 4, \"location_table\": 5, \"function_table\": 6,"
	" \"stack_table\": 5, \"link_table\": 1},"
	" \"resources\": ["
	"  {\"attributes\": {\"process.pid\": 100, \"process.executable.name\": \"app\","
	"    \"process.executable.path\": \"/usr/bin/app\", \"container.id\": \"c0ffee0123456789\","
	"    \"service.name\": \"svc\", \"host.name\": \"node-1\", \"env\": \"test\"},"
	"   \"schema_url\": \"https://opentelemetry.io/schemas/1.34.0\","
	"   \"profiles\": [{\"scope\": \"flamed\", \"sample_type\": [\"cpu\", \"nanoseconds\"],"
	"     \"period_type\": [\"cpu\", \"nanoseconds\"], \"period\": 10000000,"
	"     \"time_unix_nano\": 1700000000000000000, \"duration_nano\": 10000000000,"
	"     \"samples\": 2, \"total\": 90000000, \"stacks\": ["
	"      {\"frames\": [\"memcpy\", \"helper\", \"work\", \"main\"],"
	"       \"attributes\": {\"thread.id\": 101, \"thread.name\": \"worker\"}, \"value\": "
	"70000000},"
	"      {\"frames\": [\"memcpy\", \"helper\", \"work\", \"main\"],"
	"       \"attributes\": {\"thread.id\": 102, \"thread.name\": \"worker2\"}, \"value\": "
	"20000000}"
	"   ]}]},"
	"  {\"attributes\": {\"process.pid\": 200, \"process.executable.name\": \"other\","
	"    \"process.executable.path\": \"/usr/bin/other\", \"service.name\": \"svc\","
	"    \"host.name\": \"node-1\", \"env\": \"test\"},"
	"   \"profiles\": [{\"samples\": 1, \"total\": 50000000, \"stacks\": ["
	"     {\"frames\": [\"do_syscall_64\", \"memcpy\"], \"value\": 50000000}]}]},"
	"  {\"attributes\": {\"process.pid\": 300, \"process.executable.name\": \"gone\","
	"    \"service.name\": \"svc\", \"host.name\": \"node-1\", \"env\": \"test\"},"
	"   \"profiles\": [{\"samples\": 1, \"total\": 60000000}]},"
	"  {\"attributes\": {\"service.name\": \"svc\", \"host.name\": \"node-1\", \"env\": "
	"\"test\"},"
	"   \"profiles\": [{\"samples\": 1, \"total\": 10000000, \"stacks\": ["
	"     {\"frames\": [\"do_syscall_64\"], \"attributes\": {\"thread.id\": 17,"
	"      \"thread.name\": \"kworker/0:1\"}}]}]}"
	"]}";

static int run(const char *cmd, char *out, size_t out_len)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, out_len - 1, f);
	out[n] = '\0';
	return pclose(f);
}

static bool have_decoder(void)
{
	return !access("/usr/bin/python3", X_OK) && !system("command -v protoc >/dev/null") &&
	       !system("/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null");
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* p encoded with o, read back by otlp_check.py, which compares it with want (a JSON subset);
 * skipped without the decoder. Frees p. */
static void check_decoded(struct profile *p, const struct profile_otlp_opts *o, const char *want)
{
	char dir[] = "/tmp/flamed-test-otlp.XXXXXX", req[256], exp[256], cmd[1024], out[16384];
	uint8_t *buf = NULL;
	size_t len = 0;
	int status;

	assert_int_equal(profile__encode_otlp(p, o, &buf, &len), 0);
	assert_true(len > 0);
	profile__free(p);
	if (!have_decoder()) {
		print_message("no protoc or Debian python3-protobuf (tools/setup.sh --test): "
			      "skipping the independent decode\n");
		free(buf);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(req, sizeof(req), "%s/req.pb", dir);
	snprintf(exp, sizeof(exp), "%s/expect.json", dir);
	write_file(req, buf, len);
	write_file(exp, want, strlen(want));
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 %s/upload/otlp_check.py --pb %s --expect @%s %s 2>&1",
		 FLAMED_TEST_SRC_DIR, dir, exp, req);
	status = run(cmd, out, sizeof(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("otlp_check.py: %s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(buf);
}

static void test_round_trip(void **state)
{
	const struct profile_attr attrs[] = {
		{ "service.name", "svc" },
		{ "host.name", "node-1" },
		{ "env", "test" },
		{ "process.pid", "not this one" }, /* a process's own attribute wins */
	};
	struct profile_otlp_opts o = { .resource_attrs = attrs, .nr_resource_attrs = 4 };

	(void)state;
	check_decoded(build(), &o, expected);
}

/* --off-cpu's profiles: a second Profile per resource for off_cpu, without a period (its values
 * are weighted waits, not samples of one), and each Profile only with the stacks that have a
 * value of its type. */
static void test_off_cpu_profile(void **state)
{
	static const char *want =
		"{\"resources\": [{\"attributes\": {\"process.pid\": 7}, \"profiles\": ["
		" {\"sample_type\": [\"cpu\", \"nanoseconds\"], \"period_type\": [\"cpu\","
		"  \"nanoseconds\"], \"period\": 10000000, \"samples\": 2, \"total\": 40000000,"
		"  \"stacks\": [{\"frames\": [\"spin\", \"main\"], \"value\": 30000000},"
		"   {\"frames\": [\"read\", \"main\"], \"value\": 10000000}]},"
		" {\"sample_type\": [\"off_cpu\", \"nanoseconds\"], \"period_type\": [\"\", \"\"],"
		"  \"period\": 0, \"samples\": 2, \"total\": 7000000,"
		"  \"stacks\": [{\"frames\": [\"nanosleep\", \"main\"], \"value\": 5000000},"
		"   {\"frames\": [\"read\", \"main\"], \"value\": 2000000}]}]}]}";
	struct profile *p = profile__new_cpu_offcpu(FREQ_HZ);
	struct profile_label pid = { .key = "pid", .str = "7" };
	uint64_t f[4], l[4];

	(void)state;
	assert_non_null(p);
	f[0] = profile__intern_function(p, "main", NULL, NULL, 0);
	f[1] = profile__intern_function(p, "spin", NULL, NULL, 0);
	f[2] = profile__intern_function(p, "nanosleep", NULL, NULL, 0);
	f[3] = profile__intern_function(p, "read", NULL, NULL, 0);
	for (int i = 0; i < 4; i++)
		l[i] = loc(p, 0, 0x1000 + (uint64_t)i, &(struct profile_line){ f[i], 0 }, 1);
	assert_int_equal(
		profile__add_cpu_offcpu_sample(p, (uint64_t[]){ l[1], l[0] }, 2, 3, 0, &pid, 1), 0);
	assert_int_equal(profile__add_cpu_offcpu_sample(p, (uint64_t[]){ l[2], l[0] }, 2, 0,
							5000000, &pid, 1),
			 0);
	assert_int_equal(profile__add_cpu_offcpu_sample(p, (uint64_t[]){ l[3], l[0] }, 2, 1,
							2000000, &pid, 1),
			 0);
	/* the two-type shape is refused, and the other way round */
	assert_int_equal(profile__add_cpu_sample(p, (uint64_t[]){ l[0] }, 1, 1, NULL, 0), -EINVAL);
	assert_int_equal(profile__total(p, 2), 7000000);
	check_decoded(p, NULL, want);
}

/* The checker must fail a request that breaks the rules, or passing proves nothing. */
static void test_checker_fails_bad_requests(void **state)
{
	char dir[] = "/tmp/flamed-test-otlp.XXXXXX", req[256], cmd[1024], out[16384];
	struct profile *p = build();
	uint8_t *buf = NULL;
	size_t len = 0;
	int status;

	(void)state;
	if (!have_decoder())
		skip();
	assert_int_equal(profile__encode_otlp(p, NULL, &buf, &len), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(req, sizeof(req), "%s/req.pb", dir);
	write_file(req, buf, len);
	/* the same request, but the first string table entry made non-empty, via protoc's own
	 * text round trip: an orphan and a bad zero value */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && /usr/bin/python3 %s/upload/otlp_check.py --pb %s %s >/dev/null && "
		 "/usr/bin/python3 -c \"import sys; sys.path.insert(0, '%s');"
		 " from opentelemetry.proto.collector.profiles.v1development import "
		 "profiles_service_pb2 as s;"
		 " r = s.ExportProfilesServiceRequest(); "
		 "r.ParseFromString(open('req.pb','rb').read());"
		 " r.dictionary.string_table[0] = 'x'; r.dictionary.mapping_table.add();"
		 " open('bad.pb','wb').write(r.SerializeToString())\" &&"
		 " /usr/bin/python3 %s/upload/otlp_check.py --pb %s bad.pb 2>&1",
		 dir, FLAMED_TEST_SRC_DIR, dir, req, dir, FLAMED_TEST_SRC_DIR, dir);
	status = run(cmd, out, sizeof(out));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_non_null(strstr(out, "string_table[0] is not the zero value"));
	assert_non_null(strstr(out, "mapping_table: 1 orphan"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(buf);
	profile__free(p);
}

static void test_bad_options(void **state)
{
	const struct profile_attr bad_utf8[] = { { "env", "\xff\xfe" } },
				  no_key[] = { { "", "x" } };
	struct profile_otlp_opts o = { .resource_attrs = bad_utf8, .nr_resource_attrs = 1 };
	struct profile *p = build();
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(profile__encode_otlp(p, &o, &buf, &len), -EINVAL);
	o.resource_attrs = no_key;
	assert_int_equal(profile__encode_otlp(p, &o, &buf, &len), -EINVAL);
	assert_null(buf);
	assert_int_equal(profile__encode_otlp(NULL, NULL, &buf, &len), -EINVAL);
	profile__free(p);
}

/* Process records: strings made UTF-8, bounded attributes, first record wins. */
static void test_process_records(void **state)
{
	struct profile_attr many[PROFILE_MAX_PROCESS_ATTRS + 1];
	struct profile_process in = { .executable_path = "/bin/\xff", .attrs = many }, out;
	struct profile *p = profile__new_cpu(99);

	(void)state;
	for (size_t i = 0; i <= PROFILE_MAX_PROCESS_ATTRS; i++)
		many[i] = (struct profile_attr){ "k8s.pod.name", "pod" };
	in.nr_attrs = PROFILE_MAX_PROCESS_ATTRS + 1;
	assert_int_equal(profile__set_process(p, 7, &in), -EINVAL);
	in.nr_attrs = 1;
	assert_int_equal(profile__set_process(p, 7, &in), 0);
	assert_int_equal(profile__process(p, 7, &out), 0);
	assert_string_equal(out.executable_path, "/bin/\xef\xbf\xbd");
	assert_null(out.container_id);
	assert_int_equal(out.nr_attrs, 1);
	assert_string_equal(out.attrs[0].value, "pod");
	assert_int_equal(profile__process(p, 8, &out), -ENOENT);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_off_cpu_profile),
		cmocka_unit_test(test_checker_fails_bad_requests),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_process_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
