// SPDX-License-Identifier: MIT
/* SVG flame graph, differential graph, folded stacks and top table on hand-built profiles: the SVG
 * is parsed back (one <g> per frame, its <title> "NAME (N UNIT, P%...)", rect geometry and fill)
 * and checked against the sample counts. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile/profile.h"

#define DRAW_WIDTH 1180.0 /* 1200 - 2 * xpad */

/* --- building profiles --- */

struct builder {
	struct profile *p;
	uint64_t user_map, kernel_map, jit_map, py_map, php_map, rb_map;
	/* location cache: "K:name" -> id, linear (tests are small) */
	char *keys[256];
	uint64_t ids[256];
	size_t nr;
};

static void builder_init(struct builder *b)
{
	struct profile_mapping user = { .filename = "/usr/bin/app", .has_functions = true };
	struct profile_mapping kernel = { .filename = "[kernel.kallsyms]", .has_functions = true };
	struct profile_mapping jit = { .filename = "[jit]", .has_functions = true };
	struct profile_mapping py = { .filename = "[python]", .has_functions = true };
	struct profile_mapping php = { .filename = "[php]", .has_functions = true };
	struct profile_mapping rb = { .filename = "[ruby]", .has_functions = true };

	memset(b, 0, sizeof(*b));
	b->p = profile__new_cpu(99);
	assert_non_null(b->p);
	b->user_map = profile__add_mapping(b->p, &user);
	b->kernel_map = profile__add_mapping(b->p, &kernel);
	b->jit_map = profile__add_mapping(b->p, &jit);
	b->py_map = profile__add_mapping(b->p, &py);
	b->php_map = profile__add_mapping(b->p, &php);
	b->rb_map = profile__add_mapping(b->p, &rb);
	assert_true(b->user_map && b->kernel_map && b->jit_map && b->py_map && b->php_map &&
		    b->rb_map);
}

static void builder_fini(struct builder *b)
{
	for (size_t i = 0; i < b->nr; i++)
		free(b->keys[i]);
	profile__free(b->p);
}

/* Location for a frame spec: "name" (user), "k:name" (kernel), "j:name" (JIT), "p:name" (Python),
 * "h:name" (PHP), "r:name" (Ruby) or "i:callee@caller" (one location, callee inlined into
 * caller). */
static uint64_t loc(struct builder *b, const char *spec)
{
	struct profile_line lines[2] = { 0 };
	size_t nr_lines = 1;
	uint64_t map = b->user_map, id;
	char buf[256];

	for (size_t i = 0; i < b->nr; i++)
		if (strcmp(b->keys[i], spec) == 0)
			return b->ids[i];
	snprintf(buf, sizeof(buf), "%s", spec);
	if (spec[0] == 'k' && spec[1] == ':')
		map = b->kernel_map;
	else if (spec[0] == 'j' && spec[1] == ':')
		map = b->jit_map;
	else if (spec[0] == 'p' && spec[1] == ':')
		map = b->py_map;
	else if (spec[0] == 'h' && spec[1] == ':')
		map = b->php_map;
	else if (spec[0] == 'r' && spec[1] == ':')
		map = b->rb_map;
	if (spec[1] == ':' && spec[0] == 'i') {
		char *at = strchr(buf, '@');

		assert_non_null(at);
		*at = '\0';
		lines[0].function_id = profile__intern_function(b->p, buf + 2, NULL, NULL, 0);
		lines[1].function_id = profile__intern_function(b->p, at + 1, NULL, NULL, 0);
		nr_lines = 2;
	} else {
		lines[0].function_id = profile__intern_function(
			b->p, spec[1] == ':' ? buf + 2 : buf, NULL, NULL, 0);
	}
	id = profile__add_location(b->p, map, 0x1000 + b->nr, lines, nr_lines);
	assert_true(id != 0);
	assert_true(b->nr < 256);
	b->keys[b->nr] = strdup(spec);
	b->ids[b->nr++] = id;
	return id;
}

/* Add count samples of a stack given root first as "a;b;c", optionally with a comm label. */
static void stack(struct builder *b, const char *folded, int64_t count, const char *comm)
{
	struct profile_label label = { .key = "comm", .str = comm };
	uint64_t ids[64];
	char *copy = strdup(folded), *save = NULL;
	size_t n = 0;

	assert_non_null(copy);
	for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		ids[n++] = loc(b, tok);
	/* leaf first for pprof */
	for (size_t i = 0; i < n / 2; i++) {
		uint64_t t = ids[i];

		ids[i] = ids[n - 1 - i];
		ids[n - 1 - i] = t;
	}
	assert_int_equal(profile__add_cpu_sample(b->p, ids, n, count, comm ? &label : NULL, !!comm),
			 0);
	free(copy);
}

