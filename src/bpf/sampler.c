// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/bpf_log.h"
#include "bpf/offcpu_budget.h"
#include "bpf/sampler.h"
#include "util/clock.h"
#include "flamed.skel.h"

struct sampler {
	struct flamed_bpf *skel;
	struct ring_buffer *events;
	struct bpf_link **links;
	int nr_links;
	int nr_attached; /* CPUs sampled, kept after detach for the summary */
	uint32_t map_entries;
	int nr_possible_cpus;
	int freq_hz;
	sampler_event_fn on_event;
	void *event_ctx;
	bool tables; /* unwind tables in use (not --unwind fp) */
	struct sampler_load_stats load_stats;
	char *verifier_log;	   /* stats-only verifier log of on_cpu_sample (log level 4) */
	char *offcpu_verifier_log; /* ... of on_switch_in, with off_cpu */
	bool off_cpu;
	/* the off-CPU walk budget (offcpu_budget.h): kept waits at the last adjustment, when */
	uint64_t offcpu_floor_ns, offcpu_budget, offcpu_kept, offcpu_at_ns;
	struct sampler_offcpu_threshold offcpu_thr;
	bool cgroup_filter;
	void *verdicts; /* the cgroup_verdicts map, mapped (cgroup_filter only) */
	size_t verdicts_size;
	struct sampler_cgroup *cgroups; /* the target cgroups now, sorted by id */
	size_t nr_cgroups;
	/* drain buffers, sized to map_entries */
	void *keys;
	void *values;
};

#define METRIC_NAME(id, name) [FLAMED_METRIC_##id] = name,
static const char *const metric_names[FLAMED_METRIC__MAX] = { FLAMED_METRICS(METRIC_NAME) };
#undef METRIC_NAME

const char *sampler_metric_name(enum flamed_metric m)
{
	return m < FLAMED_METRIC__MAX && metric_names[m] ? metric_names[m] : "unknown";
}

static uint32_t round_up_pow2(uint64_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

/* Entries per generation: every sample of one drain interval could be a new stack and a new count
 * key; twice that for bursts, a floor for small hosts and a cap so a 256-CPU host at 999 Hz does
 * not pin gigabytes (past the cap, drops are counted). */
static uint32_t map_entries_for(int nr_cpus, int freq_hz, uint32_t drain_ms)
{
	uint64_t per_drain = (uint64_t)nr_cpus * freq_hz * (drain_ms ? drain_ms : 1000) / 1000;
	uint32_t n = round_up_pow2(per_drain * 2);

	if (n < 2048)
		n = 2048;
	if (n > (1u << 17))
		n = 1u << 17;
	return n;
}

/* Entries a drain reads per batch call: a whole map would need a map-sized buffer (a stack is
 * 1 KiB: 16 MiB on a big host), resident once touched; 256 keeps it to 264 KiB for a few more
 * system calls. The kernel copies whole hash buckets, far smaller than this. */
static uint32_t drain_batch(const struct sampler *s)
{
	return s->map_entries < 256 ? s->map_entries : 256;
}

static uint64_t timeval_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL + (uint64_t)tv->tv_usec * 1000ULL;
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct sampler *s = ctx;

	if (size >= sizeof(struct flamed_proc_event) && s->on_event)
		s->on_event(data, s->event_ctx);
	return 0;
}

static int online_cpus(bool **ret_mask, int *ret_nr)
{
	int nr = libbpf_num_possible_cpus();
	bool *mask = NULL;
	char buf[1024];
	FILE *f = NULL;
	char *p;
	int err = 0;

	if (nr <= 0)
		return nr ? nr : -EINVAL;
	mask = calloc(nr, sizeof(*mask));
	if (!mask)
		return -ENOMEM;
	f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		/* no sysfs: assume every possible CPU is online */
		for (int i = 0; i < nr; i++)
			mask[i] = true;
		goto out;
	}
	/* "0-3,5,7-8" */
	for (p = buf; *p && *p != '\n';) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p) {
			err = -EINVAL;
			goto out;
		}
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long i = a; i <= b && i < nr; i++)
			if (i >= 0)
				mask[i] = true;
		p = *end == ',' ? end + 1 : end;
	}
