// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/sampler.h"
#include "cli.h"
#include "preflight.h"
#include "privileges.h"
#include "util/log.h"

int preflight_privileges(void)
{
	uint64_t eff = 0;
	bool admin;
	int err = privileges_get(&eff, NULL);

	if (err)
		return err;
	admin = eff & PRIV_CAP(CAP_SYS_ADMIN);
	if ((admin || (eff & PRIV_CAP(CAP_BPF))) && (admin || (eff & PRIV_CAP(CAP_PERFMON))))
		return 0;
	return -EPERM;
}

const char *preflight_btf_path(void)
{
	const char *p = getenv("FLAMED_BTF_PATH");

	return p && *p ? p : "/sys/kernel/btf/vmlinux";
}

int preflight_btf(const char *path)
{
	return access(path, R_OK) ? -errno : 0;
}

int preflight_freq(int freq_hz, int *ret_max)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "re");
	int max = 0;

	if (!f)
		return 0; /* cannot tell: let perf_event_open decide */
	if (fscanf(f, "%d", &max) != 1)
		max = 0;
	fclose(f);
	if (max > 0 && freq_hz > max) {
		*ret_max = max;
		return -ERANGE;
	}
	return 0;
}

int preflight_pid(int pid, int *ret_tgid)
{
	char path[64], line[256];
	int tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	if (tgid <= 0)
		return -ESRCH;
	*ret_tgid = tgid;
	return 0;
}

int preflight_check(const struct config *cfg)
{
	const char *btf = preflight_btf_path();
	int err, max_hz = 0, tgid;

	if (preflight_privileges()) {
		log_error("needs root, or CAP_BPF and CAP_PERFMON (try: sudo flamed ...)");
		return -EPERM;
	}
	err = preflight_btf(btf);
	if (err) {
		log_error("kernel BTF not found at %s (%s); a kernel built with "
			  "CONFIG_DEBUG_INFO_BTF=y is needed",
			  btf, strerror(-err));
		return err;
	}
	if (preflight_freq(cfg->freq_hz, &max_hz)) {
		log_error("-F %d is above kernel.perf_event_max_sample_rate (%d)", cfg->freq_hz,
			  max_hz);
		return -ERANGE;
	}
	if (cfg->off_cpu &&
	    !sampler_offcpu_supported(strcmp(btf, "/sys/kernel/btf/vmlinux") ? btf : NULL)) {
		log_error("--off-cpu needs Linux 6.16 or later: this kernel has no sched_exit_tp "
			  "tracepoint, where a thread that ran again still has its waiting stacks");
		return -ENOTSUP;
	}
	for (int i = 0; i < cfg->nr_pids; i++) {
		if (preflight_pid(cfg->pids[i], &tgid)) {
			log_error("no such process: %d", cfg->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}
