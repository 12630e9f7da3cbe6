// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collect/builder.h"
#include "k8s/pod_list.h"
#include "output/output.h"
#include "profile/profile.h"
#include "sinks.h"

_Static_assert(CLI_MAX_SERIES_LABELS + 4 <= SINKS_MAX_LABELS, "series labels");
#include "upload/upload.h"
#include "util/clock.h"
#include "util/log.h"

/* resource attributes of every OTLP resource: service.name, host.name, host.id, --label */
#define MAX_RESOURCE_ATTRS (3 + CLI_MAX_LABELS)

/* The series of a window a sink gets. Files and OTLP take the whole profile (OTLP makes a
 * Profile per sample type); Pyroscope and Parca file each sample type of a pprof under the
 * series' __name__, so with --off-cpu they get the CPU part as process_cpu and the off-CPU part
 * as its own series, under the names their own eBPF agents use: Grafana Alloy's pyroscope.ebpf
 * sends __name__ "offcpu" with sample type offcpu/nanoseconds and no period type (Pyroscope's
 * offcpu:offcpu:nanoseconds::), Parca Agent sends "parca_agent" with wallclock/nanoseconds and
 * period type samples/count (parca_agent:wallclock:nanoseconds:samples:count:delta, which Parca's
 * UI names Off-CPU). */
enum series_kind {
	SERIES_ALL,		 /* every sample type */
	SERIES_CPU,		 /* samples and cpu: process_cpu */
	SERIES_OFFCPU_PYROSCOPE, /* off_cpu as Pyroscope's ecosystem names it */
	SERIES_OFFCPU_PARCA,	 /* off_cpu as Parca's does */
	SERIES_KINDS,
};

static const struct series_def {
	const char *name;		       /* __name__; NULL = process_cpu */
	struct profile_value_type sample;      /* the off_cpu type renamed; unused otherwise */
	struct profile_value_type period_type; /* the off-CPU series' period type */
} series_defs[SERIES_KINDS] = {
	[SERIES_OFFCPU_PYROSCOPE] = { "offcpu", { "offcpu", "nanoseconds" }, { NULL, NULL } },
	[SERIES_OFFCPU_PARCA] = { "parca_agent",
				  { "wallclock", "nanoseconds" },
				  { "samples", "count" } },
};

struct sinks {
	const struct config *cfg;
	struct upload_loop *loop; /* NULL without HTTP sinks */
	struct sink *sink[SINKS_MAX];
	bool by_pod
		[SINKS_MAX];  /* takes the series of BUILD_SET_PODS: its series labels name pods */
	int proto[SINKS_MAX]; /* enum upload_protocol, or -1: the file sink */
	int nr;
	char host[256];
	char host_id[64];		 /* machine-id, "" when unknown */
	char dirs[SINKS_MAX_DIRS][4096]; /* for the privilege check, with a trailing '/' */
	int nr_dirs;
	struct upload_label labels[CLI_MAX_LABELS];
};

/* Sink messages are the daemon's log lines; credentials never appear in them (upload.h). */
static void on_log(void *ctx, enum upload_log_level level, const char *msg)
{
	(void)ctx;
	switch (level) {
	case UPLOAD_LOG_ERROR:
		log_error("%s", msg);
		break;
	case UPLOAD_LOG_WARN:
		log_warn("%s", msg);
		break;
	case UPLOAD_LOG_INFO:
		log_info("%s", msg);
		break;
	default:
		log_debug("%s", msg);
	}
}

static void add_dir(struct sinks *k, const char *dir)
{
	size_t len = strlen(dir);

	if (k->nr_dirs == SINKS_MAX_DIRS)
		return;
	snprintf(k->dirs[k->nr_dirs++], sizeof(k->dirs[0]), "%s%s", dir,
		 len && dir[len - 1] == '/' ? "" : "/");
}

/* host.id: the machine-id (32 hex digits), where the semantic conventions take it from on Linux;
 * "" when neither file has one. */
static void read_host_id(char *buf, size_t size)
{
	static const char *const paths[] = { "/etc/machine-id", "/var/lib/dbus/machine-id" };
	char line[64];

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && !buf[0]; i++) {
		FILE *f = fopen(paths[i], "re");
		size_t len;

		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			len = strcspn(line, "\n");
			line[len] = '\0';
			if (len == 32 && strspn(line, "0123456789abcdef") == 32 && len < size)
				snprintf(buf, size, "%s", line);
		}
		fclose(f);
	}
}

