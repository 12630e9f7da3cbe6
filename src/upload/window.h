/* SPDX-License-Identifier: MIT */
/* A window as one flat blob: what the HTTP sinks queue in memory and what the spool compresses to
 * disk, so a restart recovers the labels and times with the profile. Little-endian:
 *   "FLW1" | i64 start_ns | i64 end_ns | u32 nr_labels | str service | str host
 *   | nr_labels x (str key, str value) | u32 payload_len | payload
 * where str = u32 length (0 = absent) then that many bytes, the last one a NUL. The series name
 * (upload_window.series_name) is stored as a last label "__name__", which no caller's label may
 * be: blobs of windows without one, older spool files included, read as before. */
#ifndef FLAMED_UPLOAD_WINDOW_H
#define FLAMED_UPLOAD_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "upload/upload.h"

/* More labels than this is a caller bug (Pyroscope allows 30 per series). */
#define WINDOW_MAX_LABELS 64

/* Flatten w into a malloc'ed blob (*ret_blob owned by the caller). 0 or -errno (-EINVAL: too many
 * labels, -ENOMEM). */
int window_encode(const struct upload_window *w, uint8_t **ret_blob, size_t *ret_len);

/* A decoded blob: window points into the blob (which must outlive it) and into labels. */
struct window_view {
	struct upload_window window;
	struct upload_label labels[WINDOW_MAX_LABELS];
};

/* Parse a blob without copying. 0 or -EINVAL (truncated, bad magic, a string without its NUL,
 * trailing bytes, too many labels, empty payload). */
int window_decode(const uint8_t *blob, size_t len, struct window_view *ret_view);

#endif /* FLAMED_UPLOAD_WINDOW_H */
