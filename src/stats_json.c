// SPDX-License-Identifier: MIT
/* The stats object through json-c: every value is added where the schema (docs/stats.md) puts
 * it, under the same names the summary lines use in words. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "cli.h"
#include "stats_json.h"
#include "symbolize/dwarf_lines.h"

/* A JSON object under construction; after an allocation failure every call is a no-op and
 * oom says so. */
struct jb {
	struct json_object *o;
	bool *oom;
};

static void put(struct jb j, const char *key, struct json_object *v)
{
	if (!j.o || !v || json_object_object_add(j.o, key, v)) {
		json_object_put(v);
		*j.oom = true;
	}
}

static void u64(struct jb j, const char *key, uint64_t v)
{
	put(j, key, json_object_new_uint64(v));
}

static void i64(struct jb j, const char *key, int64_t v)
{
	put(j, key, json_object_new_int64(v));
}

static void boolean(struct jb j, const char *key, bool v)
{
	put(j, key, json_object_new_boolean(v));
}

static void string(struct jb j, const char *key, const char *v)
{
	put(j, key, json_object_new_string(v));
}

/* a percentage with one decimal, as the summary prints it */
static void percent(struct jb j, const char *key, double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.1f", v);
	put(j, key, json_object_new_double_s(v, text));
}

/* A new object under key, or a no-op one (and oom) when that fails. */
static struct jb object(struct jb parent, const char *key)
{
	struct jb j = { parent.o ? json_object_new_object() : NULL, parent.oom };

	if (!j.o || json_object_object_add(parent.o, key, j.o)) {
		json_object_put(j.o);
		*parent.oom = true;
		j.o = NULL;
	}
	return j;
}

static double share(uint64_t part, uint64_t whole, double if_none)
{
	return whole ? 100.0 * part / whole : if_none;
}

static void add_samples(struct jb run, const struct session_stats *st)
{
	struct jb j = object(run, "samples");
	uint64_t full = st->metrics[FLAMED_METRIC_COUNT_MAP_FULL];

	u64(j, "total", st->samples);
	u64(j, "dropped", full + st->lost_in_drain);
	u64(j, "count_map_full", full);
	u64(j, "lost_in_drain", st->lost_in_drain);
}

static void add_stacks(struct jb run, const struct session_stats *st)
{
	struct jb j = object(run, "stacks");
	const struct build_stats *bs = &st->build;
	const uint64_t *m = st->metrics;

	u64(j, "frames", bs->frames);
	u64(j, "frames_unsymbolized", bs->frames_unsymbolized);
	u64(j, "frames_by_function_start", bs->frames_by_start);
	percent(j, "symbolized_percent",
		share(bs->frames - bs->frames_unsymbolized, bs->frames, 100));
	percent(j, "by_function_start_percent", share(bs->frames_by_start, bs->frames, 0));
	u64(j, "stack_map_full", m[FLAMED_METRIC_STACK_MAP_FULL]);
	u64(j, "stacks_missing", bs->stacks_missing);
	u64(j, "kernel_stack_errors", m[FLAMED_METRIC_KSTACK_ERR]);
	u64(j, "user_stack_errors", m[FLAMED_METRIC_USTACK_ERR]);
	u64(j, "no_user_stack", bs->no_user_stack);
	u64(j, "truncated", m[FLAMED_METRIC_KSTACK_TRUNCATED] + m[FLAMED_METRIC_USTACK_TRUNCATED]);
	u64(j, "processes_vanished_before_snapshot", st->procs.vanished);
	u64(j, "lost_process_events", m[FLAMED_METRIC_PROC_EVENT_LOST]);
}

static void add_process_files(struct jb run, const struct session_stats *st)
{
	struct jb j = object(run, "process_files");
	const struct proc_table_stats *ps = &st->procs;

	u64(j, "processes", ps->processes);
	u64(j, "opened", ps->files_open);
	u64(j, "could_not_open", ps->files_failed);
	u64(j, "refused", ps->files_refused);
	u64(j, "lost_after_closing", ps->files_lost);
	u64(j, "fd_budget", ps->fd_budget);
	u64(j, "over_cap", ps->files_over_cap);
	u64(j, "opens_deferred", ps->opens_deferred);
	u64(j, "reopened", ps->files_reopened);
	u64(j, "closed_for_budget", ps->files_closed);
	u64(j, "open_peak", ps->fds_peak);
	u64(j, "maps_rereads", ps->refreshes);
	u64(j, "maps_rereads_throttled", ps->refreshes_throttled);
	u64(j, "mappings_over_cap", ps->mappings_dropped);
	u64(j, "pids_reused", ps->pid_reused);
	u64(j, "bad_stat", ps->stat_bad);
	u64(j, "maps_too_big", ps->maps_too_big);
	u64(j, "jit_maps_read", ps->jit_maps_read);
	u64(j, "jit_maps_refused", ps->jit_maps_refused);
	u64(j, "exited_forgotten", ps->swept);
}