out:
	if (f)
		fclose(f);
	if (err) {
		free(mask);
		return err;
	}
	*ret_mask = mask;
	*ret_nr = nr;
	return 0;
}

#define VERIFIER_LOG_BYTES 4096

/* "verification time 12345 usec" and "processed 678 insns" of a log-level-4 verifier log. */
static void parse_verifier_stats(const char *log, uint64_t *ret_us, uint64_t *ret_insns)
{
	const char *p;
	unsigned long long v;

	if (!log)
		return;
	p = strstr(log, "verification time ");
	if (p && sscanf(p, "verification time %llu usec", &v) == 1)
		*ret_us = v;
	p = strstr(log, "processed ");
	if (p && sscanf(p, "processed %llu insns", &v) == 1)
		*ret_insns = v;
}

bool sampler_offcpu_supported(const char *btf_path)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, "btf_trace_sched_exit_tp", BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return ok;
}

/* Open the object and set it up as opts asks (load-time knobs, map sizes, programs to load). A
 * new skeleton, or NULL with errno. */
static struct flamed_bpf *open_configured(const struct sampler_opts *opts, uint32_t map_entries)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);
	struct flamed_bpf *skel = flamed_bpf__open_opts(&oo);
	struct bpf_map *counts[2], *stacks[2], *offcpu[2];
	int err = 0;

	if (!skel)
		return NULL;
	skel->rodata->cfg_self_tgid = getpid();
	skel->rodata->cfg_filter = opts->filter;
	skel->rodata->cfg_follow_forks = opts->follow_forks;
	skel->rodata->cfg_include_idle = opts->include_idle;
	skel->rodata->cfg_unwind_mode = opts->unwind_mode;
	skel->rodata->cfg_cgroup_filter = opts->cgroup_filter;
	/* a bench knob, not a flag: clock reads between the program's phases (flamed.h) */
	skel->rodata->cfg_phase_times = getenv("FLAMED_BPF_PHASES") != NULL;
	skel->data->offcpu_threshold_ns = opts->off_cpu_threshold_ns;

	counts[0] = skel->maps.counts0;
	counts[1] = skel->maps.counts1;
	stacks[0] = skel->maps.stacks0;
	stacks[1] = skel->maps.stacks1;
	offcpu[0] = skel->maps.offcpu0;
	offcpu[1] = skel->maps.offcpu1;
	for (int i = 0; i < 2 && !err; i++) {
		err = bpf_map__set_max_entries(counts[i], map_entries);
		/* kept waits add stacks of their own, up to as many keys as the samples */
		if (!err)
			err = bpf_map__set_max_entries(stacks[i], opts->off_cpu ? 2 * map_entries
										: map_entries);
		if (!err)
			err = bpf_map__set_max_entries(offcpu[i], opts->off_cpu ? map_entries : 1);
	}
	if (!opts->off_cpu) {
		bpf_program__set_autoload(skel->progs.on_switch_out, false);
		bpf_program__set_autoload(skel->progs.on_switch_in, false);
	}
	if (!err && opts->max_targets)
		err = bpf_map__set_max_entries(skel->maps.targets, opts->max_targets);
	if (!err && !opts->cgroup_filter) {
		err = bpf_map__set_max_entries(skel->maps.target_cgroups, 1);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.cgroup_verdicts, 1);
		bpf_program__set_autoload(skel->progs.on_cgroup_attach, false);
	}
	if (!opts->follow_forks)
		bpf_program__set_autoload(skel->progs.on_fork, false);
	if (!err && opts->unwind_mode == FLAMED_UNWIND_FP) {
		bpf_map__set_max_entries(skel->maps.unwind_blocks, 1);
		bpf_map__set_max_entries(skel->maps.row_cache, 1);
	} else if (!err) {
		uint64_t bytes = opts->unwind_memory ? opts->unwind_memory : 256ULL << 20;

		/* one 4 KiB block per entry; not preallocated: max_entries is only the bound */
		err = bpf_map__set_max_entries(skel->maps.unwind_blocks,
					       (uint32_t)(bytes / 4096 + 16));
		if (!err && opts->unwind_procs)
			err = bpf_map__set_max_entries(skel->maps.unwind_procs, opts->unwind_procs);
	}
	if (err) {
		flamed_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/* The load failed: load a second copy, set up the same way but without the stats-only log
 * buffer, so that libbpf prints the failing program's verifier log through its print callback
 * (what "run with -v for the verifier log" promises). Nothing is kept, and the first failure
 * stands even if this load passes. */
static void explain_load_failure(const struct sampler_opts *opts, uint32_t map_entries)
{
	struct flamed_bpf *skel = open_configured(opts, map_entries);

	if (skel)
		flamed_bpf__load(skel);
	flamed_bpf__destroy(skel);
}

struct sampler *sampler__load(const struct sampler_opts *opts, sampler_event_fn on_event,
			      void *event_ctx)
{
	struct sampler *s = NULL;
	int err, nr_cpus;
	uint64_t t0;

	bpf_log_install();
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->on_event = on_event;
	s->event_ctx = event_ctx;
	s->freq_hz = opts->freq_hz;
	s->nr_possible_cpus = libbpf_num_possible_cpus();
	nr_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (s->nr_possible_cpus <= 0 || nr_cpus <= 0) {
		err = -EINVAL;
		goto cleanup;
	}
	s->map_entries = map_entries_for(nr_cpus, opts->freq_hz, opts->drain_ms);
	s->tables = opts->unwind_mode != FLAMED_UNWIND_FP;
	s->cgroup_filter = opts->cgroup_filter;
	t0 = mono_ns();
	s->skel = open_configured(opts, s->map_entries);
	s->load_stats.open_ns = mono_ns() - t0;
	if (!s->skel) {
		err = -errno;
		goto cleanup;
	}

	/* log level 4: the verifier's statistics only (a few lines), kept to report its time */
	s->verifier_log = calloc(1, VERIFIER_LOG_BYTES);
	if (s->verifier_log) {
		bpf_program__set_log_buf(s->skel->progs.on_cpu_sample, s->verifier_log,
					 VERIFIER_LOG_BYTES);
		bpf_program__set_log_level(s->skel->progs.on_cpu_sample, 4);
	}
	s->off_cpu = opts->off_cpu;
	s->offcpu_floor_ns = opts->off_cpu_threshold_ns;
	s->offcpu_budget = opts->off_cpu_walks;
	s->offcpu_thr = (struct sampler_offcpu_threshold){ opts->off_cpu_threshold_ns,
							   opts->off_cpu_threshold_ns,
							   opts->off_cpu_threshold_ns };
	s->offcpu_verifier_log = opts->off_cpu ? calloc(1, VERIFIER_LOG_BYTES) : NULL;
	if (s->offcpu_verifier_log) {
		bpf_program__set_log_buf(s->skel->progs.on_switch_in, s->offcpu_verifier_log,
					 VERIFIER_LOG_BYTES);
		bpf_program__set_log_level(s->skel->progs.on_switch_in, 4);
	}
	{
		struct rusage r0, r1;

		t0 = mono_ns();
		getrusage(RUSAGE_SELF, &r0);
		err = flamed_bpf__load(s->skel);
		getrusage(RUSAGE_SELF, &r1);
		s->load_stats.load_ns = mono_ns() - t0;
		s->load_stats.load_user_ns = timeval_ns(&r1.ru_utime) - timeval_ns(&r0.ru_utime);
		s->load_stats.load_sys_ns = timeval_ns(&r1.ru_stime) - timeval_ns(&r0.ru_stime);
	}
	if (err) {
		if (opts->explain_failure)
			explain_load_failure(opts, s->map_entries);
		goto cleanup;
	}
	parse_verifier_stats(s->verifier_log, &s->load_stats.verifier_us,
			     &s->load_stats.verifier_insns);
	parse_verifier_stats(s->offcpu_verifier_log, &s->load_stats.offcpu_verifier_us,
			     &s->load_stats.offcpu_verifier_insns);
	free(s->verifier_log);
	free(s->offcpu_verifier_log);
	s->verifier_log = s->offcpu_verifier_log = NULL;

	if (s->cgroup_filter) {
		struct bpf_map *v = s->skel->maps.cgroup_verdicts;
		size_t page = (size_t)sysconf(_SC_PAGESIZE);

		s->verdicts_size =
			((size_t)bpf_map__max_entries(v) * bpf_map__value_size(v) + page - 1) /
			page * page;
		s->verdicts = mmap(NULL, s->verdicts_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				   bpf_map__fd(v), 0);
		if (s->verdicts == MAP_FAILED) {
			s->verdicts = NULL;
			err = -errno;
			goto cleanup;
		}
		s->load_stats.mapped_bytes += s->verdicts_size;
	}
	s->events = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ringbuf, s, NULL);
	if (!s->events) {
		err = -errno;
		goto cleanup;
	}
	/* the ring buffer's data pages are mapped twice (reads wrap), plus its header pages */
	s->load_stats.mapped_bytes += 2 * (size_t)bpf_map__max_entries(s->skel->maps.events) +
				      2 * (size_t)sysconf(_SC_PAGESIZE);
	/* one buffer for a batch of either kind: the drain reads a map in batches of this size */
	s->keys = calloc(drain_batch(s), sizeof(struct flamed_count_key));
	s->values = calloc(drain_batch(s), sizeof(struct flamed_stack));
	if (!s->keys || !s->values) {
		err = -ENOMEM;
		goto cleanup;
	}
	return s;

cleanup:
	sampler__free(s);
	errno = -err;
	return NULL;
}

