/* SPDX-License-Identifier: MIT */
/* The sink interface behind upload.h: a base struct every sink embeds first, and the operations it
 * implements. Private to src/upload/. */
#ifndef FLAMED_UPLOAD_SINK_H
#define FLAMED_UPLOAD_SINK_H

#include "upload/upload.h"

struct sink;

struct sink_ops {
	const char *(*name)(const struct sink *s);
	int (*submit)(struct sink *s, const struct upload_window *w);
	int (*poll)(struct sink *s, int timeout_ms);  /* NULL: nothing to drive */
	int (*flush)(struct sink *s, int timeout_ms); /* NULL: nothing queued, ever */
	void (*free)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	enum upload_payload payload;
	struct upload_stats stats;
	upload_log_fn log;
	void *log_ctx;
};

/* Format a message and hand it to the sink's log callback (if any). */
void sink_log(const struct sink *s, enum upload_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 0 when every label name is [A-Za-z_][A-Za-z0-9_]* and the window has pprof bytes, else -EINVAL. */
int sink_check_window(const struct upload_window *w);

#endif /* FLAMED_UPLOAD_SINK_H */