static void add_unwind(struct jb run, const struct session_stats *st)
{
	struct jb j = object(run, "unwind"), stops;
	const uint64_t *m = st->metrics;
	uint64_t walks = m[FLAMED_METRIC_UNWIND_WALKS];

	boolean(j, "tables", st->unwind_tables);
	u64(j, "walks", walks);
	u64(j, "complete", m[FLAMED_METRIC_UNWIND_STOP_END]);
	percent(j, "complete_percent", share(m[FLAMED_METRIC_UNWIND_STOP_END], walks, 0));
	u64(j, "samples_without_tables", m[FLAMED_METRIC_UNWIND_NO_PROC]);
	stops = object(j, "stops");
	u64(stops, "no_mapping", m[FLAMED_METRIC_UNWIND_STOP_NO_MAPPING]);
	u64(stops, "no_row", m[FLAMED_METRIC_UNWIND_STOP_NO_ROW]);
	u64(stops, "read_fault", m[FLAMED_METRIC_UNWIND_STOP_READ_FAULT]);
	u64(stops, "depth", m[FLAMED_METRIC_UNWIND_STOP_DEPTH]);
	u64(stops, "unsupported", m[FLAMED_METRIC_UNWIND_STOP_UNSUPPORTED]);
	u64(stops, "frame_pointer_end", m[FLAMED_METRIC_UNWIND_STOP_FP_END]);
}

static void add_unwind_tables(struct jb run, const struct session_stats *st)
{
	struct jb j = object(run, "unwind_tables"), refused;
	const struct unwind_loader_stats *us = &st->unwind;

	u64(j, "built", us->tables_built);
	u64(j, "build_ms", us->build_ns / 1000000);
	u64(j, "longest_build_ms", us->build_max_ns / 1000000);
	u64(j, "reused", us->cache_hits);
	u64(j, "reused_from_cache", us->cached_reuses);
	u64(j, "evicted", us->tables_evicted);
	u64(j, "without_cfi", us->tables_failed);
	u64(j, "changed_while_read", us->tables_changed);
	u64(j, "could_not_load", us->load_failed);
	u64(j, "builds_deferred", us->deferred);
	u64(j, "peak_bytes", us->bytes_peak);
	u64(j, "bound_bytes", us->bytes_bound);
	u64(j, "bytes_now", us->bytes_used);
	u64(j, "tables_now", us->tables_now);
	u64(j, "samples_met_building", st->metrics[FLAMED_METRIC_UNWIND_TABLE_PENDING]);
	refused = object(j, "refused");
	u64(refused, "per_binary", us->refused[UNWIND_REFUSED_BINARY]);
	u64(refused, "per_process", us->refused[UNWIND_REFUSED_PROC]);
	u64(refused, "per_owner", us->refused[UNWIND_REFUSED_OWNER]);
	u64(refused, "over_memory", us->refused[UNWIND_REFUSED_MEMORY]);
}

