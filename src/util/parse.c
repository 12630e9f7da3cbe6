// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define NSEC_PER_SEC 1000000000ULL

int parse_duration_ns(const char *s, uint64_t *ret_ns)
{
	static const struct {
		const char *suffix;
		double ns;
	} units
		[] = {
			{ "ns", 1 },	 { "us", 1e3 },	  { "ms", 1e6 },
			{ "s", 1e9 },	 { "sec", 1e9 },  { "m", 60e9 },
			{ "min", 60e9 }, { "h", 3600e9 }, { "", 1e9 }, /* bare number: seconds */
		};
	const double max_ns = 366.0 * 24 * 3600 * 1e9;
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v <= 0)
		return -EINVAL;
	if (strncasecmp(s, "inf", 3) == 0 || strncasecmp(s, "nan", 3) == 0 || strchr(s, 'x'))
		return -EINVAL; /* strtod accepts these; a duration does not */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			double ns = v * units[i].ns;

			if (ns < 1 || ns > max_ns)
				return -EINVAL;
			*ret_ns = (uint64_t)ns;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_size_bytes(const char *s, uint64_t *ret_bytes)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{ "", 1 },
		{ "b", 1 },
		{ "k", 1024.0 },
		{ "kb", 1024.0 },
		{ "kib", 1024.0 },
		{ "m", 1048576.0 },
		{ "mb", 1048576.0 },
		{ "mib", 1048576.0 },
		{ "g", 1073741824.0 },
		{ "gb", 1073741824.0 },
		{ "gib", 1073741824.0 },
		{ "t", 1099511627776.0 },
		{ "tb", 1099511627776.0 },
		{ "tib", 1099511627776.0 },
	};
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	if (strncasecmp(s, "inf", 3) == 0 || strncasecmp(s, "nan", 3) == 0 || strchr(s, 'x') ||
	    strchr(s, 'X') || strchr(s, 'p') || strchr(s, 'P') || strchr(s, 'e') || strchr(s, 'E'))
		return -EINVAL; /* strtod accepts hex floats and exponents; a size does not */
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v <= 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			double bytes = v * units[i].mult;

			if (bytes < 1 || bytes >= (double)(1ULL << 60))
				return -EINVAL;
			*ret_bytes = (uint64_t)bytes;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_int(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

const char *format_duration(uint64_t ns, char *buf, unsigned long len)
{
	if (ns % NSEC_PER_SEC == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / NSEC_PER_SEC));
	else if (ns < NSEC_PER_SEC)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000));
	else
		snprintf(buf, len, "%.1fs", (double)ns / NSEC_PER_SEC);
	return buf;
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
