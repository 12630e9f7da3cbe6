// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int preflight_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	bool admin;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	admin = has_cap(data, CAP_SYS_ADMIN);
	if ((admin || has_cap(data, CAP_BPF)) && (admin || has_cap(data, CAP_PERFMON)))
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
