/* SPDX-License-Identifier: MIT */
/* Profile files: format chosen by file name, gzip/zstd compression, atomic writes (temp file +
 * rename, so a reader never sees half a file and a failed write leaves the old file), and reading
 * any pprof file back (gzip, zstd or raw, detected by magic bytes). */
#ifndef FLAMED_OUTPUT_H
#define FLAMED_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

struct profile;

enum output_format {
	OUTPUT_PPROF_GZ,  /* .pb.gz (also .pprof): gzip member, what every pprof reader takes */
	OUTPUT_PPROF,	  /* .pb: raw protobuf */
	OUTPUT_PPROF_ZST, /* .pb.zst: zstd, for flamed's own archives */
	OUTPUT_FOLDED,	  /* .folded: stackcollapse format */
	OUTPUT_SVG,	  /* .svg flame graph */
};

/* Format from the file name's extension. 0, or -EINVAL for an unknown extension. */
int output_format_from_path(const char *path, enum output_format *ret_fmt);

/* Human name of a format ("pprof (gzip)", ...). Static string. */
const char *output_format_name(enum output_format fmt);

/* Permission bits of a new output file unless the user chose others: a profile names every
 * process, thread and function of the host, which is not for every local user to read. */
#define OUTPUT_DEFAULT_MODE 0600

/* How files are written and what the SVG shows. NULL or zeroed = defaults. */
struct output_opts {
	const char *title; /* SVG title line; NULL = "Flame Graph" */
	/* the sample type folded and SVG draw; NULL = "samples" when there is one, else the last */
	const char *sample_type;
	bool has_mode;	/* mode below, else OUTPUT_DEFAULT_MODE */
	mode_t mode;	/* permission bits, at most 0777 (applied as is, umask aside) */
	bool has_owner; /* chown new files to uid:gid (needs CAP_CHOWN for another user) */
	uid_t uid;
	gid_t gid;
	bool named_temp; /* skip O_TMPFILE, as on file systems without it (for tests) */
};

/* "0644" (octal, at most 0777) -> *ret_mode. 0 or -EINVAL. Pure. */
int output_parse_mode(const char *s, mode_t *ret_mode);

/* "USER[:GROUP]" (names or numbers; GROUP defaults to USER's primary group) -> uid, gid. 0,
 * -ENOENT for an unknown user or group, -EINVAL for a malformed spec. Reads the user database. */
int output_parse_owner(const char *spec, uid_t *ret_uid, gid_t *ret_gid);

/* Would writing path succeed? Checks the directory exists and is writable, and that whatever
 * already has that name is a regular file flamed may replace: -ELOOP for a symbolic link (never
 * followed nor replaced), -EEXIST for a file owned by someone else than us (or opts' owner),
 * -EISDIR, -EINVAL for a device or fifo, -ENOENT, -EACCES, ... No file is created. */
int output_check_writable(const char *path, const struct output_opts *opts);

/* strerror() for output errors, with plain words for the refusals above (static string). */
const char *output_strerror(int err);

/* Write p to path in format fmt atomically (see output_write_atomic). Folded and SVG draw
 * opts->sample_type, else the "samples" sample type when there is one, else the last type. 0 or
 * -errno; -EINVAL when p has no sample type opts->sample_type; -ENOTSUP for a format not built
 * in. */
int output_write_profile(const struct profile *p, const char *path, enum output_format fmt,
			 const struct output_opts *opts);

/* Writes the file's bytes to f; 0 or -errno. */
typedef int (*output_writer_fn)(FILE *f, void *ctx);

/* Write path atomically through fn: an unnamed file (O_TMPFILE; else an O_EXCL|O_NOFOLLOW temp
 * name) in path's directory, with opts' mode and owner, fsync, then linked in as path, or renamed
 * over it when path is a file we may replace (output_check_writable's rules, checked again at the
 * last moment). Nothing is left under any name on failure, and a failed write never touches an
 * existing path. 0, -errno (the real one: -ENOSPC for a full disk, not -EIO), or fn's error. */
int output_write_atomic(const char *path, const struct output_opts *opts, output_writer_fn fn,
			void *ctx);

/* gzip (RFC 1952, deflateInit2 windowBits 15+16) of in. *ret_out malloc'ed. 0 or -errno. */
int output_gzip(const uint8_t *in, size_t len, uint8_t **ret_out, size_t *ret_len);

/* Decompress gzip or zstd by magic bytes, or copy raw data. At most max_out bytes of output
 * (-EFBIG beyond). *ret_out malloc'ed. 0 or -errno (-EINVAL for corrupt data). */
int output_decompress(const uint8_t *in, size_t len, size_t max_out, uint8_t **ret_out,
		      size_t *ret_len);

/* Memory a pprof file of file_len bytes may take to decompress and to unpack: proportional to the
 * file (OUTPUT_PPROF_MEM_RATIO bytes a byte, 20 times what a profile of 100k random stacks needs),
 * with a floor for small, well-compressed files. */
/* Largest pprof file output_read_pprof() reads, compressed or not: far above what any store
 * accepts (Pyroscope takes 4 MiB), small enough that a bogus file cannot exhaust memory. */
#define OUTPUT_MAX_PPROF_BYTES (1ULL << 30)
#define OUTPUT_PPROF_MEM_RATIO 256
#define OUTPUT_PPROF_MEM_MIN   (256ULL << 20)
size_t output_pprof_mem_limit(size_t file_len);

/* Read a pprof file (gzip, zstd or raw) into a new profile. 0 or -errno: -EFBIG when it expands
 * past output_pprof_mem_limit() of its size (a decompression or protobuf bomb), or when the file
 * or its decompressed bytes pass OUTPUT_MAX_PPROF_BYTES. */
int output_read_pprof(const char *path, struct profile **ret_profile);

#endif /* FLAMED_OUTPUT_H */
