// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "summary.h"
#include "symbolize/dwarf_lines.h"
#include "util/log.h"
#include "util/parse.h"

#define MIB(bytes) ((bytes) / 1048576.0)
#define U(x)	   ((unsigned long long)(x))

void summary_log_samples(const struct session_stats *st)
{
	const uint64_t *m = st->metrics;

	log_info("%llu samples, %zu processes, %llu dropped (count map full %llu, lost in the "
		 "drain %llu)",
		 U(st->samples), st->processes,
		 U(m[FLAMED_METRIC_COUNT_MAP_FULL] + st->lost_in_drain),
		 U(m[FLAMED_METRIC_COUNT_MAP_FULL]), U(st->lost_in_drain));
}

void summary_log_stacks(const struct session_stats *st)
{
	const struct build_stats *bs = &st->build;
	const uint64_t *m = st->metrics;
	double sym = bs->frames ? 100.0 * (bs->frames - bs->frames_unsymbolized) / bs->frames : 100;
	double by_start = bs->frames ? 100.0 * bs->frames_by_start / bs->frames : 0;

	log_info("stacks: %.1f%% of frames symbolized (+%.1f%% by function start); stack map full "
		 "%llu, stacks missing %llu, kernel stack errors %llu, user stack errors %llu, no "
		 "user stack %llu, truncated %llu; processes vanished before snapshot %llu, lost "
		 "process events %llu",
		 sym, by_start, U(m[FLAMED_METRIC_STACK_MAP_FULL]), U(bs->stacks_missing),
		 U(m[FLAMED_METRIC_KSTACK_ERR]), U(m[FLAMED_METRIC_USTACK_ERR]),
		 U(bs->no_user_stack),
		 U(m[FLAMED_METRIC_KSTACK_TRUNCATED] + m[FLAMED_METRIC_USTACK_TRUNCATED]),
		 U(st->procs.vanished), U(m[FLAMED_METRIC_PROC_EVENT_LOST]));
}

void summary_log_process_files(const struct session_stats *st)
{
	const struct proc_table_stats *ps = &st->procs;
	uint64_t refused = ps->files_failed + ps->files_refused + ps->files_lost +
			   ps->refreshes_throttled + ps->mappings_dropped + ps->pid_reused +
			   ps->stat_bad + ps->maps_too_big + ps->files_over_cap +
			   ps->opens_deferred + ps->jit_maps_refused;

	if (!refused && log_get_level() < LOG_DEBUG)
		return;
	log_info("process files: %llu opened, %llu could not be opened, %llu refused "
		 "(not the mapped file), %llu lost after closing (fd budget %llu), "
		 "%llu over the cap, %llu opens deferred; "
		 "maps re-reads throttled %llu, mappings over the cap %llu, "
		 "pids reused %llu, bad stat %llu, maps too big %llu; JIT perf maps read "
		 "%llu, refused %llu (another user's, or too big)",
		 U(ps->files_open), U(ps->files_failed), U(ps->files_refused), U(ps->files_lost),
		 U(ps->fd_budget), U(ps->files_over_cap), U(ps->opens_deferred),
		 U(ps->refreshes_throttled), U(ps->mappings_dropped), U(ps->pid_reused),
		 U(ps->stat_bad), U(ps->maps_too_big), U(ps->jit_maps_read),
		 U(ps->jit_maps_refused));
}

void summary_log_process_table(const struct session_stats *st)
{
	const struct proc_table_stats *ps = &st->procs;

	log_debug("process table: %llu processes, %llu files opened, %llu reopened, %llu closed "
		  "for the fd budget of %llu (peak %llu open), %llu re-reads",
		  U(ps->processes), U(ps->files_open), U(ps->files_reopened), U(ps->files_closed),
		  U(ps->fd_budget), U(ps->fds_peak), U(ps->refreshes));
}

