// SPDX-License-Identifier: MIT
/* --stats-json: values land under the keys docs/stats.md names, every key the writer emits is in
 * that table and every key of the table is emitted (the key names are an interface), and the
 * file is one line written whole. The JSON is read back with json-c's parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <json.h>

#include "cli.h"
#include "stats_json.h"
#include "symbolize/dwarf_lines.h"

/* Every field a distinct value, so a value under the wrong key shows. */
static void fill(struct session_stats *st, struct stats_window *w)
{
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < FLAMED_METRIC__MAX; i++)
		st->metrics[i] = 1000 + (uint64_t)i;
	st->samples = 1980;
	st->lost_in_drain = 2;
	st->build = (struct build_stats){ .frames = 400,
					  .frames_unsymbolized = 10,
					  .frames_by_start = 5,
					  .stacks_missing = 3,
					  .no_user_stack = 4,
					  .runtime_frames[FLAMED_RT_PYTHON] = 77,
					  .runtime_missing = 6 };
	st->procs.vanished = 9;
	st->procs.files_open = 3006;
	st->procs.jit_maps_refused = 11;
	st->unwind_tables = true;
	st->unwind.tables_built = 66;
	st->unwind.build_ns = 118000000;
	st->unwind.refused[UNWIND_REFUSED_OWNER] = 12;
	st->sym.dwarf_by_source[DWARF_BUILD_ID] = 13;
	st->sym.dwarf_by_source[DWARF_DEBUGLINK] = 14;
	st->sym.kernel_lookups = 300;
	st->sym.kernel_by_kernel = 290;
	st->py.code_read = 15;
	st->costs = (struct session_costs){ .startup_cpu_ns = 40000000,
					    .total_cpu_ns = 100000000,
					    .drains = 11 };
	st->load.verifier_insns = 9585;
	st->load.verifier_us = 17;
	*w = (struct stats_window){ .number = 1,
				    .start_ns = 1000,
				    .end_ns = 3000,
				    .samples = 1980,
				    .processes = 37,
				    .series = 1,
				    .build = st->build,
				    .cost = { .total_cpu_ns = 60000000 } };
}

static struct json_object *report(struct stats_report *r, struct session_stats *st,
				  struct stats_window *w, struct config *cfg,
				  struct sinks_entry *sinks)
{
	char *text = NULL;
	struct json_object *j;

	memset(cfg, 0, sizeof(*cfg));
	cfg->freq_hz = 99;
	cfg->unwind_mode = FLAMED_UNWIND_AUTO;
	fill(st, w);
	sinks[0] =
		(struct sinks_entry){ .name = "pyroscope", .stats = { .sent = 4, .retries = 2 } };
	*r = (struct stats_report){ .cfg = cfg,
				    .nr_cpus = 2,
				    .start_ns = 1000,
				    .time_ns = 5000,
				    .final = true,
				    .run = st,
				    .window = w,
				    .sinks = sinks,
				    .nr_sinks = 1 };
	assert_int_equal(stats_json_format(r, &text), 0);
	assert_null(strchr(text, '\n'));
	j = json_tokener_parse(text);
	free(text);
	assert_non_null(j);
	return j;
}

static struct json_object *at(struct json_object *j, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(j, k, &j))
			return NULL;
	return j;
}

static int64_t num(struct json_object *j, const char *path)
{
	struct json_object *v = at(j, path);

	if (!v)
		fail_msg("no key %s", path);
	return json_object_get_int64(v);
}

static void values_under_their_keys(void **state)
{
	struct session_stats st;
	struct stats_window w;
	struct stats_report r;
	struct config cfg;
	struct sinks_entry sinks[1];
	struct json_object *j = report(&r, &st, &w, &cfg, sinks), *s;

	(void)state;
	assert_int_equal(num(j, "schema"), STATS_JSON_SCHEMA);
	assert_string_equal(json_object_get_string(at(j, "mode")), "once");
	assert_string_equal(json_object_get_string(at(j, "unwind_mode")), "auto");
	assert_true(json_object_get_boolean(at(j, "final")));
	assert_int_equal(num(j, "run.samples.total"), 1980);
	assert_int_equal(num(j, "run.samples.count_map_full"), 1000 + FLAMED_METRIC_COUNT_MAP_FULL);
	assert_int_equal(num(j, "run.samples.dropped"), 1000 + FLAMED_METRIC_COUNT_MAP_FULL + 2);
	assert_int_equal(num(j, "run.samples.lost_in_drain"), 2);
	assert_int_equal(num(j, "run.stacks.stacks_missing"), 3);
	assert_int_equal(num(j, "run.stacks.no_user_stack"), 4);
	assert_int_equal(num(j, "run.stacks.processes_vanished_before_snapshot"), 9);
	assert_int_equal(num(j, "run.stacks.truncated"),
			 2000 + FLAMED_METRIC_KSTACK_TRUNCATED + FLAMED_METRIC_USTACK_TRUNCATED);
	/* (400 - 10) / 400 */
	assert_string_equal(json_object_get_string(at(j, "run.stacks.symbolized_percent")), "97.5");
	assert_int_equal(num(j, "run.process_files.opened"), 3006);
	assert_int_equal(num(j, "run.process_files.jit_maps_refused"), 11);
	assert_true(json_object_get_boolean(at(j, "run.unwind.tables")));
	assert_int_equal(num(j, "run.unwind.stops.no_row"),
			 1000 + FLAMED_METRIC_UNWIND_STOP_NO_ROW);
	assert_int_equal(num(j, "run.unwind_tables.built"), 66);
	assert_int_equal(num(j, "run.unwind_tables.build_ms"), 118);
	assert_int_equal(num(j, "run.unwind_tables.refused.per_owner"), 12);
	assert_int_equal(num(j, "run.debug_info.build_id"), 13);
	assert_int_equal(num(j, "run.debug_info.debuglink"), 14);
	assert_int_equal(num(j, "run.kernel_names.from_kallsyms"), 10);
	assert_int_equal(num(j, "run.python.frames_shown"), 77);
	assert_int_equal(num(j, "run.python.frames_not_linked"), 6);
	assert_int_equal(num(j, "run.python.code_objects_read"), 15);
	assert_int_equal(num(j, "run.startup.verifier_instructions"), 9585);
	assert_int_equal(num(j, "run.startup.verifier_ns"), 17000);
	/* after start-up, as the summary's "agent" line */
	assert_int_equal(num(j, "run.agent.cpu_ns"), 60000000);
	assert_int_equal(num(j, "run.agent.drains"), 11);
	assert_int_equal(num(j, "run.bpf.metrics.samples"), 1000 + FLAMED_METRIC_SAMPLES);
	s = json_object_array_get_idx(at(j, "run.sinks"), 0);
	assert_string_equal(json_object_get_string(at(s, "name")), "pyroscope");
	assert_int_equal(num(s, "retries"), 2);
	assert_int_equal(num(j, "window.duration_ns"), 2000);
	assert_int_equal(num(j, "window.processes"), 37);
	assert_int_equal(num(j, "window.agent.cpu_ns"), 60000000);
	json_object_put(j);
}