int sampler__add_target(struct sampler *s, uint32_t tgid)
{
	__u8 one = 1;

	if (bpf_map__update_elem(s->skel->maps.targets, &tgid, sizeof(tgid), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

/* Forget every verdict on a task's cgroup (flamed.bpf.c, cgroup_verdicts): a write into the
 * mapped map, racing the programs harmlessly (a slot is one word: a verdict written meanwhile
 * stays whole, or goes and is looked up again). */
static void clear_cgroup_verdicts(struct sampler *s)
{
	if (s->verdicts)
		memset(s->verdicts, 0, s->verdicts_size);
}

static int cmp_cgroup(const void *a, const void *b)
{
	uint64_t x = ((const struct sampler_cgroup *)a)->id,
		 y = ((const struct sampler_cgroup *)b)->id;

	return x < y ? -1 : x > y;
}

static bool has_cgroup(const struct sampler_cgroup *set, size_t nr, uint64_t id)
{
	struct sampler_cgroup key = { .id = id };

	return bsearch(&key, set, nr, sizeof(*set), cmp_cgroup) != NULL;
}

static uint32_t cgroup_levels(const struct sampler_cgroup *set, size_t nr)
{
	uint32_t levels = 0;

	for (size_t i = 0; i < nr; i++)
		levels |= 1u << set[i].level;
	return levels;
}

int sampler__set_cgroups(struct sampler *s, const struct sampler_cgroup *cg, size_t nr)
{
	struct bpf_map *map = s->skel->maps.target_cgroups;
	struct sampler_cgroup *set;
	size_t n = 0;
	__u8 one = 1;
	int err = 0;

	for (size_t i = 0; i < nr; i++)
		if (cg[i].level < 1 || cg[i].level > 31)
			return -EINVAL;
	set = malloc((nr ? nr : 1) * sizeof(*set));
	if (!set)
		return -ENOMEM;
	memcpy(set, cg, nr * sizeof(*set));
	qsort(set, nr, sizeof(*set), cmp_cgroup);
	for (size_t i = 0; i < nr; i++)
		if (!n || set[n - 1].id != set[i].id)
			set[n++] = set[i];
	if (n > FLAMED_MAX_TARGET_CGROUPS) {
		n = FLAMED_MAX_TARGET_CGROUPS;
		err = -E2BIG;
	}
	/* what fails to go in is not kept: the next call tries it again */
	nr = n;
	n = 0;
	for (size_t i = 0; i < nr; i++) {
		if (!has_cgroup(s->cgroups, s->nr_cgroups, set[i].id) &&
		    bpf_map__update_elem(map, &set[i].id, sizeof(set[i].id), &one, sizeof(one),
					 BPF_ANY)) {
			err = err ? err : -errno;
			continue;
		}
		set[n++] = set[i];
	}
	/* a sample meanwhile sees old and new targets at their levels */
	__atomic_store_n(&s->skel->bss->cgroup_levels,
			 cgroup_levels(set, n) | cgroup_levels(s->cgroups, s->nr_cgroups),
			 __ATOMIC_SEQ_CST);
	for (size_t i = 0; i < s->nr_cgroups; i++)
		if (!has_cgroup(set, n, s->cgroups[i].id))
			bpf_map__delete_elem(map, &s->cgroups[i].id, sizeof(s->cgroups[i].id), 0);
	__atomic_store_n(&s->skel->bss->cgroup_levels, cgroup_levels(set, n), __ATOMIC_SEQ_CST);
	/* every CPU's verdicts were taken against the old targets (one in flight now is cleared
	 * at the next drain) */
	clear_cgroup_verdicts(s);
	free(s->cgroups);
	s->cgroups = set;
	s->nr_cgroups = n;
	return err;
}

/* cpu-clock counts nanoseconds, so the rate is a fixed period: in frequency mode the kernel
 * starts each event at a period of 10 us and re-estimates it every tick, and on a loaded host
 * that burst ran the program 4x as often as asked for seconds (16248 samples in 2 s at 999 Hz on
 * 2 CPUs), over-weighting those seconds and costing as much. */
static int perf_event_open_cpu(int cpu, int freq_hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ULL / (unsigned)freq_hz,
	};
	int fd;

	fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int sampler__attach(struct sampler *s)
{
	bool *online = NULL;
	int nr = 0, err;

	err = online_cpus(&online, &nr);
	if (err)
		return err;
	s->links = calloc(nr, sizeof(*s->links));
	if (!s->links) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int cpu = 0; cpu < nr; cpu++) {
		struct bpf_link *link;
		int fd;

		if (!online[cpu])
			continue;
		fd = perf_event_open_cpu(cpu, s->freq_hz);
		if (fd == -ENODEV)
			continue; /* went offline meanwhile */
		if (fd < 0) {
			err = fd;
			goto cleanup;
		}
		link = bpf_program__attach_perf_event(s->skel->progs.on_cpu_sample, fd);
		if (!link) {
			err = -errno;
			close(fd);
			goto cleanup;
		}
		s->links[s->nr_links++] = link; /* the link owns fd now */
	}
	if (s->nr_links == 0) {
		err = -ENODEV;
		goto cleanup;
	}
	s->nr_attached = s->nr_links;
	/* the tracepoints (exec, and fork when following children); perf_event programs are
	 * attached above, the skeleton skips them */
	err = flamed_bpf__attach(s->skel);
	if (err)
		goto cleanup;
	err = 0;
cleanup:
	free(online);
	return err;
}

int sampler__event_fd(const struct sampler *s)
{
	return ring_buffer__epoll_fd(s->events);
}

int sampler__poll_events(struct sampler *s)
{
	return ring_buffer__consume(s->events);
}

/* Read every entry of a quiescent map in batches, deleting as it goes. */
static int drain_map(struct sampler *s, struct bpf_map *map, size_t key_sz, size_t val_sz,
		     int (*fn)(struct sampler *s, const void *key, const void *val, void *ctx),
		     void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(map);
	__u64 in_batch = 0, out_batch = 0;
	bool first = true;

	for (;;) {
		__u32 n = drain_batch(s);
		int err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in_batch, &out_batch,
							  s->keys, s->values, &n, &opts);
		int saved = err ? -errno : 0;

		for (__u32 i = 0; i < n; i++) {
			int rc = fn(s, (char *)s->keys + i * key_sz, (char *)s->values + i * val_sz,
				    ctx);
			if (rc < 0)
				return rc;
		}
		if (saved == -ENOENT)
			return 0; /* done */
		if (saved)
			return saved;
		in_batch = out_batch;
		first = false;
	}
}

struct drain_ctx {
	sampler_stack_fn on_stack;
	sampler_count_fn on_count;
	void *ctx;
};

static int drain_stack(struct sampler *s, const void *key, const void *val, void *ctx)
{
	struct drain_ctx *d = ctx;

	(void)s;
	return d->on_stack(*(const uint64_t *)key, val, d->ctx);
}

static int drain_count(struct sampler *s, const void *key, const void *val, void *ctx)
{
	struct drain_ctx *d = ctx;

	(void)s;
	return d->on_count(key, *(const uint64_t *)val, d->ctx);
}

/* The counts of generation gen still in the CPUs' count slots (flamed.h). Programs leave a slot of
 * an older generation alone until collected_gen says it was read, so the slots read here are
 * quiescent like the maps; afterwards the CPUs may reuse them. */
static int collect_count_slots(struct sampler *s, __u32 gen, struct drain_ctx *d)
{
	struct flamed_count_slots *all = calloc(s->nr_possible_cpus, sizeof(*all));
	__u32 zero = 0;
	int err = 0;

	if (!all)
		return -ENOMEM;
	if (bpf_map__lookup_elem(s->skel->maps.count_slots, &zero, sizeof(zero), all,
				 s->nr_possible_cpus * sizeof(*all), 0)) {
		err = -errno;
		goto cleanup;
	}
	for (int c = 0; c < s->nr_possible_cpus; c++) {
		for (int i = 0; i < FLAMED_COUNT_SLOTS; i++) {
			const struct flamed_count_slot *cs = &all[c].s[i];

			if (cs->n && cs->gen == gen) {
				err = d->on_count(&cs->key, cs->n, d->ctx);
				if (err < 0)
					goto cleanup;
			}
		}
	}
	err = 0;
	__atomic_store_n(&s->skel->data->collected_gen, gen, __ATOMIC_SEQ_CST);
cleanup:
	free(all);
	return err;
}

/* Metric m summed over the CPUs, through percpu (room for every possible CPU); 0 when it cannot
 * be read. */
static uint64_t metric_sum(const struct sampler *s, __u32 m, __u64 *percpu)
{
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.metrics), &m, percpu))
		return 0;
	for (int c = 0; c < s->nr_possible_cpus; c++)
		sum += percpu[c];
	return sum;
}