static void add_symbols(struct jb run, const struct session_stats *st)
{
	const struct symbolizer_stats *ss = &st->sym;
	struct jb j = object(run, "symbols"), k;

	u64(j, "cache_hits", ss->cache_hits);
	u64(j, "cache_misses", ss->cache_misses);
	u64(j, "evicted", ss->evicted);
	u64(j, "expired", ss->expired);
	u64(j, "cache_bytes", ss->cache_bytes);
	u64(j, "cache_peak_bytes", ss->cache_peak);
	u64(j, "budget_bytes", SYMBOLIZER_CACHE_BYTES);
	u64(j, "named_by_function_start", ss->user_synthetic);
	u64(j, "stripped_files_read", ss->funcs_parsed);
	u64(j, "elf_files_parsed", ss->elf_parsed);
	u64(j, "elf_files_unreadable", ss->elf_failed);
	k = object(run, "names");
	u64(k, "looked_up", ss->frame_lookups);
	u64(k, "from_cache", ss->frame_hits);
	u64(k, "cache_entries", ss->names_entries);
	u64(k, "cache_bytes", ss->names_bytes);
	u64(k, "cache_peak_bytes", ss->names_peak);
	u64(k, "cache_evicted", ss->names_evicted);
	u64(k, "cache_expired", ss->names_expired);
	u64(k, "files", ss->files);
	u64(k, "files_parsed", ss->files_parsed);
	u64(k, "elf_parses", ss->elf_parsed + ss->elf_failed);
	u64(k, "dwarf_parses", ss->dwarf_tables);
	u64(k, "libdw_opens", ss->dwarf_reads);
	u64(k, "eh_frame_parses", ss->funcs_parsed);
	u64(k, "most_parses_of_one_file", ss->parses_max);
	u64(k, "files_parsed_often", ss->files_reparsed);
	u64(k, "files_replaced", ss->files_replaced);
	k = object(run, "kernel_names");
	u64(k, "looked_up", ss->kernel_lookups);
	u64(k, "by_kernel", ss->kernel_by_kernel);
	u64(k, "from_kallsyms", ss->kernel_lookups - ss->kernel_by_kernel);
	u64(k, "without_symbol", ss->kernel_misses);
}

static void add_debug_info(struct jb run, const struct session_stats *st)
{
	const struct symbolizer_stats *ss = &st->sym;
	struct jb j = object(run, "debug_info");

	u64(j, "files", ss->dwarf_opened);
	u64(j, "files_with_dwarf", ss->dwarf_found);
	u64(j, "embedded", ss->dwarf_by_source[DWARF_EMBEDDED]);
	u64(j, "build_id", ss->dwarf_by_source[DWARF_BUILD_ID]);
	u64(j, "debuglink", ss->dwarf_by_source[DWARF_DEBUGLINK]);
	u64(j, "debuginfod", ss->dwarf_by_source[DWARF_DEBUGINFOD]);
	u64(j, "inline_frames", ss->inline_frames);
	u64(j, "addresses_resolved", ss->frame_lookups);
	u64(j, "addresses_from_cache", ss->frame_hits);
	u64(j, "dwarf_bytes", ss->dwarf_bytes);
	u64(j, "units", ss->dwarf_units);
	u64(j, "too_big", ss->dwarf_too_big);
	u64(j, "truncated_while_read", ss->dwarf_faults);
	u64(j, "debuginfod_asked", ss->debuginfod_queued);
	u64(j, "debuginfod_found", ss->debuginfod_fetched);
	u64(j, "debuginfod_not_found", ss->debuginfod_failed);
}

static void add_python(struct jb run, const struct session_stats *st)
{
	const struct py_procs_stats *py = &st->py;
	const uint64_t *m = st->metrics;
	struct jb j = object(run, "python");

	u64(j, "processes", py->processes);
	u64(j, "unknown_version", py->unknown_version);
	u64(j, "samples_walked", m[FLAMED_METRIC_PY_WALKS]);
	u64(j, "frames_shown", st->build.runtime_frames[FLAMED_RT_PYTHON]);
	u64(j, "no_thread_state", m[FLAMED_METRIC_PY_NO_THREAD]);
	u64(j, "no_python_frame", m[FLAMED_METRIC_PY_IDLE]);
	u64(j, "read_faults", m[FLAMED_METRIC_PY_READ_FAULT]);
	u64(j, "bad_pointers", m[FLAMED_METRIC_PY_BAD_POINTER]);
	u64(j, "truncated", m[FLAMED_METRIC_PY_TRUNCATED]);
	u64(j, "stale", m[FLAMED_METRIC_RT_STALE]);
	u64(j, "frames_not_linked", st->build.runtime_missing);
	u64(j, "code_objects_read", py->code_read);
	u64(j, "code_objects_unreadable", py->code_failed);
	u64(j, "code_objects_over_budget", py->code_over_budget);
	u64(j, "budget_bytes", PY_PROCS_CACHE_BYTES);
	u64(j, "code_objects_replaced", py->code_replaced);
	u64(j, "frames_unnamed", py->frames_unnamed);
	u64(j, "frames_not_the_object_sampled", py->frames_mismatched);
}

