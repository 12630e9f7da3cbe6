/* SPDX-License-Identifier: MIT */
/* Profile files: format chosen by file name, gzip/zstd compression, atomic writes (temp file +
 * rename, so a reader never sees half a file and a failed write leaves the old file), and reading
 * any pprof file back (gzip, zstd or raw, detected by magic bytes). */
#ifndef FLAMED_OUTPUT_H
#define FLAMED_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

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

/* Would writing path succeed? Checks the directory exists and is writable, and that an existing
 * file is a writable regular file. 0 or -errno (-ENOENT, -EACCES, -EISDIR, ...). No file is
 * created. */
int output_check_writable(const char *path);

/* Options for the SVG encoder; NULL-safe (defaults). */
struct output_opts {
	const char *title; /* SVG title line; NULL = "Flame Graph" */
};

/* Write p to path in format fmt atomically (temp file in the same directory, fsync, rename; the temp
 * file is removed on error). Folded and SVG draw the "samples" sample type when there is one, else
 * the last type. 0 or -errno; -ENOTSUP for a format not built in. */
int output_write_profile(const struct profile *p, const char *path, enum output_format fmt,
			 const struct output_opts *opts);

/* Writes the file's bytes to f; 0 or -errno. */
typedef int (*output_writer_fn)(FILE *f, void *ctx);

/* Write path atomically through fn: a temp file next to path, fsync, rename over path. 0, -errno,
 * or fn's error. */
int output_write_atomic(const char *path, output_writer_fn fn, void *ctx);

/* gzip (RFC 1952, deflateInit2 windowBits 15+16) of in. *ret_out malloc'ed. 0 or -errno. */
int output_gzip(const uint8_t *in, size_t len, uint8_t **ret_out, size_t *ret_len);

/* Decompress gzip or zstd by magic bytes, or copy raw data. At most max_out bytes of output
 * (-EFBIG beyond). *ret_out malloc'ed. 0 or -errno (-EINVAL for corrupt data). */
int output_decompress(const uint8_t *in, size_t len, size_t max_out, uint8_t **ret_out,
		      size_t *ret_len);

/* Read a pprof file (gzip, zstd or raw) into a new profile. 0 or -errno. */
int output_read_pprof(const char *path, struct profile **ret_profile);

#endif /* FLAMED_OUTPUT_H */
