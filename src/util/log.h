/* SPDX-License-Identifier: MIT */
/* The one logger: "flamed: message" on stderr. Library modules do not log above debug; main.c
 * and the capture loop log where decisions are made. */
#ifndef FLAMED_LOG_H
#define FLAMED_LOG_H

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Messages above this level are dropped. Default LOG_INFO; -v raises it to LOG_DEBUG. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void flamed_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) flamed_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  flamed_log(LOG_WARN, __VA_ARGS__)
#define log_info(...)  flamed_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) flamed_log(LOG_DEBUG, __VA_ARGS__)

#endif /* FLAMED_LOG_H */
