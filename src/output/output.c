// SPDX-License-Identifier: MIT
/* Profile files: format by extension, gzip (zlib) and zstd, atomic writes, reading pprof back. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "output/output.h"
#include "profile/profile.h"
#include "util/clock.h"
#include "util/readfile.h"

/* gzip's fastest level, as Go's runtime/pprof writes its profiles: a window's pprof (80 KB raw
 * on a busy host) is 8 % larger than at zlib's default 6 and takes 2.5 ms instead of 5.9 */
#define OUTPUT_GZIP_LEVEL   1
#define OUTPUT_ZSTD_LEVEL   3 /* zstd's default */
#define OUTPUT_TMP_ATTEMPTS 100

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

int output_parse_mode(const char *s, mode_t *ret_mode)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return -EINVAL;
	*ret_mode = (mode_t)v;
	return 0;
}

/* Name or number -> id; getpwnam/getgrnam first, since a name may be all digits. */
static int parse_id(const char *s, bool group, unsigned int *ret_id, gid_t *ret_primary)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	unsigned long v;
	char *end;

	if (!*s)
		return -EINVAL;
	if (group)
		gr = getgrnam(s);
	else
		pw = getpwnam(s);
	if (pw || gr) {
		*ret_id = pw ? pw->pw_uid : gr->gr_gid;
		if (pw)
			*ret_primary = pw->pw_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || *s == '-' || *s == '+' || v >= (unsigned int)-1)
		return -ENOENT; /* not a name we know, nor a number */
	*ret_id = (unsigned int)v;
	if (!group) {
		pw = getpwuid((uid_t)v);
		*ret_primary = pw ? pw->pw_gid : (gid_t)v;
	}
	return 0;
}

int output_parse_owner(const char *spec, uid_t *ret_uid, gid_t *ret_gid)
{
	const char *colon;
	char user[256];
	unsigned int uid, gid;
	gid_t primary = 0;
	int err;

	if (!spec)
		return -EINVAL;
	colon = strchr(spec, ':');
	if ((size_t)(colon ? colon - spec : (ptrdiff_t)strlen(spec)) >= sizeof(user))
		return -EINVAL;
	snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	err = parse_id(user, false, &uid, &primary);
	if (err)
		return err;
	gid = primary;
	if (colon) {
		err = parse_id(colon + 1, true, &gid, &primary);
		if (err)
			return err;
	}
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

/* May flamed replace the file st describes? Only its own regular files, or those of the owner it
 * was told to give its files to; never a symbolic link (rename would replace the link, but a user
 * who made one meant something else) nor a device or fifo. */
static int replaceable(const struct stat *st, const struct output_opts *opts)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_uid != geteuid() && !(opts && opts->has_owner && st->st_uid == opts->uid))
		return -EEXIST;
	return 0;
}

int output_check_writable(const char *path, const struct output_opts *opts)
{
	struct stat st;
	char *dir = NULL;
	int err = 0;

	if (!path || !path[0])
		return -EINVAL;
	if (path[strlen(path) - 1] == '/')
		return -EISDIR;
	if (!lstat(path, &st)) {
		err = replaceable(&st, opts);
		if (err)
			return err;
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
	else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS))
		err = -errno;
	free(dir);
	return err;
}

