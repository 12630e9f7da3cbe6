// SPDX-License-Identifier: MIT
/* Self-contained interactive SVG flame graph. The stacks are merged into a tree whose children are
 * sorted by name (the flamegraph.pl layout), then every frame wide enough to see is written as one
 * <g> with a <title> "NAME (N UNIT, P%)", a rect whose width is N / total of the drawable width, and
 * a label. Children too narrow to see are merged into one "[N narrow frames]" box per parent (or
 * left out when even that is too narrow); their samples always count in the parent's width.
 *
 * The file is laid out for a fixed 1200 px width, root at the bottom, so it renders as it is where
 * no script runs (<img>, image viewers). The embedded script (no external resources) then fits it
 * to the window's width (again on resize), scrolls the root into view, keeps the title bar and the
 * details line on screen while scrolling, and adds hover details, click to zoom, search and an
 * icicle layout (root at the top; remembered in the URL fragment as #icicle).
 *
 * A differential graph walks a second (base) profile into the same tree: widths are the new
 * profile's, the colour is each frame's change in share of the total (red grew, blue shrank). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"
#include "util/hashmap.h"
/* svg_viewer_js[]: the viewer, src/profile/svg_viewer.js, embedded at build time
 * (cmake/EmbedText.cmake); no network access, no "]]>" */
#include "svg_viewer_js.h"

/* flamegraph.pl's geometry, so a graph reads like the ones users know */
#define FG_WIDTH	1200
#define FG_XPAD		10
#define FG_FRAME_HEIGHT 16 /* rect 15 + 1 px pad */
#define FG_FONT_SIZE	12
#define FG_FONT_WIDTH	0.59 /* average Verdana glyph width per font size */
#define FG_TOP_PAD	(3 * FG_FONT_SIZE)
#define FG_LEGEND_PAD	20 /* a differential graph's legend line, under the title */
#define FG_BOTTOM_PAD	(2 * FG_FONT_SIZE + 10)
#define FG_MIN_WIDTH	0.1 /* px: narrower frames are merged */
/* Bounds on drawn frames, so huge profiles stay a few MB and render quickly: beyond either the
 * narrow-frame threshold is raised, but never past FG_MAX_MIN_WIDTH: frames that wide are what
 * the graph is for (a 20000-deep recursion is drawn in full). */
#define FG_MAX_FRAMES	 24000
#define FG_MAX_BYTES	 (3 << 20) /* estimated size of the frame groups */
#define FG_FRAME_BYTES	 175	   /* a frame group without its name and label */
#define FG_MAX_MIN_WIDTH 2.0	   /* px */
#define FG_NO_NODE	 UINT32_MAX
#define FG_PROBE	 ((uintptr_t)-1) /* hash key standing for tree->probe */
/* Differential colours saturate at the largest change drawn, but never below this change in share
 * (1 point), so sampling noise between two like captures stays pale. */
#define FG_DIFF_MIN_SCALE 0.01

struct fg_node {
	const char *name; /* canonical copy, owned by the names map */
	int64_t value;	  /* cumulative: this frame and everything above it */
	int64_t base;	  /* the same in the base profile of a differential graph */
	uint32_t parent;
	uint32_t first_child; /* index into tree->order */
	uint32_t nr_children;
	uint32_t depth;
	enum profile_frame_kind kind;
	const struct profile_runtime_kind *runtime; /* PROFILE_FRAME_RUNTIME: whose */
	const char *file; /* source file of the first stack through it (borrowed), or NULL */
	int64_t line_min, line_max; /* lines of the stacks through it; 0 = none known */
};

struct fg_tree {
	struct fg_node *nodes; /* nodes[0] is the root "all" */
	size_t nr_nodes, cap_nodes;
	uint32_t *order;	 /* non-root nodes grouped by parent, each group sorted by name */
	struct hashmap children; /* node index -> node index, keyed by (parent, name, kind) */
	struct hashmap names;	 /* name -> its copy (owned), so names compare by pointer */
	struct hashmap by_ptr;	 /* walker's name pointer -> copy: skips hashing the string */
	struct fg_node probe;	 /* lookup key for children */
	uint32_t max_depth;
	uint32_t *path; /* scratch: node of each frame of the current stack */
	size_t cap_path;
	bool to_base; /* the walk adds to base instead of value */
};

static struct fg_node *tree_key(const struct fg_tree *t, uintptr_t key)
{
	return key == FG_PROBE ? (struct fg_node *)&t->probe : &t->nodes[key];
}