static void add_php(struct jb run, const struct session_stats *st)
{
	const struct php_procs_stats *ph = &st->php;
	const uint64_t *m = st->metrics;
	struct jb j = object(run, "php");

	u64(j, "processes", ph->processes);
	u64(j, "unknown_version", ph->unknown_version);
	u64(j, "samples_walked", m[FLAMED_METRIC_PHP_WALKS]);
	u64(j, "frames_shown", st->build.runtime_frames[FLAMED_RT_PHP]);
	u64(j, "not_running_php", m[FLAMED_METRIC_PHP_IDLE]);
	u64(j, "other_threads", m[FLAMED_METRIC_PHP_OTHER_THREAD]);
	u64(j, "read_faults", m[FLAMED_METRIC_PHP_READ_FAULT]);
	u64(j, "bad_pointers", m[FLAMED_METRIC_PHP_BAD_POINTER]);
	u64(j, "truncated", m[FLAMED_METRIC_PHP_TRUNCATED]);
	u64(j, "functions_read", ph->fn_read);
	u64(j, "functions_unreadable", ph->fn_failed);
	u64(j, "functions_over_budget", ph->fn_over_budget);
	u64(j, "budget_bytes", PHP_PROCS_CACHE_BYTES);
	u64(j, "functions_evicted", ph->fn_evicted);
	u64(j, "functions_replaced", ph->fn_replaced);
	u64(j, "cache_bytes", ph->cache_bytes);
	u64(j, "frames_unnamed", ph->frames_unnamed);
}

static void add_ruby(struct jb run, const struct session_stats *st)
{
	const struct rb_procs_stats *rb = &st->rb;
	const uint64_t *m = st->metrics;
	struct jb j = object(run, "ruby");

	u64(j, "processes", rb->processes);
	u64(j, "unknown_version", rb->unknown_version);
	u64(j, "samples_walked", m[FLAMED_METRIC_RB_WALKS]);
	u64(j, "frames_shown", st->build.runtime_frames[FLAMED_RT_RUBY]);
	u64(j, "yjit_frames_stepped", m[FLAMED_METRIC_RB_JIT_FRAMES]);
	u64(j, "yjit_frames_not_stepped", m[FLAMED_METRIC_RB_JIT_LOST]);
	u64(j, "no_ruby_thread", m[FLAMED_METRIC_RB_NO_THREAD]);
	u64(j, "no_ruby_frame", m[FLAMED_METRIC_RB_IDLE]);
	u64(j, "read_faults", m[FLAMED_METRIC_RB_READ_FAULT]);
	u64(j, "bad_pointers", m[FLAMED_METRIC_RB_BAD_POINTER]);
	u64(j, "truncated", m[FLAMED_METRIC_RB_TRUNCATED]);
	u64(j, "iseqs_read", rb->iseq_read);
	u64(j, "iseqs_unreadable", rb->iseq_failed);
	u64(j, "method_entries_read", rb->me_read);
	u64(j, "method_entries_unreadable", rb->me_failed);
	u64(j, "over_budget", rb->over_budget);
	u64(j, "budget_bytes", RB_PROCS_CACHE_BYTES);
	u64(j, "evicted", rb->evicted);
	u64(j, "replaced", rb->replaced);
	u64(j, "cache_bytes", rb->cache_bytes);
	u64(j, "frames_unnamed", rb->frames_unnamed);
	u64(j, "frames_without_class", rb->no_class);
	u64(j, "frames_without_line", rb->no_line);
}

static void add_java(struct jb run, const struct session_stats *st)
{
	const struct hs_procs_stats *hs = &st->hs;
	const uint64_t *m = st->metrics;
	struct jb j = object(run, "java");

	u64(j, "jvms", hs->processes);
	u64(j, "jvms_unsupported", hs->unsupported);
	u64(j, "frames_shown", st->build.runtime_frames[FLAMED_RT_HOTSPOT]);
	u64(j, "frames_interpreted", hs->interpreted);
	u64(j, "frames_c1", hs->c1);
	u64(j, "frames_c2", hs->c2);
	u64(j, "frames_inlined", hs->inlined);
	u64(j, "frames_stubs", hs->stubs);
	u64(j, "frames_native_wrappers", hs->native);
	u64(j, "walks_cut_no_code_blob", m[FLAMED_METRIC_HS_NO_BLOB]);
	u64(j, "walks_cut_read_faults", m[FLAMED_METRIC_HS_READ_FAULT]);
	u64(j, "walks_cut_bad_frames", m[FLAMED_METRIC_HS_BAD_FRAME]);
	u64(j, "walks_cut_truncated", m[FLAMED_METRIC_HS_TRUNCATED]);
	u64(j, "deoptimized_frames", m[FLAMED_METRIC_HS_DEOPT]);
	u64(j, "methods_read", hs->methods_read);
	u64(j, "methods_unreadable", hs->methods_failed);
	u64(j, "nmethods_read", hs->nmethods_read);
	u64(j, "nmethods_unreadable", hs->nmethods_failed);
	u64(j, "frames_code_changed", hs->stale);
	u64(j, "frames_jvm_gone", hs->gone);
	u64(j, "frames_unnamed", hs->frames_unnamed);
	u64(j, "cache_bytes", hs->cache_bytes);
	u64(j, "caches_started_over", hs->evictions);
	u64(j, "budget_bytes", HS_CACHE_BYTES);
	u64(j, "over_budget", hs->over_budget);
}