static int new_http(struct sinks *k, enum upload_protocol protocol, const char *url,
		    const char *name)
{
	const struct cli_sinks *c = &k->cfg->sinks;
	const char *headers[CLI_MAX_HEADERS];
	struct upload_opts o = {
		.protocol = protocol,
		.url = url,
		.tenant_id = c->tenant_id,
		.bearer_token_file = c->bearer_token_file,
		.basic_auth_file = c->basic_auth_file,
		.tls_ca = c->tls_ca,
		.tls_cert = c->tls_cert,
		.tls_key = c->tls_key,
		.insecure_skip_verify = c->insecure_skip_verify,
		.spool_dir = c->spool_dir,
		.spool_max_bytes = c->spool_max_bytes,
		.name = name,
		.log = on_log,
	};
	int err;

	if (protocol == UPLOAD_OTLP) {
		for (int i = 0; i < c->nr_otlp_headers; i++)
			headers[i] = c->otlp_headers[i];
		o.headers = headers;
		o.nr_headers = (size_t)c->nr_otlp_headers;
	}
	if (!k->loop) {
		err = upload_loop__new(&k->loop);
		if (err) {
			log_error("cannot start the upload loop: %s", strerror(-err));
			return err;
		}
	}
	/* Pyroscope and Parca index by series labels: a pod's samples go in series of their own */
	k->by_pod[k->nr] = protocol != UPLOAD_OTLP;
	err = sink__new_http(k->loop, &o, &k->sink[k->nr]);
	if (err) {
		/* -EINVAL was explained through on_log; files say which */
		if (err != -EINVAL)
			log_error("cannot set up the upload to %s: %s", url, strerror(-err));
		return err;
	}
	k->proto[k->nr++] = protocol;
	return 0;
}

static int new_file(struct sinks *k)
{
	const struct config *cfg = k->cfg;
	struct upload_file_opts o = {
		.dir = cfg->sinks.output_dir,
		.hostname = k->host,
		.compress = cfg->sinks.compress_zstd ? UPLOAD_FILE_ZSTD : UPLOAD_FILE_GZIP,
		.retain_bytes = cfg->sinks.retain_bytes,
		.name_by_service = cfg->series_by_process,
		.has_mode = cfg->has_output_mode,
		.mode = cfg->output_mode,
		.log = on_log,
	};
	int err;

	if (cfg->output_owner) {
		uid_t uid;
		gid_t gid;

		err = output_parse_owner(cfg->output_owner, &uid, &gid);
		if (err) {
			log_error("invalid --output-owner '%s': %s", cfg->output_owner,
				  err == -ENOENT ? "no such user or group" : "use USER[:GROUP]");
			return err;
		}
		o.has_owner = true;
		o.uid = uid;
		o.gid = gid;
	}
	err = sink__new_file(&o, &k->sink[k->nr]);
	if (err) {
		log_error("cannot write into --output-dir '%s': %s", o.dir, strerror(-err));
		return err;
	}
	k->proto[k->nr++] = -1;
	add_dir(k, o.dir);
	return 0;
}

int sinks__new(const struct config *cfg, struct sinks **ret_sinks)
{
	const struct cli_sinks *c = &cfg->sinks;
	struct sinks *k = calloc(1, sizeof(*k));
	int err = 0;

	if (!k) {
		log_error("out of memory");
		return -ENOMEM;
	}
	k->cfg = cfg;
	if (gethostname(k->host, sizeof(k->host) - 1) || !k->host[0] || strchr(k->host, '/'))
		snprintf(k->host, sizeof(k->host), "localhost");
	for (int i = 0; i < cfg->nr_labels; i++)
		k->labels[i] = (struct upload_label){ cfg->labels[i].key, cfg->labels[i].value };
	if (c->output_dir)
		err = new_file(k);
	if (!err && c->pyroscope_url)
		err = new_http(k,
			       c->pyroscope_api == CLI_PYROSCOPE_INGEST ? UPLOAD_PYROSCOPE_INGEST
									: UPLOAD_PYROSCOPE,
			       c->pyroscope_url, NULL);
	if (!err && c->parca_url)
		err = new_http(k, UPLOAD_PARCA, c->parca_url, NULL);
	if (!err && cfg->off_cpu && c->pyroscope_url && c->pyroscope_api == CLI_PYROSCOPE_INGEST)
		log_warn("--off-cpu: Pyroscope's /ingest gets the CPU profile only; the off-CPU "
			 "series "
			 "goes through its push API (--pyroscope-api push, the default)");
	if (c->nr_otlp)
		read_host_id(k->host_id, sizeof(k->host_id));
	for (int i = 0; !err && i < c->nr_otlp; i++) {
		char name[16];

		/* "otlp", "otlp-2", ...: log lines and spool subdirectories apart */
		snprintf(name, sizeof(name), i ? "otlp-%d" : "otlp", i + 1);
		err = new_http(k, UPLOAD_OTLP, c->otlp_urls[i], name);
	}
	if (err) {
		sinks__free(k);
		return err;
	}
	if (c->spool_dir)
		add_dir(k, c->spool_dir);
	*ret_sinks = k;
	return 0;
}