static uint64_t child_hash(uintptr_t key, void *ctx)
{
	const struct fg_node *n = tree_key(ctx, key);

	return hash_u64((uint64_t)(uintptr_t)n->name ^
			hash_u64(((uint64_t)n->parent << 3) | n->kind));
}

static bool child_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct fg_node *x = tree_key(ctx, a), *y = tree_key(ctx, b);

	return x->parent == y->parent && x->name == y->name && x->kind == y->kind &&
	       x->runtime == y->runtime;
}

static int tree_init(struct fg_tree *t)
{
	memset(t, 0, sizeof(*t));
	hashmap__init(&t->children, child_hash, child_equal, t);
	hashmap__init(&t->names, hashmap_hash_str, hashmap_equal_str, NULL);
	hashmap__init(&t->by_ptr, hashmap_hash_int, hashmap_equal_int, NULL);
	t->nodes = calloc(16, sizeof(*t->nodes));
	if (!t->nodes)
		return -ENOMEM;
	t->cap_nodes = 16;
	t->nr_nodes = 1;
	t->nodes[0] =
		(struct fg_node){ .name = "all", .parent = FG_NO_NODE, .kind = PROFILE_FRAME_USER };
	return 0;
}

static void tree_fini(struct fg_tree *t)
{
	hashmap__for_each (&t->names, e)
		free((char *)e->key);
	hashmap__clear(&t->children);
	hashmap__clear(&t->names);
	hashmap__clear(&t->by_ptr);
	free(t->nodes);
	free(t->order);
	free(t->path);
}

/* Names are copied: the walker's frames may point at strings it frees when the walk ends. Within
 * the one walk a pointer always means the same string, so most lookups go by pointer. */
static int canonical_name(struct fg_tree *t, const char *name, const char **ret_name)
{
	const char *key = name;
	uintptr_t found;
	char *copy;
	int err;

	if (hashmap__find(&t->by_ptr, (uintptr_t)key, &found)) {
		*ret_name = (const char *)found;
		return 0;
	}
	if (!name || !*name)
		name = "[unknown]";
	if (hashmap__find(&t->names, (uintptr_t)name, &found)) {
		copy = (char *)found;
	} else {
		copy = strdup(name);
		if (!copy)
			return -ENOMEM;
		err = hashmap__set(&t->names, (uintptr_t)copy, (uintptr_t)copy);
		if (err) {
			free(copy);
			return err;
		}
	}
	err = hashmap__set(&t->by_ptr, (uintptr_t)key, (uintptr_t)copy);
	if (err)
		return err;
	*ret_name = copy;
	return 0;
}