void summary_log_no_samples(const struct session_stats *st)
{
	if (st->samples)
		return;
	log_info("no samples: %s",
		 st->targeted ? "the target used no CPU while sampled"
		 : st->cgroup_targeted
			 ? "the chosen cgroups or pods used no CPU while sampled"
			 : "every CPU was idle (idle time is left out; --idle keeps it)");
}

void summary_log_offcpu(const struct session_stats *st)
{
	const struct sampler_offcpu_threshold *t = &st->offcpu_threshold;
	const uint64_t *m = st->metrics;

	if (!st->off_cpu)
		return;
	log_info("off-CPU: %llu waits seen (%.3f s), %llu kept at threshold %.2f ms (%.2f to %.2f; "
		 "%.3f s estimated, %.3f s in the profile); stacks failed %llu; lost: thread "
		 "storage full %llu, off-CPU map full %llu (%.3f s); CPU samples lost to off-CPU "
		 "walks %llu",
		 U(m[FLAMED_METRIC_OFFCPU_WAITS]), m[FLAMED_METRIC_OFFCPU_NS_SEEN] / 1e9,
		 U(m[FLAMED_METRIC_OFFCPU_KEPT]), t->now_ns / 1e6, t->min_ns / 1e6, t->max_ns / 1e6,
		 m[FLAMED_METRIC_OFFCPU_NS_KEPT] / 1e9, st->offcpu_ns / 1e9,
		 U(m[FLAMED_METRIC_OFFCPU_STACK_FAILED]), U(m[FLAMED_METRIC_OFFCPU_STORAGE_FULL]),
		 U(m[FLAMED_METRIC_OFFCPU_MAP_FULL]), m[FLAMED_METRIC_OFFCPU_NS_LOST] / 1e9,
		 U(m[FLAMED_METRIC_OFFCPU_CPU_SAMPLES_LOST]));
}

void summary_log_targets(const struct session_stats *st)
{
	if (!st->kube)
		return;
	if (st->cgroup_targets)
		log_info("targets: %llu samples of other cgroups left out in the kernel, "
			 "%llu of other pods after; %llu samples carry their pod",
			 U(st->metrics[FLAMED_METRIC_CGROUP_FILTERED]), U(st->build.unselected),
			 U(st->build.pod_samples));
	kube__log_summary(st->kube);
}

void summary_log_unwind(const struct session_stats *st)
{
	const uint64_t *m = st->metrics;
	uint64_t walks = m[FLAMED_METRIC_UNWIND_WALKS];

	if (!st->unwind_tables) {
		log_info("unwind: %llu user stacks walked with frame pointers only (where a chain "
			 "ends early cannot be told; --unwind auto uses unwind tables)",
			 U(walks));
		return;
	}
	if (!walks)
		return;
	log_info("unwind: %.1f%% of %llu user stacks complete (unwound to the outermost "
		 "frame); stops: no mapping %llu, no row %llu, read fault %llu, depth %llu, "
		 "unsupported %llu, frame-pointer end %llu; %llu samples without tables",
		 100.0 * m[FLAMED_METRIC_UNWIND_STOP_END] / walks, U(walks),
		 U(m[FLAMED_METRIC_UNWIND_STOP_NO_MAPPING]), U(m[FLAMED_METRIC_UNWIND_STOP_NO_ROW]),
		 U(m[FLAMED_METRIC_UNWIND_STOP_READ_FAULT]), U(m[FLAMED_METRIC_UNWIND_STOP_DEPTH]),
		 U(m[FLAMED_METRIC_UNWIND_STOP_UNSUPPORTED]),
		 U(m[FLAMED_METRIC_UNWIND_STOP_FP_END]), U(m[FLAMED_METRIC_UNWIND_NO_PROC]));
}

