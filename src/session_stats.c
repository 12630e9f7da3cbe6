// SPDX-License-Identifier: MIT
/* The counters a run reports (session__stats): every module's, read once into struct
 * session_stats for the summary (summary.c) and --stats-json (stats_json.c). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "collect/collector.h"
#include "kube.h"
#include "runtime/runtimes.h"
#include "session_internal.h"

size_t session_resident_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

void session__stats(struct session *s, const struct collector *window, const uint64_t *m,
		    const struct build_stats *bs, bool whole_run, struct session_stats *ret)
{
	*ret = (struct session_stats){
		.samples = window ? collector__samples(window) : 0,
		.processes = window ? collector__nr_processes(window) : 0,
		.stacks = window ? collector__nr_stacks(window) : 0,
		.count_keys = window ? collector__nr_keys(window) : 0,
		.build = *bs,
		.procs = proc_table__stats(s->procs),
		.unwind_tables = s->unwind != NULL,
		.sym = symbolizer__stats(s->sym),
		.symbolizer = s->sym,
		.py = py_procs__stats(runtimes__module(s->rt, FLAMED_RT_PYTHON)),
		.php = php_procs__stats(runtimes__module(s->rt, FLAMED_RT_PHP)),
		.rb = rb_procs__stats(runtimes__module(s->rt, FLAMED_RT_RUBY)),
		.hs = hs_procs__stats(runtimes__module(s->rt, FLAMED_RT_HOTSPOT)),
		.v8 = v8_procs__stats(runtimes__module(s->rt, FLAMED_RT_V8)),
		.load = sampler__load_stats(s->sampler),
		.costs = session__costs(s),
		.map_bytes = sampler__map_bytes(s->sampler),
		.rss_bytes = session_resident_bytes(),
		.targeted = s->cfg->nr_pids || s->cfg->cmd,
		.cgroup_targeted = cli_has_cgroup_targets(s->cfg),
		.off_cpu = s->cfg->off_cpu,
		.offcpu_threshold = sampler__offcpu_threshold(s->sampler),
		.offcpu_ns = window ? collector__offcpu_ns(window) : 0,
		.kube = s->kube,
		.cgroup_targets = cli_has_cgroup_targets(s->cfg),
		.k8s = kube__stats(s->kube),
	};
	memcpy(ret->metrics, m, sizeof(ret->metrics));
	if (s->unwind)
		ret->unwind = unwind_loader__stats(s->unwind);
	/* every sample the program counted must reach the window: a window holding all the drains
	 * (the last after sampling stopped) that misses some lost them between the BPF maps or
	 * count slots and the profile */
	if (whole_run && m[FLAMED_METRIC_COUNTED] > ret->samples)
		ret->lost_in_drain = m[FLAMED_METRIC_COUNTED] - ret->samples;
}
