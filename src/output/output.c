// SPDX-License-Identifier: MIT
/* Profile files: format by extension, gzip (zlib) and zstd, atomic writes, reading pprof back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "output/output.h"
#include "profile/profile.h"

/* Largest pprof file output_read_pprof() reads, compressed or not: far above what any store
 * accepts (Pyroscope takes 4 MiB), small enough that a bogus file cannot exhaust memory. */
#define OUTPUT_MAX_PPROF_BYTES (1ULL << 30)
#define OUTPUT_GZIP_LEVEL      6 /* zlib's default: the usual size/speed balance */
#define OUTPUT_ZSTD_LEVEL      3 /* zstd's default */
#define OUTPUT_TMP_ATTEMPTS    100

static const struct {
	const char *ext;
	enum output_format fmt;
} extensions[] = {
	{ ".pb.gz", OUTPUT_PPROF_GZ },	 { ".pprof", OUTPUT_PPROF_GZ }, { ".pb", OUTPUT_PPROF },
	{ ".pb.zst", OUTPUT_PPROF_ZST }, { ".folded", OUTPUT_FOLDED },	{ ".svg", OUTPUT_SVG },
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int output_format_from_path(const char *path, enum output_format *ret_fmt)
{
	const char *base;
	size_t len;

	if (!path || !ret_fmt)
		return -EINVAL;
	base = base_name(path);
	len = strlen(base);
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		size_t n = strlen(extensions[i].ext);

		/* a name that is only the extension ("dir/.svg") is more likely a mistake */
		if (len > n && !strcasecmp(base + len - n, extensions[i].ext)) {
			*ret_fmt = extensions[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

const char *output_format_name(enum output_format fmt)
{
	switch (fmt) {
	case OUTPUT_PPROF_GZ:
		return "pprof (gzip)";
	case OUTPUT_PPROF:
		return "pprof (raw)";
	case OUTPUT_PPROF_ZST:
		return "pprof (zstd)";
	case OUTPUT_FOLDED:
		return "folded stacks";
	case OUTPUT_SVG:
		return "SVG flame graph";
	}
	return "unknown";
}

/* Directory part of path ("." when there is none). *ret_dir malloc'ed. 0 or -ENOMEM. */
static int dir_of(const char *path, char **ret_dir)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	if (!dir)
		return -ENOMEM;
	*ret_dir = dir;
	return 0;
}

int output_check_writable(const char *path)
{
	struct stat st;
	char *dir = NULL;
	int err = 0;

	if (!path || !path[0])
		return -EINVAL;
	if (path[strlen(path) - 1] == '/')
		return -EISDIR;
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		/* the rename would replace a device or fifo node instead of writing to it */
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		if (access(path, W_OK))
			return -errno;
	} else if (errno != ENOENT) {
		return -errno;
	}
	err = dir_of(path, &dir);
	if (err)
		return err;
	if (stat(dir, &st))
		err = -errno;
	else if (!S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	else if (access(dir, W_OK | X_OK))
		err = -errno;
	free(dir);
	return err;
}

/* The temp file never outlives a failure, and an existing path is untouched unless everything
 * succeeded. */
int output_write_atomic(const char *path, output_writer_fn fn, void *ctx)
{
	static unsigned int counter;
	char *dir = NULL, *tmp = NULL;
	bool created = false;
	FILE *f = NULL;
	int fd = -1, err;

	err = output_check_writable(path);
	if (!err)
		err = dir_of(path, &dir);
	if (err)
		return err;
	for (int i = 0; i < OUTPUT_TMP_ATTEMPTS && fd < 0; i++) {
		unsigned int n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

		free(tmp);
		/* hidden, and short enough to stay under NAME_MAX whatever the target's length */
		if (asprintf(&tmp, "%s/.%.200s.%ld.%u.tmp", dir, base_name(path), (long)getpid(),
			     n) < 0) {
			tmp = NULL;
			err = -ENOMEM;
			goto cleanup;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST) {
			err = -errno;
			goto cleanup;
		}
	}
	if (fd < 0) {
		err = -EEXIST;
		goto cleanup;
	}
	created = true;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	err = fn(f, ctx);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	f = NULL;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		goto cleanup;
	created = false;
	/* make the rename itself durable; a failure here does not undo a complete write */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}

cleanup:
	if (f)
		fclose(f);
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return err;
}

struct buffer_ctx {
	const uint8_t *buf;
	size_t len;
};

static int write_buffer(FILE *f, void *ctx)
{
	const struct buffer_ctx *b = ctx;

	return fwrite(b->buf, 1, b->len, f) == b->len ? 0 : -EIO;
}

struct stacks_ctx {
	const struct profile *p;
	size_t value_idx;
	const char *title;
};

static int write_folded(FILE *f, void *ctx)
{
	const struct stacks_ctx *s = ctx;

	return profile__write_folded(s->p, s->value_idx, f);
}

static int write_svg(FILE *f, void *ctx)
{
	const struct stacks_ctx *s = ctx;

	return profile__write_svg(s->p, s->value_idx, s->title, f);
}

/* Value drawn in folded and SVG output: sample counts when the profile has them (what
 * flamegraph.pl counts), else the last sample type (pprof's default when none is set). */
static size_t stack_value_index(const struct profile *p)
{
	int idx = profile__sample_type_index(p, "samples");
	size_t n = 0;

	if (idx >= 0)
		return (size_t)idx;
	while (profile__sample_type(p, n).type)
		n++;
	return n ? n - 1 : 0;
}

static int compress_zstd(const uint8_t *in, size_t len, uint8_t **ret_out, size_t *ret_len)
{
	size_t cap = ZSTD_compressBound(len), n;
	uint8_t *out;

	if (ZSTD_isError(cap))
		return -EFBIG;
	out = malloc(cap ? cap : 1);
	if (!out)
		return -ENOMEM;
	n = ZSTD_compress(out, cap, in, len, OUTPUT_ZSTD_LEVEL);
	if (ZSTD_isError(n)) {
		free(out);
		return -EIO;
	}
	*ret_out = out;
	*ret_len = n;
	return 0;
}

int output_write_profile(const struct profile *p, const char *path, enum output_format fmt,
			 const struct output_opts *opts)
{
	struct stacks_ctx stacks = { .p = p };
	uint8_t *raw = NULL, *packed = NULL;
	size_t raw_len = 0, packed_len = 0;
	struct buffer_ctx b;
	int err;

	if (!p || !path)
		return -EINVAL;
	stacks.value_idx = stack_value_index(p);
	stacks.title = opts && opts->title ? opts->title : "Flame Graph";

	switch (fmt) {
	case OUTPUT_FOLDED:
		return output_write_atomic(path, write_folded, &stacks);
	case OUTPUT_SVG:
		return output_write_atomic(path, write_svg, &stacks);
	case OUTPUT_PPROF:
	case OUTPUT_PPROF_GZ:
	case OUTPUT_PPROF_ZST:
		break;
	default:
		return -EINVAL;
	}

	err = profile__encode_pprof(p, &raw, &raw_len);
	if (err)
		goto cleanup;
	if (fmt == OUTPUT_PPROF_GZ)
		err = output_gzip(raw, raw_len, &packed, &packed_len);
	else if (fmt == OUTPUT_PPROF_ZST)
		err = compress_zstd(raw, raw_len, &packed, &packed_len);
	if (err)
		goto cleanup;
	b = packed ? (struct buffer_ctx){ packed, packed_len }
		   : (struct buffer_ctx){ raw, raw_len };
	err = output_write_atomic(path, write_buffer, &b);

cleanup:
	free(raw);
	free(packed);
	return err;
}

/* A growing output buffer that refuses to pass limit bytes. */
struct outbuf {
	uint8_t *buf;
	size_t len, cap, limit;
};

/* Make room for at least one more byte. 0, -EFBIG at the limit, or -ENOMEM. */
static int outbuf_reserve(struct outbuf *ob, size_t hint)
{
	size_t cap;
	uint8_t *n;

	if (ob->len < ob->cap)
		return 0;
	if (ob->cap >= ob->limit)
		return -EFBIG;
	cap = ob->cap ? (ob->cap > SIZE_MAX / 2 ? SIZE_MAX : ob->cap * 2) : hint;
	if (cap < 4096)
		cap = 4096;
	if (cap > ob->limit)
		cap = ob->limit;
	n = realloc(ob->buf, cap);
	if (!n)
		return -ENOMEM;
	ob->buf = n;
	ob->cap = cap;
	return 0;
}

static unsigned int clamp_uint(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (unsigned int)n;
}

/* zlib counts in uInt: feed the input and expose the output in windows below 4 GiB. next_in must
 * already point at the input; in_left is what has not yet been handed to zlib. */
static int zs_refill(z_stream *zs, size_t *in_left, struct outbuf *ob, size_t hint)
{
	int err;

	if (!zs->avail_in && *in_left) {
		zs->avail_in = clamp_uint(*in_left);
		*in_left -= zs->avail_in;
	}
	if (!zs->avail_out) {
		err = outbuf_reserve(ob, hint);
		if (err)
			return err;
		zs->next_out = ob->buf + ob->len;
		zs->avail_out = clamp_uint(ob->cap - ob->len);
	}
	return 0;
}

int output_gzip(const uint8_t *in, size_t len, uint8_t **ret_out, size_t *ret_len)
{
	struct outbuf ob = { .limit = SIZE_MAX };
	z_stream zs = { 0 };
	size_t in_left = len;
	int zerr, err = 0;

	if ((!in && len) || !ret_out || !ret_len)
		return -EINVAL;
	if (deflateInit2(&zs, OUTPUT_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	for (;;) {
		err = zs_refill(&zs, &in_left, &ob, deflateBound(&zs, len));
		if (err)
			goto cleanup;
		zerr = deflate(&zs, in_left ? Z_NO_FLUSH : Z_FINISH);
		ob.len = zs.next_out - ob.buf;
		if (zerr == Z_STREAM_END)
			break;
		if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
			err = -EIO;
			goto cleanup;
		}
	}
	*ret_out = ob.buf;
	*ret_len = ob.len;
	ob.buf = NULL;

cleanup:
	deflateEnd(&zs);
	free(ob.buf);
	return err;
}

static bool is_gzip(const uint8_t *in, size_t len)
{
	return len >= 2 && in[0] == 0x1f && in[1] == 0x8b;
}

static bool is_zstd(const uint8_t *in, size_t len)
{
	return len >= 4 && in[0] == 0x28 && in[1] == 0xb5 && in[2] == 0x2f && in[3] == 0xfd;
}

/* Inflate one or more concatenated gzip members (RFC 1952 allows several; Go reads them all). */
static int gunzip(const uint8_t *in, size_t len, struct outbuf *ob)
{
	z_stream zs = { 0 };
	size_t in_left = len;
	int zerr, err = 0;

	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	for (;;) {
		err = zs_refill(&zs, &in_left, ob, len * 4);
		if (err)
			break;
		zerr = inflate(&zs, Z_NO_FLUSH);
		ob->len = zs.next_out - ob->buf;
		if (zerr == Z_STREAM_END) {
			size_t rest = zs.avail_in + in_left;

			if (!rest)
				break;
			/* another member may follow; anything else is trailing garbage */
			if (!is_gzip(zs.next_in, rest)) {
				err = -EINVAL;
				break;
			}
			inflateReset(&zs);
			continue;
		}
		if (zerr == Z_BUF_ERROR && !zs.avail_in && !in_left) {
			err = -EINVAL; /* truncated */
			break;
		}
		if (zerr == Z_MEM_ERROR) {
			err = -ENOMEM;
			break;
		}
		if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
			err = -EINVAL;
			break;
		}
	}
	inflateEnd(&zs);
	return err;
}

static int unzstd(const uint8_t *in, size_t len, struct outbuf *ob)
{
	ZSTD_inBuffer inb = { in, len, 0 };
	ZSTD_DCtx *dctx;
	int err = 0;

	dctx = ZSTD_createDCtx();
	if (!dctx)
		return -ENOMEM;
	for (;;) {
		ZSTD_outBuffer outb;
		size_t ret;

		err = outbuf_reserve(ob, len * 4);
		if (err)
			break;
		outb = (ZSTD_outBuffer){ ob->buf + ob->len, ob->cap - ob->len, 0 };
		ret = ZSTD_decompressStream(dctx, &outb, &inb);
		if (ZSTD_isError(ret)) {
			err = ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation ? -ENOMEM
										     : -EINVAL;
			break;
		}
		ob->len += outb.pos;
		if (inb.pos == inb.size) {
			if (!ret)
				break; /* last frame complete */
			if (outb.pos < outb.size) {
				err = -EINVAL; /* wants input that is not there: truncated */
				break;
			}
		}
	}
	ZSTD_freeDCtx(dctx);
	return err;
}

int output_decompress(const uint8_t *in, size_t len, size_t max_out, uint8_t **ret_out,
		      size_t *ret_len)
{
	/* one byte of room past max_out tells "exactly max_out" from "more" */
	struct outbuf ob = { .limit = max_out == SIZE_MAX ? SIZE_MAX : max_out + 1 };
	int err;

	if ((!in && len) || !ret_out || !ret_len)
		return -EINVAL;
	if (is_gzip(in, len)) {
		err = gunzip(in, len, &ob);
	} else if (is_zstd(in, len)) {
		err = unzstd(in, len, &ob);
	} else {
		ob.buf = malloc(len ? len : 1);
		err = ob.buf ? 0 : -ENOMEM;
		if (!err && len)
			memcpy(ob.buf, in, len);
		ob.len = len;
	}
	if (!err && ob.len > max_out)
		err = -EFBIG;
	if (err) {
		free(ob.buf);
		return err;
	}
	if (!ob.buf) { /* empty stream: still hand back a buffer the caller can free */
		ob.buf = malloc(1);
		if (!ob.buf)
			return -ENOMEM;
	}
	*ret_out = ob.buf;
	*ret_len = ob.len;
	return 0;
}

/* Whole file into memory, at most limit bytes (-EFBIG beyond). */
static int read_file(const char *path, size_t limit, uint8_t **ret_buf, size_t *ret_len)
{
	struct outbuf ob = { .limit = limit == SIZE_MAX ? SIZE_MAX : limit + 1 };
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		err = outbuf_reserve(&ob, 64 * 1024);
		if (err)
			break;
		n = read(fd, ob.buf + ob.len, ob.cap - ob.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		ob.len += n;
	}
	close(fd);
	if (!err && ob.len > limit)
		err = -EFBIG;
	if (err) {
		free(ob.buf);
		return err;
	}
	*ret_buf = ob.buf;
	*ret_len = ob.len;
	return 0;
}

int output_read_pprof(const char *path, struct profile **ret_profile)
{
	uint8_t *file = NULL, *raw = NULL;
	size_t file_len = 0, raw_len = 0;
	int err;

	if (!path || !ret_profile)
		return -EINVAL;
	err = read_file(path, OUTPUT_MAX_PPROF_BYTES, &file, &file_len);
	if (!err)
		err = output_decompress(file, file_len, OUTPUT_MAX_PPROF_BYTES, &raw, &raw_len);
	if (!err)
		err = profile__decode_pprof(raw, raw_len, ret_profile);
	free(file);
	free(raw);
	return err;
}
