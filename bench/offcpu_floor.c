// SPDX-License-Identifier: MIT
/* flamed_offcpu_floor SECONDS: runs bench/offcpu_floor.bpf.c on sched_switch and sched_exit_tp for
 * SECONDS, then prints "sched_switch NS_PER_RUN RUNS" and "sched_exit_tp NS_PER_RUN RUNS" from
 * the programs' run_time_ns and run_cnt (kernel.bpf_stats_enabled=1 must be set: bench/offcpu.py
 * does). As root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "offcpu_floor.skel.h"

static int report(const char *name, const struct bpf_program *prog)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
		fprintf(stderr, "flamed_offcpu_floor: prog info: %s\n", strerror(errno));
		return 1;
	}
	printf("%s %llu %llu\n", name,
	       info.run_cnt ? (unsigned long long)(info.run_time_ns / info.run_cnt) : 0,
	       (unsigned long long)info.run_cnt);
	return 0;
}

int main(int argc, char **argv)
{
	struct offcpu_floor_bpf *skel;
	int secs, err = 1;

	if (argc != 2 || (secs = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: flamed_offcpu_floor SECONDS\n");
		return 2;
	}
	skel = offcpu_floor_bpf__open_and_load();
	if (!skel || offcpu_floor_bpf__attach(skel)) {
		fprintf(stderr, "flamed_offcpu_floor: load/attach: %s\n", strerror(errno));
		goto cleanup;
	}
	sleep(secs);
	err = report("sched_switch", skel->progs.floor_switch) |
	      report("sched_exit_tp", skel->progs.floor_exit);
cleanup:
	offcpu_floor_bpf__destroy(skel);
	return err;
}
