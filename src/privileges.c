// SPDX-License-Identifier: MIT
/* Capabilities through the raw capget/capset syscalls and prctl: libcap is not a dependency, and
 * the three calls below are all flamed needs of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "output/output.h"
#include "privileges.h"
#include "util/log.h"

#define PRIV_MAX_CAP 63

static const char *const cap_names[] = {
	"cap_chown",
	"cap_dac_override",
	"cap_dac_read_search",
	"cap_fowner",
	"cap_fsetid",
	"cap_kill",
	"cap_setgid",
	"cap_setuid",
	"cap_setpcap",
	"cap_linux_immutable",
	"cap_net_bind_service",
	"cap_net_broadcast",
	"cap_net_admin",
	"cap_net_raw",
	"cap_ipc_lock",
	"cap_ipc_owner",
	"cap_sys_module",
	"cap_sys_rawio",
	"cap_sys_chroot",
	"cap_sys_ptrace",
	"cap_sys_pacct",
	"cap_sys_admin",
	"cap_sys_boot",
	"cap_sys_nice",
	"cap_sys_resource",
	"cap_sys_time",
	"cap_sys_tty_config",
	"cap_mknod",
	"cap_lease",
	"cap_audit_write",
	"cap_audit_control",
	"cap_setfcap",
	"cap_mac_override",
	"cap_mac_admin",
	"cap_syslog",
	"cap_wake_alarm",
	"cap_block_suspend",
	"cap_audit_read",
	"cap_perfmon",
	"cap_bpf",
	"cap_checkpoint_restore",
};

uint64_t privileges_steady_set(void)
{
	return PRIV_CAP(CAP_SYS_PTRACE) | PRIV_CAP(CAP_CHECKPOINT_RESTORE) |
	       PRIV_CAP(CAP_DAC_READ_SEARCH) | PRIV_CAP(CAP_SYSLOG);
}

static int cap_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

static int cap_set(uint64_t effective, uint64_t permitted)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)effective, (uint32_t)permitted, 0 },
		{ (uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), 0 },
	};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int privileges_get(uint64_t *ret_effective, uint64_t *ret_permitted)
{
	struct __user_cap_data_struct data[2] = { 0 };
	int err = cap_get(data);

	if (err)
		return err;
	if (ret_effective)
		*ret_effective = data[0].effective | (uint64_t)data[1].effective << 32;
	if (ret_permitted)
		*ret_permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	return 0;
}

int privileges_lower_effective(uint64_t effective)
{
	uint64_t permitted;
	int err = privileges_get(NULL, &permitted);

	return err ? err : cap_set(effective & permitted, permitted);
}

int privileges_drop(uint64_t keep, uint64_t *ret_kept)
{
	uint64_t effective, permitted;
	int err;

	err = privileges_get(&effective, &permitted);
	if (err)
		return err;
	keep &= permitted;
	/* back to the full permitted set first: an earlier privileges_lower_effective() may have
	 * taken CAP_SETPCAP out of the effective set */
	err = cap_set(permitted, permitted);
	if (err)
		return err;
	effective = permitted;
	/* ambient capabilities would survive an exec of an unprivileged binary */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	/* the bounding set needs CAP_SETPCAP, dropped last; without it, no_new_privs still stops
	 * an exec from gaining what was dropped */
	if (effective & PRIV_CAP(CAP_SETPCAP)) {
		for (int cap = 0; cap <= PRIV_MAX_CAP; cap++) {
			if (cap == CAP_SETPCAP || (keep & PRIV_CAP(cap)))
				continue;
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
				return -errno; /* EINVAL: past the kernel's last capability */
		}
		if (!(keep & PRIV_CAP(CAP_SETPCAP)) && prctl(PR_CAPBSET_DROP, CAP_SETPCAP, 0, 0, 0))
			return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	err = cap_set(keep, keep);
	if (err)
		return err;
	err = privileges_get(&effective, &permitted);
	if (err)
		return err;
	if (effective != keep || permitted != keep)
		return -EPERM; /* the kernel kept more than asked: do not pretend */
	if (ret_kept)
		*ret_kept = effective;
	return 0;
}

void privileges_format(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = 0;
	for (int cap = 0; cap <= PRIV_MAX_CAP && off < len; cap++) {
		if (!(caps & PRIV_CAP(cap)))
			continue;
		if (cap < (int)(sizeof(cap_names) / sizeof(cap_names[0])))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						cap_names[cap]);
		else
			off += (size_t)snprintf(buf + off, len - off, "%scap_%d", off ? "," : "",
						cap);
	}
	if (!caps)
		snprintf(buf, len, "none");
}

/* Can the reduced set write there? A path ending in "/" is a directory to create files in. */
static int check_writable(const char *path, const struct output_opts *oo)
{
	size_t len = strlen(path);

	if (len && path[len - 1] == '/')
		return faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) ? -errno : 0;
	return output_check_writable(path, oo);
}

int privileges_drop_for_run(bool with_command, const char *const *paths, size_t nr_paths,
			    const struct output_opts *oo)
{
	uint64_t keep = privileges_steady_set(), effective = 0, kept = 0;
	char names[512];
	int err;

	err = privileges_get(&effective, NULL);
	if (err)
		return err;
	if (with_command) /* it may change uid (runuser, su), and must still be stopped */
		keep |= PRIV_CAP(CAP_KILL);
	if (oo && oo->has_owner && (oo->uid != geteuid() || oo->gid != getegid()))
		keep |= PRIV_CAP(CAP_CHOWN);
	/* an output directory of another user (sudo in a home directory) is writable only with
	 * CAP_DAC_OVERRIDE: try the outputs with the reduced set before committing to it */
	err = privileges_lower_effective(keep);
	for (size_t i = 0; !err && i < nr_paths; i++) {
		int werr = check_writable(paths[i], oo);

		if ((werr == -EACCES || werr == -EPERM) &&
		    (effective & PRIV_CAP(CAP_DAC_OVERRIDE))) {
			log_debug("privileges: keeping cap_dac_override, which '%s' needs",
				  paths[i]);
			keep |= PRIV_CAP(CAP_DAC_OVERRIDE);
			break;
		}
	}
	if (!err)
		err = privileges_drop(keep, &kept);
	if (err)
		return err;
	privileges_format(kept, names, sizeof(names));
	log_debug("privileges: kept %s; dropped the rest, no new privileges", names);
	return 0;
}