/* The off-CPU threshold for the next second, from the waits kept since the last adjustment
 * against the budget for that time on every CPU sampled. */
static void adjust_offcpu_threshold(struct sampler *s)
{
	uint64_t now = mono_ns(), kept, budget, t;
	__u64 *percpu;

	if (!s->off_cpu || !s->nr_attached)
		return;
	percpu = calloc(s->nr_possible_cpus, sizeof(*percpu));
	if (!percpu)
		return; /* next time */
	kept = metric_sum(s, FLAMED_METRIC_OFFCPU_KEPT, percpu);
	free(percpu);
	if (s->offcpu_at_ns && now > s->offcpu_at_ns) {
		budget = (uint64_t)((double)s->offcpu_budget * s->nr_attached *
				    (double)(now - s->offcpu_at_ns) / 1e9);
		t = offcpu_budget_next(s->skel->data->offcpu_threshold_ns, s->offcpu_floor_ns,
				       kept - s->offcpu_kept,
				       s->offcpu_budget ? (budget ? budget : 1) : 0);
		__atomic_store_n(&s->skel->data->offcpu_threshold_ns, t, __ATOMIC_RELAXED);
		s->offcpu_thr.now_ns = t;
		if (t < s->offcpu_thr.min_ns)
			s->offcpu_thr.min_ns = t;
		if (t > s->offcpu_thr.max_ns)
			s->offcpu_thr.max_ns = t;
	}
	s->offcpu_kept = kept;
	s->offcpu_at_ns = now;
}