/* Child of parent for (name, kind), created on first use. */
static int tree_child(struct fg_tree *t, uint32_t parent, const struct profile_frame *f,
		      uint32_t *ret_idx)
{
	uintptr_t found;
	int err;

	t->probe = (struct fg_node){ .parent = parent, .kind = f->kind, .runtime = f->runtime };
	err = canonical_name(t, f->name, &t->probe.name);
	if (err)
		return err;
	if (hashmap__find(&t->children, FG_PROBE, &found)) {
		*ret_idx = (uint32_t)found;
		return 0;
	}
	if (t->nr_nodes >= FG_NO_NODE)
		return -E2BIG;
	if (t->nr_nodes == t->cap_nodes) {
		size_t cap = t->cap_nodes * 2;
		struct fg_node *nodes = reallocarray(t->nodes, cap, sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
		t->cap_nodes = cap;
	}
	t->nodes[t->nr_nodes] = t->probe;
	t->nodes[t->nr_nodes].depth = t->nodes[parent].depth + 1;
	if (t->nodes[t->nr_nodes].depth > t->max_depth)
		t->max_depth = t->nodes[t->nr_nodes].depth;
	err = hashmap__set(&t->children, t->nr_nodes, t->nr_nodes);
	if (err)
		return err;
	*ret_idx = (uint32_t)t->nr_nodes++;
	return 0;
}

static int add_stack(const struct profile_frame *frames, size_t nr_frames, int64_t value,
		     const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	struct fg_tree *t = ctx;
	uint32_t node = 0;
	int err;

	(void)labels;
	(void)nr_labels;
	/* Negative values (diff profiles) have no width; zero adds nothing. */
	if (value <= 0)
		return 0;
	if (nr_frames > t->cap_path) {
		uint32_t *path = reallocarray(t->path, nr_frames, sizeof(*path));

		if (!path)
			return -ENOMEM;
		t->path = path;
		t->cap_path = nr_frames;
	}
	/* Find or create the whole path first, so an overflow leaves no half-added stack. */
	for (size_t i = 0; i < nr_frames; i++) {
		err = tree_child(t, node, &frames[i], &node);
		if (err)
			return err;
		t->path[i] = node;
	}
	if (t->to_base) {
		if (__builtin_add_overflow(t->nodes[0].base, value, &t->nodes[0].base))
			return -EOVERFLOW;
		for (size_t i = 0; i < nr_frames; i++)
			t->nodes[t->path[i]].base += value;
		return 0;
	}
	/* where the code is, for the hover text: a box merges every line of its function */
	for (size_t i = 0; i < nr_frames; i++) {
		struct fg_node *n = &t->nodes[t->path[i]];

		if (!n->file)
			n->file = frames[i].file;
		if (frames[i].line > 0 && (!n->line_min || frames[i].line < n->line_min))
			n->line_min = frames[i].line;
		if (frames[i].line > n->line_max)
			n->line_max = frames[i].line;
	}
	if (__builtin_add_overflow(t->nodes[0].value, value, &t->nodes[0].value))
		return -EOVERFLOW;
	/* Descendants never exceed the root, so these cannot overflow once the root did not. */
	for (size_t i = 0; i < nr_frames; i++)
		t->nodes[t->path[i]].value += value;
	return 0;
}

static int compare_siblings(const void *a, const void *b, void *ctx)
{
	const struct fg_tree *t = ctx;
	const struct fg_node *x = &t->nodes[*(const uint32_t *)a];
	const struct fg_node *y = &t->nodes[*(const uint32_t *)b];
	int c;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (int)x->kind - (int)y->kind;
}

/* Group children by parent, sorted by name as flamegraph.pl sorts the folded lines. */
static int tree_sort(struct fg_tree *t)
{
	size_t n = t->nr_nodes - 1;

	t->order = calloc(n ? n : 1, sizeof(*t->order));
	if (!t->order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		t->order[i] = (uint32_t)(i + 1);
	qsort_r(t->order, n, sizeof(*t->order), compare_siblings, t);
	for (size_t i = 0; i < n; i++) {
		struct fg_node *parent = &t->nodes[t->nodes[t->order[i]].parent];

		if (!parent->nr_children)
			parent->first_child = (uint32_t)i;
		parent->nr_children++;
	}
	return 0;
}

/* --- emitting --- */

struct fg_emit {
	const struct fg_tree *tree;
	FILE *out; /* NULL: only count frames */
	const char *unit;
	double scale;	  /* px per unit of value */
	double min_width; /* px: narrower frames are merged... */
	double lo_width;  /* ...except those at least this wide up to depth lo_depth */
	uint32_t lo_depth;
	int64_t total;
	bool diff;	    /* differential graph: colour from the change against base */
	int64_t base_total; /* of the base profile */
	double diff_scale;  /* change in share that gets the full colour */
	size_t top;	    /* px above the frames: title bar, and the legend of a diff */
	size_t nr_frames;
	size_t nr_bytes;  /* estimate */
	size_t nr_narrow; /* frames merged or left out: search can only see drawn frames */
	uint32_t max_depth;
	size_t height;
	/* explicit DFS stack: deep stacks must not overflow the C stack */
	struct fg_item {
		uint32_t node;
		int64_t offset; /* in value units from the left edge */
	} * stack;
	size_t nr_stack, cap_stack;
};

/* Length in bytes of the UTF-8 sequence at s, or 0 if it is not valid (the caller substitutes). */
static size_t utf8_len(const unsigned char *s)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* reject overlong forms, surrogates and code points beyond Unicode */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/* Write at most max_chars characters of s as XML character data (escaped, always well-formed:
 * control characters and invalid UTF-8 become '?'). Returns the number of characters of s left. */
static size_t put_xml(FILE *out, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p && max_chars; max_chars--) {
		size_t len = utf8_len(p);

		if (!len) {
			fputc('?', out);
			p++;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputc('?', out);
			else
				fwrite(p, 1, len, out);
		}
		p += len;
	}
	/* count what was cut, so the caller knows whether to add ".." */
	for (max_chars = 0; *p; max_chars++)
		p += utf8_len(p) ? utf8_len(p) : 1;
	return max_chars;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; n++)
		p += utf8_len(p) ? utf8_len(p) : 1;
	return n;
}