/* --- rendering and parsing --- */

struct frame {
	char cls[8];
	char name[512]; /* as written (XML-escaped) */
	long long value;
	double x, y, w;
	char fill[32];
	char label[256];
};

struct svg {
	char *text;
	size_t len;
	struct frame *frames;
	size_t nr;
	long long total;
};

static void svg_free(struct svg *s)
{
	free(s->text);
	free(s->frames);
}

static int render(const struct profile *p, size_t idx, const char *title, struct svg *s)
{
	FILE *f;
	int err;

	memset(s, 0, sizeof(*s));
	f = open_memstream(&s->text, &s->len);
	assert_non_null(f);
	err = profile__write_svg(p, idx, title, f);
	assert_int_equal(fclose(f), 0);
	return err;
}

static double attr(const char *g, const char *name)
{
	char key[32];
	const char *at;

	snprintf(key, sizeof(key), " %s=\"", name);
	at = strstr(g, key);
	assert_non_null(at);
	return strtod(at + strlen(key), NULL);
}

static void copy_between(char *dst, size_t len, const char *from, const char *start,
			 const char *end)
{
	const char *a = strstr(from, start), *b;

	assert_non_null(a);
	a += strlen(start);
	b = strstr(a, end);
	assert_non_null(b);
	assert_true((size_t)(b - a) < len);
	memcpy(dst, a, (size_t)(b - a));
	dst[b - a] = '\0';
}

static void parse_frame(struct svg *s, const char *g, size_t *cap)
{
	struct frame *f;
	char title[512];
	char *paren;

	if (s->nr == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		s->frames = realloc(s->frames, *cap * sizeof(*s->frames));
		assert_non_null(s->frames);
	}
	f = &s->frames[s->nr++];
	copy_between(f->cls, sizeof(f->cls), g, "<g class=\"", "\"");
	copy_between(title, sizeof(title), g, "<title>", "</title>");
	paren = strrchr(title, '(');
	assert_non_null(paren);
	assert_true(paren > title + 1 && paren[-1] == ' ');
	paren[-1] = '\0';
	snprintf(f->name, sizeof(f->name), "%s", title);
	f->value = strtoll(paren + 1, NULL, 10);
	f->x = attr(g, "x");
	f->y = attr(g, "y");
	f->w = attr(g, "width");
	copy_between(f->fill, sizeof(f->fill), g, "fill=\"", "\"");
	/* label: the text element's content */
	copy_between(f->label, sizeof(f->label), strstr(g, "<text"), ">", "</text>");
}

/* Parse every frame group of the "frames" group, one a line. Each line is cut out before it is
 * searched: string searches over the rest of a multi-MB document are quadratic under ASan. */
static void parse(struct svg *s)
{
	char *line = strstr(s->text, "<g id=\"frames\""), *nl;
	size_t cap = 0;

	assert_non_null(line);
	nl = strchr(line, '\n');
	assert_non_null(nl);
	*nl = '\0';
	s->total = (long long)attr(line, "data-total");
	*nl = '\n';
	for (line = nl + 1; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (strncmp(line, "<g class=\"", 10) == 0)
			parse_frame(s, line, &cap);
		*nl = '\n';
	}
}

static const struct frame *find(const struct svg *s, const char *name, double y)
{
	for (size_t i = 0; i < s->nr; i++)
		if (strcmp(s->frames[i].name, name) == 0 && (y < 0 || s->frames[i].y == y))
			return &s->frames[i];
	return NULL;
}

static const struct frame *must_find(const struct svg *s, const char *name)
{
	const struct frame *f = find(s, name, -1);

	if (!f)
		fail_msg("frame '%s' not in the SVG", name);
	return f;
}

/* xmllint --noout when libxml2-utils is installed; the SVG must be well-formed XML. */
static void check_xml(const struct svg *s)
{
	char path[] = "/tmp/test_svg_XXXXXX.svg";
	char cmd[256];
	int fd;

	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return;
	fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s->text, s->len), (ssize_t)s->len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

/* Every frame's width is its count over the total, and children fit in their parent. */
static void check_widths(const struct svg *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		const struct frame *f = &s->frames[i];

		assert_true(s->total > 0);
		assert_float_equal(f->w, (double)f->value / (double)s->total * DRAW_WIDTH, 0.006);
	}
}

/* --- tests --- */