size_t sinks__dirs(const struct sinks *k, const char **paths, size_t max)
{
	size_t n = 0;

	for (int i = 0; k && i < k->nr_dirs && n < max; i++)
		paths[n++] = k->dirs[i];
	return n;
}

int sinks__fd(const struct sinks *k)
{
	return k && k->loop ? upload_loop__fd(k->loop) : -1;
}

int sinks__timeout_ms(struct sinks *k)
{
	return k && k->loop ? upload_loop__timeout_ms(k->loop) : -1;
}

int sinks__process(struct sinks *k)
{
	return k && k->loop ? upload_loop__process(k->loop) : 0;
}

/* Encode p as the sinks of that payload kind take it, gzip'd: pprof, or an OTLP request whose
 * resources carry service.name, host.name, host.id and the --label pairs. */
static int encode(const struct sinks *k, const struct profile *p, enum upload_payload kind,
		  const char *service, uint8_t **ret_gz, size_t *ret_len)
{
	struct profile_attr attrs[MAX_RESOURCE_ATTRS];
	struct profile_otlp_opts o = {
		.resource_attrs = attrs,
		.scope_name = "flamed",
		.scope_version = FLAMED_VERSION,
	};
	uint8_t *raw = NULL;
	size_t raw_len = 0, n = 0;
	int err;

	if (kind == UPLOAD_PAYLOAD_PPROF) {
		err = profile__encode_pprof(p, &raw, &raw_len);
	} else {
		attrs[n++] = (struct profile_attr){ "service.name", service };
		attrs[n++] = (struct profile_attr){ "host.name", k->host };
		if (k->host_id[0])
			attrs[n++] = (struct profile_attr){ "host.id", k->host_id };
		for (int i = 0; i < k->cfg->nr_labels; i++)
			attrs[n++] = (struct profile_attr){ k->labels[i].key, k->labels[i].value };
		o.nr_resource_attrs = n;
		err = profile__encode_otlp(p, &o, &raw, &raw_len);
	}
	if (!err)
		err = output_gzip(raw, raw_len, ret_gz, ret_len);
	free(raw);
	return err;
}

unsigned int sinks__sets(const struct sinks *k, bool pods)
{
	unsigned int sets = 0;

	for (int i = 0; k && i < k->nr; i++)
		sets |= pods && k->by_pod[i] ? BUILD_SET_PODS : BUILD_SET_BASE;
	return sets ? sets : BUILD_SET_BASE;
}

/* The series labels of s: --label's, then its pod's (namespace, pod, container, node and the
 * --k8s-label values it has). Returns how many, in labels (SINKS_MAX_LABELS). */
static size_t series_labels(const struct sinks *k, const struct build_series *s,
			    struct upload_label *labels)
{
	const struct config *cfg = k->cfg;
	const struct build_pod *pod = s->pod;
	size_t n = 0;

	for (int i = 0; i < cfg->nr_labels; i++) {
		const char *key = k->labels[i].key;

		/* a pod's own labels win over a --label of the same name (node=$(NODE_NAME)) */
		if (pod && (!strcmp(key, "namespace") || !strcmp(key, "pod") ||
			    !strcmp(key, "container") || (!strcmp(key, "node") && pod->node[0])))
			continue;
		labels[n++] = k->labels[i];
	}
	if (!pod)
		return n;
	labels[n++] = (struct upload_label){ "namespace", pod->namespace };
	labels[n++] = (struct upload_label){ "pod", pod->pod };
	labels[n++] = (struct upload_label){ "container", pod->container };
	if (pod->node[0])
		labels[n++] = (struct upload_label){ "node", pod->node };
	for (int i = 0; i < cfg->k8s.nr_labels && n < SINKS_MAX_LABELS; i++)
		if (pod->values[i])
			labels[n++] =
				(struct upload_label){ cfg->k8s.labels[i].name, pod->values[i] };
	return n;
}

