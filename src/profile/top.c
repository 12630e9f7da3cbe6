// SPDX-License-Identifier: MIT
/* A `go tool pprof -top`-style table: per function, flat (the function is the leaf) and cum (the
 * function is anywhere on the stack, counted once per sample even when recursive), sorted by flat.
 * Inlined frames are their own rows, marked "(inline)" as pprof marks them. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"
#include "util/hashmap.h"

#define TOP_PROBE ((uintptr_t)-1) /* hash key standing for top->probe */

struct top_row {
	const char *name; /* owned copy: frame names live only during the walk */
	bool is_inline;
	int64_t flat, cum;
	size_t last_sample; /* serial of the last sample that added to cum, +1 (0 = none) */
};

struct top {
	struct top_row *rows;
	size_t nr_rows, cap_rows;
	struct hashmap index; /* row index -> row index, keyed by (name, is_inline) */
	struct top_row probe;
	size_t serial;
	int64_t total;
};

static const struct top_row *top_key(const struct top *t, uintptr_t key)
{
	return key == TOP_PROBE ? &t->probe : &t->rows[key];
}

static uint64_t row_hash(uintptr_t key, void *ctx)
{
	const struct top_row *r = top_key(ctx, key);

	return hash_bytes(r->name, strlen(r->name), r->is_inline);
}

static bool row_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct top_row *x = top_key(ctx, a), *y = top_key(ctx, b);

	return x->is_inline == y->is_inline && strcmp(x->name, y->name) == 0;
}

static int top_row(struct top *t, const struct profile_frame *f, struct top_row **ret_row)
{
	uintptr_t found;
	int err;

	t->probe = (struct top_row){
		.name = f->name && *f->name ? f->name : "[unknown]",
		.is_inline = f->kind == PROFILE_FRAME_INLINED,
	};
	if (hashmap__find(&t->index, TOP_PROBE, &found)) {
		*ret_row = &t->rows[found];
		return 0;
	}
	if (t->nr_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
		struct top_row *rows = reallocarray(t->rows, cap, sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap_rows = cap;
	}
	t->rows[t->nr_rows] = t->probe;
	t->rows[t->nr_rows].name = strdup(t->probe.name);
	if (!t->rows[t->nr_rows].name)
		return -ENOMEM;
	err = hashmap__set(&t->index, t->nr_rows, t->nr_rows);
	if (err) {
		free((char *)t->rows[t->nr_rows].name);
		return err;
	}
	*ret_row = &t->rows[t->nr_rows++];
	return 0;
}

static int add_stack(const struct profile_frame *frames, size_t nr_frames, int64_t value,
		     const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	struct top *t = ctx;
	struct top_row *row;
	int err;

	(void)labels;
	(void)nr_labels;
	if (value <= 0 || !nr_frames)
		return 0;
	if (__builtin_add_overflow(t->total, value, &t->total))
		return -EOVERFLOW;
	t->serial++;
	for (size_t i = 0; i < nr_frames; i++) {
		err = top_row(t, &frames[i], &row);
		if (err)
			return err;
		if (row->last_sample != t->serial) {
			row->last_sample = t->serial;
			row->cum += value; /* bounded by total, which did not overflow */
		}
		if (i == nr_frames - 1)
			row->flat += value;
	}
	return 0;
}

static int compare_rows(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->flat != y->flat)
		return x->flat > y->flat ? -1 : 1;
	if (x->cum != y->cum)
		return x->cum > y->cum ? -1 : 1;
	if (x->is_inline != y->is_inline)
		return x->is_inline ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* pprof-like value: nanoseconds scaled to s/ms/us, anything else as an integer. */
static void format_value(int64_t v, bool is_ns, char *buf, size_t len)
{
	static const struct {
		double div;
		const char *suffix;
	} scales[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" } };
	double mag = v < 0 ? -(double)v : (double)v;
	char *dot;

	if (!is_ns || !v) {
		snprintf(buf, len, "%" PRId64, v);
		return;
	}
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		if (mag >= scales[i].div) {
			snprintf(buf, len, "%.2f", (double)v / scales[i].div);
			/* "10.00" -> "10", "1.50" -> "1.5" */
			dot = strchr(buf, '.');
			if (dot) {
				char *end = buf + strlen(buf);

				while (end > dot + 1 && end[-1] == '0')
					*--end = '\0';
				if (end == dot + 1)
					*dot = '\0';
			}
			strncat(buf, scales[i].suffix, len - strlen(buf) - 1);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ns", v);
}

static void put_name(FILE *out, const char *name)
{
	/* one row per line whatever the symbol holds */
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		fputc(*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

int profile__write_top(const struct profile *p, size_t value_idx, size_t max_rows, FILE *out)
{
	struct profile_value_type vt;
	struct top t = { 0 };
	char flat[32], cum[32], total[32];
	int64_t shown = 0, sum = 0;
	size_t nr_shown;
	bool is_ns;
	int err;

	if (!p || !out)
		return -EINVAL;
	vt = profile__sample_type(p, value_idx);
	if (!vt.type)
		return -EINVAL;
	is_ns = vt.unit && strcmp(vt.unit, "nanoseconds") == 0;
	hashmap__init(&t.index, row_hash, row_equal, &t);
	err = profile__for_each_stack(p, value_idx, false, add_stack, &t);
	if (err)
		goto cleanup;
	if (t.nr_rows)
		qsort(t.rows, t.nr_rows, sizeof(*t.rows), compare_rows);
	nr_shown = max_rows && max_rows < t.nr_rows ? max_rows : t.nr_rows;
	for (size_t i = 0; i < nr_shown; i++)
		shown += t.rows[i].flat;

	format_value(t.total, is_ns, total, sizeof(total));
	format_value(shown, is_ns, flat, sizeof(flat));
	fprintf(out, "Type: %s\n", vt.type);
	if (profile__duration_nanos(p) > 0) {
		format_value(profile__duration_nanos(p), true, cum, sizeof(cum));
		fprintf(out, "Duration: %s, Total samples = %s\n", cum, total);
	}
	fprintf(out, "Showing nodes accounting for %s, %.2f%% of %s total\n", flat,
		t.total ? 100.0 * (double)shown / (double)t.total : 0.0, total);
	if (nr_shown < t.nr_rows)
		fprintf(out, "Showing top %zu nodes out of %zu\n", nr_shown, t.nr_rows);
	fprintf(out, "%10s %7s %7s %10s %7s\n", "flat", "flat%", "sum%", "cum", "cum%");
	for (size_t i = 0; i < nr_shown; i++) {
		const struct top_row *r = &t.rows[i];
		double pct = t.total ? 100.0 / (double)t.total : 0.0;

		sum += r->flat;
		format_value(r->flat, is_ns, flat, sizeof(flat));
		format_value(r->cum, is_ns, cum, sizeof(cum));
		fprintf(out, "%10s %6.2f%% %6.2f%% %10s %6.2f%%  ", flat, (double)r->flat * pct,
			(double)sum * pct, cum, (double)r->cum * pct);
		put_name(out, r->name);
		fputs(r->is_inline ? " (inline)\n" : "\n", out);
	}
	if (fflush(out) || ferror(out))
		err = -EIO;
cleanup:
	hashmap__clear(&t.index);
	for (size_t i = 0; i < t.nr_rows; i++)
		free((char *)t.rows[i].name);
	free(t.rows);
	return err;
}
