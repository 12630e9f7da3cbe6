/* SPDX-License-Identifier: MIT */
/* Debug files from debuginfod servers (libdebuginfod), fetched on a worker thread so that neither
 * sampling nor the drain nor a window's build ever waits on the network: a lookup answers at once
 * with the file if it was fetched, or queues the build-id and says "not yet" (frames of that file
 * keep their ELF symbol names until a later window). Downloads land in libdebuginfod's on-disk
 * cache (DEBUGINFOD_CACHE_PATH), so a restart does not fetch again. */
#ifndef FLAMED_DEBUGINFOD_FETCH_H
#define FLAMED_DEBUGINFOD_FETCH_H

#include <stddef.h>
#include <stdint.h>

#define DFETCH_MAX_IDS 4096 /* build-ids remembered (fetched, failed or queued) */
/* Where downloads go when DEBUGINFOD_CACHE_PATH is not set. */
#define DFETCH_DEFAULT_CACHE "/var/cache/flamed/debuginfod"

struct dfetch;

struct dfetch_stats {
	uint64_t queued;  /* build-ids asked for */
	uint64_t fetched; /* found on a server (or in the cache) */
	uint64_t failed;  /* no server had it, or it failed */
	uint64_t refused; /* beyond DFETCH_MAX_IDS: not asked */
};

/* Servers from DEBUGINFOD_URLS, else from /etc/debuginfod/ *.urls (Debian's
 * libdebuginfod-common). Sets DEBUGINFOD_URLS / DEBUGINFOD_CACHE_PATH in the environment when
 * unset: call before other threads start. 0, or -ENOENT when no server is configured. */
int dfetch__configure(void);

/* Start the worker. NULL with errno. */
struct dfetch *dfetch__new(void);

/* The debug file of build_id (lower-case hex): 0 with its path copied into path (a host path in
 * the cache), -EAGAIN when queued or in flight (ask again later), -ENOENT when no server has it or
 * it cannot be asked. Never blocks on the network. */
int dfetch__get(struct dfetch *d, const char *build_id, char *path, size_t path_sz);

/* Wait until nothing is queued or in flight, or timeout_ms passed (tests, --once at exit).
 * 0 or -ETIMEDOUT. */
int dfetch__drain(struct dfetch *d, int timeout_ms);

struct dfetch_stats dfetch__stats(struct dfetch *d);

/* Stops the worker (an in-flight download is aborted). NULL-safe. */
void dfetch__free(struct dfetch *d);

#endif /* FLAMED_DEBUGINFOD_FETCH_H */
