// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "runtime/rt_mem.h"

int rt_mem__read(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!addr || addr > RT_MEM_USER_MAX || len > RT_MEM_USER_MAX - addr)
		return -EFAULT;
	if (!len)
		return 0;
	n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

uint64_t rt_mem__word(const uint8_t *buf, size_t len, size_t off)
{
	uint64_t v = 0;

	if (off <= len && len - off >= sizeof(v))
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

uint32_t rt_mem__u32(const uint8_t *buf, size_t len, size_t off)
{
	uint32_t v = 0;

	if (off <= len && len - off >= sizeof(v))
		memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* Bytes of the well-formed UTF-8 sequence at s[0, n) (no overlong forms, surrogates or code
 * points past U+10FFFF), 0 when there is none. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

size_t rt_mem__text(const uint8_t *src, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0, l;

	if (!cap)
		return 0;
	while (i < n && o + 1 < cap) {
		l = utf8_seq(src + i, n - i);
		if (!l || (l == 1 && (src[i] < 0x20 || src[i] == 0x7f))) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + l >= cap)
			break;
		memcpy(out + o, src + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return o;
}