static void add_v8(struct jb run, const struct session_stats *st)
{
	const struct v8_procs_stats *v8 = &st->v8;
	const uint64_t *m = st->metrics;
	struct jb j = object(run, "v8");

	u64(j, "processes", v8->processes);
	u64(j, "unsupported", v8->unsupported);
	u64(j, "samples_walked", m[FLAMED_METRIC_V8_WALKS]);
	u64(j, "frames_recorded", m[FLAMED_METRIC_V8_FRAMES]);
	u64(j, "frames_left_native", m[FLAMED_METRIC_V8_NATIVE]);
	u64(j, "frames_code_unknown", m[FLAMED_METRIC_V8_CODE_UNKNOWN]);
	u64(j, "bad_frames", m[FLAMED_METRIC_V8_BAD_FRAME]);
	u64(j, "read_faults", m[FLAMED_METRIC_V8_READ_FAULT]);
	u64(j, "truncated", m[FLAMED_METRIC_V8_TRUNCATED]);
	u64(j, "shown_interpreted", v8->frames[FLAMED_V8_INTERPRETED]);
	u64(j, "shown_baseline", v8->frames_baseline);
	u64(j, "shown_optimized", v8->frames[FLAMED_V8_JIT] - v8->frames_baseline);
	u64(j, "shown_inlined", v8->frames[0]);
	u64(j, "shown_code_unknown", v8->frames[FLAMED_V8_OTHER]);
	u64(j, "frames_unnamed", v8->frames_unnamed);
	u64(j, "frames_stale", v8->frames_stale);
	u64(j, "frames_at_first_line", v8->frames_no_line);
	u64(j, "functions_read", v8->functions_read);
	u64(j, "functions_unreadable", v8->functions_failed);
	u64(j, "functions_replaced", v8->functions_moved);
	u64(j, "codes_read", v8->codes_read);
	u64(j, "codes_unreadable", v8->codes_failed);
	u64(j, "scripts_read", v8->scripts_read);
	u64(j, "scripts_without_lines", v8->scripts_no_lines);
	u64(j, "budget_bytes", V8_PROCS_CACHE_BYTES);
	u64(j, "over_budget", v8->over_budget);
	u64(j, "cache_bytes", v8->cache_bytes);
}

static void add_offcpu(struct jb run, const struct session_stats *st)
{
	const struct sampler_offcpu_threshold *t = &st->offcpu_threshold;
	const uint64_t *m = st->metrics;
	struct jb j = object(run, "offcpu");

	boolean(j, "enabled", st->off_cpu);
	u64(j, "waits", m[FLAMED_METRIC_OFFCPU_WAITS]);
	u64(j, "waits_ns", m[FLAMED_METRIC_OFFCPU_NS_SEEN]);
	u64(j, "kept", m[FLAMED_METRIC_OFFCPU_KEPT]);
	u64(j, "threshold_ns", t->now_ns);
	u64(j, "threshold_min_ns", t->min_ns);
	u64(j, "threshold_max_ns", t->max_ns);
	u64(j, "estimated_ns", m[FLAMED_METRIC_OFFCPU_NS_KEPT]);
	u64(j, "profile_ns", st->offcpu_ns);
	u64(j, "stacks_failed", m[FLAMED_METRIC_OFFCPU_STACK_FAILED]);
	u64(j, "thread_storage_full", m[FLAMED_METRIC_OFFCPU_STORAGE_FULL]);
	u64(j, "map_full", m[FLAMED_METRIC_OFFCPU_MAP_FULL]);
	u64(j, "lost_ns", m[FLAMED_METRIC_OFFCPU_NS_LOST]);
	u64(j, "cpu_samples_lost", m[FLAMED_METRIC_OFFCPU_CPU_SAMPLES_LOST]);
}