static void widths_match_counts(void **state)
{
	struct builder b;
	struct svg s;
	const struct frame *all, *main_f, *work, *idle;

	(void)state;
	builder_init(&b);
	stack(&b, "main;work;compute", 60, NULL);
	stack(&b, "main;work", 15, NULL);
	stack(&b, "main;idle", 20, NULL);
	stack(&b, "start;main", 5, NULL);
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	check_xml(&s);
	assert_non_null(strstr(s.text, ">Flame Graph</text>"));
	/* a fixed size for renderers without script: the viewer fits it to the window */
	assert_non_null(strstr(s.text, " width=\"1200\" height=\"134\" viewBox=\"0 0 1200 134\""));
	assert_null(strstr(s.text, "<g id=\"legend\">"));
	assert_int_equal(s.total, 100);
	check_widths(&s);
	assert_non_null(strstr(s.text, " data-narrow=\"0\"")); /* search sees every frame */

	all = must_find(&s, "all");
	assert_int_equal(all->value, 100);
	assert_float_equal(all->x, 10.0, 0.001);
	assert_float_equal(all->w, DRAW_WIDTH, 0.001);
	/* "main" at depth 1 and "main" under "start" are different frames */
	main_f = find(&s, "main", all->y - 16);
	assert_non_null(main_f);
	assert_int_equal(main_f->value, 95);
	work = must_find(&s, "work");
	idle = must_find(&s, "idle");
	assert_int_equal(work->value, 75);
	assert_int_equal(idle->value, 20);
	assert_int_equal(must_find(&s, "compute")->value, 60);
	/* frames grow upward, 16 px a level */
	assert_float_equal(work->y, main_f->y - 16, 0.001);
	assert_float_equal(must_find(&s, "compute")->y, work->y - 16, 0.001);
	/* all, main, idle, work, compute, start, start;main */
	assert_int_equal(s.nr, 7);
	svg_free(&s);

	/* the cpu/nanoseconds column has the same proportions, labelled by unit */
	assert_int_equal(render(b.p, 1, "my title", &s), 0);
	parse(&s);
	assert_int_equal(s.total, 100 * (1000000000 / 99));
	assert_non_null(strstr(s.text, ">my title</text>"));
	assert_non_null(strstr(s.text, "<title>all (" /* total */));
	assert_non_null(strstr(s.text, " nanoseconds, 100.00%)</title>"));
	check_widths(&s);
	svg_free(&s);
	builder_fini(&b);
}

static void children_sorted_by_name(void **state)
{
	struct builder b;
	struct svg s;
	const struct frame *m, *alpha, *mid, *zeta;

	(void)state;
	builder_init(&b);
	/* insertion order differs from name order */
	stack(&b, "main;zeta", 10, NULL);
	stack(&b, "main;alpha", 30, NULL);
	stack(&b, "main;mid", 20, NULL);
	stack(&b, "main", 40, NULL); /* self time: a gap at the right */
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	m = must_find(&s, "main");
	alpha = must_find(&s, "alpha");
	mid = must_find(&s, "mid");
	zeta = must_find(&s, "zeta");
	assert_float_equal(alpha->x, m->x, 0.006);
	assert_float_equal(mid->x, alpha->x + alpha->w, 0.011);
	assert_float_equal(zeta->x, mid->x + mid->w, 0.011);
	assert_true(zeta->x + zeta->w < m->x + m->w - 400);
	svg_free(&s);
	builder_fini(&b);
}

static void comm_root_and_kinds(void **state)
{
	struct builder b;
	struct svg s;
	const char *fills[8];
	const char *classes[8];

	(void)state;
	builder_init(&b);
	/* "foo" in every kind: the same name hash, so only the kind can change the colour */
	stack(&b, "foo;j:foo;p:foo;h:foo;r:foo;i:foo@bar;k:foo", 10, "foo");
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	check_xml(&s);
	/* depth 1 comm, 2 user, 3 JIT, 4 Python, 5 PHP, 6 Ruby, 7 bar (user, caller), 8 foo
	 * (inlined), 9 kernel */
	assert_int_equal(s.nr, 10);
	for (int d = 0; d < 8; d++) {
		static const int depth[8] = { 1, 2, 3, 4, 5, 6, 8, 9 };
		const struct frame *all = must_find(&s, "all");
		const struct frame *f = find(&s, "foo", all->y - 16 * depth[d]);

		assert_non_null(f);
		assert_int_equal(f->value, 10);
		fills[d] = f->fill;
		classes[d] = f->cls;
	}
	assert_string_equal(must_find(&s, "bar")->cls, "u");
	assert_string_equal(classes[0], "c");
	assert_string_equal(classes[1], "u");
	assert_string_equal(classes[2], "j");
	assert_string_equal(classes[3], "p");
	assert_string_equal(classes[4], "h");
	assert_string_equal(classes[5], "r");
	assert_string_equal(classes[6], "i");
	assert_string_equal(classes[7], "k");
	for (int i = 0; i < 8; i++)
		for (int j = i + 1; j < 8; j++)
			if (strcmp(fills[i], fills[j]) == 0)
				fail_msg("kinds %s and %s share colour %s", classes[i], classes[j],
					 fills[i]);
	svg_free(&s);
	builder_fini(&b);
}

