// SPDX-License-Identifier: MIT
/* OTLP against pprof, per window: bytes on the wire and encode CPU time, for captured windows
 * (pprof files flamed wrote). Each window is decoded once, then encoded REPS times each way,
 * alternating, timed by this thread's CPU clock; medians printed with OTLP / pprof ratios, the
 * baseline (pprof + gzip, what the Pyroscope and Parca sinks send) measured in the same run.
 *   flamed_otlp_bench [-n REPS] WINDOW.pb.gz...
 * The decoded window has no process records (pprof does not carry them): the OTLP resources lack
 * process.executable.path and container.id, a few dozen bytes per process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output/output.h"
#include "profile/profile.h"

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One encoding: otlp or pprof, then gzip as the sinks send it. Returns the CPU us taken. */
static double encode(const struct profile *p, const struct profile_otlp_opts *o, bool otlp,
		     size_t *raw_len, size_t *gz_len)
{
	uint8_t *raw = NULL, *gz = NULL;
	double t0 = cpu_us(), t;

	if ((otlp ? profile__encode_otlp(p, o, &raw, raw_len)
		  : profile__encode_pprof(p, &raw, raw_len)) ||
	    output_gzip(raw, *raw_len, &gz, gz_len)) {
		fprintf(stderr, "encode failed\n");
		exit(1);
	}
	t = cpu_us() - t0;
	free(raw);
	free(gz);
	return t;
}

int main(int argc, char **argv)
{
	const struct profile_attr attrs[] = { { "service.name", "flamed" },
					      { "host.name", "bench-host" },
					      { "host.id", "0123456789abcdef0123456789abcdef" } };
	struct profile_otlp_opts o = { .resource_attrs = attrs, .nr_resource_attrs = 3 };
	int reps = 15, c;

	while ((c = getopt(argc, argv, "n:")) != -1)
		reps = c == 'n' ? atoi(optarg) : reps;
	if (optind >= argc || reps < 1) {
		fprintf(stderr, "usage: flamed_otlp_bench [-n REPS] WINDOW.pb.gz...\n");
		return 2;
	}
	printf("%-28s %8s %7s %6s | %9s %9s %6s | %9s %9s %6s\n", "window", "samples", "", "",
	       "pprof.gz", "otlp.gz", "ratio", "pprof us", "otlp us", "ratio");
	for (int i = optind; i < argc; i++) {
		double tp[64], to[64];
		size_t pr = 0, pg = 0, orr = 0, og = 0;
		struct profile *p = NULL;
		const char *base = strrchr(argv[i], '/');

		if (reps > 64)
			reps = 64;
		if (output_read_pprof(argv[i], &p)) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 1;
		}
		for (int r = 0; r < reps; r++) {
			tp[r] = encode(p, &o, false, &pr, &pg);
			to[r] = encode(p, &o, true, &orr, &og);
		}
		printf("%-28s %8zu %7s %6s | %9zu %9zu %6.2f | %9.0f %9.0f %6.2f\n",
		       base ? base + 1 : argv[i], profile__nr_samples(p), "", "", pg, og,
		       (double)og / (double)pg, median(tp, reps), median(to, reps),
		       median(to, reps) / median(tp, reps));
		printf("%-28s raw protobuf: pprof %zu, otlp %zu bytes (%.2f)\n", "", pr, orr,
		       (double)orr / (double)pr);
		profile__free(p);
	}
	return 0;
}