static void add_kubernetes(struct jb run, const struct session_stats *st)
{
	const struct kube_stats *k = &st->k8s;
	struct jb j = object(run, "kubernetes");

	boolean(j, "enabled", st->kube != NULL);
	boolean(j, "cgroup_targets", st->cgroup_targets);
	u64(j, "samples_left_out_in_kernel", st->metrics[FLAMED_METRIC_CGROUP_FILTERED]);
	u64(j, "samples_left_out_other_pods", st->build.unselected);
	u64(j, "samples_with_pod", st->build.pod_samples);
	u64(j, "pod_lists", k->lists);
	u64(j, "pod_list_failures", k->list_failures);
	u64(j, "pods", k->pods);
	u64(j, "containers", k->containers);
	u64(j, "pod_cache_bytes", k->pod_cache_bytes);
	u64(j, "unknown_containers", k->unknown_containers);
	u64(j, "relists", k->relists);
	u64(j, "target_cgroups", k->targets);
	u64(j, "target_updates", k->target_updates);
	u64(j, "pods_without_cgroup", k->pods_without_cgroup);
	u64(j, "kubelet_cpu_ns", k->kubelet_cpu_ns);
	u64(j, "main_cpu_ns", k->main_cpu_ns);
}

static void add_costs(struct jb j, const struct session_costs *c)
{
	u64(j, "cpu_ns", c->total_cpu_ns);
	u64(j, "drain_cpu_ns", c->drain_cpu_ns);
	u64(j, "drains", c->drains);
	u64(j, "events_cpu_ns", c->events_cpu_ns);
	u64(j, "build_cpu_ns", c->build_cpu_ns);
	u64(j, "names_cpu_ns", c->symbolize_ns);
	u64(j, "encode_cpu_ns", c->encode_cpu_ns);
}

static void add_agent(struct jb run, const struct session_stats *st)
{
	const struct sampler_load_stats *ls = &st->load;
	const struct session_costs *c = &st->costs;
	struct session_costs after = *c;
	struct jb s = object(run, "startup"), a;

	u64(s, "cpu_ns", c->startup_cpu_ns);
	u64(s, "wall_ns", c->startup_wall_ns);
	u64(s, "rss_bytes", c->startup_rss);
	u64(s, "bpf_open_ns", ls->open_ns);
	u64(s, "bpf_load_ns", ls->load_ns);
	u64(s, "bpf_load_kernel_ns", ls->load_sys_ns);
	u64(s, "bpf_load_libbpf_ns", ls->load_user_ns);
	u64(s, "bpf_mapped_bytes", ls->mapped_bytes);
	u64(s, "verifier_ns", ls->verifier_us * 1000);
	u64(s, "verifier_instructions", ls->verifier_insns);
	u64(s, "offcpu_verifier_ns", ls->offcpu_verifier_us * 1000);
	u64(s, "offcpu_verifier_instructions", ls->offcpu_verifier_insns);
	/* what the summary's "after start-up" line says */
	after.total_cpu_ns -= c->startup_cpu_ns;
	a = object(run, "agent");
	add_costs(a, &after);
	u64(a, "rss_bytes", st->rss_bytes);
}

static void add_bpf(struct jb run, const struct session_stats *st)
{
	struct jb j = object(run, "bpf"), m;

	u64(j, "map_bytes", st->map_bytes);
	m = object(j, "metrics");
	for (int i = 0; i < FLAMED_METRIC__MAX; i++)
		u64(m, sampler_metric_name(i), st->metrics[i]);
}

static void add_sinks(struct jb run, const struct stats_report *r)
{
	struct json_object *arr = run.o ? json_object_new_array() : NULL;

	if (!arr || json_object_object_add(run.o, "sinks", arr)) {
		json_object_put(arr);
		*run.oom = true;
		return;
	}
	for (size_t i = 0; i < r->nr_sinks; i++) {
		const struct upload_stats *s = &r->sinks[i].stats;
		struct jb j = { json_object_new_object(), run.oom };

		if (!j.o || json_object_array_add(arr, j.o)) {
			json_object_put(j.o);
			*run.oom = true;
			return;
		}
		string(j, "name", r->sinks[i].name);
		u64(j, "submitted", s->submitted);
		u64(j, "sent", s->sent);
		u64(j, "queued", s->queued);
		u64(j, "retries", s->retries);
		u64(j, "spooled", s->spooled);
		u64(j, "evicted", s->evicted);
		u64(j, "rejected", s->rejected);
		u64(j, "dropped", s->dropped);
		u64(j, "partial", s->partial);
		u64(j, "rejected_profiles", s->rejected_profiles);
		u64(j, "spool_bytes", s->spool_bytes);
	}
}

