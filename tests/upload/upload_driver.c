// SPDX-License-Identifier: MIT
/* Test driver for src/upload: builds real CPU profiles with the profile API (one per window, a
 * function named win_<tag>_<i> in each so a peer can tell them apart), encodes them as flamed
 * does (profile__encode_pprof + output_gzip), submits them to one sink and drives it, then prints
 * the sink's counters as one "stats k=v ..." line. The upload tests (tests/e2e/test_upload_*.sh)
 * run it against protocol peers on loopback. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/output.h"
#include "profile/profile.h"
#include "upload/upload.h"

static void log_line(void *ctx, enum upload_log_level level, const char *msg)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	(void)ctx;
	fprintf(stderr, "driver: %s: %s\n", names[level], msg);
}

/* The window's profile encoded for the sink: gzip pprof, or (otlp) a gzip OTLP request whose
 * resources carry the window's labels, as sinks.c encodes it. */
static int make_window(const char *tag, int i, const struct upload_window *w, bool otlp,
		       uint8_t **ret, size_t *ret_len)
{
	struct profile_attr attrs[20];
	struct profile_otlp_opts o = { .resource_attrs = attrs };
	struct profile_process proc = { .executable_path = "/usr/bin/workload" };
	struct profile_mapping m = { .memory_start = 0x400000,
				     .memory_limit = 0x500000,
				     .filename = "/usr/bin/workload",
				     .build_id = "0123456789abcdef",
				     .has_functions = true };
	struct profile_label lbl[] = { { .key = "comm", .str = "workload" },
				       { .key = "pid", .str = "4242" },
				       { .key = "thread", .str = "4243" },
				       { .key = "thread_name", .str = "worker" } };
	struct profile *p = profile__new_cpu(99);
	uint8_t *raw = NULL;
	size_t raw_len;
	uint64_t map, f_main, f_win, loc[2];
	char name[128];
	int err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	snprintf(name, sizeof(name), "win_%s_%d", tag, i);
	profile__set_time(p, w->start_ns, 10000000000LL);
	map = profile__add_mapping(p, &m);
	f_main = profile__intern_function(p, "main", NULL, "main.c", 1);
	f_win = profile__intern_function(p, name, NULL, "main.c", 10);
	if (!map || !f_main || !f_win)
		goto cleanup;
	loc[0] = profile__add_location(p, map, 0x401000, &(struct profile_line){ f_win, 12 }, 1);
	loc[1] = profile__add_location(p, map, 0x400100, &(struct profile_line){ f_main, 3 }, 1);
	if (!loc[0] || !loc[1])
		goto cleanup;
	err = profile__set_default_sample_type(p, "cpu");
	if (!err)
		err = profile__add_cpu_sample(p, loc, 2, 10 + i, lbl, 4);
	if (!err)
		err = profile__set_process(p, 4242, &proc);
	attrs[o.nr_resource_attrs++] =
		(struct profile_attr){ "service.name",
				       w->service_name ? w->service_name : "flamed" };
	if (w->hostname)
		attrs[o.nr_resource_attrs++] = (struct profile_attr){ "host.name", w->hostname };
	for (size_t j = 0; j < w->nr_labels && o.nr_resource_attrs < 20; j++)
		attrs[o.nr_resource_attrs++] =
			(struct profile_attr){ w->labels[j].key, w->labels[j].value };
	if (!err)
		err = otlp ? profile__encode_otlp(p, &o, &raw, &raw_len)
			   : profile__encode_pprof(p, &raw, &raw_len);
	if (!err)
		err = output_gzip(raw, raw_len, ret, ret_len);

cleanup:
	free(raw);
	profile__free(p);
	return err;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: upload_driver --sink pyroscope|pyroscope-ingest|parca|otlp|file --url URL\n"
		"  [--header NAME=VALUE]...\n"
		"  [--tenant-id T] [--bearer-token-file F] [--basic-auth-file F] [--tls-ca F]\n"
		"  [--tls-cert F --tls-key F] [--insecure-skip-verify] [--spool-dir D]\n"
		"  [--spool-max-bytes N] [--count N] [--interval-ms N] [--flush-ms N] [--tag T]\n"
		"  [--app-name A] [--hostname H] [--label k=v]... [--output-dir D]\n"
		"  [--compress gzip|zstd] [--retain N] [--backoff-min-ms N] [--backoff-max-ms N]\n"
		"  [--timeout-ms N] [--time-step-s N]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sink", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ "tenant-id", required_argument, NULL, 'T' },
		{ "bearer-token-file", required_argument, NULL, 'b' },
		{ "basic-auth-file", required_argument, NULL, 'B' },
		{ "tls-ca", required_argument, NULL, 'C' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "insecure-skip-verify", no_argument, NULL, 'I' },
		{ "spool-dir", required_argument, NULL, 'd' },
		{ "spool-max-bytes", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "flush-ms", required_argument, NULL, 'f' },
		{ "tag", required_argument, NULL, 't' },
		{ "app-name", required_argument, NULL, 'a' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "label", required_argument, NULL, 'l' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'z' },
		{ "retain", required_argument, NULL, 'r' },
		{ "backoff-min-ms", required_argument, NULL, 1 },
		{ "backoff-max-ms", required_argument, NULL, 2 },
		{ "timeout-ms", required_argument, NULL, 3 },
		{ "time-step-s", required_argument, NULL, 4 },
		{ "header", required_argument, NULL, 5 },
		{ 0 },
	};
	struct upload_opts o = { 0 };
	struct upload_file_opts fo = { 0 };
	struct upload_label labels[16];
	size_t nr_labels = 0;
	char header_lines[UPLOAD_MAX_HEADERS][512];
	const char *headers[UPLOAD_MAX_HEADERS], *why;
	const char *kind = NULL, *tag = "a", *app = NULL, *host = "testhost";
	int count = 1, interval_ms = 0, flush_ms = 5000, step_s = 10, c, err, ret = 1;
	struct upload_loop *loop = NULL;
	struct sink *s = NULL;
	struct upload_stats st;
	int64_t base_ns;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			kind = optarg;
			break;
		case 'u':
			o.url = optarg;
			break;
		case 'T':
			o.tenant_id = optarg;
			break;
		case 'b':
			o.bearer_token_file = optarg;
			break;
		case 'B':
			o.basic_auth_file = optarg;
			break;
		case 'C':
			o.tls_ca = optarg;
			break;
		case 'c':
			o.tls_cert = optarg;
			break;
		case 'k':
			o.tls_key = optarg;
			break;
		case 'I':
			o.insecure_skip_verify = true;
			break;
		case 'd':
			o.spool_dir = optarg;
			break;
		case 'm':
			o.spool_max_bytes = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'i':
			interval_ms = atoi(optarg);
			break;
		case 'f':
			flush_ms = atoi(optarg);
			break;
		case 't':
			tag = optarg;
			break;
		case 'a':
			app = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'l': {
			char *eq = strchr(optarg, '=');

			if (!eq || nr_labels == 16) {
				usage();
				return 2;
			}
			*eq = '\0';
			labels[nr_labels++] = (struct upload_label){ optarg, eq + 1 };
			break;
		}
		case 'o':
			fo.dir = optarg;
			break;
		case 'z':
			fo.compress = strcmp(optarg, "zstd") ? UPLOAD_FILE_GZIP : UPLOAD_FILE_ZSTD;
			break;
		case 'r':
			fo.retain_bytes = strtoull(optarg, NULL, 0);
			break;
		case 1:
			o.backoff_min_ms = (unsigned int)atoi(optarg);
			break;
		case 2:
			o.backoff_max_ms = (unsigned int)atoi(optarg);
			break;
		case 3:
			o.timeout_ms = (unsigned int)atoi(optarg);
			break;
		case 4:
			step_s = atoi(optarg);
			break;
		case 5:
			if (o.nr_headers == UPLOAD_MAX_HEADERS ||
			    upload_header_line(optarg, header_lines[o.nr_headers], 512, &why)) {
				fprintf(stderr, "driver: bad --header\n");
				return 2;
			}
			headers[o.nr_headers] = header_lines[o.nr_headers];
			o.nr_headers++;
			o.headers = headers;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!kind) {
		usage();
		return 2;
	}
	o.log = fo.log = log_line;
	fo.hostname = host;
	if (!strcmp(kind, "file")) {
		err = sink__new_file(&fo, &s);
	} else {
		o.protocol = !strcmp(kind, "otlp")		 ? UPLOAD_OTLP
			     : !strcmp(kind, "parca")		 ? UPLOAD_PARCA
			     : !strcmp(kind, "pyroscope-ingest") ? UPLOAD_PYROSCOPE_INGEST
								 : UPLOAD_PYROSCOPE;
		err = upload_loop__new(&loop);
		if (!err)
			err = sink__new_http(loop, &o, &s);
	}
	if (err) {
		fprintf(stderr, "driver: cannot create the %s sink: %s\n", kind, strerror(-err));
		goto cleanup;
	}
	/* windows a minute in the past, step_s apart: inside Pyroscope's accepted range */
	base_ns = ((int64_t)time(NULL) - 60) * 1000000000LL;
	for (int i = 0; i < count; i++) {
		struct upload_window w = { .start_ns = base_ns + (int64_t)i * step_s * 1000000000LL,
					   .service_name = app,
					   .hostname = host,
					   .labels = labels,
					   .nr_labels = nr_labels };
		char win[64];
		uint8_t *gz = NULL;

		w.end_ns = w.start_ns + (int64_t)step_s * 1000000000LL;
		snprintf(win, sizeof(win), "%s-%d", tag, i);
		labels[nr_labels] = (struct upload_label){ "win", win };
		w.nr_labels = nr_labels + 1;
		err = make_window(tag, i, &w, o.protocol == UPLOAD_OTLP && strcmp(kind, "file"),
				  &gz, &w.payload_len);
		w.payload = gz;
		if (!err)
			err = sink__submit(s, &w);
		free(gz);
		if (err)
			fprintf(stderr, "driver: submit %d: %s\n", i, strerror(-err));
		for (int t = 0; t < interval_ms; t += 10)
			sink__poll(s, 10);
	}
	err = sink__flush(s, flush_ms);
	ret = err ? 3 : 0;

cleanup:
	if (s) {
		sink__stats(s, &st);
		printf("stats submitted=%llu sent=%llu retries=%llu spooled=%llu evicted=%llu "
		       "rejected=%llu dropped=%llu queued=%llu spool_bytes=%llu partial=%llu "
		       "rejected_profiles=%llu\n",
		       (unsigned long long)st.submitted, (unsigned long long)st.sent,
		       (unsigned long long)st.retries, (unsigned long long)st.spooled,
		       (unsigned long long)st.evicted, (unsigned long long)st.rejected,
		       (unsigned long long)st.dropped, (unsigned long long)st.queued,
		       (unsigned long long)st.spool_bytes, (unsigned long long)st.partial,
		       (unsigned long long)st.rejected_profiles);
	}
	sink__free(s);
	upload_loop__free(loop);
	return ret;
}