struct sampler_offcpu_threshold sampler__offcpu_threshold(const struct sampler *s)
{
	return s->offcpu_thr;
}

int sampler__drain(struct sampler *s, sampler_stack_fn on_stack, sampler_count_fn on_count,
		   sampler_count_fn on_offcpu, void *ctx)
{
	struct drain_ctx d = { .on_stack = on_stack, .on_count = on_count, .ctx = ctx };
	struct drain_ctx o = { .on_count = on_offcpu, .ctx = ctx };
	/* a perf_event program runs for microseconds with preemption off; 2 ms is ample for every
	 * program that read the old generation to finish before we read it */
	const struct timespec grace = { .tv_nsec = 2 * 1000 * 1000 };
	__u32 old = s->skel->bss->active_gen;
	struct bpf_map *stacks = old & 1 ? s->skel->maps.stacks1 : s->skel->maps.stacks0;
	struct bpf_map *counts = old & 1 ? s->skel->maps.counts1 : s->skel->maps.counts0;
	struct bpf_map *offcpu = old & 1 ? s->skel->maps.offcpu1 : s->skel->maps.offcpu0;
	int err;

	/* a counter, not a bit: the program's per-CPU note of stacks already stored is tagged with
	 * it, and must not match again when these maps come back into use two drains later */
	__atomic_store_n(&s->skel->bss->active_gen, old + 1, __ATOMIC_SEQ_CST);
	nanosleep(&grace, NULL);
	err = drain_map(s, stacks, sizeof(__u64), sizeof(struct flamed_stack), drain_stack, &d);
	if (err)
		return err;
	err = drain_map(s, counts, sizeof(struct flamed_count_key), sizeof(__u64), drain_count, &d);
	if (!err && s->off_cpu && on_offcpu)
		err = drain_map(s, offcpu, sizeof(struct flamed_count_key), sizeof(__u64),
				drain_count, &o);
	if (err)
		return err;
	adjust_offcpu_threshold(s);
	/* a verdict noted by a sample while its task moved lives at most a drain */
	clear_cgroup_verdicts(s);
	return collect_count_slots(s, old, &d);
}