static void add_window(struct jb top, const struct stats_window *w)
{
	struct jb j = object(top, "window");

	u64(j, "number", w->number);
	i64(j, "start_unix_ns", w->start_ns);
	i64(j, "end_unix_ns", w->end_ns);
	i64(j, "duration_ns", w->end_ns - w->start_ns);
	u64(j, "samples", w->samples);
	u64(j, "processes", w->processes);
	u64(j, "series", w->series);
	u64(j, "stacks", w->stacks);
	u64(j, "count_keys", w->count_keys);
	u64(j, "count_map_full", w->count_map_full);
	u64(j, "stack_map_full", w->stack_map_full);
	u64(j, "lost_process_events", w->proc_event_lost);
	u64(j, "frames", w->build.frames);
	u64(j, "frames_unsymbolized", w->build.frames_unsymbolized);
	u64(j, "frames_by_function_start", w->build.frames_by_start);
	u64(j, "stacks_missing", w->build.stacks_missing);
	u64(j, "no_user_stack", w->build.no_user_stack);
	u64(j, "python_frames", w->build.runtime_frames[FLAMED_RT_PYTHON]);
	add_costs(object(j, "agent"), &w->cost);
}

int stats_json_format(const struct stats_report *r, char **ret_text)
{
	const struct config *cfg = r->cfg;
	bool oom = false;
	struct jb top = { json_object_new_object(), &oom }, run;
	char host[256] = "localhost";
	const char *text;
	int mode = cfg->unwind_mode;

	if (!top.o)
		return -ENOMEM;
	gethostname(host, sizeof(host) - 1);
	u64(top, "schema", STATS_JSON_SCHEMA);
	string(top, "flamed_version", FLAMED_VERSION);
	string(top, "hostname", host);
	string(top, "mode", r->daemon ? "daemon" : "once");
	boolean(top, "final", r->final);
	i64(top, "freq_hz", cfg->freq_hz);
	string(top, "unwind_mode",
	       mode == FLAMED_UNWIND_FP	     ? "fp"
	       : mode == FLAMED_UNWIND_DWARF ? "dwarf"
					     : "auto");
	i64(top, "cpus", r->nr_cpus);
	i64(top, "start_unix_ns", r->start_ns);
	i64(top, "time_unix_ns", r->time_ns);
	run = object(top, "run");
	add_samples(run, r->run);
	add_stacks(run, r->run);
	add_process_files(run, r->run);
	add_unwind(run, r->run);
	add_unwind_tables(run, r->run);
	add_symbols(run, r->run);
	add_debug_info(run, r->run);
	add_python(run, r->run);
	add_php(run, r->run);
	add_ruby(run, r->run);
	add_java(run, r->run);
	add_v8(run, r->run);
	add_offcpu(run, r->run);
	add_kubernetes(run, r->run);
	add_agent(run, r->run);
	add_bpf(run, r->run);
	add_sinks(run, r);
	add_window(top, r->window);
	text = oom ? NULL : json_object_to_json_string_ext(top.o, JSON_C_TO_STRING_PLAIN);
	*ret_text = text ? strdup(text) : NULL;
	json_object_put(top.o);
	return *ret_text ? 0 : -ENOMEM;
}

static int write_text(FILE *f, void *ctx)
{
	const char *text = ctx;

	if (fputs(text, f) == EOF || fputc('\n', f) == EOF)
		return -errno ? -errno : -EIO;
	return 0;
}

int stats_json_write(const char *path, const struct stats_report *r, const struct output_opts *oo)
{
	char *text = NULL;
	int err = stats_json_format(r, &text);

	if (err)
		return err;
	if (strcmp(path, "-") == 0) {
		err = write_text(stdout, text);
		if (!err && fflush(stdout))
			err = -errno;
	} else {
		err = output_write_atomic(path, oo, write_text, text);
	}
	free(text);
	return err;
}
