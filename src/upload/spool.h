/* SPDX-License-Identifier: MIT */
/* The on-disk spool of one HTTP sink: a directory of zstd-compressed window blobs named by a
 * sequence number (<20 digits>.win.zst), each written atomically, bounded in total bytes with the
 * oldest evicted first. It survives a restart: opening a directory queues what is there. */
#ifndef FLAMED_UPLOAD_SPOOL_H
#define FLAMED_UPLOAD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool;

/* Open (mkdir if missing, mode 0700) dir, remove temp files a crash left, index the windows in
 * it. 0 and *ret_spool, or -errno. */
int spool__open(const char *dir, uint64_t max_bytes, struct spool **ret_spool);

/* Windows and bytes in the spool now. */
size_t spool__count(const struct spool *sp);
uint64_t spool__bytes(const struct spool *sp);
/* One past the highest sequence number present (1 when empty): where a new sink numbers from. */
uint64_t spool__next_seq(const struct spool *sp);
/* Sequence number of the oldest window, or -ENOENT. */
int spool__oldest(const struct spool *sp, uint64_t *ret_seq);
bool spool__has(const struct spool *sp, uint64_t seq);

/* Compress and store blob as seq, then evict the oldest windows (never `keep`) until the spool is
 * within max_bytes; *ret_evicted says how many went (possibly the new one). 0 or -errno. */
int spool__put(struct spool *sp, uint64_t seq, const uint8_t *blob, size_t len, uint64_t keep,
	       uint64_t *ret_evicted);

/* Read and decompress seq. *ret_blob malloc'ed, owned by the caller. 0 or -errno (-EINVAL for a
 * damaged file, -ENOENT). */
int spool__get(struct spool *sp, uint64_t seq, uint8_t **ret_blob, size_t *ret_len);

/* Delete seq (a no-op if absent). 0 or -errno. */
int spool__remove(struct spool *sp, uint64_t seq);

/* NULL-safe; the files stay. */
void spool__free(struct spool *sp);

#endif /* FLAMED_UPLOAD_SPOOL_H */