#define BATCH_BLOCKS 256 /* blocks per update syscall: a 1 MiB staging buffer */

int sampler__add_unwind_table(struct sampler *s, uint32_t table, const void *elems, uint32_t nr,
			      size_t *ret_bytes)
{
	const uint32_t per = FLAMED_UNWIND_BLOCK_ELEMS;
	uint32_t blocks = (nr + per - 1) / per, done = 0;
	struct flamed_unwind_block_key *keys = NULL;
	struct flamed_unwind_block *vals = NULL;
	int fd, err = 0;

	if (!s->tables || !nr)
		return -EINVAL;
	fd = bpf_map__fd(s->skel->maps.unwind_blocks);
	keys = calloc(BATCH_BLOCKS, sizeof(*keys));
	vals = calloc(BATCH_BLOCKS, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (done < blocks) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
		uint32_t n = blocks - done < BATCH_BLOCKS ? blocks - done : BATCH_BLOCKS;
		__u32 count = n;

		for (uint32_t i = 0; i < n; i++) {
			uint64_t first = (uint64_t)(done + i) * per;
			uint64_t len = nr - first < per ? nr - first : per;

			keys[i] = (struct flamed_unwind_block_key){ .table = table,
								    .block = done + i };
			memset(&vals[i], 0, sizeof(vals[i]));
			memcpy(vals[i].e, (const uint64_t *)elems + first, len * sizeof(uint64_t));
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, &bo)) {
			err = -errno;
			done += count;
			break;
		}
		done += n;
	}
	if (err) /* none of it is referred to yet */
		sampler__delete_unwind_table(s, table, done * per);
	else if (ret_bytes) /* the kernel's 4 KiB allocation per block */
		*ret_bytes = (size_t)blocks * 4096;
