// SPDX-License-Identifier: MIT
/* Spool directory (see spool.h). The index is a sorted array of {seq, file size}: spools hold at
 * most thousands of windows, and the common operations touch only its ends. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "output/output.h"
#include "upload/spool.h"

#define SPOOL_SUFFIX	 ".win.zst"
#define SPOOL_SEQ_DIGITS 20
/* A window blob larger than this is not one flamed wrote. */
#define SPOOL_MAX_BLOB (1ULL << 30)
/* Fast: the spool is written on the failure path, where the machine may be busy. */
#define SPOOL_ZSTD_LEVEL 3

struct spool_entry {
	uint64_t seq;
	uint64_t size;
};

struct spool {
	char *dir;
	uint64_t max_bytes;
	uint64_t bytes;
	struct spool_entry *entries; /* sorted by seq */
	size_t nr, cap;
};

static int spool_path(const struct spool *sp, uint64_t seq, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%0*" PRIu64 SPOOL_SUFFIX, sp->dir, SPOOL_SEQ_DIGITS, seq);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* seq from a file name "<20 digits>.win.zst"; false for anything else. */
static bool parse_name(const char *name, uint64_t *ret_seq)
{
	uint64_t seq = 0;

	if (strlen(name) != SPOOL_SEQ_DIGITS + strlen(SPOOL_SUFFIX) ||
	    strcmp(name + SPOOL_SEQ_DIGITS, SPOOL_SUFFIX))
		return false;
	for (int i = 0; i < SPOOL_SEQ_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9' || seq > (UINT64_MAX - 9) / 10)
			return false;
		seq = seq * 10 + (uint64_t)(name[i] - '0');
	}
	*ret_seq = seq;
	return seq != 0;
}

static int insert(struct spool *sp, uint64_t seq, uint64_t size)
{
	size_t pos = sp->nr;

	if (sp->nr == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 64;
		struct spool_entry *e = realloc(sp->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		sp->entries = e;
		sp->cap = cap;
	}
	while (pos > 0 && sp->entries[pos - 1].seq > seq)
		pos--;
	memmove(&sp->entries[pos + 1], &sp->entries[pos], (sp->nr - pos) * sizeof(*sp->entries));
	sp->entries[pos] = (struct spool_entry){ seq, size };
	sp->nr++;
	sp->bytes += size;
	return 0;
}

static ssize_t find(const struct spool *sp, uint64_t seq)
{
	size_t lo = 0, hi = sp->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->entries[mid].seq == seq)
			return (ssize_t)mid;
		if (sp->entries[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int scan(struct spool *sp)
{
	struct dirent *de;
	DIR *d = opendir(sp->dir);
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;
		uint64_t seq;
		size_t n = strlen(de->d_name);

		/* output_write_atomic's temp files: a crash mid-write left them */
		if (de->d_name[0] == '.' && n > 4 && !strcmp(de->d_name + n - 4, ".tmp")) {
			if (snprintf(path, sizeof(path), "%s/%s", sp->dir, de->d_name) <
			    (int)sizeof(path))
				(void)unlink(path);
			continue;
		}
		if (!parse_name(de->d_name, &seq))
			continue;
		if (spool_path(sp, seq, path, sizeof(path)) || stat(path, &st) ||
		    !S_ISREG(st.st_mode))
			continue;
		err = insert(sp, seq, (uint64_t)st.st_size);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

int spool__open(const char *dir, uint64_t max_bytes, struct spool **ret_spool)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	int err;

	if (!sp)
		return -ENOMEM;
	sp->max_bytes = max_bytes;
	sp->dir = strdup(dir);
	if (!sp->dir) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		goto cleanup;
	}
	err = scan(sp);
	if (err)
		goto cleanup;
	*ret_spool = sp;
	return 0;

cleanup:
	spool__free(sp);
	return err;
}

size_t spool__count(const struct spool *sp)
{
	return sp->nr;
}

uint64_t spool__bytes(const struct spool *sp)
{
	return sp->bytes;
}

uint64_t spool__next_seq(const struct spool *sp)
{
	return sp->nr ? sp->entries[sp->nr - 1].seq + 1 : 1;
}

int spool__oldest(const struct spool *sp, uint64_t *ret_seq)
{
	if (!sp->nr)
		return -ENOENT;
	*ret_seq = sp->entries[0].seq;
	return 0;
}

bool spool__has(const struct spool *sp, uint64_t seq)
{
	return find(sp, seq) >= 0;
}

struct zbuf {
	const void *p;
	size_t len;
};

static int write_zbuf(FILE *f, void *ctx)
{
	const struct zbuf *z = ctx;

	return fwrite(z->p, 1, z->len, f) == z->len ? 0 : -EIO;
}

int spool__remove(struct spool *sp, uint64_t seq)
{
	char path[4096];
	ssize_t i = find(sp, seq);
	int err;

	if (i < 0)
		return 0;
	err = spool_path(sp, seq, path, sizeof(path));
	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	sp->bytes -= sp->entries[i].size;
	memmove(&sp->entries[i], &sp->entries[i + 1],
		(sp->nr - (size_t)i - 1) * sizeof(*sp->entries));
	sp->nr--;
	return 0;
}

int spool__put(struct spool *sp, uint64_t seq, const uint8_t *blob, size_t len, uint64_t keep,
	       uint64_t *ret_evicted)
{
	size_t bound = ZSTD_compressBound(len), zlen;
	char path[4096];
	struct zbuf z;
	void *out;
	int err;

	*ret_evicted = 0;
	err = spool_path(sp, seq, path, sizeof(path));
	if (err)
		return err;
	out = malloc(bound);
	if (!out)
		return -ENOMEM;
	zlen = ZSTD_compress(out, bound, blob, len, SPOOL_ZSTD_LEVEL);
	if (ZSTD_isError(zlen)) {
		err = -EIO;
		goto cleanup;
	}
	z = (struct zbuf){ out, zlen };
	err = output_write_atomic(path, NULL, write_zbuf,
				  &z); /* 0600: profiles name every process */
	if (err)
		goto cleanup;
	err = insert(sp, seq, zlen);
	if (err) {
		(void)unlink(path);
		goto cleanup;
	}
	for (size_t i = 0; sp->bytes > sp->max_bytes && i < sp->nr;) {
		if (sp->entries[i].seq == keep) {
			i++;
			continue;
		}
		err = spool__remove(sp, sp->entries[i].seq);
		if (err)
			goto cleanup;
		(*ret_evicted)++;
	}

cleanup:
	free(out);
	return err;
}

int spool__get(struct spool *sp, uint64_t seq, uint8_t **ret_blob, size_t *ret_len)
{
	uint8_t *raw = NULL;
	char path[4096];
	struct stat st;
	size_t got = 0;
	FILE *f = NULL;
	int err;

	err = spool_path(sp, seq, path, sizeof(path));
	if (err)
		return err;
	f = fopen(path, "rbe");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st)) {
		err = -errno;
		goto cleanup;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > SPOOL_MAX_BLOB) {
		err = -EINVAL;
		goto cleanup;
	}
	raw = malloc((size_t)st.st_size);
	if (!raw) {
		err = -ENOMEM;
		goto cleanup;
	}
	got = fread(raw, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size) {
		err = ferror(f) ? -EIO : -EINVAL;
		goto cleanup;
	}
	/* a spool file must be zstd: raw bytes would otherwise pass through as a "window" */
	if (got < 4 || raw[0] != 0x28 || raw[1] != 0xb5 || raw[2] != 0x2f || raw[3] != 0xfd) {
		err = -EINVAL;
		goto cleanup;
	}
	err = output_decompress(raw, got, SPOOL_MAX_BLOB, ret_blob, ret_len);

cleanup:
	free(raw);
	if (f)
		fclose(f);
	return err;
}

void spool__free(struct spool *sp)
{
	if (!sp)
		return;
	free(sp->entries);
	free(sp->dir);
	free(sp);
}
