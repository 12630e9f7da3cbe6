// SPDX-License-Identifier: MIT
/* flamed report: pprof file in, flame graph / folded / top table / pprof out, with sample
 * filters; with --diff two files in, a differential flame graph or two-count folded stacks out.
 * Filtering rebuilds the profile from the public stack walk, so the filtered pprof keeps
 * function names, frame kinds, inlining, labels and every value column, but not addresses, file
 * names or line numbers (the walk does not expose them). Unfiltered reports use the input as is. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/output.h"
#include "profile/profile.h"
#include "report.h"
#include "util/array.h"
#include "util/hashmap.h"
#include "util/log.h"
#include "util/parse.h"

#define REPORT_MAX_OUTPUTS 16
#define REPORT_MAX_FILTERS 256

enum report_kind {
	REPORT_TOP,    /* .txt */
	REPORT_STACKS, /* .svg, .folded: drawn from the chosen sample type */
	REPORT_PPROF,  /* .pb.gz, .pb, .pb.zst: every sample type */
};

struct report_output {
	const char *path; /* borrowed from argv */
	enum report_kind kind;
	enum output_format fmt; /* for REPORT_STACKS and REPORT_PPROF */
};

struct report_opts {
	const char *in;
	const char *base; /* --diff: the first input, compared against in */
	struct report_output outputs[REPORT_MAX_OUTPUTS];
	size_t nr_outputs;
	long long pids[REPORT_MAX_FILTERS];
	size_t nr_pids;
	const char *comms[REPORT_MAX_FILTERS];
	size_t nr_comms;
	const char *focus;
	regex_t focus_re; /* compiled when focus is set */
	const char *sample_index;
	const char *title;
	struct output_opts out_opts; /* --output-mode, --output-owner */
};

static const char usage[] =
	"Usage: flamed report PROFILE -o OUT [-o OUT2]... [options]\n"
	"       flamed report BASE NEW --diff -o OUT.svg|OUT.folded [options]\n"
	"\n"
	"Turn a pprof file (flamed's or Go's runtime/pprof; gzip, zstd or raw) into reports.\n"
	"\n"
	"  -o, --output PATH      write PATH; the format comes from the name (repeatable):\n"
	"                           .svg     interactive flame graph, self-contained\n"
	"                           .folded  folded stacks\n"
	"                           .txt     table of functions by flat time (pprof -top)\n"
	"                           .pb.gz, .pb, .pb.zst  pprof (after filtering)\n"
	"  --pid PID              keep samples whose pid label is PID (repeatable: any of them)\n"
	"  --comm NAME            keep samples whose comm label is NAME (repeatable: any of them)\n"
	"  --focus REGEX          keep samples with a frame matching REGEX (POSIX extended)\n"
	"                         (different filters must all match)\n"
	"  --sample-index TYPE    value drawn in .svg/.folded/.txt: samples, cpu, or an index\n"
	"                         (default: samples when present, else the last type)\n"
	"  --title TEXT           title line of the flame graph\n"
	"  --output-mode MODE     permissions of the files written (octal; default 0600)\n"
	"  --output-owner USER[:GROUP]  give the files written to USER\n"
	"  --diff                 compare BASE with NEW: a flame graph of NEW coloured by each\n"
	"                         frame's change in share of the total (red grew, blue\n"
	"                         shrank), or folded stacks with two counts (BASE NEW);\n"
	"                         the filters apply to both\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 success, 1 unreadable or invalid input or failed write, 2 usage error.\n";

/* --- command line --- */

static int output_kind(const char *path, struct report_output *o)
{
	size_t len = strlen(path);
	int err;

	o->path = path;
	if (len > 4 && strcmp(path + len - 4, ".txt") == 0) {
		o->kind = REPORT_TOP;
		return 0;
	}
	err = output_format_from_path(path, &o->fmt);
	if (err)
		return err;
	o->kind = o->fmt == OUTPUT_SVG || o->fmt == OUTPUT_FOLDED ? REPORT_STACKS : REPORT_PPROF;
	return 0;
}