cleanup:
	free(keys);
	free(vals);
	return err;
}

int sampler__delete_unwind_table(struct sampler *s, uint32_t table, uint32_t nr)
{
	uint32_t blocks = (nr + FLAMED_UNWIND_BLOCK_ELEMS - 1) / FLAMED_UNWIND_BLOCK_ELEMS;
	int fd = bpf_map__fd(s->skel->maps.unwind_blocks), err = 0;

	for (uint32_t b = 0; b < blocks; b++) {
		struct flamed_unwind_block_key k = { .table = table, .block = b };

		if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
			err = -errno;
	}
	return err;
}

int sampler__set_unwind_proc(struct sampler *s, uint32_t tgid,
			     const struct flamed_unwind_proc *proc)
{
	if (bpf_map__update_elem(s->skel->maps.unwind_procs, &tgid, sizeof(tgid), proc,
				 sizeof(*proc), BPF_ANY))
		return -errno;
	return 0;
}

int sampler__delete_unwind_proc(struct sampler *s, uint32_t tgid)
{
	if (bpf_map__delete_elem(s->skel->maps.unwind_procs, &tgid, sizeof(tgid), 0))
		return -errno;
	return 0;
}

int sampler__set_rt_proc(struct sampler *s, uint32_t tgid, const struct flamed_rt_proc *proc)
{
	if (bpf_map__update_elem(s->skel->maps.rt_procs, &tgid, sizeof(tgid), proc, sizeof(*proc),
				 BPF_ANY))
		return -errno;
	/* after the update: a CPU that noted "no runtime" before it must look again */
	__atomic_fetch_add(&s->skel->bss->rt_epoch, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int sampler__delete_rt_proc(struct sampler *s, uint32_t tgid)
{
	if (bpf_map__delete_elem(s->skel->maps.rt_procs, &tgid, sizeof(tgid), 0))
		return -errno;
	__atomic_fetch_add(&s->skel->bss->rt_epoch, 1, __ATOMIC_SEQ_CST);
	return 0;
}

struct sampler_load_stats sampler__load_stats(const struct sampler *s)
{
	return s->load_stats;
}

int sampler__read_metrics(const struct sampler *s, uint64_t *out)
{
	__u64 *percpu = calloc(s->nr_possible_cpus, sizeof(*percpu));
	struct flamed_offcpu_cpu *oc = NULL;
	__u32 zero = 0;

	if (!percpu)
		return -ENOMEM;
	for (__u32 m = 0; m < FLAMED_METRIC__MAX; m++)
		out[m] = metric_sum(s, m, percpu);
	free(percpu);
	/* the per-switch counts the off-CPU program keeps in its own per-CPU line */
	if (s->off_cpu && (oc = calloc(s->nr_possible_cpus, sizeof(*oc))) &&
	    !bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.offcpu_cpu), &zero, oc)) {
		for (int c = 0; c < s->nr_possible_cpus; c++) {
			out[FLAMED_METRIC_OFFCPU_WAITS] += oc[c].waits;
			out[FLAMED_METRIC_OFFCPU_NS_SEEN] += oc[c].ns_seen;
		}
	}
	free(oc);
	return 0;
}

