// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "bpf/bpf_log.h"
#include "util/log.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_get_level() < LOG_DEBUG)
		return 0;
	if (level != LIBBPF_WARN && log_get_level() < LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bpf_log_install(void)
{
	libbpf_set_print(libbpf_print);
}