/* 0 to run, 1 when --help was printed, or -EINVAL after logging the usage error. */
static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum {
		OPT_PID = 256,
		OPT_COMM,
		OPT_FOCUS,
		OPT_SAMPLE_INDEX,
		OPT_TITLE,
		OPT_OUTPUT_MODE,
		OPT_OUTPUT_OWNER,
		OPT_DIFF
	};
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "focus", required_argument, NULL, OPT_FOCUS },
		{ "sample-index", required_argument, NULL, OPT_SAMPLE_INDEX },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "output-mode", required_argument, NULL, OPT_OUTPUT_MODE },
		{ "output-owner", required_argument, NULL, OPT_OUTPUT_OWNER },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char msg[256];
	bool diff = false;
	int c, err;

	opterr = 0; /* our own one-line messages */
	optind = 0; /* full re-initialisation: main() may have run getopt already */
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'o':
			if (o->nr_outputs == REPORT_MAX_OUTPUTS) {
				log_error("report: at most %d outputs", REPORT_MAX_OUTPUTS);
				return -EINVAL;
			}
			if (output_kind(optarg, &o->outputs[o->nr_outputs])) {
				log_error("report: unknown output format for '%s' (%s)", optarg,
					  "use .svg, .folded, .txt, .pb.gz, .pb or .pb.zst");
				return -EINVAL;
			}
			o->nr_outputs++;
			break;
		case OPT_PID:
			if (o->nr_pids == REPORT_MAX_FILTERS ||
			    parse_int(optarg, 0, INT_MAX, &o->pids[o->nr_pids])) {
				log_error("report: bad --pid '%s'", optarg);
				return -EINVAL;
			}
			o->nr_pids++;
			break;
		case OPT_COMM:
			if (o->nr_comms == REPORT_MAX_FILTERS) {
				log_error("report: too many --comm filters");
				return -EINVAL;
			}
			o->comms[o->nr_comms++] = optarg;
			break;
		case OPT_FOCUS:
			if (o->focus) {
				log_error("report: --focus given twice (use REGEX1|REGEX2)");
				return -EINVAL;
			}
			err = regcomp(&o->focus_re, optarg, REG_EXTENDED | REG_NOSUB);
			if (err) {
				regerror(err, &o->focus_re, msg, sizeof(msg));
				log_error("report: bad --focus regex '%s': %s", optarg, msg);
				return -EINVAL;
			}
			o->focus = optarg;
			break;
		case OPT_SAMPLE_INDEX:
			o->sample_index = optarg;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_OUTPUT_MODE:
			if (output_parse_mode(optarg, &o->out_opts.mode)) {
				log_error(
					"report: invalid --output-mode '%s' (octal, at most 0777)",
					optarg);
				return -EINVAL;
			}
			o->out_opts.has_mode = true;
			break;
		case OPT_OUTPUT_OWNER:
			err = output_parse_owner(optarg, &o->out_opts.uid, &o->out_opts.gid);
			if (err) {
				log_error("report: invalid --output-owner '%s': %s", optarg,
					  err == -ENOENT ? "no such user or group"
							 : "use USER[:GROUP]");
				return -EINVAL;
			}
			o->out_opts.has_owner = true;
			break;
		case OPT_DIFF:
			diff = true;
			break;
		case ':':
			log_error("report: option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				log_error("report: unknown option '-%c' (see flamed report --help)",
					  optopt);
			else
				log_error("report: unknown option '%s' (see flamed report --help)",
					  argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		log_error("report: no input profile (usage: flamed report PROFILE -o OUT)");
		return -EINVAL;
	}
	if (diff && optind + 2 != argc) {
		log_error("report: --diff takes two input profiles, BASE and NEW");
		return -EINVAL;
	}
	if (!diff && optind + 1 < argc) {
		log_error("report: one input profile only, got '%s' and '%s' (--diff compares two)",
			  argv[optind], argv[optind + 1]);
		return -EINVAL;
	}
	if (diff)
		o->base = argv[optind++];
	o->in = argv[optind];
	for (size_t i = 0; diff && i < o->nr_outputs; i++) {
		if (o->outputs[i].kind != REPORT_STACKS) {
			log_error("report: --diff writes .svg or .folded, not '%s'",
				  o->outputs[i].path);
			return -EINVAL;
		}
	}
	if (!o->nr_outputs) {
		log_error("report: no output (-o OUT.svg, .folded, .txt or .pb.gz)");
		return -EINVAL;
	}
	return 0;
}