void summary_log_unwind_tables(const struct session_stats *st)
{
	const struct unwind_loader_stats *us = &st->unwind;

	if (!st->unwind_tables)
		return;
	log_info("unwind tables: %llu built (%llu ms, longest %llu ms), %llu reused (%llu "
		 "from the cache of exited processes), %llu evicted; %llu without CFI, %llu "
		 "changed while read, %llu could not be loaded, %llu builds deferred; "
		 "refused over the caps: %llu per binary, %llu per process, %llu per owner, "
		 "%llu over --unwind-memory; %.1f MiB at peak of %.1f MiB, %.1f MiB in %llu "
		 "tables now; %llu samples met a table still building",
		 U(us->tables_built), U(us->build_ns / 1000000), U(us->build_max_ns / 1000000),
		 U(us->cache_hits), U(us->cached_reuses), U(us->tables_evicted),
		 U(us->tables_failed), U(us->tables_changed), U(us->load_failed), U(us->deferred),
		 U(us->refused[UNWIND_REFUSED_BINARY]), U(us->refused[UNWIND_REFUSED_PROC]),
		 U(us->refused[UNWIND_REFUSED_OWNER]), U(us->refused[UNWIND_REFUSED_MEMORY]),
		 MIB(us->bytes_peak), MIB(us->bytes_bound), MIB(us->bytes_used), U(us->tables_now),
		 U(st->metrics[FLAMED_METRIC_UNWIND_TABLE_PENDING]));
}

static void log_reparsed(const char *path, uint64_t parses, void *ctx)
{
	(void)ctx;
	log_warn("symbol tables: %s parsed %llu times", path, U(parses));
}

static void log_biggest(const char *path, uint64_t bytes, void *ctx)
{
	(void)ctx;
	log_debug("symbol tables: %.2f MiB %s", MIB(bytes), path);
}

void summary_log_names(const struct session_stats *st)
{
	const struct symbolizer_stats *ss = &st->sym;

	log_info("names: %llu looked up, %llu from the names cache (%llu entries, %.1f MiB, peak "
		 "%.1f MiB, %llu evicted, %llu unused expired); symbol files: %llu parsed, %llu "
		 "parses (ELF %llu, DWARF %llu (libdw opened %llu times), .eh_frame %llu), most "
		 "parses of one file %llu, files parsed more than %d times %llu, replaced in place "
		 "%llu; tables %.1f MiB now, %.1f MiB at peak, budget %u MiB, %llu evicted, %llu "
		 "unused expired",
		 U(ss->frame_lookups), U(ss->frame_hits), U(ss->names_entries),
		 MIB(ss->names_bytes), MIB(ss->names_peak), U(ss->names_evicted),
		 U(ss->names_expired), U(ss->files_parsed),
		 U(ss->elf_parsed + ss->elf_failed + ss->dwarf_tables + ss->funcs_parsed),
		 U(ss->elf_parsed + ss->elf_failed), U(ss->dwarf_tables), U(ss->dwarf_reads),
		 U(ss->funcs_parsed), U(ss->parses_max), SYMBOLIZER_PARSES_WARN,
		 U(ss->files_reparsed), U(ss->files_replaced), MIB(ss->cache_bytes),
		 MIB(ss->cache_peak), SYMBOLIZER_CACHE_BYTES >> 20, U(ss->evicted), U(ss->expired));
	if (!st->symbolizer)
		return;
	/* a file read again and again: its tables keep being evicted (the budget is too small for
	 * this host) or something is wrong; the summary says which */
	symbolizer__reparsed_files(st->symbolizer, 5, log_reparsed, NULL);
	if (log_get_level() >= LOG_DEBUG)
		symbolizer__biggest_files(st->symbolizer, 10, log_biggest, NULL);
}

void summary_log_symbol_cache(const struct session_stats *st)
{
	log_debug("%llu addresses named by function start (.eh_frame of %llu stripped files)",
		  U(st->sym.user_synthetic), U(st->sym.funcs_parsed));
}

void summary_log_kernel_names(const struct session_stats *st)
{
	const struct symbolizer_stats *ss = &st->sym;

	log_debug("kernel names: %llu looked up, %llu by the kernel's own lookup, %llu "
		  "from /proc/kallsyms, %llu without a symbol",
		  U(ss->kernel_lookups), U(ss->kernel_by_kernel),
		  U(ss->kernel_lookups - ss->kernel_by_kernel), U(ss->kernel_misses));
}