/* Stable colour from the name's hash, one hue family per frame kind (and runtime). */
static void frame_colour(const char *name, enum profile_frame_kind kind,
			 const struct profile_runtime_kind *rt, bool aggregate, int rgb[3])
{
	uint64_t h = hash_bytes(name, strlen(name), 0x666c616d6564ULL /* "flamed" */);
	double v1 = (double)(h & 0xffff) / 0xffff;
	double v2 = (double)((h >> 16) & 0xffff) / 0xffff;
	double v3 = (double)((h >> 32) & 0xffff) / 0xffff;

	if (aggregate) {
		rgb[0] = rgb[1] = rgb[2] = 200; /* neutral grey: not a function */
		return;
	}
	if (kind == PROFILE_FRAME_RUNTIME && !rt)
		kind = PROFILE_FRAME_USER;
	switch (kind) {
	case PROFILE_FRAME_KERNEL: /* blue */
		rgb[0] = 70 + (int)(50 * v1);
		rgb[1] = 110 + (int)(60 * v2);
		rgb[2] = 205 + (int)(50 * v3);
		break;
	case PROFILE_FRAME_JIT: /* green */
		rgb[0] = 40 + (int)(60 * v1);
		rgb[1] = 180 + (int)(55 * v2);
		rgb[2] = 40 + (int)(60 * v3);
		break;
	case PROFILE_FRAME_RUNTIME: /* the runtime's own family, not "hot" */
		rgb[0] = rt->rgb[0] + (int)(rt->spread[0] * v1);
		rgb[1] = rt->rgb[1] + (int)(rt->spread[1] * v2);
		rgb[2] = rt->rgb[2] + (int)(rt->spread[2] * v3);
		break;
	case PROFILE_FRAME_INLINED: /* aqua */
		rgb[0] = 60 + (int)(50 * v1);
		rgb[1] = 205 + (int)(40 * v2);
		rgb[2] = 205 + (int)(40 * v3);
		break;
	case PROFILE_FRAME_COMM: /* violet-grey: the process, not code */
		rgb[0] = 170 + (int)(30 * v1);
		rgb[1] = 150 + (int)(30 * v2);
		rgb[2] = 200 + (int)(40 * v3);
		break;
	case PROFILE_FRAME_USER:
	default: /* flamegraph.pl "hot" palette */
		rgb[0] = 205 + (int)(50 * v3);
		rgb[1] = (int)(230 * v1);
		rgb[2] = (int)(55 * v2);
		break;
	}
}

static const char *kind_class(enum profile_frame_kind kind, const struct profile_runtime_kind *rt)
{
	switch (kind) {
	case PROFILE_FRAME_KERNEL:
		return "k";
	case PROFILE_FRAME_INLINED:
		return "i";
	case PROFILE_FRAME_JIT:
		return "j";
	case PROFILE_FRAME_RUNTIME:
		return rt ? rt->svg_class : "u";
	case PROFILE_FRAME_COMM:
		return "c";
	case PROFILE_FRAME_USER:
	default:
		return "u";
	}
}

/* Change in share of the total from base to new, as a fraction (+0.05 = 5 points more). */
static double share_change(const struct fg_emit *e, int64_t value, int64_t base)
{
	double now = e->total ? (double)value / (double)e->total : 0;
	double before = e->base_total ? (double)base / (double)e->base_total : 0;

	return now - before;
}

/* Grey for no change, blending into red for a larger share in the new profile or into blue for a
 * smaller one, in proportion to the change (full colour at scale and beyond): a change too small
 * to matter stays grey rather than taking a hue. */
static void diff_colour(double change, double scale, int rgb[3])
{
	double s = scale > 0 ? fabs(change) / scale : 0;
	int hue, rest;

	if (s > 1)
		s = 1;
	hue = 225 + (int)(30 * s + 0.5);   /* 225 -> 255 */
	rest = 225 - (int)(185 * s + 0.5); /* 225 -> 40 */
	rgb[0] = change > 0 ? hue : rest;
	rgb[1] = rest;
	rgb[2] = change < 0 ? hue : rest;
}

/* Largest change in share among frames with new samples (the drawn ones and their narrow
 * siblings), but at least FG_DIFF_MIN_SCALE. */
static double diff_scale(const struct fg_emit *e)
{
	double scale = FG_DIFF_MIN_SCALE;

	for (size_t i = 0; i < e->tree->nr_nodes; i++) {
		const struct fg_node *n = &e->tree->nodes[i];
		double c = fabs(share_change(e, n->value, n->base));

		if (n->value > 0 && c > scale)
			scale = c;
	}
	return scale;
}