/* The value column to draw: --sample-index by name or number, else "samples", else the last. */
static int pick_value_index(const struct profile *p, const char *want, size_t *ret_idx)
{
	size_t nr_types = 0;
	long long n;
	int idx;

	while (profile__sample_type(p, nr_types).type)
		nr_types++;
	if (!nr_types)
		return -EINVAL;
	if (!want) {
		idx = profile__sample_type_index(p, "samples");
		*ret_idx = idx >= 0 ? (size_t)idx : nr_types - 1;
		return 0;
	}
	idx = profile__sample_type_index(p, want);
	if (idx >= 0) {
		*ret_idx = (size_t)idx;
		return 0;
	}
	if (!parse_int(want, 0, (long long)nr_types - 1, &n)) {
		*ret_idx = (size_t)n;
		return 0;
	}
	return -ENOENT;
}

/* --- filtering --- */

struct filter {
	const struct report_opts *o;
	const struct profile *src;
	struct profile *dst;
	size_t nr_types;
	size_t type;	     /* value column of the current walk */
	size_t sample;	     /* serial of the sample within the walk */
	size_t nr_samples;   /* of src */
	int64_t *values;     /* nr_samples x nr_types, filled by the walks of types 1.. */
	uint64_t kernel_map; /* lazily added mappings that keep frame kinds */
	uint64_t jit_map;
	struct hashmap locations; /* "kind:fid,fid,..." (owned) -> location id in dst */
	uint64_t *loc_ids;	  /* scratch, one per frame */
	size_t cap_loc_ids;
	struct profile_line *lines; /* scratch */
	size_t cap_lines;
	char *key; /* scratch */
	size_t cap_key;
	size_t kept;
};

static bool label_is(const struct profile_label *l, const char *key)
{
	return l->key && strcmp(l->key, key) == 0;
}