int sampler__nr_cpus(const struct sampler *s)
{
	return s->nr_attached;
}

size_t sampler__map_bytes(const struct sampler *s)
{
	size_t per_gen = (size_t)s->map_entries *
			 (sizeof(struct flamed_count_key) + 8 + 8 + sizeof(struct flamed_stack));

	/* off-CPU: as many stacks again, and its own keys (at most, not preallocated) */
	if (s->off_cpu)
		per_gen += (size_t)s->map_entries *
			   (8 + sizeof(struct flamed_stack) + sizeof(struct flamed_count_key) + 8);

	return 2 * per_gen + 256 * 1024 /* events */ +
	       /* unwind_blocks: in the unwind_loader stats */
	       (s->tables ? (size_t)FLAMED_UNWIND_ROW_CACHE * 24 : 0) + 16384 * 24 /* known */ +
	       /* per-CPU arrays: scratch stacks, walker, recent processes, seen stacks, count
	        * slots */
	       (size_t)s->nr_possible_cpus * (bpf_map__value_size(s->skel->maps.scratch) * 2 +
					      bpf_map__value_size(s->skel->maps.walk_scratch) +
					      bpf_map__value_size(s->skel->maps.known_recent) +
					      bpf_map__value_size(s->skel->maps.stack_seen) +
					      bpf_map__value_size(s->skel->maps.count_slots));
}

void sampler__detach(struct sampler *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nr_links; i++)
		bpf_link__destroy(s->links[i]); /* closes the perf fd */
	s->nr_links = 0;
	flamed_bpf__detach(s->skel);
}

void sampler__free(struct sampler *s)
{
	if (!s)
		return;
	sampler__detach(s);
	free(s->links);
	ring_buffer__free(s->events);
	flamed_bpf__destroy(s->skel);
	free(s->verifier_log);
	free(s->offcpu_verifier_log);
	free(s->keys);
	free(s->values);
	free(s->cgroups);
	if (s->verdicts)
		munmap(s->verdicts, s->verdicts_size);
	free(s);
}
