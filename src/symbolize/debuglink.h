/* SPDX-License-Identifier: MIT */
/* The two ELF sections that name a separate debug file: .gnu_debuglink (file name, padding, CRC-32
 * of the debug file) and .gnu_debugaltlink (dwz's shared file: name, build-id). Their contents come
 * from binaries other users control: every length is checked (fuzzed). */
#ifndef FLAMED_DEBUGLINK_H
#define FLAMED_DEBUGLINK_H

#include <stddef.h>
#include <stdint.h>

#define DEBUGLINK_NAME_MAX 255 /* a file name, not a path */

/* Parse .gnu_debuglink contents: a NUL-terminated base name (no '/', not "." or ".."), zero padding
 * to 4 bytes, then the CRC-32 in the file's byte order (little_endian says which). 0 with *ret_name
 * (borrowed from buf) and *ret_crc, or -EINVAL. */
int debuglink__parse(const void *buf, size_t len, int little_endian, const char **ret_name,
		     uint32_t *ret_crc);

/* Parse .gnu_debugaltlink contents: a NUL-terminated path, then the build-id bytes (the rest, 1 to
 * 64 bytes). 0 with *ret_name and *ret_build_id (both borrowed from buf) and *ret_id_len, or
 * -EINVAL. */
int debuglink__parse_alt(const void *buf, size_t len, const char **ret_name,
			 const uint8_t **ret_build_id, size_t *ret_id_len);

/* CRC-32 (zlib's, which .gnu_debuglink uses) of the whole file open on fd, read in chunks with
 * pread (never held whole). 0 and *ret_crc, or -errno. */
int debuglink__crc32_fd(int fd, uint32_t *ret_crc);

#endif /* FLAMED_DEBUGLINK_H */