/* Same names, different insertion order and different ids: the same colours. */
static void colours_stable(void **state)
{
	static const char *const stacks[] = { "main;parse;lex", "main;eval", "k:sys_read",
					      "main;eval;j:jitted", "main;parse" };
	struct builder b1, b2;
	struct svg s1, s2;
	size_t distinct = 0;

	(void)state;
	builder_init(&b1);
	builder_init(&b2);
	for (size_t i = 0; i < 5; i++) {
		stack(&b1, stacks[i], (int64_t)i + 1, NULL);
		stack(&b2, stacks[4 - i], 5 - (int64_t)i, NULL);
	}
	assert_int_equal(render(b1.p, 0, NULL, &s1), 0);
	assert_int_equal(render(b2.p, 0, NULL, &s2), 0);
	parse(&s1);
	parse(&s2);
	assert_int_equal(s1.nr, s2.nr);
	for (size_t i = 0; i < s1.nr; i++) {
		const struct frame *other = find(&s2, s1.frames[i].name, s1.frames[i].y);

		assert_non_null(other);
		assert_string_equal(s1.frames[i].fill, other->fill);
		if (strcmp(s1.frames[i].fill, s1.frames[0].fill) != 0)
			distinct++;
	}
	/* and not one colour for everything */
	assert_true(distinct >= 3);
	svg_free(&s1);
	svg_free(&s2);
	builder_fini(&b1);
	builder_fini(&b2);
}

static void names_escaped(void **state)
{
	struct builder b;
	struct svg s;

	(void)state;
	builder_init(&b);
	stack(&b, "main;operator<<(std::ostream&, \"x\")", 10, "a&b");
	stack(&b, "main;bad\xff\xfeutf8\x01", 10, NULL);
	assert_int_equal(render(b.p, 0, "<T&\"itle>", &s), 0);
	parse(&s);
	check_xml(&s);
	assert_non_null(strstr(s.text, "operator&lt;&lt;(std::ostream&amp;, &quot;x&quot;)"));
	assert_null(strstr(s.text, "operator<<"));
	assert_non_null(strstr(s.text, ">&lt;T&amp;&quot;itle&gt;</text>"));
	assert_non_null(must_find(&s, "a&amp;b"));
	/* invalid UTF-8 (U+FFFD from the profile model) and control characters ('?' in the SVG)
	 * replaced so the document stays well-formed */
	assert_non_null(must_find(&s, "bad\xef\xbf\xbd\xef\xbf\xbdutf8?"));
	assert_null(memchr(s.text, 0xff, s.len));
	svg_free(&s);
	builder_fini(&b);
}

static void labels_fit(void **state)
{
	struct builder b;
	struct svg s;
	const struct frame *f;
	char name[200];

	(void)state;
	builder_init(&b);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "long_", 5);
	stack(&b, name, 5, NULL);
	stack(&b, "wide", 1000, NULL);
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	f = must_find(&s, name);
	/* 5/1005 of 1180 px is ~5.9 px: no room for 3 characters */
	assert_string_equal(f->label, "");
	f = must_find(&s, "wide");
	assert_string_equal(f->label, "wide");
	svg_free(&s);
	builder_fini(&b);

	builder_init(&b);
	stack(&b, name, 100, NULL);
	stack(&b, "other", 100, NULL);
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	f = must_find(&s, name);
	/* 590 px holds (590 - 6) / 7.08 = 82 characters: 80 of the name and ".." */
	assert_int_equal(strlen(f->label), 82);
	assert_memory_equal(f->label, name, 80);
	assert_string_equal(f->label + 80, "..");
	svg_free(&s);
	builder_fini(&b);
}

