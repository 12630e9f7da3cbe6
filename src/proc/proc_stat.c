// SPDX-License-Identifier: MIT
/* /proc/PID/stat and comm parsers. Everything after the name is numbers the kernel writes, but
 * the name is the process's own choice: it is found by the last ')' of the whole file, never by
 * a line-based read that a newline in the name would cut short. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc/proc_stat.h"

/* stat is < 1 KiB (52 numeric fields and a 15-byte name); a larger read is not a stat file */
#define STAT_READ_MAX 4096

static int skip_field(const char *s, size_t len, size_t *pos)
{
	size_t start;

	if (*pos >= len || s[*pos] != ' ')
		return -EINVAL;
	(*pos)++;
	start = *pos;
	while (*pos < len && s[*pos] != ' ' && s[*pos] != '\n')
		(*pos)++;
	return *pos > start ? 0 : -EINVAL;
}

static int parse_u64(const char *s, size_t len, size_t *pos, uint64_t *ret_val)
{
	uint64_t val = 0;
	size_t start = *pos;

	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
		uint64_t d = (uint64_t)(s[*pos] - '0');

		if (val > (UINT64_MAX - d) / 10)
			return -EINVAL;
		val = val * 10 + d;
		(*pos)++;
	}
	if (*pos == start)
		return -EINVAL;
	*ret_val = val;
	return 0;
}

int proc_stat_parse(const char *text, size_t len, struct proc_stat *ret_stat)
{
	const char *open, *close = NULL;
	size_t pos, name_len;
	int field;

	if (!text || !ret_stat)
		return -EINVAL;
	memset(ret_stat, 0, sizeof(*ret_stat));
	open = memchr(text, '(', len);
	if (!open)
		return -EINVAL;
	for (size_t i = len; i-- > (size_t)(open - text) + 1;) {
		if (text[i] == ')') {
			close = text + i;
			break;
		}
	}
	if (!close)
		return -EINVAL;
	name_len = (size_t)(close - open - 1);
	if (name_len >= PROC_COMM_LEN)
		name_len = PROC_COMM_LEN - 1;
	memcpy(ret_stat->comm, open + 1, name_len);
	ret_stat->comm[name_len] = 0;

	/* ") S ppid ...": field 3 is the state, starttime is field 22 */
	pos = (size_t)(close - text) + 1;
	if (pos + 2 > len || text[pos] != ' ' || !isalpha((unsigned char)text[pos + 1]))
		return -EINVAL;
	ret_stat->state = text[pos + 1];
	pos += 2;
	for (field = 4; field < 22; field++)
		if (skip_field(text, len, &pos))
			return -EINVAL;
	if (pos >= len || text[pos] != ' ')
		return -EINVAL;
	pos++;
	return parse_u64(text, len, &pos, &ret_stat->start_time);
}

int proc_comm_parse(const char *text, size_t len, char ret_comm[PROC_COMM_LEN])
{
	if (!text || !ret_comm)
		return -EINVAL;
	if (len && text[len - 1] == '\n')
		len--; /* the kernel's terminator; a newline inside the name stays */
	if (!len)
		return -EINVAL;
	if (len >= PROC_COMM_LEN)
		len = PROC_COMM_LEN - 1;
	memcpy(ret_comm, text, len);
	ret_comm[len] = 0;
	/* a NUL inside the name cannot come from the kernel; the name ends there */
	return ret_comm[0] ? 0 : -EINVAL;
}

/* One read of at most max bytes: procfs generates these small files whole on the first read. */
static int read_small(uint32_t tgid, const char *name, char *buf, size_t max, size_t *ret_len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/%s", tgid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	do
		n = read(fd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n == -ESRCH ? -ESRCH : (int)n;
	*ret_len = (size_t)n;
	return 0;
}

int proc_stat__read(uint32_t tgid, struct proc_stat *ret_stat)
{
	char buf[STAT_READ_MAX];
	size_t len;
	int err;

	err = read_small(tgid, "stat", buf, sizeof(buf), &len);
	if (err)
		return err;
	return proc_stat_parse(buf, len, ret_stat);
}

int proc_comm__read(uint32_t tgid, char ret_comm[PROC_COMM_LEN])
{
	char buf[64];
	size_t len;
	int err;

	err = read_small(tgid, "comm", buf, sizeof(buf), &len);
	if (err)
		return err;
	return proc_comm_parse(buf, len, ret_comm);
}