/* leaf paths of j into paths ("a.b", arrays as "a[]", the metrics as "run.bpf.metrics.*") */
static void leaves(struct json_object *j, const char *prefix, char (*paths)[128], int *n)
{
	char p[128];

	if (strcmp(prefix, "run.bpf.metrics") == 0) {
		snprintf(paths[(*n)++], 128, "%s.*", prefix);
		return;
	}
	if (json_object_is_type(j, json_type_object)) {
		json_object_object_foreach(j, key, val)
		{
			snprintf(p, sizeof(p), "%s%s%s", prefix, *prefix ? "." : "", key);
			leaves(val, p, paths, n);
		}
	} else if (json_object_is_type(j, json_type_array)) {
		snprintf(p, sizeof(p), "%s[]", prefix);
		if (json_object_array_length(j))
			leaves(json_object_array_get_idx(j, 0), p, paths, n);
	} else {
		snprintf(paths[(*n)++], 128, "%s", prefix);
	}
}

/* the keys of docs/stats.md's table: the first `...` of each "| `key` |" row */
static int documented(char (*keys)[128])
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(FLAMED_TEST_SRC_DIR "/../docs/stats.md", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (strncmp(line, "| `", 3) || !(end = strchr(line + 3, '`')))
			continue;
		*end = 0;
		assert_true(end - (line + 3) < 128);
		memcpy(keys[n++], line + 3, (size_t)(end - line - 3) + 1);
	}
	fclose(f);
	return n;
}

static bool listed(char (*list)[128], int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

static void every_key_documented(void **state)
{
	static char emitted[512][128], doc[512][128];
	struct session_stats st;
	struct stats_window w;
	struct stats_report r;
	struct config cfg;
	struct sinks_entry sinks[1];
	struct json_object *j = report(&r, &st, &w, &cfg, sinks);
	int ne = 0, nd = documented(doc), bad = 0;

	(void)state;
	leaves(j, "", emitted, &ne);
	json_object_put(j);
	assert_true(ne > 100);
	for (int i = 0; i < ne; i++)
		if (!listed(doc, nd, emitted[i])) {
			print_error("emitted, not in docs/stats.md: %s\n", emitted[i]);
			bad++;
		}
	for (int i = 0; i < nd; i++)
		if (!listed(emitted, ne, doc[i])) {
			print_error("in docs/stats.md, not emitted: %s\n", doc[i]);
			bad++;
		}
	assert_int_equal(bad, 0);
}

static void written_whole(void **state)
{
	char path[] = "/tmp/flamed-stats-test-XXXXXX", file[64], line[16384];
	struct session_stats st;
	struct stats_window w;
	struct stats_report r;
	struct config cfg;
	struct sinks_entry sinks[1];
	struct json_object *j = report(&r, &st, &w, &cfg, sinks), *back;
	struct stat sb;
	FILE *f;

	(void)state;
	json_object_put(j);
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/stats.json", path);
	assert_int_equal(stats_json_write(file, &r, NULL), 0);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, OUTPUT_DEFAULT_MODE);
	f = fopen(file, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_null(fgets(line + 1000, 10, f)); /* one line */
	fclose(f);
	back = json_tokener_parse(line);
	assert_non_null(back);
	json_object_put(back);
	/* a symbolic link is neither followed nor replaced, as for the profiles */
	unlink(file);
	assert_int_equal(symlink("/etc/passwd", file), 0);
	assert_int_equal(stats_json_write(file, &r, NULL), -ELOOP);
	unlink(file);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_under_their_keys),
		cmocka_unit_test(every_key_documented),
		cmocka_unit_test(written_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