const char *output_strerror(int err)
{
	switch (err) {
	case -ELOOP:
		return "it is a symbolic link (flamed neither follows nor replaces one)";
	case -EEXIST:
		return "a file owned by another user is in the way (flamed replaces only its own "
		       "files)";
	case -EINVAL:
		return "not a regular file";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* A FILE over an fd that remembers why a write failed: stdio and the encoders only report
 * "failed" (-EIO), and a full disk must be reported as such. */
struct errfile {
	int fd;
	int err; /* first write errno */
};

static ssize_t errfile_write(void *cookie, const char *buf, size_t len)
{
	struct errfile *ef = cookie;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(ef->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!ef->err)
				ef->err = n < 0 ? errno : ENOSPC;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Random suffix for temp names, so that no one can guess and pre-create them. */
static unsigned long long tmp_suffix(void)
{
	unsigned long long r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = ((unsigned long long)getpid() << 32) ^ (unsigned long long)mono_ns();
	return r;
}

/* Create the file to write: unnamed (O_TMPFILE) when the file system can, else under a random
 * hidden name with O_EXCL|O_NOFOLLOW, which refuses a pre-created file or link. *ret_tmp is the
 * name, or NULL when unnamed. fd or -errno. */
static int create_temp(int dirfd, const char *name, mode_t mode, bool named, char **ret_tmp)
{
	int fd;

	*ret_tmp = NULL;
	if (!named) {
		fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -errno;
	}
	for (int i = 0; i < OUTPUT_TMP_ATTEMPTS; i++) {
		char *tmp;

		/* hidden, and short enough to stay under NAME_MAX whatever the target's length */
		if (asprintf(&tmp, ".%.200s.%016llx.tmp", name, tmp_suffix()) < 0)
			return -ENOMEM;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0) {
			*ret_tmp = tmp;
			return fd;
		}
		free(tmp);
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Give the unnamed file fd a name in dirfd: name itself (fails with EEXIST if taken) or, with
 * tmp_out, a fresh random temp name stored there. */
static int link_tmpfile(int fd, int dirfd, const char *name, char **tmp_out)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int i = 0; i < OUTPUT_TMP_ATTEMPTS; i++) {
		char *tmp = NULL;

		if (tmp_out && asprintf(&tmp, ".%.200s.%016llx.tmp", name, tmp_suffix()) < 0)
			return -ENOMEM;
		if (!linkat(AT_FDCWD, proc, dirfd, tmp ? tmp : name, AT_SYMLINK_FOLLOW)) {
			if (tmp_out)
				*tmp_out = tmp;
			return 0;
		}
		free(tmp);
		if (errno != EEXIST || !tmp_out)
			return -errno;
	}
	return -EEXIST;
}

/* Is name in dirfd still the file open as fd? */
static bool same_file(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return !fstatat(dirfd, name, &a, AT_SYMLINK_NOFOLLOW) && !fstat(fd, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Put the written file fd (unnamed, or named tmp) in place as name. */
static int publish(int dirfd, int fd, char **tmp, const char *name, const struct output_opts *opts)
{
	struct stat st;
	int err;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			return -errno;
		/* nothing there: create the name, never replacing what appears meanwhile */
		if (!*tmp)
			return link_tmpfile(fd, dirfd, name, NULL);
		if (!same_file(dirfd, *tmp, fd))
			return -EEXIST; /* someone replaced our temp name: do not publish theirs */
		if (renameat2(dirfd, *tmp, dirfd, name, RENAME_NOREPLACE)) {
			/* NFS and a few others lack RENAME_NOREPLACE: a plain rename, the name
			 * having just been seen free */
			if (errno != EINVAL && errno != ENOSYS)
				return -errno;
			if (renameat(dirfd, *tmp, dirfd, name))
				return -errno;
		}
		free(*tmp);
		*tmp = NULL;
		return 0;
	}
	err = replaceable(&st, opts);
	if (err)
		return err;
	if (!*tmp) {
		err = link_tmpfile(fd, dirfd, name, tmp);
		if (err)
			return err;
	}
	if (!same_file(dirfd, *tmp, fd))
		return -EEXIST; /* someone replaced our temp name: do not publish theirs */
	if (renameat(dirfd, *tmp, dirfd, name))
		return -errno;
	free(*tmp);
	*tmp = NULL;
	return 0;
}

/* The temp file never outlives a failure, and an existing path is untouched unless everything
 * succeeded. */
int output_write_atomic(const char *path, const struct output_opts *opts, output_writer_fn fn,
			void *ctx)
{
	mode_t mode = opts && opts->has_mode ? opts->mode : OUTPUT_DEFAULT_MODE;
	struct errfile ef = { .fd = -1 };
	char *dir = NULL, *tmp = NULL;
	cookie_io_functions_t io = { .write = errfile_write };
	int dirfd = -1, err;
	FILE *f = NULL;

	err = output_check_writable(path, opts);
	if (!err)
		err = dir_of(path, &dir);
	if (err)
		return err;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err = -errno;
		goto cleanup;
	}
	ef.fd = create_temp(dirfd, base_name(path), 0600, opts && opts->named_temp, &tmp);
	if (ef.fd < 0) {
		err = ef.fd;
		goto cleanup;
	}
	/* the mode as asked, whatever the umask; the owner only once the file is in place: linking
	 * an unnamed file that belongs to another user is refused without CAP_FOWNER
	 * (fs.protected_hardlinks), which a capture has dropped */
	if (fchmod(ef.fd, mode)) {
		err = -errno;
		goto cleanup;
	}
	f = fopencookie(&ef, "w", io);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	err = fn(f, ctx);
	if (!err && fflush(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	f = NULL;
	if (ef.err) /* the writer saw only "failed": say why */
		err = -ef.err;
	if (!err && fsync(ef.fd))
		err = -errno;
	if (!err)
		err = publish(dirfd, ef.fd, &tmp, base_name(path), opts);
	if (err)
		goto cleanup;
	/* a failure leaves the file flamed's own (mode as asked), never someone else's */
	if (opts && opts->has_owner && fchown(ef.fd, opts->uid, opts->gid)) {
		err = -errno;
		goto cleanup;
	}
	/* make the new name durable; a failure here does not undo a complete write */
	(void)fsync(dirfd);

cleanup:
	if (f)
		fclose(f);
	if (tmp && ef.fd >= 0 && same_file(dirfd, tmp, ef.fd))
		unlinkat(dirfd, tmp, 0);
	if (ef.fd >= 0)
		close(ef.fd);
	if (dirfd >= 0)
		close(dirfd);
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
	if (opts && opts->sample_type) {
		int idx = profile__sample_type_index(p, opts->sample_type);

		if (idx < 0)
			return -EINVAL;
		stacks.value_idx = (size_t)idx;
	}
	stacks.title = opts && opts->title ? opts->title : "Flame Graph";

	switch (fmt) {
	case OUTPUT_FOLDED:
		return output_write_atomic(path, opts, write_folded, &stacks);
	case OUTPUT_SVG:
		return output_write_atomic(path, opts, write_svg, &stacks);
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
	err = output_write_atomic(path, opts, write_buffer, &b);

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

size_t output_pprof_mem_limit(size_t file_len)
{
	size_t limit = file_len > SIZE_MAX / OUTPUT_PPROF_MEM_RATIO
			       ? SIZE_MAX
			       : file_len * OUTPUT_PPROF_MEM_RATIO;

	return limit < OUTPUT_PPROF_MEM_MIN ? (size_t)OUTPUT_PPROF_MEM_MIN : limit;
}

int output_read_pprof(const char *path, struct profile **ret_profile)
{
	uint8_t *raw = NULL;
	size_t file_len = 0, raw_len = 0, limit;
	char *file = NULL;
	int err;

	if (!path || !ret_profile)
		return -EINVAL;
	err = read_path_all(path, 64 * 1024, OUTPUT_MAX_PPROF_BYTES, &file, &file_len);
	if (err)
		goto cleanup;
	/* the decompressed bytes and the unpacked message each stay within the file's share */
	limit = output_pprof_mem_limit(file_len);
	err = output_decompress((const uint8_t *)file, file_len,
				limit < OUTPUT_MAX_PPROF_BYTES ? limit : OUTPUT_MAX_PPROF_BYTES,
				&raw, &raw_len);
	free(file);
	file = NULL;
	if (!err)
		err = profile__decode_pprof_limit(raw, raw_len, limit, ret_profile);
cleanup:
	free(file);
	free(raw);
	return err;
}