/* One frame group. name is NULL for the "[N narrow frames]" aggregate of nr_merged children; base
 * is its value in the base profile (differential graphs only). */
/* "; inlined; at FILE:LINE[-LINE]" of a frame's title ('(' left out: the script parses the
 * title's last parenthesis). */
static void put_source(FILE *out, const struct fg_node *n)
{
	char file[512];

	if (n->kind == PROFILE_FRAME_INLINED)
		fputs("; inlined", out);
	if (!n->file && !n->line_min)
		return;
	snprintf(file, sizeof(file), "%s", n->file ? n->file : "?");
	for (char *c = file; *c; c++)
		if (*c == '(' || *c == ')')
			*c = '_';
	fputs("; at ", out);
	put_xml(out, file, SIZE_MAX);
	if (n->line_min == n->line_max && n->line_min)
		fprintf(out, ":%lld", (long long)n->line_min);
	else if (n->line_min)
		fprintf(out, ":%lld-%lld", (long long)n->line_min, (long long)n->line_max);
}

static void emit_frame(struct fg_emit *e, const char *name, enum profile_frame_kind kind,
		       const struct profile_runtime_kind *rt, const struct fg_node *src,
		       size_t nr_merged, uint32_t depth, int64_t offset, int64_t value,
		       int64_t base)
{
	char agg_name[64];
	double x = FG_XPAD + (double)offset * e->scale;
	double w = (double)value * e->scale;
	double y = (double)e->height - FG_BOTTOM_PAD - (double)(depth + 1) * FG_FRAME_HEIGHT + 1;
	size_t fit = w > 6 ? (size_t)((w - 6) / (FG_FONT_SIZE * FG_FONT_WIDTH)) : 0;
	int rgb[3];
	FILE *out = e->out;

	if (!name) {
		snprintf(agg_name, sizeof(agg_name), "[%zu narrow frames]", nr_merged);
		name = agg_name;
	}
	if (e->diff)
		diff_colour(share_change(e, value, base), e->diff_scale, rgb);
	else
		frame_colour(name, kind, rt, name == agg_name, rgb);
	fprintf(out, "<g class=\"%s\"><title>", name == agg_name ? "a" : kind_class(kind, rt));
	put_xml(out, name, SIZE_MAX);
	fprintf(out, " (%lld %s, %.2f%%", (long long)value, e->unit,
		e->total ? 100.0 * (double)value / (double)e->total : 0.0);
	if (e->diff)
		fprintf(out, "; base %lld %s, %.2f%%; %+.2f points", (long long)base, e->unit,
			e->base_total ? 100.0 * (double)base / (double)e->base_total : 0.0,
			100.0 * share_change(e, value, base));
	if (src)
		put_source(out, src);
	fputs(")</title>", out);
	fprintf(out,
		"<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
		"rx=\"2\"/><text x=\"%.2f\" y=\"%.1f\">",
		x, y, w, FG_FRAME_HEIGHT - 1, rgb[0], rgb[1], rgb[2], x + 3, y + 10.5);
	/* Label cut to what fits, ending in "..", and left out below 3 characters. */
	if (fit >= 3) {
		if (utf8_chars(name) <= fit)
			put_xml(out, name, fit);
		else if (put_xml(out, name, fit - 2))
			fputs("..", out);
	}
	fputs("</text></g>\n", out);
}

static int push_item(struct fg_emit *e, uint32_t node, int64_t offset)
{
	if (e->nr_stack == e->cap_stack) {
		size_t cap = e->cap_stack ? e->cap_stack * 2 : 64;
		struct fg_item *s = reallocarray(e->stack, cap, sizeof(*s));

		if (!s)
			return -ENOMEM;
		e->stack = s;
		e->cap_stack = cap;
	}
	e->stack[e->nr_stack++] = (struct fg_item){ .node = node, .offset = offset };
	return 0;
}

static void note_frame(struct fg_emit *e, uint32_t depth, const char *name, int64_t value)
{
	double w = (double)value * e->scale;
	size_t len = name ? strlen(name) : 24, fit;

	fit = w > 6 ? (size_t)((w - 6) / (FG_FONT_SIZE * FG_FONT_WIDTH)) : 0;
	e->nr_frames++;
	e->nr_bytes += FG_FRAME_BYTES + len + (fit >= 3 ? (fit < len ? fit : len) : 0);
	if (depth > e->max_depth)
		e->max_depth = depth;
}