void summary_log_debug_info(const struct session_stats *st)
{
	const struct symbolizer_stats *ss = &st->sym;
	const uint64_t *by = ss->dwarf_by_source;

	log_info(
		"debug info: %llu of %llu files with DWARF (embedded %llu, build-id %llu, "
		"debuglink %llu, debuginfod %llu); %llu inline frames; %llu addresses "
		"resolved, %llu from cache; DWARF %.1f MiB cached (%llu units), %llu too big, %llu "
		"truncated while read; debuginfod: %llu asked, %llu found, %llu not",
		U(ss->dwarf_found), U(ss->dwarf_opened), U(by[DWARF_EMBEDDED]),
		U(by[DWARF_BUILD_ID]), U(by[DWARF_DEBUGLINK]), U(by[DWARF_DEBUGINFOD]),
		U(ss->inline_frames), U(ss->frame_lookups), U(ss->frame_hits), MIB(ss->dwarf_bytes),
		U(ss->dwarf_units), U(ss->dwarf_too_big), U(ss->dwarf_faults),
		U(ss->debuginfod_queued), U(ss->debuginfod_fetched), U(ss->debuginfod_failed));
}

void summary_log_python(const struct session_stats *st)
{
	const struct py_procs_stats *py = &st->py;
	const uint64_t *m = st->metrics;

	if (!m[FLAMED_METRIC_PY_WALKS] && log_get_level() < LOG_DEBUG)
		return;
	log_info("python: %llu processes, %llu of an unknown version; %llu samples walked, "
		 "%llu Python frames shown; no thread state %llu, no Python frame %llu, "
		 "read faults %llu, bad pointers %llu, truncated %llu, stale %llu, frames "
		 "not linked %llu; code objects read %llu, unreadable %llu, over the %u MiB "
		 "budget %llu, replaced at their address %llu, frames unnamed %llu (of which not "
		 "the object sampled %llu)",
		 U(py->processes), U(py->unknown_version), U(m[FLAMED_METRIC_PY_WALKS]),
		 U(st->build.runtime_frames[FLAMED_RT_PYTHON]), U(m[FLAMED_METRIC_PY_NO_THREAD]),
		 U(m[FLAMED_METRIC_PY_IDLE]), U(m[FLAMED_METRIC_PY_READ_FAULT]),
		 U(m[FLAMED_METRIC_PY_BAD_POINTER]), U(m[FLAMED_METRIC_PY_TRUNCATED]),
		 U(m[FLAMED_METRIC_RT_STALE]), U(st->build.runtime_missing), U(py->code_read),
		 U(py->code_failed), PY_PROCS_CACHE_BYTES >> 20, U(py->code_over_budget),
		 U(py->code_replaced), U(py->frames_unnamed), U(py->frames_mismatched));
}

void summary_log_php(const struct session_stats *st)
{
	const struct php_procs_stats *ph = &st->php;
	const uint64_t *m = st->metrics;

	if (!m[FLAMED_METRIC_PHP_WALKS] && log_get_level() < LOG_DEBUG)
		return;
	log_info("php: %llu processes, %llu of an unknown version; %llu samples walked, %llu PHP "
		 "frames shown; not running PHP %llu, other threads %llu, read faults %llu, bad "
		 "pointers %llu, truncated %llu; functions read %llu, unreadable %llu, over the %u "
		 "MiB budget %llu, evicted %llu, replaced at their address %llu, %.1f KiB held; "
		 "frames unnamed %llu",
		 U(ph->processes), U(ph->unknown_version), U(m[FLAMED_METRIC_PHP_WALKS]),
		 U(st->build.runtime_frames[FLAMED_RT_PHP]), U(m[FLAMED_METRIC_PHP_IDLE]),
		 U(m[FLAMED_METRIC_PHP_OTHER_THREAD]), U(m[FLAMED_METRIC_PHP_READ_FAULT]),
		 U(m[FLAMED_METRIC_PHP_BAD_POINTER]), U(m[FLAMED_METRIC_PHP_TRUNCATED]),
		 U(ph->fn_read), U(ph->fn_failed), PHP_PROCS_CACHE_BYTES >> 20,
		 U(ph->fn_over_budget), U(ph->fn_evicted), U(ph->fn_replaced),
		 ph->cache_bytes / 1024.0, U(ph->frames_unnamed));
}