static void narrow_frames_merged(void **state)
{
	struct builder b;
	struct svg s;
	const struct frame *m, *agg;
	long long children = 0;
	char name[32];

	(void)state;
	builder_init(&b);
	stack(&b, "main;big", 100000, NULL);
	/* 200 one-sample children of main: each 0.012 px wide, 2.3 px together */
	for (int i = 0; i < 200; i++) {
		char folded[64];

		snprintf(folded, sizeof(folded), "main;tiny%03d;deeper", i);
		/* the location cache holds 256 entries: reuse "deeper" */
		stack(&b, folded, 1, NULL);
	}
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	check_xml(&s);
	check_widths(&s);
	assert_int_equal(s.total, 100200);
	m = must_find(&s, "main");
	assert_int_equal(m->value, 100200);
	/* the viewer must know its search cannot see these */
	assert_non_null(strstr(s.text, " data-narrow=\"200\""));
	agg = must_find(&s, "[200 narrow frames]");
	assert_string_equal(agg->cls, "a");
	assert_int_equal(agg->value, 200);
	/* after the wide children, at main's depth + 1 */
	assert_float_equal(agg->y, m->y - 16, 0.001);
	assert_float_equal(agg->x, must_find(&s, "big")->x + must_find(&s, "big")->w, 0.011);
	snprintf(name, sizeof(name), "tiny%03d", 7);
	assert_null(find(&s, name, -1));
	assert_null(find(&s, "deeper", -1));
	for (size_t i = 0; i < s.nr; i++)
		if (s.frames[i].y == m->y - 16)
			children += s.frames[i].value;
	assert_int_equal(children, m->value); /* nothing lost from the totals */
	svg_free(&s);
	builder_fini(&b);

	/* a few narrow frames, even merged under 0.1 px: not drawn, still in the parent's width */
	builder_init(&b);
	stack(&b, "main;big", 100000, NULL);
	stack(&b, "main;tiny1", 1, NULL);
	stack(&b, "main;tiny2", 1, NULL);
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	check_widths(&s);
	assert_int_equal(s.nr, 3);
	assert_non_null(strstr(s.text, " data-narrow=\"2\""));
	assert_int_equal(must_find(&s, "main")->value, 100002);
	assert_null(find(&s, "tiny1", -1));
	svg_free(&s);
	builder_fini(&b);
}

static void empty_and_bad_arguments(void **state)
{
	struct builder b;
	struct svg s;

	(void)state;
	builder_init(&b);
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	check_xml(&s);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.frames[0].value, 0);
	svg_free(&s);
	assert_int_equal(render(b.p, 7, NULL, &s), -EINVAL);
	svg_free(&s);
	assert_int_equal(profile__write_svg(NULL, 0, NULL, stdout), -EINVAL);
	assert_int_equal(profile__write_top(b.p, 7, 0, stdout), -EINVAL);
	builder_fini(&b);
}

