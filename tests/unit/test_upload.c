// SPDX-License-Identifier: MIT
/* src/upload pieces without a network: the window blob codec (round trip, every truncation
 * refused), the response parsers (headers and trailers, Retry-After forms, gRPC-Web frames,
 * verdicts), the spool (order, eviction, restart, damaged files) and sink option checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "upload/response.h"
#include "upload/spool.h"
#include "upload/upload.h"
#include "upload/sink.h"
#include "upload/window.h"

static const uint8_t pprof_bytes[] = { 0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5 };

static struct upload_window sample_window(void)
{
	static const struct upload_label labels[] = { { "env", "prod" }, { "zone", "eu-1" } };

	return (struct upload_window){ .payload = pprof_bytes,
				       .payload_len = sizeof(pprof_bytes),
				       .start_ns = 1795776000000000000LL,
				       .end_ns = 1795776015000000000LL,
				       .service_name = "svc",
				       .hostname = NULL,
				       .labels = labels,
				       .nr_labels = 2 };
}

static void test_window_round_trip(void **state)
{
	struct upload_window w = sample_window();
	struct window_view v;
	uint8_t *blob;
	size_t len;

	(void)state;
	assert_int_equal(window_encode(&w, &blob, &len), 0);
	assert_int_equal(window_decode(blob, len, &v), 0);
	assert_int_equal(v.window.start_ns, w.start_ns);
	assert_int_equal(v.window.end_ns, w.end_ns);
	assert_string_equal(v.window.service_name, "svc");
	assert_null(v.window.hostname);
	assert_int_equal(v.window.nr_labels, 2);
	assert_string_equal(v.window.labels[1].key, "zone");
	assert_string_equal(v.window.labels[1].value, "eu-1");
	assert_int_equal(v.window.payload_len, sizeof(pprof_bytes));
	assert_memory_equal(v.window.payload, pprof_bytes, sizeof(pprof_bytes));
	/* every truncation and a trailing byte are refused, never read past */
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, blob, n);
		assert_int_equal(window_decode(cut, n, &v), -EINVAL);
		free(cut);
	}
	blob = realloc(blob, len + 1);
	blob[len] = 0;
	assert_int_equal(window_decode(blob, len + 1, &v), -EINVAL);
	free(blob);
	assert_null(v.window.series_name); /* a window without one: "process_cpu" */

	/* a series name goes through the blob (as a last "__name__" label) and comes back apart */
	w.series_name = "offcpu";
	assert_int_equal(window_encode(&w, &blob, &len), 0);
	assert_int_equal(window_decode(blob, len, &v), 0);
	assert_string_equal(v.window.series_name, "offcpu");
	assert_int_equal(v.window.nr_labels, 2);
	assert_string_equal(v.window.labels[1].key, "zone");
	free(blob);
	/* a "__name__" anywhere else is a damaged blob */
	{
		const struct upload_label bad[] = { { "__name__", "x" }, { "env", "prod" } };

		w = sample_window();
		w.labels = bad;
		assert_int_equal(window_encode(&w, &blob, &len), 0);
		assert_int_equal(window_decode(blob, len, &v), -EINVAL);
		free(blob);
	}
	/* the sinks refuse a series name that is not a metric name */
	w = sample_window();
	w.series_name = "off cpu";
	assert_int_equal(sink_check_window(&w), -EINVAL);
	w.series_name = "parca_agent";
	assert_int_equal(sink_check_window(&w), 0);
}