void summary_log_ruby(const struct session_stats *st)
{
	const struct rb_procs_stats *rb = &st->rb;
	const uint64_t *m = st->metrics;

	if (!m[FLAMED_METRIC_RB_WALKS] && log_get_level() < LOG_DEBUG)
		return;
	log_info(
		"ruby: %llu processes, %llu of an unknown version; %llu samples walked, %llu Ruby "
		"frames shown (YJIT frames stepped over %llu, not %llu); no Ruby thread %llu, no "
		"Ruby frame %llu, read faults %llu, bad pointers %llu, truncated %llu; iseqs read "
		"%llu, unreadable %llu, method entries read %llu, unreadable %llu, over the %u MiB "
		"budget %llu, evicted %llu, replaced at their address %llu, %.1f KiB held; frames "
		"unnamed %llu, without their class %llu, without a line %llu",
		U(rb->processes), U(rb->unknown_version), U(m[FLAMED_METRIC_RB_WALKS]),
		U(st->build.runtime_frames[FLAMED_RT_RUBY]), U(m[FLAMED_METRIC_RB_JIT_FRAMES]),
		U(m[FLAMED_METRIC_RB_JIT_LOST]), U(m[FLAMED_METRIC_RB_NO_THREAD]),
		U(m[FLAMED_METRIC_RB_IDLE]), U(m[FLAMED_METRIC_RB_READ_FAULT]),
		U(m[FLAMED_METRIC_RB_BAD_POINTER]), U(m[FLAMED_METRIC_RB_TRUNCATED]),
		U(rb->iseq_read), U(rb->iseq_failed), U(rb->me_read), U(rb->me_failed),
		RB_PROCS_CACHE_BYTES >> 20, U(rb->over_budget), U(rb->evicted), U(rb->replaced),
		rb->cache_bytes / 1024.0, U(rb->frames_unnamed), U(rb->no_class), U(rb->no_line));
}

void summary_log_java(const struct session_stats *st)
{
	const struct hs_procs_stats *hs = &st->hs;
	const uint64_t *m = st->metrics;

	if (!m[FLAMED_METRIC_HS_FRAMES] && log_get_level() < LOG_DEBUG)
		return;
	log_info("java: %llu JVMs, %llu unsupported; %llu Java frames shown (interpreted %llu, C1 "
		 "%llu, C2 %llu, inlined %llu, stubs %llu, native wrappers %llu); walks cut: no "
		 "code blob %llu, read faults %llu, bad frames %llu, truncated %llu; deoptimized "
		 "frames %llu; methods read %llu, unreadable %llu; nmethods read %llu, unreadable "
		 "%llu; frames whose code changed before it was read %llu, of a JVM gone before "
		 "%llu (locations unnamed %llu); caches %.1f MiB, started over %llu, over the %u "
		 "MiB budget %llu",
		 U(hs->processes), U(hs->unsupported),
		 U(st->build.runtime_frames[FLAMED_RT_HOTSPOT]), U(hs->interpreted), U(hs->c1),
		 U(hs->c2), U(hs->inlined), U(hs->stubs), U(hs->native),
		 U(m[FLAMED_METRIC_HS_NO_BLOB]), U(m[FLAMED_METRIC_HS_READ_FAULT]),
		 U(m[FLAMED_METRIC_HS_BAD_FRAME]), U(m[FLAMED_METRIC_HS_TRUNCATED]),
		 U(m[FLAMED_METRIC_HS_DEOPT]), U(hs->methods_read), U(hs->methods_failed),
		 U(hs->nmethods_read), U(hs->nmethods_failed), U(hs->stale), U(hs->gone),
		 U(hs->frames_unnamed), MIB(hs->cache_bytes), U(hs->evictions),
		 HS_CACHE_BYTES >> 20, U(hs->over_budget));
}

