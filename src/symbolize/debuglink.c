// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "symbolize/debuglink.h"

#define CRC_CHUNK  (256u << 10) /* read at a time: a debug file is never held whole */
#define ALT_ID_MAX 64

int debuglink__parse(const void *buf, size_t len, int little_endian, const char **ret_name,
		     uint32_t *ret_crc)
{
	const uint8_t *p = buf;
	const char *name = buf;
	size_t n, off;

	if (!buf || !len)
		return -EINVAL;
	n = strnlen(name, len);
	if (n == len || !n || n > DEBUGLINK_NAME_MAX || memchr(name, '/', n) ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	off = (n + 1 + 3) & ~(size_t)3;
	if (off > len || len - off < 4)
		return -EINVAL;
	p += off;
	*ret_crc = little_endian ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
					   (uint32_t)p[3] << 24
				 : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
					   (uint32_t)p[0] << 24;
	*ret_name = name;
	return 0;
}

int debuglink__parse_alt(const void *buf, size_t len, const char **ret_name,
			 const uint8_t **ret_build_id, size_t *ret_id_len)
{
	const char *name = buf;
	size_t n;

	if (!buf || !len)
		return -EINVAL;
	n = strnlen(name, len);
	if (n == len || !n || len - n - 1 > ALT_ID_MAX || len - n - 1 == 0)
		return -EINVAL;
	*ret_name = name;
	*ret_build_id = (const uint8_t *)buf + n + 1;
	*ret_id_len = len - n - 1;
	return 0;
}

int debuglink__crc32_fd(int fd, uint32_t *ret_crc)
{
	uLong crc = crc32(0, Z_NULL, 0);
	unsigned char *chunk = malloc(CRC_CHUNK);
	off_t off = 0;
	ssize_t n;
	int err = 0;

	if (!chunk)
		return -ENOMEM;
	for (;;) {
		n = pread(fd, chunk, CRC_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		crc = crc32(crc, chunk, (uInt)n);
		off += n;
	}
	*ret_crc = (uint32_t)crc;
cleanup:
	free(chunk);
	return err;
}