static bool sample_matches(const struct report_opts *o, const struct profile_frame *frames,
			   size_t nr_frames, const struct profile_label *labels, size_t nr_labels)
{
	bool ok;

	if (o->nr_pids) {
		ok = false;
		for (size_t i = 0; i < nr_labels && !ok; i++) {
			long long pid;

			if (!label_is(&labels[i], "pid"))
				continue;
			if (labels[i].str) {
				if (parse_int(labels[i].str, 0, INT_MAX, &pid))
					continue;
			} else {
				pid = labels[i].num;
			}
			for (size_t j = 0; j < o->nr_pids && !ok; j++)
				ok = pid == o->pids[j];
		}
		if (!ok)
			return false;
	}
	if (o->nr_comms) {
		ok = false;
		for (size_t i = 0; i < nr_labels && !ok; i++) {
			if (!label_is(&labels[i], "comm") || !labels[i].str)
				continue;
			for (size_t j = 0; j < o->nr_comms && !ok; j++)
				ok = strcmp(labels[i].str, o->comms[j]) == 0;
		}
		if (!ok)
			return false;
	}
	if (o->focus) {
		ok = false;
		for (size_t i = 0; i < nr_frames && !ok; i++)
			ok = frames[i].name &&
			     regexec(&o->focus_re, frames[i].name, 0, NULL, 0) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static uint64_t kind_mapping(struct filter *f, enum profile_frame_kind kind)
{
	struct profile_mapping m = { .has_functions = true };
	uint64_t *id = NULL;

	if (kind == PROFILE_FRAME_KERNEL) {
		id = &f->kernel_map;
		m.filename = "[kernel.kallsyms]";
	} else if (kind == PROFILE_FRAME_JIT) {
		id = &f->jit_map;
		m.filename = "[jit]";
	}
	if (!id)
		return 0; /* user code: unknown mapping */
	if (!*id)
		*id = profile__add_mapping(f->dst, &m);
	return *id;
}

/* Location in dst for frames[0..n): a physical frame followed by the callees inlined into it. */
static int group_location(struct filter *f, const struct profile_frame *frames, size_t n,
			  uint64_t *ret_id)
{
	size_t len = 0;
	uintptr_t found;
	uint64_t map;
	char *copy;
	int err;

	err = array_grow((void **)&f->lines, &f->cap_lines, n, sizeof(*f->lines));
	if (err)
		return err;
	err = array_grow((void **)&f->key, &f->cap_key, 24 * (n + 1), 1);
	if (err)
		return err;
	len = (size_t)snprintf(f->key, f->cap_key, "%d:", frames[0].kind);
	/* pprof Lines: the innermost callee first, the physical caller last */
	for (size_t i = 0; i < n; i++) {
		struct profile_line *ln = &f->lines[n - 1 - i];

		*ln = (struct profile_line){ 0 };
		ln->function_id = profile__intern_function(f->dst, frames[i].name, NULL, NULL, 0);
		if (!ln->function_id)
			return -ENOMEM;
		len += (size_t)snprintf(f->key + len, f->cap_key - len, "%llx,",
					(unsigned long long)ln->function_id);
	}
	if (hashmap__find(&f->locations, (uintptr_t)f->key, &found)) {
		*ret_id = found;
		return 0;
	}
	map = kind_mapping(f, frames[0].kind);
	if (frames[0].kind != PROFILE_FRAME_USER && !map)
		return -ENOMEM;
	*ret_id = profile__add_location(f->dst, map, 0, f->lines, n);
	if (!*ret_id)
		return -ENOMEM;
	copy = strdup(f->key);
	if (!copy)
		return -ENOMEM;
	err = hashmap__set(&f->locations, (uintptr_t)copy, *ret_id);
	if (err)
		free(copy);
	return err;
}

static int store_value(const struct profile_frame *frames, size_t nr_frames, int64_t value,
		       const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	struct filter *f = ctx;

	(void)frames;
	(void)nr_frames;
	(void)labels;
	(void)nr_labels;
	if (f->sample >= f->nr_samples)
		return -EINVAL;
	f->values[f->sample++ * f->nr_types + f->type] = value;
	return 0;
}

static int copy_if_matching(const struct profile_frame *frames, size_t nr_frames, int64_t value,
			    const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	struct filter *f = ctx;
	int64_t *values;
	size_t nr_locs = 0;
	int err;

	if (f->sample >= f->nr_samples)
		return -EINVAL;
	values = &f->values[f->sample++ * f->nr_types];
	values[0] = value;
	if (!sample_matches(f->o, frames, nr_frames, labels, nr_labels))
		return 0;
	err = array_grow((void **)&f->loc_ids, &f->cap_loc_ids, nr_frames, sizeof(*f->loc_ids));
	if (err)
		return err;
	for (size_t i = 0; i < nr_frames;) {
		size_t n = 1;

		while (i + n < nr_frames && frames[i + n].kind == PROFILE_FRAME_INLINED)
			n++;
		err = group_location(f, frames + i, n, &f->loc_ids[nr_locs++]);
		if (err)
			return err;
		i += n;
	}
	/* pprof wants the leaf first */
	for (size_t i = 0; i < nr_locs / 2; i++) {
		uint64_t t = f->loc_ids[i];

		f->loc_ids[i] = f->loc_ids[nr_locs - 1 - i];
		f->loc_ids[nr_locs - 1 - i] = t;
	}
	err = profile__add_sample(f->dst, f->loc_ids, nr_locs, values, labels, nr_labels);
	if (!err)
		f->kept++;
	return err;
}

/* A new profile with only the samples that pass the filters. */
static int filter_profile(const struct profile *src, const struct report_opts *o,
			  struct profile **ret_dst, size_t *ret_kept)
{
	struct profile_value_type *types = NULL, period_type;
	struct filter f = { .o = o, .src = src };
	int cpu = profile__sample_type_index(src, "cpu");
	int err = 0;

	hashmap__init(&f.locations, hashmap_hash_str, hashmap_equal_str, NULL);
	while (profile__sample_type(src, f.nr_types).type)
		f.nr_types++;
	f.nr_samples = profile__nr_samples(src);
	if (!f.nr_types || f.nr_samples > SIZE_MAX / f.nr_types) {
		err = -EINVAL;
		goto cleanup;
	}
	types = calloc(f.nr_types, sizeof(*types));
	f.values = calloc(f.nr_samples ? f.nr_samples * f.nr_types : 1, sizeof(*f.values));
	if (!types || !f.values) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < f.nr_types; i++)
		types[i] = profile__sample_type(src, i);
	/* profile.h has no period-type getter: a CPU profile's is its cpu column */
	period_type = cpu >= 0 ? types[cpu] : types[f.nr_types - 1];
	f.dst = profile__new(types, f.nr_types, period_type, profile__period(src));
	if (!f.dst) {
		err = -errno;
		goto cleanup;
	}
	profile__set_time(f.dst, profile__time_nanos(src), profile__duration_nanos(src));
	if (cpu >= 0) {
		err = profile__set_default_sample_type(f.dst, "cpu");
		if (err)
			goto cleanup;
	}
	/* The walk gives one value column at a time: collect columns 1.. first, then copy. */
	for (f.type = 1; f.type < f.nr_types; f.type++) {
		f.sample = 0;
		err = profile__for_each_stack(src, f.type, false, store_value, &f);
		if (err)
			goto cleanup;
	}
	f.type = 0;
	f.sample = 0;
	err = profile__for_each_stack(src, 0, false, copy_if_matching, &f);
	if (err)
		goto cleanup;
	*ret_dst = f.dst;
	*ret_kept = f.kept;
	f.dst = NULL;
cleanup:
	hashmap__for_each (&f.locations, e)
		free((char *)e->key);
	hashmap__clear(&f.locations);
	profile__free(f.dst);
	free(types);
	free(f.values);
	free(f.loc_ids);
	free(f.lines);
	free(f.key);
	return err;
}

/* --- writing --- */

struct write_ctx {
	const struct profile *p;
	size_t value_idx;
	const struct profile *base; /* --diff */
	size_t base_idx;
	const char *title;
	enum report_kind kind;
	enum output_format fmt;
};

static int write_to(FILE *out, void *ctx)
{
	const struct write_ctx *w = ctx;

	if (w->kind == REPORT_TOP)
		return profile__write_top(w->p, w->value_idx, 0, out);
	if (w->base && w->fmt == OUTPUT_SVG)
		return profile__write_svg_diff(w->base, w->base_idx, w->p, w->value_idx, w->title,
					       out);
	if (w->base)
		return profile__write_folded_diff(w->base, w->base_idx, w->p, w->value_idx, out);
	if (w->fmt == OUTPUT_SVG)
		return profile__write_svg(w->p, w->value_idx, w->title, out);
	return profile__write_folded(w->p, w->value_idx, out);
}

static int write_output(const struct report_output *o, const struct write_ctx *base,
			const struct output_opts *opts)
{
	struct write_ctx w = *base;

	w.kind = o->kind;
	w.fmt = o->fmt;
	if (o->kind == REPORT_PPROF)
		return output_write_profile(base->p, o->path, o->fmt, opts);
	return output_write_atomic(o->path, opts, write_to, &w); /* never half a file */
}

/* One line on why the input could not be read. */
static void log_read_error(const char *path, int err)
{
	struct stat st;

	if (err == -EFBIG && !stat(path, &st)) {
		if ((unsigned long long)st.st_size > OUTPUT_MAX_PPROF_BYTES)
			log_error("cannot read '%s': larger than %llu MiB", path,
				  OUTPUT_MAX_PPROF_BYTES >> 20);
		else
			log_error("cannot read '%s': it expands past %zu MiB of memory, the limit "
				  "for a %lld-byte file (%d bytes a byte, %llu MiB decompressed at "
				  "most); refusing (a decompression bomb?)",
				  path, output_pprof_mem_limit((size_t)st.st_size) >> 20,
				  (long long)st.st_size, OUTPUT_PPROF_MEM_RATIO,
				  OUTPUT_MAX_PPROF_BYTES >> 20);
		return;
	}
	log_error("cannot read '%s': %s", path,
		  err == -EINVAL ? "not a valid pprof profile" : strerror(-err));
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* "cpu.pprof — 2s, 200 samples (focus 'burn')". *ret malloc'ed. */
static int default_title(const struct report_opts *o, const struct profile *p, size_t value_idx,
			 char **ret)
{
	struct profile_value_type vt = profile__sample_type(p, value_idx);
	char dur[64] = "", filters[512] = "";
	size_t len = 0;

	if (profile__duration_nanos(p) > 0) {
		format_duration((uint64_t)profile__duration_nanos(p), dur, sizeof(dur) - 2);
		strcat(dur, ", ");
	}
	if (o->focus)
		len += (size_t)snprintf(filters + len, sizeof(filters) - len, "focus '%s'",
					o->focus);
	if (o->nr_pids && len < sizeof(filters))
		len += (size_t)snprintf(filters + len, sizeof(filters) - len, "%spid %lld%s",
					len ? ", " : "", o->pids[0], o->nr_pids > 1 ? "..." : "");
	if (o->nr_comms && len < sizeof(filters))
		snprintf(filters + len, sizeof(filters) - len, "%scomm '%s'%s", len ? ", " : "",
			 o->comms[0], o->nr_comms > 1 ? "..." : "");
	if (asprintf(ret, "%s%s%s \xe2\x80\x94 %s%lld %s%s%s%s", o->base ? base_name(o->base) : "",
		     o->base ? " \xe2\x86\x92 " : "", base_name(o->in), dur,
		     (long long)profile__total(p, value_idx),
		     strcmp(vt.unit ? vt.unit : "", "count") == 0 ? vt.type : vt.unit,
		     filters[0] ? " (" : "", filters, filters[0] ? ")" : "") < 0)
		return -ENOMEM;
	return 0;
}

/* One input profile, read, with its value column picked and the filters applied. */
struct report_input {
	const char *path;
	struct profile *in, *filtered; /* owned */
	const struct profile *p;       /* what to report: filtered when filtering, else in */
	size_t value_idx;
};

static void report_input__fini(struct report_input *r)
{
	profile__free(r->filtered);
	profile__free(r->in);
}

/* Read r->path into r. 0, or the exit code after logging the error. */
static int load_input(const struct report_opts *o, struct report_input *r)
{
	size_t kept = 0;
	int err;

	err = output_read_pprof(r->path, &r->in);
	if (err) {
		log_read_error(r->path, err);
		return 1;
	}
	err = pick_value_index(r->in, o->sample_index, &r->value_idx);
	if (err == -EINVAL) {
		log_error("'%s' has no sample types", r->path);
		return 1;
	} else if (err) {
		log_error("report: '%s' has no sample type '%s'", r->path, o->sample_index);
		return 2;
	}
	r->p = r->in;
	if (o->nr_pids || o->nr_comms || o->focus) {
		err = filter_profile(r->in, o, &r->filtered, &kept);
		if (err) {
			log_error("cannot filter '%s': %s", r->path, strerror(-err));
			return 1;
		}
		if (!kept)
			log_warn("no sample of '%s' matches the filters", r->path);
		r->p = r->filtered;
	}
	return 0;
}

int report_main(int argc, char **argv)
{
	struct report_opts o = { 0 };
	struct report_input base = { 0 }, in = { 0 };
	struct write_ctx w = { 0 };
	char *title = NULL;
	int err, ret = 1;

	err = parse_args(argc, argv, &o);
	if (err) {
		ret = err > 0 ? 0 : 2;
		goto cleanup;
	}
	for (size_t i = 0; i < o.nr_outputs; i++) {
		err = output_check_writable(o.outputs[i].path, &o.out_opts);
		if (err) {
			log_error("cannot write '%s': %s", o.outputs[i].path, output_strerror(err));
			goto cleanup;
		}
	}
	base.path = o.base;
	in.path = o.in;
	if (base.path) {
		ret = load_input(&o, &base);
		if (ret)
			goto cleanup;
		ret = 1;
	}
	ret = load_input(&o, &in);
	if (ret)
		goto cleanup;
	ret = 1;
	if (!o.title) {
		err = default_title(&o, in.p, in.value_idx, &title);
		if (err) {
			log_error("out of memory");
			goto cleanup;
		}
	}
	w = (struct write_ctx){ .p = in.p,
				.value_idx = in.value_idx,
				.base = base.p,
				.base_idx = base.value_idx,
				.title = o.title ? o.title : title };
	for (size_t i = 0; i < o.nr_outputs; i++) {
		err = write_output(&o.outputs[i], &w, &o.out_opts);
		if (err) {
			log_error("cannot write '%s': %s", o.outputs[i].path, output_strerror(err));
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	if (o.focus)
		regfree(&o.focus_re);
	report_input__fini(&base);
	report_input__fini(&in);
	free(title);
	return ret;
}
