// SPDX-License-Identifier: MIT
/* URL → endpoint, transport and HTTP version for each protocol; the series labels they share. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upload/http.h"

#define PYROSCOPE_PUSH_PATH   "/push.v1.PusherService/Push"
#define PYROSCOPE_INGEST_PATH "/ingest"
#define PARCA_WRITERAW_PATH   "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"
#define OTLP_EXPORT_PATH \
	"/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"
#define OTLP_HTTP_PATH	"/v1development/profiles"
#define GRPC_PREFIX_LEN 5

static bool has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return !strncasecmp(url, scheme, n) && !strncmp(url + n, "://", 3);
}

/* 0 when libcurl parses url as an absolute http(s) URL with a host. */
static int check_url(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int err = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (!curl_url_set(u, CURLUPART_URL, url, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
	    host && *host)
		err = 0;
	curl_free(host);
	curl_url_cleanup(u);
	return err;
}

int http_target_init(struct http_target *t, enum upload_protocol protocol, const char *url,
		     unsigned int timeout_ms)
{
	const char *rest, *scheme, *path;
	size_t n;
	int err;

	if (!url)
		return -EINVAL;
	t->protocol = protocol;
	t->timeout_ms = timeout_ms;
	switch (protocol) {
	case UPLOAD_PYROSCOPE:
	case UPLOAD_PYROSCOPE_INGEST:
		if (!has_scheme(url, "http") && !has_scheme(url, "https"))
			return -EINVAL;
		scheme = has_scheme(url, "https") ? "https" : "http";
		t->wire = protocol == UPLOAD_PYROSCOPE ? WIRE_CONNECT : WIRE_INGEST;
		/* Connect may use h2 when TLS offers it; /ingest is plain HTTP/1.1 */
		t->http_version = protocol == UPLOAD_PYROSCOPE ? CURL_HTTP_VERSION_2TLS
							       : CURL_HTTP_VERSION_1_1;
		path = protocol == UPLOAD_PYROSCOPE ? PYROSCOPE_PUSH_PATH : PYROSCOPE_INGEST_PATH;
		break;
	case UPLOAD_PARCA:
		if (has_scheme(url, "grpc")) {
			scheme = "http";
			t->wire = WIRE_GRPC;
			/* h2c by prior knowledge: Go servers do not implement Upgrade: h2c */
			t->http_version = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
		} else if (has_scheme(url, "grpcs")) {
			scheme = "https";
			t->wire = WIRE_GRPC;
			t->http_version = CURL_HTTP_VERSION_2TLS;
		} else if (has_scheme(url, "http") || has_scheme(url, "https")) {
			scheme = has_scheme(url, "https") ? "https" : "http";
			t->wire = WIRE_GRPC_WEB;
			t->http_version = CURL_HTTP_VERSION_1_1;
		} else {
			return -EINVAL;
		}
		path = PARCA_WRITERAW_PATH;
		break;
	case UPLOAD_OTLP:
		if (has_scheme(url, "grpc") || has_scheme(url, "grpcs")) {
			scheme = has_scheme(url, "grpcs") ? "https" : "http";
			t->wire = WIRE_GRPC;
			t->http_version = has_scheme(url, "grpcs")
						  ? CURL_HTTP_VERSION_2TLS
						  : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
			path = OTLP_EXPORT_PATH;
		} else if (has_scheme(url, "http") || has_scheme(url, "https")) {
			scheme = has_scheme(url, "https") ? "https" : "http";
			t->wire = WIRE_PROTO;
			t->http_version = CURL_HTTP_VERSION_2TLS; /* h2 where TLS offers it */
			path = OTLP_HTTP_PATH;
		} else {
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	rest = strstr(url, "://") + 3;
	n = strlen(rest);
	while (n && rest[n - 1] == '/')
		n--; /* "http://host:4040/" and "http://host:4040" are the same base */
	if (!n || memchr(rest, '?', n) || memchr(rest, '#', n))
		return -EINVAL;
	/* an OTLP/HTTP URL may name the signal's path itself, as OTEL_EXPORTER_OTLP_*_ENDPOINT do */
	if (t->wire == WIRE_PROTO && n >= strlen(path) &&
	    !strncmp(rest + n - strlen(path), path, strlen(path)))
		path = "";
	if (asprintf(&t->endpoint, "%s://%.*s%s", scheme, (int)n, rest, path) < 0) {
		t->endpoint = NULL;
		return -ENOMEM;
	}
	err = check_url(t->endpoint);
	if (err) {
		free(t->endpoint);
		t->endpoint = NULL;
	}
	return err;
}

void http_target_free(struct http_target *t)
{
	free(t->endpoint);
	t->endpoint = NULL;
}

size_t http_series_labels(const struct upload_window *w, const char **names, const char **values,
			  size_t max)
{
	size_t n = 0;

#define ADD(k, v)                        \
	do {                             \
		if (n < max) {           \
			names[n] = (k);  \
			values[n] = (v); \
			n++;             \
		}                        \
	} while (0)
	ADD("__name__", w->series_name ? w->series_name : HTTP_SERIES_NAME);
	ADD("service_name", w->service_name ? w->service_name : "flamed");
	if (w->hostname)
		ADD("hostname", w->hostname);
	for (size_t i = 0; i < w->nr_labels; i++)
		ADD(w->labels[i].key, w->labels[i].value);
#undef ADD
	return n;
}

int http_request_header(struct http_request *req, const char *h)
{
	struct curl_slist *l = curl_slist_append(req->headers, h);

	if (!l)
		return -ENOMEM;
	req->headers = l;
	return 0;
}

int http_grpc_body(struct http_request *req, bool compressed, const uint8_t *msg, size_t len)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	req->body = malloc(GRPC_PREFIX_LEN + len);
	if (!req->body)
		return -ENOMEM;
	req->body[0] = compressed ? 1 : 0;
	req->body[1] = (uint8_t)(len >> 24);
	req->body[2] = (uint8_t)(len >> 16);
	req->body[3] = (uint8_t)(len >> 8);
	req->body[4] = (uint8_t)len;
	memcpy(req->body + GRPC_PREFIX_LEN, msg, len);
	req->body_len = GRPC_PREFIX_LEN + len;
	return 0;
}

/* Header names the protocols set themselves (or that framing owns): --otlp-header may not. */
static const char *const reserved_headers[] = {
	"content-type", "content-length", "content-encoding", "transfer-encoding",
	"te",		"host",		  "connection",	      "expect",
	"user-agent",	"upgrade",	  "keep-alive",
};

int upload_header_line(const char *kv, char *buf, size_t size, const char **ret_why)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;
	size_t name_len;

	*ret_why = "want NAME=VALUE";
	if (!eq || eq == kv)
		return -EINVAL;
	name_len = (size_t)(eq - kv);
	for (size_t i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)kv[i];

		/* RFC 9110 token characters */
		if (!(isalnum(c) || strchr("!#$%&'*+-.^_`|~", c))) {
			*ret_why = "the name must be an HTTP token (letters, digits, -_.)";
			return -EINVAL;
		}
	}
	for (const char *v = eq + 1; *v; v++) {
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e) {
			*ret_why = "the value must be printable ASCII";
			return -EINVAL;
		}
	}
	if (name_len >= 5 && !strncasecmp(kv, "grpc-", 5)) {
		*ret_why = "grpc-* headers belong to the gRPC transport";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++) {
		if (strlen(reserved_headers[i]) == name_len &&
		    !strncasecmp(kv, reserved_headers[i], name_len)) {
			*ret_why = "flamed sets that header itself";
			return -EINVAL;
		}
	}
	if (snprintf(buf, size, "%.*s: %s", (int)name_len, kv, eq + 1) >= (int)size) {
		*ret_why = "too long";
		return -EINVAL;
	}
	return 0;
}

void http_request_free(struct http_request *req)
{
	free(req->url);
	curl_slist_free_all(req->headers);
	free(req->body);
	curl_mime_free(req->mime);
	memset(req, 0, sizeof(*req));
}