/* Drawn on its own, or merged with its narrow siblings? A child is never wider than its parent
 * and is deeper, so the drawn frames always include their ancestors. */
static bool is_wide(const struct fg_emit *e, const struct fg_node *n)
{
	double w = (double)n->value * e->scale;

	return w >= e->min_width || (w >= e->lo_width && n->depth <= e->lo_depth);
}

static bool within_bounds(const struct fg_emit *e)
{
	return e->nr_frames <= FG_MAX_FRAMES && e->nr_bytes <= FG_MAX_BYTES;
}

/* Walk the drawable frames, counting them (e->out NULL) or writing them. */
static int emit_frames(struct fg_emit *e)
{
	const struct fg_tree *t = e->tree;
	int err;

	e->nr_frames = 0;
	e->nr_bytes = 0;
	e->nr_narrow = 0;
	e->max_depth = 0;
	e->nr_stack = 0;
	err = push_item(e, 0, 0);
	while (!err && e->nr_stack) {
		struct fg_item it = e->stack[--e->nr_stack];
		const struct fg_node *n = &t->nodes[it.node];
		int64_t off = it.offset, narrow = 0, narrow_base = 0;
		size_t nr_narrow = 0;

		note_frame(e, n->depth, n->name, n->value);
		if (e->out)
			emit_frame(e, n->name, n->kind, n->runtime, n, 0, n->depth, it.offset,
				   n->value, n->base);
		/* Wide children keep their sorted order from the parent's left edge; the narrow
		 * ones are summed into one box after them. */
		for (size_t i = 0; i < n->nr_children; i++) {
			const struct fg_node *c = &t->nodes[t->order[n->first_child + i]];

			if (!is_wide(e, c)) {
				/* frames only in the base of a diff have no width: not "narrow" */
				narrow += c->value;
				narrow_base += c->base;
				nr_narrow += c->value > 0;
			} else {
				off += c->value;
			}
		}
		e->nr_narrow += nr_narrow;
		if (nr_narrow && (double)narrow * e->scale >= e->min_width) {
			note_frame(e, n->depth + 1, NULL, narrow);
			if (e->out)
				emit_frame(e, NULL, n->kind, NULL, NULL, nr_narrow, n->depth + 1,
					   off, narrow, narrow_base);
		}
		/* pushed in reverse so they pop in sorted order */
		for (size_t i = n->nr_children; !err && i-- > 0;) {
			uint32_t ci = t->order[n->first_child + i];

			if (!is_wide(e, &t->nodes[ci]))
				continue;
			off -= t->nodes[ci].value;
			err = push_item(e, ci, off);
		}
	}
	return err;
}

static void emit_header(struct fg_emit *e)
{
	FILE *out = e->out;
	size_t h = e->height;

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%zu\" viewBox=\"0 0 %d %zu\" onload=\"fg_init(evt)\">\n"
		"<!-- Flame graph written by flamed. Click a frame to zoom in; Search (Ctrl-F) "
		"highlights frames by regular expression; Escape resets; Icicle puts the root at "
		"the top. -->\n"
		"<defs><linearGradient id=\"background\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
		"<stop stop-color=\"#eeeeee\" offset=\"5%%\"/>"
		"<stop stop-color=\"#eeeeb0\" offset=\"95%%\"/></linearGradient></defs>\n"
		"<style type=\"text/css\">\n"
		"text { font-family: Verdana, sans-serif; font-size: %dpx; fill: #000; }\n"
		"#title { text-anchor: middle; font-size: %dpx; }\n"
		"#search, #matched, #orient { text-anchor: end; }\n"
		"#search { opacity: 0.1; cursor: pointer; }\n"
		"#search:hover, #search.show { opacity: 1; }\n"
		"#unzoom, #orient { cursor: pointer; }\n"
		"#frames > g:hover > rect { stroke: #000; stroke-width: 0.5; cursor: pointer; }\n"
		"#frames text { pointer-events: none; }\n"
		"#legend text { font-size: %dpx; }\n"
		".bar { fill-opacity: 0; }\n"
		".stuck .bar { fill-opacity: 0.92; }\n"
		".hide { display: none; }\n"
		".parent { opacity: 0.5; }\n"
		"</style>\n"
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n"
		"<rect class=\"wide\" x=\"0\" y=\"0\" width=\"%d\" height=\"%zu\" "
		"fill=\"url(#background)\"/>\n"
		"<g id=\"frames\" data-total=\"%lld\" data-unit=\"%s\" data-xpad=\"%d\" "
		"data-fontw=\"%.2f\" data-narrow=\"%zu\" data-fh=\"%d\" data-top=\"%zu\" "
		"data-bottom=\"%d\">\n",
		FG_WIDTH, h, FG_WIDTH, h, FG_FONT_SIZE, FG_FONT_SIZE + 5, FG_FONT_SIZE - 1,
		svg_viewer_js, FG_WIDTH, h, (long long)e->total, e->unit, FG_XPAD,
		FG_FONT_SIZE * FG_FONT_WIDTH, e->nr_narrow, FG_FRAME_HEIGHT, e->top, FG_BOTTOM_PAD);
}

