// SPDX-License-Identifier: MIT
/* flamed_bpf_floor HZ SECONDS: runs bench/bpf_floor.bpf.c on a cpu-clock event per online CPU at
 * HZ (attributes as flamed's sampler sets them) for SECONDS, then prints "NS_PER_RUN RUNS" from
 * the program's run_time_ns and run_cnt (kernel.bpf_stats_enabled=1 must be set: figure 3 does).
 * As root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_floor.skel.h"

int main(int argc, char **argv)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	struct bpf_floor_bpf *skel;
	int hz, secs, ncpu, err = 1;

	if (argc != 3 || (hz = atoi(argv[1])) <= 0 || (secs = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: flamed_bpf_floor HZ SECONDS\n");
		return 2;
	}
	skel = bpf_floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "flamed_bpf_floor: load: %s\n", strerror(errno));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_period = 1000000000ULL / (unsigned)hz,
		};
		int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0 && errno == ENODEV)
			continue; /* a possible CPU that is offline */
		if (fd < 0 || !bpf_program__attach_perf_event(skel->progs.floor_sample, fd)) {
			fprintf(stderr, "flamed_bpf_floor: cpu %d: %s\n", cpu, strerror(errno));
			goto cleanup;
		}
	}
	sleep(secs);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.floor_sample), &info, &len)) {
		fprintf(stderr, "flamed_bpf_floor: prog info: %s\n", strerror(errno));
		goto cleanup;
	}
	printf("%llu %llu\n",
	       info.run_cnt ? (unsigned long long)(info.run_time_ns / info.run_cnt) : 0,
	       (unsigned long long)info.run_cnt);
	err = 0;
cleanup:
	bpf_floor_bpf__destroy(skel); /* the links and events close at exit */
	return err;
}
