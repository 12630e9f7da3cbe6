// SPDX-License-Identifier: MIT
/* Response parsing (see response.h). Every input byte may be hostile: lengths are checked, numbers
 * bounded, output always NUL-terminated. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "upload/response.h"
#include "util/parse.h"

/* A Retry-After of more than a day is treated as a day; the sink caps it further. */
#define RETRY_AFTER_MAX_S 86400

void response_init(struct upload_response *r)
{
	r->grpc_status = -1;
	r->grpc_message[0] = '\0';
	r->retry_after_ms = -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split "Name: value" into name and a trimmed value; false if there is no colon. */
static bool split_header(const char *line, size_t len, size_t *ret_name_len, const char **ret_val,
			 size_t *ret_val_len)
{
	const char *colon = memchr(line, ':', len);
	const char *v, *end = line + len;

	if (!colon)
		return false;
	v = colon + 1;
	while (v < end && is_space(*v))
		v++;
	while (end > v && is_space(end[-1]))
		end--;
	*ret_name_len = (size_t)(colon - line);
	*ret_val = v;
	*ret_val_len = (size_t)(end - v);
	return true;
}

static bool name_is(const char *line, size_t name_len, const char *want)
{
	return name_len == strlen(want) && !strncasecmp(line, want, name_len);
}

/* grpc-message is percent-encoded (gRPC over HTTP/2 spec); decoded bytes outside printable ASCII
 * become '?' so the message is safe for one log line. */
static void decode_grpc_message(const char *v, size_t len, char *out, size_t out_size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < out_size; i++) {
		int c = (unsigned char)v[i];

		if (c == '%' && i + 2 < len && parse_hex_digit(v[i + 1]) >= 0 &&
		    parse_hex_digit(v[i + 2]) >= 0) {
			c = parse_hex_digit(v[i + 1]) * 16 + parse_hex_digit(v[i + 2]);
			i += 2;
		}
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = '\0';
}

static int parse_uint(const char *v, size_t len, long max, long *ret)
{
	long n = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		if (n > max)
			continue; /* saturate: keep reading digits to reject junk after them */
		n = n * 10 + (v[i] - '0');
	}
	*ret = n > max ? max : n;
	return 0;
}

int response_retry_after(const char *value, size_t len, int64_t now_s, int64_t *ret_ms)
{
	char date[128];
	time_t t;
	long s;

	if (!parse_uint(value, len, RETRY_AFTER_MAX_S, &s)) {
		*ret_ms = (int64_t)s * 1000;
		return 0;
	}
	if (!len || len >= sizeof(date))
		return -EINVAL;
	memcpy(date, value, len);
	date[len] = '\0';
	/* libcurl's parser knows the three HTTP date forms (RFC 9110 §5.6.7) */
	t = curl_getdate(date, NULL);
	if (t == (time_t)-1)
		return -EINVAL;
	s = t <= now_s ? 0
		       : (t - now_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)(t - now_s));
	*ret_ms = (int64_t)s * 1000;
	return 0;
}

void response_header(struct upload_response *r, const char *line, size_t len, int64_t now_s)
{
	size_t name_len, val_len;
	const char *val;
	long status;

	if (!split_header(line, len, &name_len, &val, &val_len))
		return;
	if (name_is(line, name_len, "grpc-status")) {
		if (!parse_uint(val, val_len, 1000, &status))
			r->grpc_status = (int)status;
	} else if (name_is(line, name_len, "grpc-message")) {
		decode_grpc_message(val, val_len, r->grpc_message, sizeof(r->grpc_message));
	} else if (name_is(line, name_len, "retry-after")) {
		int64_t ms;

		if (!response_retry_after(val, val_len, now_s, &ms))
			r->retry_after_ms = ms;
	}
}

int response_grpc_web_body(struct upload_response *r, const uint8_t *body, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t flag;
		uint32_t n;

		if (len - off < 5)
			return -EINVAL;
		flag = body[off];
		n = (uint32_t)body[off + 1] << 24 | (uint32_t)body[off + 2] << 16 |
		    (uint32_t)body[off + 3] << 8 | body[off + 4];
		off += 5;
		if (n > len - off)
			return -EINVAL;
		if (flag == 0x80) {
			/* trailer frame: "name:value\r\n" lines, like HTTP/1.1 headers */
			const char *p = (const char *)body + off, *end = p + n;

			while (p < end) {
				const char *eol = memchr(p, '\n', (size_t)(end - p));
				size_t l = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);

				response_header(r, p, l, 0);
				p += l;
			}
		} else if (flag != 0x00) {
			return -EINVAL;
		}
		off += n;
	}
	return 0;
}

static bool grpc_transient(int status)
{
	/* DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE: the gRPC retry-safe codes */
	return status == 4 || status == 8 || status == 10 || status == 14;
}

enum upload_verdict response_verdict(long http_status, bool grpc, const struct upload_response *r)
{
	if (http_status == 0 || http_status == 408 || http_status == 429 || http_status >= 500)
		return UPLOAD_RETRY;
	if (http_status < 200 || http_status >= 300)
		return UPLOAD_REJECT;
	if (!grpc)
		return UPLOAD_OK;
	if (r->grpc_status == 0)
		return UPLOAD_OK;
	return grpc_transient(r->grpc_status) ? UPLOAD_RETRY : UPLOAD_REJECT;
}

void response_message(const uint8_t *body, size_t len, char *out, size_t out_size)
{
	size_t o = 0;

	if (!out_size)
		return;
	for (size_t i = 0; i < len && o + 1 < out_size; i++)
		out[o++] = body[i] >= 0x20 && body[i] < 0x7f ? (char)body[i] : '?';
	out[o] = '\0';
}
