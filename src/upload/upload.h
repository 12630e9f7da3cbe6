/* SPDX-License-Identifier: MIT */
/* Sinks for finished profile windows: Pyroscope (Connect Push or /ingest), Parca (WriteRaw over
 * gRPC h2c, gRPC over TLS, or gRPC-Web), an OpenTelemetry receiver (OTLP profiles over gRPC or
 * HTTP) and a directory of files. Sinks consume bytes, not profiles: the caller encodes the window
 * once per payload kind (sink__payload: gzip pprof, or a gzip OTLP request) and hands the same
 * bytes to every sink of that kind.
 *
 * The HTTP sinks share one upload_loop: one libcurl multi handle whose sockets sit in one epoll fd
 * (upload_loop__fd), so a daemon adds a single fd and a timeout to its own event loop; no thread.
 * Each HTTP sink sends its windows one at a time, in submission order; a window that fails with a
 * connection error, a timeout, 5xx, 429 (or gRPC UNAVAILABLE, RESOURCE_EXHAUSTED...) is retried
 * with exponential backoff and jitter (Retry-After honoured); any other 4xx is rejected at once and
 * its message reported. With a spool directory, windows waiting behind a failure are kept there
 * (zstd), bounded in bytes (oldest evicted first), and a new sink on the same directory sends what
 * a previous run left, oldest first. A window's first attempt is sent from memory: a crash
 * (not a stop: sink__flush and sink__free spool it) during that attempt loses that window. Every
 * loss is counted in struct upload_stats.
 *
 * Use: upload_loop__new; sink__new_http per server, sink__new_file for --output-dir; per window,
 * encode once and sink__submit to each sink; in the event loop, watch upload_loop__fd with
 * upload_loop__timeout_ms and call upload_loop__process; at exit sink__flush (a deadline),
 * sink__stats for the summary, sink__free, upload_loop__free. */
#ifndef FLAMED_UPLOAD_H
#define FLAMED_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One series label (k=v). Label names must match [A-Za-z_][A-Za-z0-9_]* (Prometheus, accepted by
 * both Parca and Pyroscope). */
struct upload_label {
	const char *key;
	const char *value;
};

/* What a sink's windows carry in upload_window.payload. */
enum upload_payload {
	UPLOAD_PAYLOAD_PPROF, /* gzip (RFC 1952) pprof: the only compressed form servers accept */
	UPLOAD_PAYLOAD_OTLP,  /* gzip ExportProfilesServiceRequest (profile__encode_otlp) */
};

/* A finished window, as the caller hands it over. Everything is borrowed for the call. */
struct upload_window {
	const uint8_t *payload; /* the encoded window, of the sink's sink__payload kind */
	size_t payload_len;
	int64_t start_ns; /* UTC, ns since the epoch */
	int64_t end_ns;
	const char *service_name;	   /* Pyroscope service_name; NULL = "flamed" */
	const char *series_name;	   /* __name__ (Pyroscope, Parca): what the series
					    * measures; NULL = "process_cpu" */
	const char *hostname;		   /* "hostname" label; NULL = none */
	const struct upload_label *labels; /* extra series labels */
	size_t nr_labels;
};

/* Counters since the sink was created (queued and spool_bytes are gauges). */
struct upload_stats {
	uint64_t submitted; /* windows accepted by sink__submit */
	uint64_t sent;	    /* delivered (server said yes), or files written */
	uint64_t retries;   /* failed attempts that will be retried */
	uint64_t spooled;   /* windows written to the spool directory */
	uint64_t evicted;   /* dropped, oldest first, to keep the spool (or memory queue, or
			     * --retain) within its size */
	uint64_t rejected;  /* refused by the server (4xx, or a gRPC error that is not transient) */
	uint64_t partial;   /* of those sent, taken only in part or with a warning (OTLP partial
			     * success; logged once per distinct message) */
	uint64_t rejected_profiles; /* profiles the server said it dropped in partial successes */
	uint64_t dropped;	    /* lost otherwise: unreadable spool file, left in memory at free
			     * without a spool, write error of the file sink */
	uint64_t queued;	    /* windows waiting now (memory + spool) */
	uint64_t spool_bytes;	    /* bytes in the spool directory now */
};