void summary_log_v8(const struct session_stats *st)
{
	const struct v8_procs_stats *v8 = &st->v8;
	const uint64_t *m = st->metrics;

	if (!m[FLAMED_METRIC_V8_WALKS] && log_get_level() < LOG_DEBUG)
		return;
	log_info(
		"v8: %llu processes, %llu of a V8 flamed cannot walk; %llu samples met V8 "
		"frames, %llu JavaScript frames recorded, %llu left native (entry, exit, stub, "
		"builtin), %llu in code V8 no longer points to, bad %llu, read faults %llu, "
		"truncated %llu; shown: interpreted %llu, baseline %llu, optimized %llu, inlined "
		"%llu, code unknown %llu, unnamed %llu (of which moved since the sample %llu), at "
		"their function's first line %llu; read: functions %llu (unreadable %llu, replaced "
		"at their address %llu), code objects %llu (unreadable %llu), scripts %llu "
		"(without lines %llu), over the %u MiB budget %llu, %.1f KiB held",
		U(v8->processes), U(v8->unsupported), U(m[FLAMED_METRIC_V8_WALKS]),
		U(m[FLAMED_METRIC_V8_FRAMES]), U(m[FLAMED_METRIC_V8_NATIVE]),
		U(m[FLAMED_METRIC_V8_CODE_UNKNOWN]), U(m[FLAMED_METRIC_V8_BAD_FRAME]),
		U(m[FLAMED_METRIC_V8_READ_FAULT]), U(m[FLAMED_METRIC_V8_TRUNCATED]),
		U(v8->frames[FLAMED_V8_INTERPRETED]), U(v8->frames_baseline),
		U(v8->frames[FLAMED_V8_JIT] - v8->frames_baseline), U(v8->frames[0]),
		U(v8->frames[FLAMED_V8_OTHER]), U(v8->frames_unnamed), U(v8->frames_stale),
		U(v8->frames_no_line), U(v8->functions_read), U(v8->functions_failed),
		U(v8->functions_moved), U(v8->codes_read), U(v8->codes_failed), U(v8->scripts_read),
		U(v8->scripts_no_lines), V8_PROCS_CACHE_BYTES >> 20, U(v8->over_budget),
		v8->cache_bytes / 1024.0);
}

void summary_log_startup(const struct session_costs *costs, const struct sampler_load_stats *ls)
{
	log_debug("start-up: %.0f ms CPU, %.0f ms wall to the first sample; BPF object open %.1f "
		  "ms, load %.1f ms (kernel %.1f ms: verifier, maps; libbpf %.1f ms: kernel BTF, "
		  "relocations); resident %.1f MiB after start-up, %.1f MiB of it BPF maps mapped "
		  "into flamed; on_cpu_sample's verifier %.1f ms, %llu instructions processed",
		  costs->startup_cpu_ns / 1e6, costs->startup_wall_ns / 1e6, ls->open_ns / 1e6,
		  ls->load_ns / 1e6, ls->load_sys_ns / 1e6, ls->load_user_ns / 1e6,
		  MIB(costs->startup_rss), MIB(ls->mapped_bytes), ls->verifier_us / 1e3,
		  U(ls->verifier_insns));
	if (ls->offcpu_verifier_us || ls->offcpu_verifier_insns) /* --off-cpu */
		log_debug("start-up: on_switch_in's verifier %.1f ms, %llu instructions processed",
			  ls->offcpu_verifier_us / 1e3, U(ls->offcpu_verifier_insns));
}

