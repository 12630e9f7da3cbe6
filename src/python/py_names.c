// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "python/py_names.h"

/* Append code point cp as UTF-8; control characters and invalid ones become '?'. */
static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
		cp = '?';
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 63));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 63));
		out[2] = (char)(0x80 | (cp & 63));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 63));
	out[2] = (char)(0x80 | (cp >> 6 & 63));
	out[3] = (char)(0x80 | (cp & 63));
	return 4;
}

size_t py_names__utf8(unsigned kind, const uint8_t *data, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint32_t cp = 0;

		if (kind == 1)
			cp = data[i];
		else if (kind == 2)
			cp = (uint32_t)data[2 * i] | (uint32_t)data[2 * i + 1] << 8;
		else
			memcpy(&cp, data + 4 * i, 4);
		n += put_utf8(out + n, cp);
	}
	out[n] = '\0';
	return n;
}

void py_names__module(const char *file, char *out, size_t sz)
{
	const char *base = strrchr(file, '/'), *end;
	size_t n;

	out[0] = '\0';
	if (!strncmp(file, "<frozen ", 8)) {
		end = strchr(file + 8, '>');
		n = end ? (size_t)(end - file - 8) : 0;
		snprintf(out, sz, "%.*s", (int)n, file + 8);
		return;
	}
	if (file[0] == '<')
		return;
	base = base ? base + 1 : file;
	if (!strcmp(base, "__init__.py") && base > file + 1) {
		const char *dir = base - 1;

		while (dir > file && dir[-1] != '/')
			dir--;
		snprintf(out, sz, "%.*s", (int)(base - 1 - dir), dir);
		return;
	}
	end = strrchr(base, '.');
	n = end ? (size_t)(end - base) : strlen(base);
	snprintf(out, sz, "%.*s", (int)n, base);
}