enum upload_log_level {
	UPLOAD_LOG_ERROR,
	UPLOAD_LOG_WARN,
	UPLOAD_LOG_INFO,
	UPLOAD_LOG_DEBUG,
};

/* Where a sink reports what the daemon should log: a rejection (once per window), the first
 * failure of a retry streak and the recovery, an eviction, a credential file readable by others.
 * Credentials never appear in these messages. msg is borrowed for the call. */
typedef void (*upload_log_fn)(void *ctx, enum upload_log_level level, const char *msg);

enum upload_protocol {
	UPLOAD_PYROSCOPE, /* Connect unary push.v1.PusherService/Push (http:// or https://) */
	UPLOAD_PYROSCOPE_INGEST, /* legacy POST /ingest, multipart file part "profile" */
	UPLOAD_PARCA,		 /* WriteRaw: grpc:// h2c, grpcs:// TLS, http(s):// gRPC-Web */
	UPLOAD_OTLP, /* OTLP ProfilesService/Export: grpc:// h2c, grpcs:// TLS; http(s):// POST
		      * /v1development/profiles */
};

#define UPLOAD_MAX_HEADERS 16

/* Options of an HTTP sink; zero values take the defaults named. Strings are copied. */
struct upload_opts {
	enum upload_protocol protocol;
	const char *url;       /* base URL; a path prefix is kept */
	const char *name;      /* in log lines and the spool subdirectory; NULL = the protocol's */
	const char *tenant_id; /* X-Scope-OrgID; NULL = none */
	/* more request headers, "Name: value" each (upload_check_header), at most
	 * UPLOAD_MAX_HEADERS; values may be secrets: never logged */
	const char *const *headers;
	size_t nr_headers;
	const char *bearer_token_file;	 /* "Authorization: Bearer <first line>" */
	const char *basic_auth_file;	 /* "user:password" on the first line */
	const char *tls_ca;		 /* PEM CA bundle instead of the system one */
	const char *tls_cert;		 /* client certificate (PEM) ... */
	const char *tls_key;		 /* ... and its key */
	bool insecure_skip_verify;	 /* TLS without verifying the server: explicit only */
	const char *spool_dir;		 /* NULL = no spool: windows wait in memory */
	uint64_t spool_max_bytes;	 /* spool (or memory queue) bound; 0 = 256 MiB */
	unsigned int timeout_ms;	 /* whole request; 0 = 30 s */
	unsigned int connect_timeout_ms; /* 0 = 10 s */
	unsigned int backoff_min_ms;	 /* first retry delay; 0 = 1 s */
	unsigned int backoff_max_ms;	 /* cap, also for Retry-After; 0 = 5 min */
	upload_log_fn log;		 /* NULL = silent */
	void *log_ctx;
};

/* The shared libcurl multi handle and its epoll fd. */
struct upload_loop;

/* New loop. 0 and *ret_loop, or -errno (-ENOMEM, -EIO when libcurl cannot start). */
int upload_loop__new(struct upload_loop **ret_loop);
/* The epoll fd to watch for input (owned by the loop). */
int upload_loop__fd(const struct upload_loop *loop);
/* Milliseconds until the loop wants upload_loop__process without input (a libcurl timer, a
 * retry due): -1 = none, 0 = now. */
int upload_loop__timeout_ms(struct upload_loop *loop);
/* Do whatever is ready (sockets, timers, completed requests, retries due) without blocking.
 * 0 or -errno. */
int upload_loop__process(struct upload_loop *loop);
/* Wait up to timeout_ms (-1 = until something happens) for the loop's fd or timers, then process.
 * 0 or -errno. */