void summary_log_costs(const struct session_stats *st)
{
	char line[256];

	summary_format_costs(&st->costs, NULL, line, sizeof(line));
	log_debug("after start-up: %s; resident now %.1f MiB", line, MIB(st->rss_bytes));
}

void summary_log_metrics(const struct session_stats *st)
{
	for (int i = 0; i < FLAMED_METRIC__MAX; i++)
		log_debug("metric %s = %llu", sampler_metric_name(i), U(st->metrics[i]));
	log_debug("BPF maps %zu KiB, %zu stacks, %zu count keys", st->map_bytes / 1024, st->stacks,
		  st->count_keys);
}

void summary_log(const struct session_stats *st)
{
	summary_log_samples(st);
	summary_log_stacks(st);
	summary_log_process_files(st);
	summary_log_process_table(st);
	summary_log_no_samples(st);
	summary_log_offcpu(st);
	summary_log_targets(st);
	summary_log_unwind(st);
	summary_log_unwind_tables(st);
	summary_log_names(st);
	summary_log_symbol_cache(st);
	summary_log_kernel_names(st);
	summary_log_debug_info(st);
	summary_log_python(st);
	summary_log_php(st);
	summary_log_ruby(st);
	summary_log_java(st);
	summary_log_v8(st);
	summary_log_startup(&st->costs, &st->load);
	summary_log_costs(st);
	summary_log_metrics(st);
}

struct session_costs summary_costs_since(const struct session_costs *now,
					 const struct session_costs *prev)
{
	struct session_costs d = *now;

	if (!prev) {
		d.total_cpu_ns -= now->startup_cpu_ns;
		return d;
	}
	d.drain_cpu_ns -= prev->drain_cpu_ns;
	d.drains -= prev->drains;
	d.events_cpu_ns -= prev->events_cpu_ns;
	d.build_cpu_ns -= prev->build_cpu_ns;
	d.symbolize_ns -= prev->symbolize_ns;
	d.encode_cpu_ns -= prev->encode_cpu_ns;
	d.total_cpu_ns -= prev->total_cpu_ns;
	return d;
}

void summary_format_costs(const struct session_costs *now, const struct session_costs *prev,
			  char *buf, size_t size)
{
	struct session_costs d = summary_costs_since(now, prev);

	snprintf(buf, size,
		 "agent %.1f ms CPU (drain %.1f in %llu, events %.1f, build %.1f (names %.1f), "
		 "encode %.1f)",
		 d.total_cpu_ns / 1e6, d.drain_cpu_ns / 1e6, U(d.drains), d.events_cpu_ns / 1e6,
		 d.build_cpu_ns / 1e6, d.symbolize_ns / 1e6, d.encode_cpu_ns / 1e6);
}

void summary_comments(const struct config *cfg, int nr_cpus, const uint64_t *m,
		      uint64_t duration_ns, struct summary_comments *ret)
{
	char host[256] = "localhost", dur[32];
	int mode = cfg->unwind_mode;

	gethostname(host, sizeof(host) - 1);
	format_duration(duration_ns, dur, sizeof(dur));
	snprintf(ret->drops, sizeof(ret->drops),
		 "flamed: dropped %llu (count map full); stack map full %llu, kernel stack errors "
		 "%llu, user stack errors %llu",
		 U(m[FLAMED_METRIC_COUNT_MAP_FULL]), U(m[FLAMED_METRIC_STACK_MAP_FULL]),
		 U(m[FLAMED_METRIC_KSTACK_ERR]), U(m[FLAMED_METRIC_USTACK_ERR]));
	snprintf(ret->title, sizeof(ret->title),
		 "flamed %s on %s, %s at %d Hz on %d CPUs, --unwind %s", FLAMED_VERSION, host, dur,
		 cfg->freq_hz, nr_cpus,
		 mode == FLAMED_UNWIND_FP      ? "fp"
		 : mode == FLAMED_UNWIND_DWARF ? "dwarf"
					       : "auto");
	ret->list[0] = ret->title;
	ret->list[1] = ret->drops;
	ret->list[2] = NULL;
}