/* The series a sink of protocol proto (-1: files) gets, into kinds; returns how many. */
static size_t series_of(int proto, bool off_cpu, enum series_kind *kinds)
{
	switch (proto) {
	case UPLOAD_PYROSCOPE:
		kinds[0] = SERIES_CPU;
		kinds[1] = SERIES_OFFCPU_PYROSCOPE;
		return off_cpu ? 2 : 1;
	case UPLOAD_PARCA:
		kinds[0] = SERIES_CPU;
		kinds[1] = SERIES_OFFCPU_PARCA;
		return off_cpu ? 2 : 1;
	case UPLOAD_PYROSCOPE_INGEST:
		kinds[0] = SERIES_CPU;
		return 1;
	default: /* files, OTLP */
		kinds[0] = SERIES_ALL;
		return 1;
	}
}

/* Series kind of p (borrowed, or NULL when it has no data of that kind; else owned by the
 * caller, *ret_owned): the whole profile, or the sample types of the kind. */
static int series_profile(const struct profile *p, enum series_kind kind,
			  struct profile **ret_owned, const struct profile **ret)
{
	static const size_t cpu_idx[] = { 0, 1 }; /* samples, cpu (profile__new_cpu_offcpu) */
	const struct series_def *d = &series_defs[kind];
	int off = profile__sample_type_index(p, PROFILE_OFFCPU_TYPE), err;
	size_t idx = (size_t)off;

	*ret_owned = NULL;
	*ret = p;
	if (kind == SERIES_ALL || off < 0)
		return 0; /* without off-CPU, the CPU series is the whole profile */
	if (kind == SERIES_CPU) {
		err = profile__project(p, cpu_idx, NULL, 2, profile__period_type(p),
				       profile__period(p), ret_owned);
	} else if (!profile__total(p, idx)) {
		*ret = NULL; /* no wait kept this window: no series */
		return 0;
	} else {
		err = profile__project(p, &idx, &d->sample, 1, d->period_type, 1, ret_owned);
	}
	if (!err)
		*ret = *ret_owned;
	return err;
}

/* Each series a window's sinks get, encoded once per payload kind and handed to every sink that
 * takes it. */
struct window_payloads {
	uint8_t *buf[SERIES_KINDS][2]; /* by series kind and enum upload_payload */
	size_t len[SERIES_KINDS][2];
	int err[SERIES_KINDS][2];
	bool done[SERIES_KINDS][2];
	bool empty[SERIES_KINDS];
};

static int payload_for(struct sinks *k, const struct profile *p, const char *service,
		       enum series_kind kind, enum upload_payload pk, struct window_payloads *wp)
{
	struct profile *owned = NULL;
	const struct profile *q;

	if (wp->done[kind][pk])
		return wp->err[kind][pk];
	wp->done[kind][pk] = true;
	wp->err[kind][pk] = series_profile(p, kind, &owned, &q);
	if (!wp->err[kind][pk] && !q)
		wp->empty[kind] = true;
	else if (!wp->err[kind][pk])
		wp->err[kind][pk] =
			encode(k, q, pk, service, &wp->buf[kind][pk], &wp->len[kind][pk]);
	profile__free(owned);
	if (wp->err[kind][pk])
		log_error("cannot encode the window's profile (%s%s): %s",
			  pk == UPLOAD_PAYLOAD_OTLP ? "OTLP" : "pprof",
			  series_defs[kind].name ? ", off-CPU" : "", strerror(-wp->err[kind][pk]));
	return wp->err[kind][pk];
}