/* A differential graph's colour scale, centred under the title. */
static void emit_legend(struct fg_emit *e)
{
	enum { STEPS = 11, STEP_W = 20, Y = 2 * FG_FONT_SIZE + FG_LEGEND_PAD };
	int x0 = FG_WIDTH / 2 - STEPS * STEP_W / 2, rgb[3];

	fprintf(e->out,
		"<g id=\"legend\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\">base \xe2\x86\x92 "
		"new: shrank \xe2\x88\x92%.2f</text>",
		x0 - 6, Y, 100.0 * e->diff_scale);
	for (int i = 0; i < STEPS; i++) {
		diff_colour(e->diff_scale * (i - STEPS / 2) / (STEPS / 2), e->diff_scale, rgb);
		fprintf(e->out,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"11\" "
			"fill=\"rgb(%d,%d,%d)\"/>",
			x0 + i * STEP_W, Y - 10, STEP_W - 1, rgb[0], rgb[1], rgb[2]);
	}
	fprintf(e->out, "<text x=\"%d\" y=\"%d\">+%.2f grew (points of the total)</text></g>\n",
		x0 + STEPS * STEP_W + 5, Y, 100.0 * e->diff_scale);
}

/* Title bar and details line, after the frames so they paint over them when the viewer keeps them
 * on screen. data-right: the viewer keeps the element that far from the right edge. */
static void emit_bars(struct fg_emit *e, const char *title)
{
	FILE *out = e->out;
	size_t h = e->height;

	fprintf(out,
		"<g id=\"head\"><rect class=\"bar wide\" x=\"0\" y=\"0\" width=\"%d\" "
		"height=\"%zu\" fill=\"#eeeeee\"/>\n"
		"<text id=\"title\" x=\"%d\" y=\"%d\">",
		FG_WIDTH, e->top, FG_WIDTH / 2, 2 * FG_FONT_SIZE);
	put_xml(out, title, SIZE_MAX);
	fprintf(out,
		"</text>\n"
		"<text id=\"unzoom\" class=\"hide\" x=\"%d\" y=\"%d\">Reset Zoom</text>\n"
		"<g><title>Root at the top (icicle) or at the bottom (flame)</title>"
		"<text id=\"orient\" x=\"%d\" y=\"%d\" data-right=\"%d\">Icicle</text></g>\n"
		"<text id=\"search\" x=\"%d\" y=\"%d\" data-right=\"%d\">Search</text>\n",
		FG_XPAD, 2 * FG_FONT_SIZE, FG_WIDTH - FG_XPAD - 80, 2 * FG_FONT_SIZE, FG_XPAD + 80,
		FG_WIDTH - FG_XPAD, 2 * FG_FONT_SIZE, FG_XPAD);
	if (e->diff)
		emit_legend(e);
	fprintf(out,
		"</g>\n"
		"<g id=\"foot\"><rect class=\"bar wide\" x=\"0\" y=\"%zu\" width=\"%d\" "
		"height=\"%d\" fill=\"#eeeeb0\"/>\n"
		"<text id=\"details\" x=\"%d\" y=\"%zu\"> </text>\n"
		"<text id=\"matched\" x=\"%d\" y=\"%zu\" data-right=\"%d\"> </text>\n"
		"</g>\n",
		h - FG_BOTTOM_PAD, FG_WIDTH, FG_BOTTOM_PAD, FG_XPAD, h - FG_BOTTOM_PAD / 2,
		FG_WIDTH - FG_XPAD, h - FG_BOTTOM_PAD / 2, FG_XPAD);
}