/* A 20000-frame-deep stack: no recursion limit, and the image grows to hold it. */
static void deep_stack(void **state)
{
	enum { DEPTH = 20000 };
	struct profile_line line = { 0 };
	struct builder b;
	struct svg s;
	uint64_t *ids = calloc(DEPTH, sizeof(*ids));

	(void)state;
	assert_non_null(ids);
	builder_init(&b);
	line.function_id = profile__intern_function(b.p, "recurse", NULL, NULL, 0);
	ids[0] = profile__add_location(b.p, b.user_map, 0x10, &line, 1);
	for (size_t i = 1; i < DEPTH; i++)
		ids[i] = ids[0];
	assert_int_equal(profile__add_cpu_sample(b.p, ids, DEPTH, 3, NULL, 0), 0);
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	parse(&s);
	assert_int_equal(s.nr, DEPTH + 1);
	assert_non_null(strstr(s.text, "height=\"320086\"")); /* (DEPTH + 1) * 16 + 36 + 34 */
	svg_free(&s);
	builder_fini(&b);
	free(ids);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100k distinct stacks, 10 frames deep, skewed counts: the SVG must stay small. */
static void large_profile_stays_small(void **state)
{
	enum { NR_STACKS = 100000, DEPTH = 10, NAMES = 64 };
	struct profile_line line = { 0 };
	struct builder b;
	struct svg s;
	uint64_t shared[DEPTH][NAMES];
	int64_t total = 0;
	double t0, t1;

	(void)state;
	builder_init(&b);
	for (int d = 0; d < DEPTH; d++) {
		for (int n = 0; n < NAMES; n++) {
			char name[64];

			snprintf(name, sizeof(name), "module%d::function_%d_%d", d, d, n);
			line.function_id = profile__intern_function(b.p, name, NULL, NULL, 0);
			shared[d][n] = profile__add_location(b.p, b.user_map, 0, &line, 1);
			assert_true(shared[d][n] != 0);
		}
	}
	for (uint64_t i = 0; i < NR_STACKS; i++) {
		uint64_t ids[DEPTH + 1], h = i * 0x9e3779b97f4a7c15ULL;
		char name[64];
		int64_t count;

		/* a distinct leaf per stack over a shared, skewed trunk */
		snprintf(name, sizeof(name), "leaf_function_%" PRIu64, i);
		line.function_id = profile__intern_function(b.p, name, NULL, NULL, 0);
		ids[0] = profile__add_location(b.p, b.user_map, 0, &line, 1);
		for (int d = 0; d < DEPTH; d++) {
			h = h * 6364136223846793005ULL + 1442695040888963407ULL;
			/* low indexes far more likely: a few hot paths and a long tail */
			ids[DEPTH - d] =
				shared[d][((h >> 33) % NAMES) * ((h >> 20) % NAMES) / NAMES];
		}
		count = 1 + (int64_t)((h >> 40) % 1000 == 0 ? 5000 : (h >> 45) % 20);
		total += count;
		assert_int_equal(profile__add_cpu_sample(b.p, ids, DEPTH + 1, count, NULL, 0), 0);
	}
	t0 = now();
	assert_int_equal(render(b.p, 0, "100k stacks", &s), 0);
	t1 = now();
	parse(&s);
	check_xml(&s);
	check_widths(&s);
	assert_int_equal(s.total, total);
	assert_int_equal(must_find(&s, "all")->value, total);
	print_message("100k distinct stacks: %zu bytes, %zu frames drawn, %.3f s\n", s.len, s.nr,
		      t1 - t0);
	assert_true(s.len < 5 * 1024 * 1024);
	svg_free(&s);
	builder_fini(&b);
}

/* 10000 distinct 3-frame stacks of long names, each 0.118 px wide: 30000 drawable frames, ~9 MB
 * if all were drawn. The size cap raises the narrow threshold; totals stay exact. */
static void wide_fanout_capped(void **state)
{
	enum { NR_STACKS = 10000 };
	struct profile_line line = { 0 };
	struct builder b;
	struct svg s;
	double t0, t1;

	(void)state;
	builder_init(&b);
	for (int i = 0; i < NR_STACKS; i++) {
		uint64_t ids[3];

		for (int d = 0; d < 3; d++) {
			char name[160];

			snprintf(name, sizeof(name),
				 "std::vector<std::basic_string<char>>::_M_realloc_insert<const "
				 "char*&>"
				 "(__gnu_cxx::__normal_iterator<level%d>, frame_%d)",
				 d, i);
			line.function_id = profile__intern_function(b.p, name, NULL, NULL, 0);
			ids[2 - d] = profile__add_location(b.p, b.user_map, 0, &line, 1);
			assert_true(ids[2 - d] != 0);
		}
		assert_int_equal(profile__add_cpu_sample(b.p, ids, 3, 1, NULL, 0), 0);
	}
	t0 = now();
	assert_int_equal(render(b.p, 0, NULL, &s), 0);
	t1 = now();
	parse(&s);
	check_widths(&s);
	assert_int_equal(s.total, NR_STACKS);
	print_message("10k wide stacks, long names: %zu bytes, %zu frames drawn, %.3f s\n", s.len,
		      s.nr, t1 - t0);
	assert_true(s.len < 4 * 1024 * 1024);
	assert_true(s.nr > 1000); /* capped, not emptied */
	svg_free(&s);
	builder_fini(&b);
}

/* --- differential graphs --- */

static int render_diff(const struct profile *base, const struct profile *p, struct svg *s)
{
	FILE *f;
	int err;

	memset(s, 0, sizeof(*s));
	f = open_memstream(&s->text, &s->len);
	assert_non_null(f);
	err = profile__write_svg_diff(base, 0, p, 0, NULL, f);
	assert_int_equal(fclose(f), 0);
	return err;
}

static void fill_rgb(const struct frame *f, int rgb[3])
{
	assert_int_equal(sscanf(f->fill, "rgb(%d,%d,%d)", &rgb[0], &rgb[1], &rgb[2]), 3);
}

static bool is_grey(const struct frame *f)
{
	int c[3];

	fill_rgb(f, c);
	return c[0] == c[1] && c[1] == c[2];
}

/* Red for a larger share of the total, blue for a smaller one, grey for none; the larger the
 * change, the deeper the colour, full at the largest change. */
static void diff_colours_follow_change(void **state)
{
	struct builder base, now;
	struct svg s;
	int a[3], b[3], d[3];
	const struct frame *fa, *fb, *fd;

	(void)state;
	builder_init(&base);
	builder_init(&now);
	/* shares: a 25% -> 42.5%, b 25% -> 27.5%, c 25% -> 25%, d 25% -> 5% */
	stack(&base, "main;a", 100, NULL);
	stack(&base, "main;b", 100, NULL);
	stack(&base, "main;c", 100, NULL);
	stack(&base, "main;d", 100, NULL);
	stack(&now, "main;a", 170, NULL);
	stack(&now, "main;b", 110, NULL);
	stack(&now, "main;c", 100, NULL);
	stack(&now, "main;d", 20, NULL);
	assert_int_equal(render_diff(base.p, now.p, &s), 0);
	parse(&s);
	check_xml(&s);
	check_widths(&s); /* widths from the new profile */
	assert_int_equal(s.total, 400);
	fa = must_find(&s, "a");
	fb = must_find(&s, "b");
	fd = must_find(&s, "d");
	assert_int_equal(fa->value, 170);
	fill_rgb(fa, a);
	fill_rgb(fb, b);
	fill_rgb(fd, d);
	/* grew: red, the larger change the deeper (+17.5 and +2.5 of 20 points) */
	assert_true(a[0] > a[1] && a[1] == a[2]);
	assert_true(b[0] > b[1] && b[1] == b[2]);
	assert_true(a[0] > b[0] && a[1] < b[1]);
	assert_true(b[1] < 225 && b[0] > 225);
	/* shrank the most: full blue */
	assert_int_equal(d[0], 40);
	assert_int_equal(d[1], 40);
	assert_int_equal(d[2], 255);
	/* unchanged share: grey, however many samples */
	assert_true(is_grey(must_find(&s, "c")));
	assert_true(is_grey(must_find(&s, "main")));
	assert_true(is_grey(must_find(&s, "all")));
	/* both values and the change in the title */
	assert_non_null(strstr(s.text,
			       "<title>a (170 samples, 42.50%; base 100 samples, 25.00%; +17.50 "
			       "points)</title>"));
	assert_non_null(strstr(s.text,
			       "<title>d (20 samples, 5.00%; base 100 samples, 25.00%; -20.00 "
			       "points)</title>"));
	/* the legend's ends are the largest change; it takes a line under the title:
	 * 3 levels * 16 + 36 + 20 above + 34 below */
	assert_non_null(strstr(s.text, " width=\"1200\" height=\"138\" viewBox=\"0 0 1200 138\""));
	assert_non_null(strstr(s.text, "<g id=\"legend\">"));
	assert_non_null(strstr(s.text, "\xe2\x88\x92"
				       "20.00</text>"));
	svg_free(&s);

	/* the change is in share of the total: twice the samples everywhere is no change */
	builder_fini(&base);
	builder_init(&base);
	stack(&base, "main;a", 340, NULL);
	stack(&base, "main;b", 220, NULL);
	stack(&base, "main;c", 200, NULL);
	stack(&base, "main;d", 40, NULL);
	assert_int_equal(render_diff(base.p, now.p, &s), 0);
	parse(&s);
	assert_int_equal(s.nr, 6);
	for (size_t i = 0; i < s.nr; i++)
		assert_true(is_grey(&s.frames[i]));
	svg_free(&s);

	/* a frame only in base: no width, not "narrow"; the others' shares doubled */
	stack(&base, "main;gone", 800, NULL);
	assert_int_equal(render_diff(base.p, now.p, &s), 0);
	parse(&s);
	assert_int_equal(s.total, 400);
	assert_null(find(&s, "gone", -1));
	assert_non_null(strstr(s.text, " data-narrow=\"0\""));
	/* a: 21.25% -> 42.5%, the largest change of the drawn frames: full red */
	fill_rgb(must_find(&s, "a"), a);
	assert_true(a[0] == 255 && a[1] == 40 && a[2] == 40);
	assert_true(is_grey(must_find(&s, "main")));
	svg_free(&s);

	assert_int_equal(render_diff(NULL, now.p, &s), -EINVAL);
	svg_free(&s);
	builder_fini(&base);
	builder_fini(&now);
}

/* Narrow frames merged in a differential graph: the box carries both totals and its colour. */
static void diff_narrow_frames(void **state)
{
	struct builder base, now;
	struct svg s;
	const struct frame *agg;
	int c[3];

	(void)state;
	builder_init(&base);
	builder_init(&now);
	stack(&base, "main;big", 100000, NULL);
	stack(&now, "main;big", 100000, NULL);
	for (int i = 0; i < 200; i++) {
		char folded[64];

		snprintf(folded, sizeof(folded), "main;tiny%03d", i);
		stack(&now, folded, 5, NULL);
		stack(&base, folded, 1, NULL);
	}
	assert_int_equal(render_diff(base.p, now.p, &s), 0);
	parse(&s);
	check_widths(&s);
	agg = must_find(&s, "[200 narrow frames]");
	assert_int_equal(agg->value, 1000);
	/* 1000 / 101000 = 0.99%, 200 / 100200 = 0.20% */
	assert_non_null(strstr(s.text, "<title>[200 narrow frames] (1000 samples, 0.99%; base 200 "
				       "samples, 0.20%; +0.79 points)</title>"));
	fill_rgb(agg, c);
	assert_true(c[0] > c[1] && c[1] == c[2]);
	svg_free(&s);
	builder_fini(&base);
	builder_fini(&now);
}

static char *folded_text(const struct profile *base, const struct profile *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (base)
		assert_int_equal(profile__write_folded_diff(base, 0, p, 0, f), 0);
	else
		assert_int_equal(profile__write_folded(p, 0, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void folded_two_counts(void **state)
{
	struct builder base, now;
	char *text;

	(void)state;
	builder_init(&base);
	builder_init(&now);
	stack(&base, "main;a", 10, "app");
	stack(&base, "main;gone", 5, "app");
	stack(&base, "main;k:sys_read", 3, NULL);
	stack(&now, "main;a", 30, "app");
	stack(&now, "main;new", 7, "app");
	stack(&now, "main;k:sys_read", 3, NULL);
	text = folded_text(base.p, now.p);
	/* the union of the stacks, sorted, BASE then NEW */
	assert_string_equal(text, "app;main;a 10 30\n"
				  "app;main;gone 5 0\n"
				  "app;main;new 0 7\n"
				  "main;sys_read_[k] 3 3\n");
	free(text);
	/* and the one-count form is unchanged */
	text = folded_text(NULL, now.p);
	assert_string_equal(text, "app;main;a 30\napp;main;new 7\nmain;sys_read_[k] 3\n");
	free(text);
	assert_int_equal(profile__write_folded_diff(NULL, 0, now.p, 0, stdout), -EINVAL);
	builder_fini(&base);
	builder_fini(&now);
}

/* --- top table --- */

struct top_row {
	char flat[32], cum[32], name[128];
	double flat_pct, sum_pct, cum_pct;
};

static size_t parse_top(const char *text, struct top_row *rows, size_t max)
{
	const char *line = strstr(text, "cum%\n");
	size_t n = 0;

	assert_non_null(line);
	line += 5;
	while (*line && n < max) {
		struct top_row *r = &rows[n];
		int used = 0;

		assert_int_equal(sscanf(line, "%31s %lf%% %lf%% %31s %lf%% %n", r->flat,
					&r->flat_pct, &r->sum_pct, r->cum, &r->cum_pct, &used),
				 5);
		line += used;
		copy_between(r->name, sizeof(r->name), line - 1, " ", "\n");
		line = strchr(line, '\n') + 1;
		n++;
	}
	return n;
}

static void top_table(void **state)
{
	struct builder b;
	struct top_row rows[16];
	char *text = NULL;
	size_t len = 0, n;
	FILE *f;

	(void)state;
	builder_init(&b);
	stack(&b, "main;rec;rec;rec", 50, "app"); /* recursion counts once in cum */
	stack(&b, "main;work;i:inl@caller", 30, NULL);
	stack(&b, "main;work", 15, NULL);
	stack(&b, "main", 5, NULL);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(profile__write_top(b.p, 0, 0, f), 0);
	fclose(f);
	n = parse_top(text, rows, 16);
	assert_non_null(strstr(text, "Type: samples\n"));
	assert_non_null(strstr(text, "Showing nodes accounting for 100, 100.00% of 100 total\n"));
	assert_int_equal(n, 5); /* rec, inl, work, main, caller; the comm label is not a frame */
	assert_string_equal(rows[0].name, "rec");
	assert_string_equal(rows[0].flat, "50");
	assert_string_equal(rows[0].cum, "50");
	assert_string_equal(rows[1].name, "inl (inline)");
	assert_string_equal(rows[1].flat, "30");
	assert_string_equal(rows[2].name, "work");
	assert_string_equal(rows[2].flat, "15");
	assert_string_equal(rows[2].cum, "45");
	assert_float_equal(rows[2].sum_pct, 95.0, 0.001);
	assert_string_equal(rows[3].name, "main");
	assert_string_equal(rows[3].cum, "100");
	assert_float_equal(rows[3].cum_pct, 100.0, 0.001);
	assert_float_equal(rows[3].sum_pct, 100.0, 0.001);
	assert_string_equal(rows[4].cum, "30"); /* caller and inl: zero flat, sorted by cum */
	assert_string_equal(rows[4].flat, "0");
	free(text);

	/* cpu column in time units, and a row limit */
	text = NULL;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(profile__write_top(b.p, 1, 2, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "Showing top 2 nodes out of 5\n"));
	n = parse_top(text, rows, 16);
	assert_int_equal(n, 2);
	/* 50 samples at 99 Hz: 50 * 10101010 ns = 505.05 ms */
	assert_string_equal(rows[0].flat, "505.05ms");
	free(text);
	builder_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(widths_match_counts),
		cmocka_unit_test(children_sorted_by_name),
		cmocka_unit_test(comm_root_and_kinds),
		cmocka_unit_test(colours_stable),
		cmocka_unit_test(names_escaped),
		cmocka_unit_test(labels_fit),
		cmocka_unit_test(narrow_frames_merged),
		cmocka_unit_test(empty_and_bad_arguments),
		cmocka_unit_test(deep_stack),
		cmocka_unit_test(large_profile_stays_small),
		cmocka_unit_test(wide_fanout_capped),
		cmocka_unit_test(top_table),
		cmocka_unit_test(diff_colours_follow_change),
		cmocka_unit_test(diff_narrow_frames),
		cmocka_unit_test(folded_two_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
