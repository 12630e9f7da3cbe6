// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collect/builder.h"
#include "output/output.h"
#include "profile/profile.h"
#include "sinks.h"
#include "upload/upload.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_SINKS 3 /* one of each kind */

struct sinks {
	const struct config *cfg;
	struct upload_loop *loop; /* NULL without HTTP sinks */
	struct sink *sink[MAX_SINKS];
	int nr;
	char host[256];
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

static int new_http(struct sinks *k, enum upload_protocol protocol, const char *url)
{
	const struct cli_sinks *c = &k->cfg->sinks;
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
		.log = on_log,
	};
	int err;

	if (!k->loop) {
		err = upload_loop__new(&k->loop);
		if (err) {
			log_error("cannot start the upload loop: %s", strerror(-err));
			return err;
		}
	}
	err = sink__new_http(k->loop, &o, &k->sink[k->nr]);
	if (err) {
		/* -EINVAL was explained through on_log; files say which */
		if (err != -EINVAL)
			log_error("cannot set up the upload to %s: %s", url, strerror(-err));
		return err;
	}
	k->nr++;
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
	k->nr++;
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
			       c->pyroscope_url);
	if (!err && c->parca_url)
		err = new_http(k, UPLOAD_PARCA, c->parca_url);
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

/* Encode p as servers take it: pprof, gzip. */
static int encode(const struct profile *p, uint8_t **ret_gz, size_t *ret_len)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int err;

	err = profile__encode_pprof(p, &raw, &raw_len);
	if (!err)
		err = output_gzip(raw, raw_len, ret_gz, ret_len);
	free(raw);
	return err;
}

int sinks__export(struct sinks *k, const struct build_series *series, size_t nr, int64_t start_ns,
		  int64_t end_ns)
{
	const struct config *cfg = k->cfg;
	int rc = 0;

	for (size_t i = 0; i < nr; i++) {
		struct upload_window w = {
			.start_ns = start_ns,
			.end_ns = end_ns,
			.service_name = cfg->series_by_process && series[i].name[0]
						? series[i].name
						: (cfg->app_name ? cfg->app_name : "flamed"),
			.hostname = k->host,
			.labels = k->labels,
			.nr_labels = (size_t)cfg->nr_labels,
		};
		uint8_t *gz = NULL;
		int err;

		err = encode(series[i].profile, &gz, &w.pprof_len);
		if (err) {
			log_error("cannot encode the window's profile: %s", strerror(-err));
			rc = err;
			continue;
		}
		w.pprof = gz;
		for (int j = 0; j < k->nr; j++) {
			err = sink__submit(k->sink[j], &w);
			if (err) {
				/* the file sink logged its write error itself */
				if (strcmp(sink__name(k->sink[j]), "file"))
					log_error("%s: window not queued: %s",
						  sink__name(k->sink[j]), strerror(-err));
				rc = err;
			}
		}
		free(gz);
	}
	return rc;
}

void sinks__status(const struct sinks *k, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; k && i < k->nr && off < len; i++) {
		struct upload_stats st;
		int n;

		sink__stats(k->sink[i], &st);
		n = snprintf(
			buf + off, len - off,
			"%s%s sent %llu, queued %llu, retries %llu, spooled %llu, evicted %llu, "
			"rejected %llu, dropped %llu",
			i ? "; " : "", sink__name(k->sink[i]), (unsigned long long)st.sent,
			(unsigned long long)st.queued, (unsigned long long)st.retries,
			(unsigned long long)st.spooled, (unsigned long long)st.evicted,
			(unsigned long long)st.rejected, (unsigned long long)st.dropped);
		if (n < 0)
			break;
		off += (size_t)n;
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