int upload_loop__poll(struct upload_loop *loop, int timeout_ms);
/* NULL-safe. Free every sink of the loop first (-EBUSY-style misuse is caught by an assert). */
void upload_loop__free(struct upload_loop *loop);

struct sink;

/* HTTP sink (Pyroscope or Parca) on loop (borrowed; must outlive the sink). Reads the credential
 * files now. With a spool dir, the sink keeps its windows in <spool_dir>/<protocol name>/ (made if
 * missing) and queues what an earlier run left there. 0 and *ret_sink, or -errno: -EINVAL (bad
 * URL, scheme or option; one line via opts->log), -ENOENT/-EACCES (a file), -ENOMEM. */
int sink__new_http(struct upload_loop *loop, const struct upload_opts *opts,
		   struct sink **ret_sink);

enum upload_file_compress {
	UPLOAD_FILE_GZIP, /* .pb.gz: what go tool pprof and every server read */
	UPLOAD_FILE_ZSTD, /* .pb.zst: smaller archives for flamed's own tools */
};

/* Options of the file sink (--output-dir). Strings are copied. */
struct upload_file_opts {
	const char *dir;      /* must exist */
	const char *hostname; /* file name prefix; NULL = "flamed" */
	enum upload_file_compress compress;
	uint64_t retain_bytes; /* total size kept, oldest deleted first; 0 = keep everything */
	bool name_by_service;  /* several series a window: <host>_<start>Z_<service_name>.pb.gz */
	bool has_mode;	       /* file mode below, else output's default (0600) */
	unsigned int mode;     /* permission bits of each file, at most 0777 */
	bool has_owner;	       /* chown each file to uid:gid */
	unsigned int uid;
	unsigned int gid;
	upload_log_fn log;
	void *log_ctx;
};

/* File sink: one file per window, <hostname>_<UTC start YYYY-MM-DDTHH-MM-SSZ>.pb.gz (or .pb.zst),
 * written atomically at submit. 0 and *ret_sink, or -errno (-ENOTDIR, -EACCES, -ENOMEM). */
int sink__new_file(const struct upload_file_opts *opts, struct sink **ret_sink);

/* Hand a window to the sink, which copies what it needs (w is borrowed). HTTP sinks queue it and
 * send it from the loop; the file sink writes it now. 0 or -errno: -EINVAL (bad label name, no
 * pprof bytes), -ENOMEM, or the file sink's write error (counted as dropped). */
int sink__submit(struct sink *s, const struct upload_window *w);

/* Drive the sink's loop for up to timeout_ms (a no-op for the file sink). 0 or -errno. */
int sink__poll(struct sink *s, int timeout_ms);

/* Try to deliver everything queued within timeout_ms, then write whatever is left to the spool
 * (when there is one) so a restart sends it. 0 when nothing is queued, -ETIMEDOUT otherwise. */
int sink__flush(struct sink *s, int timeout_ms);

/* Copy of the counters. */
void sink__stats(const struct sink *s, struct upload_stats *ret_stats);

/* Short name: "pyroscope", "pyroscope-ingest", "parca", "otlp" (or upload_opts.name), "file".
 * Borrowed from the sink. */
const char *sink__name(const struct sink *s);

/* What the sink's windows must carry. */
enum upload_payload sink__payload(const struct sink *s);

/* A NAME=VALUE pair (as --otlp-header takes it) made into "Name: value" in buf, or -EINVAL with
 * why (a static string) in *ret_why: NAME an HTTP token that is not a header the protocols set
 * themselves (content-type, te, grpc-*...), VALUE printable ASCII. */
int upload_header_line(const char *kv, char *buf, size_t size, const char **ret_why);

/* NULL-safe. An HTTP sink aborts a request in flight; what is still queued stays in the spool,
 * or without one is lost: call sink__flush first, and report stats.queued from sink__stats (the
 * counters go with the sink). */
void sink__free(struct sink *s);

#endif /* FLAMED_UPLOAD_H */