static void test_retry_after(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(response_retry_after("120", 3, 0, &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(response_retry_after("99999999999999999999", 20, 0, &ms), 0);
	assert_int_equal(ms, 86400000LL); /* saturated at a day */
	/* an HTTP date 30 s after now (RFC 9110 IMF-fixdate) */
	assert_int_equal(response_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", 29, 1445412480, &ms),
			 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(response_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 29, 1445412480, &ms),
			 0);
	assert_int_equal(ms, 0); /* in the past: now */
	assert_int_equal(response_retry_after("soon", 4, 0, &ms), -EINVAL);
	assert_int_equal(response_retry_after("12s", 3, 0, &ms), -EINVAL);
	assert_int_equal(response_retry_after("", 0, 0, &ms), -EINVAL);
}

static void header(struct upload_response *r, const char *line)
{
	response_header(r, line, strlen(line), 0);
}

static void test_headers_and_verdict(void **state)
{
	struct upload_response r;

	(void)state;
	response_init(&r);
	header(&r, "HTTP/2 200\r\n");
	header(&r, "content-type: application/grpc\r\n");
	assert_int_equal(response_verdict(200, true, &r), UPLOAD_REJECT); /* no grpc-status */
	assert_int_equal(response_verdict(200, false, &r), UPLOAD_OK);
	header(&r, "Grpc-Status: 14\r\n");
	header(&r, "grpc-message: try%20later%0A%ZZ\r\n");
	assert_int_equal(r.grpc_status, 14);
	assert_string_equal(r.grpc_message, "try later?%ZZ");
	assert_int_equal(response_verdict(200, true, &r), UPLOAD_RETRY);
	header(&r, "grpc-status: 3\r\n");
	assert_int_equal(response_verdict(200, true, &r), UPLOAD_REJECT);
	header(&r, "grpc-status: 0\r\n");
	assert_int_equal(response_verdict(200, true, &r), UPLOAD_OK);
	header(&r, "grpc-status: x\r\n"); /* junk leaves the last good value */
	assert_int_equal(r.grpc_status, 0);
	header(&r, "Retry-After:  7 \r\n");
	assert_int_equal(r.retry_after_ms, 7000);

	assert_int_equal(response_verdict(0, false, &r), UPLOAD_RETRY); /* no connection */
	assert_int_equal(response_verdict(429, false, &r), UPLOAD_RETRY);
	assert_int_equal(response_verdict(408, false, &r), UPLOAD_RETRY);
	assert_int_equal(response_verdict(503, true, &r), UPLOAD_RETRY);
	assert_int_equal(response_verdict(400, false, &r), UPLOAD_REJECT);
	assert_int_equal(response_verdict(401, false, &r), UPLOAD_REJECT);
	assert_int_equal(response_verdict(404, true, &r), UPLOAD_REJECT);
	assert_int_equal(response_verdict(302, false, &r), UPLOAD_REJECT);
}

static void test_grpc_web_frames(void **state)
{
	static const uint8_t ok[] = { 0,   0,	0,   0,	  0,   0x80, 0,	   0,	0,
				      15,  'g', 'r', 'p', 'c', '-',  's',  't', 'a',
				      't', 'u', 's', ':', '0', '\r', '\n', 0 };
	static const uint8_t bad[] = "\x80\x00\x00\x00\x2a"
				     "grpc-status:3\r\ngrpc-message:bad%20labels\r\n";
	struct upload_response r;

	(void)state;
	response_init(&r);
	/* 15 bytes of trailer, then one stray byte: a truncated frame header */
	assert_int_equal(response_grpc_web_body(&r, ok, sizeof(ok)), -EINVAL);
	response_init(&r);
	assert_int_equal(response_grpc_web_body(&r, ok, sizeof(ok) - 1), 0);
	assert_int_equal(r.grpc_status, 0);
	response_init(&r);
	assert_int_equal(response_grpc_web_body(&r, bad, sizeof(bad) - 1), 0);
	assert_int_equal(r.grpc_status, 3);
	assert_string_equal(r.grpc_message, "bad labels");
	response_init(&r);
	/* a compressed frame (flag 1) and a frame longer than the body are refused */
	assert_int_equal(response_grpc_web_body(&r, (const uint8_t *)"\x01\0\0\0\0", 5), -EINVAL);
	assert_int_equal(response_grpc_web_body(&r,
						(const uint8_t *)"\x00\0\0\0\x09"
								 "ab",
						7),
			 -EINVAL);
	assert_int_equal(response_grpc_web_body(&r, NULL, 0), 0);
	assert_int_equal(r.grpc_status, -1);
}

static void test_message(void **state)
{
	char out[8];

	(void)state;
	response_message((const uint8_t *)"a\nb\x80\x01zzzzzz", 11, out, sizeof(out));
	assert_string_equal(out, "a?b??zz");
}

static char *scratch_dir(void)
{
	char tmpl[] = "/tmp/flamed-test-upload.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_spool(void **state)
{
	char *dir = scratch_dir(), path[600];
	uint8_t blob[200], *got;
	struct spool *sp;
	uint64_t seq, evicted;
	size_t len;
	FILE *f;

	(void)state;
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7);
	assert_int_equal(spool__open(dir, 1 << 20, &sp), 0);
	assert_int_equal(spool__oldest(sp, &seq), -ENOENT);
	assert_int_equal(spool__next_seq(sp), 1);
	/* out of order: the index sorts */
	for (uint64_t s = 5; s >= 3; s--) {
		blob[0] = (uint8_t)s;
		assert_int_equal(spool__put(sp, s, blob, sizeof(blob), 0, &evicted), 0);
		assert_int_equal(evicted, 0);
	}
	assert_int_equal(spool__count(sp), 3);
	assert_int_equal(spool__oldest(sp, &seq), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(spool__get(sp, 4, &got, &len), 0);
	assert_int_equal(len, sizeof(blob));
	assert_int_equal(got[0], 4);
	assert_memory_equal(got + 1, blob + 1, sizeof(blob) - 1);
	free(got);
	spool__free(sp);

	/* a restart finds them, removes a crashed temp file, ignores strangers */
	snprintf(path, sizeof(path), "%s/.00000000000000000009.win.zst.1.1.tmp", dir);
	f = fopen(path, "w");
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(spool__open(dir, 1 << 20, &sp), 0);
	assert_int_equal(spool__count(sp), 3);
	assert_int_equal(spool__next_seq(sp), 6);
	snprintf(path, sizeof(path), "%s/.00000000000000000009.win.zst.1.1.tmp", dir);
	assert_int_equal(access(path, F_OK), -1);

	/* a damaged file is refused, not trusted */
	snprintf(path, sizeof(path), "%s/00000000000000000004.win.zst", dir);
	f = fopen(path, "w");
	fputs("not zstd", f);
	fclose(f);
	assert_int_equal(spool__get(sp, 4, &got, &len), -EINVAL);
	assert_int_equal(spool__remove(sp, 4), 0);
	assert_false(spool__has(sp, 4));

	/* the bound: each put evicts the oldest; `keep` is spared */
	spool__free(sp);
	assert_int_equal(spool__open(dir, 1, &sp), 0);
	assert_int_equal(spool__put(sp, 6, blob, sizeof(blob), 3, &evicted), 0);
	assert_int_equal(evicted, 2); /* 5 and 6 went, 3 kept */
	assert_true(spool__has(sp, 3));
	assert_int_equal(spool__count(sp), 1);
	spool__free(sp);
	rm_rf(dir);
	free(dir);
}

static void test_sink_options(void **state)
{
	struct upload_loop *loop;
	struct sink *s = NULL;
	struct upload_window w = sample_window();
	struct upload_label reserved = { "service_name", "x" }, bad = { "a-b", "x" };
	char *dir = scratch_dir(), tok[600];
	FILE *f;
	static const struct {
		enum upload_protocol p;
		const char *url;
		int err;
	} urls[] = {
		{ UPLOAD_PYROSCOPE, "http://127.0.0.1:4040", 0 },
		{ UPLOAD_PYROSCOPE, "https://pyroscope.example/prefix/", 0 },
		{ UPLOAD_PYROSCOPE, "grpc://127.0.0.1:4040", -EINVAL },
		{ UPLOAD_PYROSCOPE, "127.0.0.1:4040", -EINVAL },
		{ UPLOAD_PYROSCOPE_INGEST, "http://h:4040?x=1", -EINVAL },
		{ UPLOAD_PARCA, "grpc://parca:7070", 0 },
		{ UPLOAD_PARCA, "grpcs://grpc.polarsignals.com:443", 0 },
		{ UPLOAD_PARCA, "http://parca:7070", 0 },
		{ UPLOAD_PARCA, "ftp://parca:7070", -EINVAL },
		{ UPLOAD_PARCA, "grpc://", -EINVAL },
	};

	(void)state;
	assert_int_equal(upload_loop__new(&loop), 0);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct upload_opts o = { .protocol = urls[i].p, .url = urls[i].url };

		s = NULL;
		assert_int_equal(sink__new_http(loop, &o, &s), urls[i].err);
		sink__free(s);
	}
	/* a key without its certificate, both auth kinds, an empty token file */
	snprintf(tok, sizeof(tok), "%s/token", dir);
	f = fopen(tok, "w");
	fputs("\n", f);
	fclose(f);
	struct upload_opts o = { .protocol = UPLOAD_PARCA, .url = "grpc://h:1", .tls_key = tok };
	assert_int_equal(sink__new_http(loop, &o, &s), -EINVAL);
	o = (struct upload_opts){ .protocol = UPLOAD_PARCA,
				  .url = "grpc://h:1",
				  .bearer_token_file = tok,
				  .basic_auth_file = tok };
	assert_int_equal(sink__new_http(loop, &o, &s), -EINVAL);
	o = (struct upload_opts){ .protocol = UPLOAD_PARCA,
				  .url = "grpc://h:1",
				  .bearer_token_file = tok };
	assert_int_equal(sink__new_http(loop, &o, &s), -EINVAL);
	o.bearer_token_file = "/nonexistent/token";
	assert_int_equal(sink__new_http(loop, &o, &s), -ENOENT);

	/* windows: label names checked, reserved ones refused, pprof bytes required */
	o = (struct upload_opts){ .protocol = UPLOAD_PARCA, .url = "grpc://127.0.0.1:1" };
	assert_int_equal(sink__new_http(loop, &o, &s), 0);
	w.labels = &reserved;
	w.nr_labels = 1;
	assert_int_equal(sink__submit(s, &w), -EINVAL);
	w.labels = &bad;
	assert_int_equal(sink__submit(s, &w), -EINVAL);
	w.nr_labels = 0;
	w.payload_len = 0;
	assert_int_equal(sink__submit(s, &w), -EINVAL);
	assert_string_equal(sink__name(s), "parca");
	sink__free(s);
	upload_loop__free(loop);
	rm_rf(dir);
	free(dir);
}

/* The daemon's way to drive uploads: the loop's one fd and its timeout in an outer epoll, no
 * sink__poll. A minimal HTTP/1.1 server in the same loop answers 503 once (a retry, timed by
 * upload_loop__timeout_ms) and then 200. */
struct mini_server {
	int listen_fd, conn_fd;
	char buf[65536];
	size_t len;
	int answered;
};

/* Answer once a whole request (headers + Content-Length bytes) has arrived. */
static void mini_serve(struct mini_server *m)
{
	ssize_t n = read(m->conn_fd, m->buf + m->len, sizeof(m->buf) - 1 - m->len);
	const char *end, *cl;
	size_t body;

	if (n <= 0) {
		close(m->conn_fd);
		m->conn_fd = -1;
		m->len = 0;
		return;
	}
	m->len += (size_t)n;
	m->buf[m->len] = '\0';
	end = strstr(m->buf, "\r\n\r\n");
	cl = strcasestr(m->buf, "content-length:");
	if (!end || !cl)
		return;
	body = strtoul(cl + 15, NULL, 10);
	if (m->len < (size_t)(end + 4 - m->buf) + body)
		return;
	assert_non_null(strstr(m->buf, "POST /push.v1.PusherService/Push HTTP/1.1"));
	if (m->answered++ == 0)
		dprintf(m->conn_fd, "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy");
	else
		dprintf(m->conn_fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	m->len = 0;
}

static void test_outer_epoll(void **state)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	struct mini_server m = { .conn_fd = -1 };
	struct upload_window w = sample_window();
	struct upload_loop *loop;
	struct upload_stats st;
	struct sink *s;
	char url[64];
	int ep, loops = 0;

	(void)state;
	m.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(m.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(m.listen_fd, 4), 0);
	assert_int_equal(getsockname(m.listen_fd, (struct sockaddr *)&addr, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(addr.sin_port));

	assert_int_equal(upload_loop__new(&loop), 0);
	struct upload_opts o = { .protocol = UPLOAD_PYROSCOPE, .url = url, .backoff_min_ms = 50 };
	assert_int_equal(sink__new_http(loop, &o, &s), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, upload_loop__fd(loop),
				   &(struct epoll_event){ .events = EPOLLIN, .data.fd = -1 }),
			 0);
	assert_int_equal(
		epoll_ctl(ep, EPOLL_CTL_ADD, m.listen_fd,
			  &(struct epoll_event){ .events = EPOLLIN, .data.fd = m.listen_fd }),
		0);
	assert_int_equal(sink__submit(s, &w), 0);
	do {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, upload_loop__timeout_ms(loop));

		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == m.listen_fd) {
				m.conn_fd = accept4(m.listen_fd, NULL, NULL, SOCK_CLOEXEC);
				epoll_ctl(ep, EPOLL_CTL_ADD, m.conn_fd,
					  &(struct epoll_event){ .events = EPOLLIN,
								 .data.fd = m.conn_fd });
			} else if (evs[i].data.fd >= 0) {
				mini_serve(&m);
			}
		}
		assert_int_equal(upload_loop__process(loop), 0);
		sink__stats(s, &st);
	} while (st.sent == 0 && ++loops < 10000);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.queued, 0);
	assert_int_equal(m.answered, 2);
	sink__free(s);
	upload_loop__free(loop);
	if (m.conn_fd >= 0)
		close(m.conn_fd);
	close(m.listen_fd);
	close(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_round_trip),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_headers_and_verdict),
		cmocka_unit_test(test_grpc_web_frames),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_spool),
		cmocka_unit_test(test_sink_options),
		cmocka_unit_test(test_outer_epoll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
