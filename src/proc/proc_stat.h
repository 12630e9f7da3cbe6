/* SPDX-License-Identifier: MIT */
/* /proc/PID/stat and /proc/PID/comm: parsing (pure, fuzzed) and bounded reads. A process chooses
 * its own name, so the text between "(" and ")" may hold anything the kernel allows: spaces,
 * newlines, parentheses; only the first '(' and the last ')' delimit it. */
#ifndef FLAMED_PROC_STAT_H
#define FLAMED_PROC_STAT_H

#include <stddef.h>
#include <stdint.h>

#define PROC_COMM_LEN 16 /* TASK_COMM_LEN: 15 bytes and a NUL */

struct proc_stat {
	char comm[PROC_COMM_LEN]; /* as the kernel has it, NUL-terminated, truncated to 15 bytes */
	char state;		  /* field 3: R, S, D, Z, ... */
	uint64_t start_time;	  /* field 22: clock ticks since boot */
};

/* Parse the whole text of a stat file (not NUL-terminated; len bytes). 0 or -EINVAL. */
int proc_stat_parse(const char *text, size_t len, struct proc_stat *ret_stat);

/* Parse the text of a comm file: the name up to the final '\n' (one newline inside the name is
 * kept), truncated to 15 bytes. 0 or -EINVAL (empty). */
int proc_comm_parse(const char *text, size_t len, char ret_comm[PROC_COMM_LEN]);

/* Read /proc/tgid/stat in one bounded read and parse it. 0, -ESRCH (gone) or -EINVAL. */
int proc_stat__read(uint32_t tgid, struct proc_stat *ret_stat);

/* Read /proc/tgid/comm. 0, -ESRCH (gone) or -EINVAL. */
int proc_comm__read(uint32_t tgid, char ret_comm[PROC_COMM_LEN]);

#endif /* FLAMED_PROC_STAT_H */