int sinks__export(struct sinks *k, const struct build_series *series, size_t nr, int64_t start_ns,
		  int64_t end_ns)
{
	const struct config *cfg = k->cfg;
	bool pods_built = false;
	int rc = 0;

	for (size_t i = 0; i < nr; i++)
		pods_built |= series[i].set == BUILD_SET_PODS;
	for (size_t i = 0; i < nr; i++) {
		struct upload_label labels[SINKS_MAX_LABELS];
		char service[2 * K8S_LABEL_MAX + 2];
		struct upload_window w = {
			.start_ns = start_ns,
			.end_ns = end_ns,
			.service_name = cfg->series_by_process && series[i].name[0]
						? series[i].name
						: (cfg->app_name ? cfg->app_name : "flamed"),
			.hostname = k->host,
			.labels = labels,
			.nr_labels = series_labels(k, &series[i], labels),
		};
		struct window_payloads wp = { 0 };

		/* Grafana Alloy's convention: a pod's series is its namespace/container */
		if (cfg->series_by_container && series[i].pod) {
			snprintf(service, sizeof(service), "%s/%s", series[i].pod->namespace,
				 series[i].pod->container);
			w.service_name = service;
		}
		for (int j = 0; j < k->nr; j++) {
			enum upload_payload kind = sink__payload(k->sink[j]);
			unsigned int set =
				pods_built && k->by_pod[j] ? BUILD_SET_PODS : BUILD_SET_BASE;
			enum series_kind kinds[2];
			size_t n = series_of(k->proto[j], cfg->off_cpu, kinds);

			if (series[i].set != set)
				continue;
			for (size_t s = 0; s < n; s++) {
				int err = payload_for(k, series[i].profile, w.service_name,
						      kinds[s], kind, &wp);

				if (err) {
					rc = err;
					continue;
				}
				if (wp.empty[kinds[s]])
					continue;
				w.series_name = series_defs[kinds[s]].name;
				w.payload = wp.buf[kinds[s]][kind];
				w.payload_len = wp.len[kinds[s]][kind];
				err = sink__submit(k->sink[j], &w);
				if (err) {
					/* the file sink logged its write error itself */
					if (k->proto[j] >= 0)
						log_error("%s: window not queued: %s",
							  sink__name(k->sink[j]), strerror(-err));
					rc = err;
				}
			}
		}
		for (int s = 0; s < SERIES_KINDS; s++) {
			free(wp.buf[s][0]);
			free(wp.buf[s][1]);
		}
	}
	return rc;
}

size_t sinks__stats(const struct sinks *k, struct sinks_entry *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; k && i < k->nr && n < max; i++, n++) {
		out[n].name = sink__name(k->sink[i]);
		sink__stats(k->sink[i], &out[n].stats);
	}
	return n;
}

void sinks__status(const struct sinks *k, char *buf, size_t len)
{
	struct sinks_entry e[SINKS_MAX];
	size_t nr = sinks__stats(k, e, SINKS_MAX), off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < nr && off < len; i++) {
		const struct upload_stats *st = &e[i].stats;
		int n = snprintf(buf + off, len - off,
				 "%s%s sent %llu, queued %llu, retries %llu, spooled %llu, evicted "
				 "%llu, rejected %llu, dropped %llu",
				 i ? "; " : "", e[i].name, (unsigned long long)st->sent,
				 (unsigned long long)st->queued, (unsigned long long)st->retries,
				 (unsigned long long)st->spooled, (unsigned long long)st->evicted,
				 (unsigned long long)st->rejected, (unsigned long long)st->dropped);

		if (n < 0)
			break;
		off += (size_t)n;
		/* OTLP receivers may take a window in part: how often, and how many profiles went */
		if (sink__payload(k->sink[i]) == UPLOAD_PAYLOAD_OTLP && off < len) {
			n = snprintf(buf + off, len - off, ", partial %llu (%llu profiles dropped)",
				     (unsigned long long)st->partial,
				     (unsigned long long)st->rejected_profiles);
			if (n < 0)
				break;
			off += (size_t)n;
		}
	}
}

int sinks__finish(struct sinks *k, int timeout_ms)
{
	int64_t deadline = 0;
	char status[1024];
	int rc = 0;

	for (int i = 0; k && i < k->nr; i++) {
		int64_t now = (int64_t)(mono_ns() / 1000000), left;

		if (!deadline)
			deadline = now + timeout_ms;
		/* the sinks share one loop: flushing one drives them all, so they share the time */
		left = deadline > now ? deadline - now : 0;
		if (sink__flush(k->sink[i], (int)left))
			rc = -ETIMEDOUT;
	}
	if (k) {
		sinks__status(k, status, sizeof(status));
		log_info("sinks: %s", status);
		if (rc)
			log_warn("some windows were not delivered within %d s (%s)",
				 timeout_ms / 1000,
				 k->cfg->sinks.spool_dir
					 ? "they are in the spool for the next start"
					 : "no --spool-dir: they are lost");
	}
	return rc;
}

void sinks__free(struct sinks *k)
{
	if (!k)
		return;
	for (int i = 0; i < k->nr; i++)
		sink__free(k->sink[i]);
	upload_loop__free(k->loop);
	free(k);
}
