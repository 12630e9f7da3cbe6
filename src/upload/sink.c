// SPDX-License-Identifier: MIT
/* The generic half of struct sink: dispatch to the implementation, logging, window checks. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "upload/sink.h"

void sink_log(const struct sink *s, enum upload_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->log(s->log_ctx, level, msg);
}

static int check_label_name(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	for (const char *c = name; *c; c++) {
		bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';

		if (!alpha && !(c != name && *c >= '0' && *c <= '9'))
			return -EINVAL;
	}
	return 0;
}

int sink_check_window(const struct upload_window *w)
{
	if (!w || !w->payload || !w->payload_len)
		return -EINVAL;
	/* a metric name, as the label names are (no ':' needed) */
	if (w->series_name && check_label_name(w->series_name))
		return -EINVAL;
	for (size_t i = 0; i < w->nr_labels; i++) {
		const char *k = w->labels[i].key;

		/* the series labels every sink sets itself cannot be overridden */
		if (check_label_name(k) || !w->labels[i].value || !strcmp(k, "__name__") ||
		    !strcmp(k, "service_name") || !strcmp(k, "hostname"))
			return -EINVAL;
	}
	return 0;
}

int sink__submit(struct sink *s, const struct upload_window *w)
{
	int err = sink_check_window(w);

	if (err)
		return err;
	return s->ops->submit(s, w);
}

int sink__poll(struct sink *s, int timeout_ms)
{
	return s->ops->poll ? s->ops->poll(s, timeout_ms) : 0;
}

int sink__flush(struct sink *s, int timeout_ms)
{
	return s->ops->flush ? s->ops->flush(s, timeout_ms) : 0;
}

void sink__stats(const struct sink *s, struct upload_stats *ret_stats)
{
	*ret_stats = s->stats;
}

const char *sink__name(const struct sink *s)
{
	return s->ops->name(s);
}

enum upload_payload sink__payload(const struct sink *s)
{
	return s->payload;
}

void sink__free(struct sink *s)
{
	if (s)
		s->ops->free(s);
}