/* Raise the narrow-frame threshold until the drawn frames fit the bounds. Widths often come in
 * bands (many leaves of one or two samples), so the last step can drop a whole band at once: part
 * of it is let back in, the shallowest levels first, as far as the bounds allow. Leaves e counted
 * with the final setting. */
static int choose_threshold(struct fg_emit *e)
{
	uint32_t lo = 0, hi = e->tree->max_depth;
	bool raised = false;
	int err;

	e->lo_depth = 0;
	for (e->min_width = FG_MIN_WIDTH;; e->min_width *= 1.1) {
		e->lo_width = e->min_width;
		err = emit_frames(e);
		if (err)
			return err;
		if (within_bounds(e) || e->min_width >= FG_MAX_MIN_WIDTH)
			break;
		raised = true;
	}
	if (!raised || !within_bounds(e))
		return 0;
	/* largest depth for the band [min_width / 1.1, min_width) that still fits */
	e->lo_width = e->min_width / 1.1;
	while (lo < hi) {
		e->lo_depth = lo + (hi - lo + 1) / 2;
		err = emit_frames(e);
		if (err)
			return err;
		if (within_bounds(e))
			lo = e->lo_depth;
		else
			hi = e->lo_depth - 1;
	}
	e->lo_depth = lo;
	return emit_frames(e);
}

/* "samples" for counts, else the unit ("nanoseconds"); only [a-z] so it needs no escaping. */
static void count_name(const struct profile *p, size_t value_idx, char *buf, size_t len)
{
	struct profile_value_type vt = profile__sample_type(p, value_idx);
	const char *name = "samples";
	size_t n = 0;

	if (vt.unit && *vt.unit && strcmp(vt.unit, "count") != 0)
		name = vt.unit;
	else if (vt.type && *vt.type)
		name = vt.type;
	for (; *name && n + 1 < len; name++) {
		if ((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z'))
			buf[n++] = *name;
	}
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "samples");
}

/* Flame graph of p, or with base a differential one. */
static int write_graph(const struct profile *base, size_t base_idx, const struct profile *p,
		       size_t value_idx, const char *title, FILE *out)
{
	struct fg_tree tree;
	struct fg_emit e = { 0 };
	char unit[32];
	int err;

	if (!p || !out)
		return -EINVAL;
	if (!profile__sample_type(p, value_idx).type ||
	    (base && !profile__sample_type(base, base_idx).type))
		return -EINVAL;
	err = tree_init(&tree);
	if (err)
		goto cleanup;
	err = profile__for_each_stack(p, value_idx, true, add_stack, &tree);
	hashmap__clear(&tree.by_ptr); /* the walker's pointers die with the walk */
	if (err)
		goto cleanup;
	if (base) {
		tree.to_base = true;
		err = profile__for_each_stack(base, base_idx, true, add_stack, &tree);
		hashmap__clear(&tree.by_ptr);
		if (err)
			goto cleanup;
	}
	err = tree_sort(&tree);
	if (err)
		goto cleanup;

	count_name(p, value_idx, unit, sizeof(unit));
	e.tree = &tree;
	e.unit = unit;
	e.total = tree.nodes[0].value;
	e.scale = e.total ? (double)(FG_WIDTH - 2 * FG_XPAD) / (double)e.total : 0;
	e.top = FG_TOP_PAD;
	if (base) {
		e.diff = true;
		e.base_total = tree.nodes[0].base;
		e.diff_scale = diff_scale(&e);
		e.top += FG_LEGEND_PAD;
	}
	err = choose_threshold(&e);
	if (err)
		goto cleanup;
	e.height = (size_t)(e.max_depth + 1) * FG_FRAME_HEIGHT + e.top + FG_BOTTOM_PAD;
	e.out = out;
	emit_header(&e);
	err = emit_frames(&e);
	if (err)
		goto cleanup;
	fputs("</g>\n", out);
	emit_bars(&e, title ? title : "Flame Graph");
	fputs("</svg>\n", out);
	if (fflush(out) || ferror(out))
		err = -EIO;
cleanup:
	free(e.stack);
	tree_fini(&tree);
	return err;
}

int profile__write_svg(const struct profile *p, size_t value_idx, const char *title, FILE *out)
{
	return write_graph(NULL, 0, p, value_idx, title, out);
}

int profile__write_svg_diff(const struct profile *base, size_t base_idx, const struct profile *p,
			    size_t value_idx, const char *title, FILE *out)
{
	if (!base)
		return -EINVAL;
	return write_graph(base, base_idx, p, value_idx, title, out);
}
