// SPDX-License-Identifier: MIT
/* The file sink (--output-dir): one profile file per window, written atomically, named
 * <host>_<UTC start>Z.pb.gz so names sort by time; retention deletes the oldest of this host's
 * files until the total fits. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "output/output.h"
#include "upload/sink.h"

/* zstd level for archives: a good ratio at little CPU, once per window */
#define FILE_ZSTD_LEVEL 9
/* a window's pprof never decompresses to more than this */
#define FILE_MAX_PPROF (1ULL << 30)

struct file_sink {
	struct sink base;
	char *dir;
	char *host;
	enum upload_file_compress compress;
	uint64_t retain_bytes;
	bool name_by_service;
	struct output_opts out; /* mode and owner of each file */
};

static const char *file_name(const struct sink *s)
{
	(void)s;
	return "file";
}

static const char *suffix(const struct file_sink *fs)
{
	return fs->compress == UPLOAD_FILE_ZSTD ? ".pb.zst" : ".pb.gz";
}

struct bytes {
	const uint8_t *p;
	size_t len;
};

static int write_bytes(FILE *f, void *ctx)
{
	const struct bytes *b = ctx;

	return fwrite(b->p, 1, b->len, f) == b->len ? 0 : -EIO;
}

/* gzip pprof in, zstd pprof out (*ret owned by the caller). */
static int to_zstd(const struct upload_window *w, uint8_t **ret, size_t *ret_len)
{
	uint8_t *raw = NULL, *out = NULL;
	size_t raw_len, bound, n;
	int err;

	err = output_decompress(w->payload, w->payload_len, FILE_MAX_PPROF, &raw, &raw_len);
	if (err)
		return err;
	bound = ZSTD_compressBound(raw_len);
	out = malloc(bound);
	if (!out) {
		err = -ENOMEM;
		goto cleanup;
	}
	n = ZSTD_compress(out, bound, raw, raw_len, FILE_ZSTD_LEVEL);
	if (ZSTD_isError(n)) {
		err = -EIO;
		goto cleanup;
	}
	*ret = out;
	*ret_len = n;
	out = NULL;

cleanup:
	free(out);
	free(raw);
	return err;
}

struct kept {
	char *name;
	uint64_t size;
};

static int cmp_kept(const void *a, const void *b)
{
	return strcmp(((const struct kept *)a)->name, ((const struct kept *)b)->name);
}

/* This host's files in the directory, oldest (smallest name) first, deleted until the total is
 * within retain_bytes; the newest file always stays. */
static void apply_retention(struct file_sink *fs)
{
	struct kept *files = NULL;
	size_t nr = 0, cap = 0, prefix = strlen(fs->host);
	uint64_t total = 0;
	struct dirent *de;
	DIR *d;

	if (!fs->retain_bytes)
		return;
	d = opendir(fs->dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), sl = strlen(suffix(fs));
		char path[4096];
		struct stat st;

		if (n <= prefix + 1 + sl || strncmp(de->d_name, fs->host, prefix) ||
		    de->d_name[prefix] != '_' || strcmp(de->d_name + n - sl, suffix(fs)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", fs->dir, de->d_name) >=
			    (int)sizeof(path) ||
		    stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (nr == cap) {
			struct kept *k = realloc(files, (cap = cap ? cap * 2 : 64) * sizeof(*k));

			if (!k)
				break;
			files = k;
		}
		files[nr].name = strdup(de->d_name);
		if (!files[nr].name)
			break;
		files[nr++].size = (uint64_t)st.st_size;
		total += (uint64_t)st.st_size;
	}
	closedir(d);
	qsort(files, nr, sizeof(*files), cmp_kept);
	for (size_t i = 0; i + 1 < nr && total > fs->retain_bytes; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", fs->dir, files[i].name);
		if (unlink(path) && errno != ENOENT)
			continue;
		total -= files[i].size;
		fs->base.stats.evicted++;
		sink_log(&fs->base, UPLOAD_LOG_INFO, "file: retention removed %s", files[i].name);
	}
	for (size_t i = 0; i < nr; i++)
		free(files[i].name);
	free(files);
}

static int file_submit(struct sink *s, const struct upload_window *w)
{
	struct file_sink *fs = (struct file_sink *)s;
	uint8_t *zst = NULL;
	struct bytes b = { w->payload, w->payload_len };
	char stamp[32], path[4096], series[66] = "";
	time_t t = (time_t)(w->start_ns / 1000000000);
	struct tm tm;
	int err;

	s->stats.submitted++;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%S", &tm);
	if (fs->name_by_service && w->service_name) {
		/* the process name picks part of a file name: keep it to a safe alphabet */
		size_t n = 0;

		series[n++] = '_';
		for (const char *c = w->service_name; *c && n < sizeof(series) - 1; c++)
			series[n++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
						      (*c >= '0' && *c <= '9') || *c == '-' ||
						      *c == '.'
					      ? *c
					      : '_';
		series[n] = 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s_%sZ%s%s", fs->dir, fs->host, stamp, series,
		     suffix(fs)) >= (int)sizeof(path)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	if (fs->compress == UPLOAD_FILE_ZSTD) {
		err = to_zstd(w, &zst, &b.len);
		if (err)
			goto cleanup;
		b.p = zst;
	}
	err = output_write_atomic(path, &fs->out, write_bytes, &b);
	if (err)
		goto cleanup;
	s->stats.sent++;
	apply_retention(fs);

cleanup:
	if (err) {
		s->stats.dropped++;
		sink_log(s, UPLOAD_LOG_ERROR, "file: cannot write %s: %s", path, strerror(-err));
	}
	free(zst);
	return err;
}

static void file_free(struct sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;

	free(fs->dir);
	free(fs->host);
	free(fs);
}

static const struct sink_ops file_ops = {
	.name = file_name,
	.submit = file_submit,
	.free = file_free,
};

int sink__new_file(const struct upload_file_opts *opts, struct sink **ret_sink)
{
	struct file_sink *fs;
	struct stat st;

	if (!opts->dir)
		return -EINVAL;
	if (stat(opts->dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (access(opts->dir, W_OK | X_OK))
		return -errno;
	if (opts->hostname && (!*opts->hostname || strchr(opts->hostname, '/')))
		return -EINVAL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->base.ops = &file_ops;
	fs->base.log = opts->log;
	fs->base.log_ctx = opts->log_ctx;
	fs->compress = opts->compress;
	fs->retain_bytes = opts->retain_bytes;
	fs->name_by_service = opts->name_by_service;
	fs->out = (struct output_opts){ .has_mode = opts->has_mode,
					.mode = opts->mode,
					.has_owner = opts->has_owner,
					.uid = opts->uid,
					.gid = opts->gid };
	fs->dir = strdup(opts->dir);
	fs->host = strdup(opts->hostname ? opts->hostname : "flamed");
	if (!fs->dir || !fs->host) {
		file_free(&fs->base);
		return -ENOMEM;
	}
	*ret_sink = &fs->base;
	return 0;
}
