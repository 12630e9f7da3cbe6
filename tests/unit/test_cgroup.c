// SPDX-License-Identifier: MIT
/* cgroup__container_id: a corpus of /proc/PID/cgroup files as docker, containerd, cri-o and
 * podman write them (cgroup v1 and v2, cgroupfs and systemd drivers) in tests/data/cgroup/,
 * host processes that must get no id, and hostile lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/cgroup.h"

#define ID_A "3f1c9e2b7d4a5c6e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7"
#define ID_B "9b8a7c6d5e4f30211203f4e5d6c7b8a9e0f1d2c3b4a59687706f5e4d3c2b1a09"
#define ID_C "e5b0c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e"

static const struct {
	const char *file;
	const char *id; /* NULL: not a container */
} corpus[] = {
	{ "docker_v1_cgroupfs", ID_A },
	{ "docker_v2_systemd", ID_A },
	{ "docker_v2_cgroupns", NULL },
	{ "k8s_containerd_v2", ID_B },
	{ "k8s_docker_v1_cgroupfs", ID_B },
	{ "k8s_crio_v2", ID_C },
	{ "k8s_crio_v1_cgroupfs", ID_C },
	{ "podman_root_v2", ID_A },
	{ "podman_rootless_v2", ID_C },
	{ "podman_conmon_v2", NULL },
	{ "host_session_v2", NULL },
	{ "host_service_v2", NULL },
	{ "nested_v2", ID_B },
};

static int parse(const char *text, char *id)
{
	return cgroup__container_id(text, strlen(text), id);
}

static void test_corpus(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		char path[512], buf[8192], id[CGROUP_CONTAINER_ID_LEN + 1];
		size_t len;
		FILE *f;
		int err;

		snprintf(path, sizeof(path), "%s/data/cgroup/%s.cgroup", FLAMED_TEST_SRC_DIR,
			 corpus[i].file);
		f = fopen(path, "r");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		err = cgroup__container_id(buf, len, id);
		if (!corpus[i].id) {
			if (err != -ENOENT)
				fail_msg("%s: expected no container, got %s", corpus[i].file, id);
			continue;
		}
		if (err)
			fail_msg("%s: no container id found", corpus[i].file);
		assert_string_equal(id, corpus[i].id);
	}
}

static void test_edges(void **state)
{
	char id[CGROUP_CONTAINER_ID_LEN + 1];

	(void)state;
	/* no trailing newline, upper case normalised */
	assert_int_equal(
		parse("0::/docker/3F1C9E2B7D4A5C6E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9012A3B4C5D6E7",
		      id),
		0);
	assert_string_equal(id, ID_A);
	/* 63 and 65 hex digits are not ids */
	assert_int_equal(parse("0::/docker/" ID_A "0\n", id), -ENOENT);
	assert_int_equal(parse("0::/docker/"
			       "3f1c9e2b7d4a5c6e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e\n",
			       id),
			 -ENOENT);
	/* a prefix that is not a runtime name, or without a dash */
	assert_int_equal(parse("0::/system.slice/my_unit" ID_A ".scope\n", id), -ENOENT);
	assert_int_equal(parse("0::/system.slice/My-" ID_A ".scope\n", id), -ENOENT);
	/* the id is in the path, not in the controllers field; paths may hold ':' */
	assert_int_equal(parse("1:" ID_A ":/\n", id), -ENOENT);
	assert_int_equal(parse("0::/a:b/docker-" ID_B ".scope\n", id), 0);
	assert_string_equal(id, ID_B);
	/* empty, garbage, lone ".scope", lines without fields */
	assert_int_equal(cgroup__container_id("", 0, id), -ENOENT);
	assert_int_equal(parse(".scope\n::\n\n/\n" ID_A "\n", id), -ENOENT);
	/* embedded NUL bytes do not end the parse early or run past len */
	{
		static const char with_nul[] = "0::/x\0y\n0::/docker/" ID_C "\n";

		assert_int_equal(cgroup__container_id(with_nul, sizeof(with_nul) - 1, id), 0);
		assert_string_equal(id, ID_C);
	}
}

static void test_self(void **state)
{
	char buf[8192], id[CGROUP_CONTAINER_ID_LEN + 1];
	FILE *f = fopen("/proc/self/cgroup", "r");
	size_t len;
	int err;

	(void)state;
	if (!f)
		skip();
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* whatever the host runs in, the parse is clean: an id of 64 lowercase hex digits or none */
	err = cgroup__container_id(buf, len, id);
	assert_true(err == 0 || err == -ENOENT);
	if (!err)
		assert_int_equal(strspn(id, "0123456789abcdef"), CGROUP_CONTAINER_ID_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
