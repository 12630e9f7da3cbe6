// SPDX-License-Identifier: MIT
/* Window blob codec (format in window.h). The decoder reads spool files, which may be damaged:
 * every length is checked against what is left. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "upload/window.h"

static const uint8_t window_magic[4] = { 'F', 'L', 'W', '1' };

#define SERIES_KEY "__name__" /* the label that carries upload_window.series_name */

struct wbuf {
	uint8_t *p;
	size_t len;
};

static void put_u32(struct wbuf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put_u64(struct wbuf *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static size_t str_size(const char *s)
{
	return 4 + (s ? strlen(s) + 1 : 0);
}

static void put_str(struct wbuf *b, const char *s)
{
	size_t n = s ? strlen(s) + 1 : 0;

	put_u32(b, (uint32_t)n);
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

int window_encode(const struct upload_window *w, uint8_t **ret_blob, size_t *ret_len)
{
	struct wbuf b = { 0 };
	size_t size;

	size_t nr = w->nr_labels + (w->series_name ? 1 : 0);

	if (nr > WINDOW_MAX_LABELS || w->payload_len > UINT32_MAX)
		return -EINVAL;
	size = sizeof(window_magic) + 8 + 8 + 4 + str_size(w->service_name) +
	       str_size(w->hostname) + 4 + w->payload_len;
	if (w->series_name)
		size += str_size(SERIES_KEY) + str_size(w->series_name);
	for (size_t i = 0; i < w->nr_labels; i++) {
		size += str_size(w->labels[i].key) + str_size(w->labels[i].value);
		if (size > UINT32_MAX)
			return -EINVAL;
	}
	b.p = malloc(size);
	if (!b.p)
		return -ENOMEM;
	memcpy(b.p, window_magic, sizeof(window_magic));
	b.len = sizeof(window_magic);
	put_u64(&b, (uint64_t)w->start_ns);
	put_u64(&b, (uint64_t)w->end_ns);
	put_u32(&b, (uint32_t)nr);
	put_str(&b, w->service_name);
	put_str(&b, w->hostname);
	for (size_t i = 0; i < w->nr_labels; i++) {
		put_str(&b, w->labels[i].key);
		put_str(&b, w->labels[i].value);
	}
	if (w->series_name) {
		put_str(&b, SERIES_KEY);
		put_str(&b, w->series_name);
	}
	put_u32(&b, (uint32_t)w->payload_len);
	memcpy(b.p + b.len, w->payload, w->payload_len);
	b.len += w->payload_len;
	*ret_blob = b.p;
	*ret_len = b.len;
	return 0;
}

struct rbuf {
	const uint8_t *p;
	size_t left;
};

static int get_u32(struct rbuf *r, uint32_t *v)
{
	if (r->left < 4)
		return -EINVAL;
	*v = 0;
	for (int i = 0; i < 4; i++)
		*v |= (uint32_t)r->p[i] << (8 * i);
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_u64(struct rbuf *r, uint64_t *v)
{
	if (r->left < 8)
		return -EINVAL;
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	r->left -= 8;
	return 0;
}

/* A string must end in its NUL, so pointers into the blob are C strings. */
static int get_str(struct rbuf *r, const char **s)
{
	uint32_t n;

	if (get_u32(r, &n))
		return -EINVAL;
	if (!n) {
		*s = NULL;
		return 0;
	}
	if (n > r->left || r->p[n - 1] != '\0')
		return -EINVAL;
	*s = (const char *)r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

int window_decode(const uint8_t *blob, size_t len, struct window_view *ret_view)
{
	struct rbuf r = { blob, len };
	struct upload_window *w = &ret_view->window;
	uint64_t start, end;
	uint32_t nr, plen;

	memset(ret_view, 0, sizeof(*ret_view));
	if (len < sizeof(window_magic) || memcmp(blob, window_magic, sizeof(window_magic)))
		return -EINVAL;
	r.p += sizeof(window_magic);
	r.left -= sizeof(window_magic);
	if (get_u64(&r, &start) || get_u64(&r, &end) || get_u32(&r, &nr) ||
	    nr > WINDOW_MAX_LABELS || get_str(&r, &w->service_name) || get_str(&r, &w->hostname))
		return -EINVAL;
	for (uint32_t i = 0; i < nr; i++) {
		if (get_str(&r, &ret_view->labels[i].key) ||
		    get_str(&r, &ret_view->labels[i].value) || !ret_view->labels[i].key ||
		    !ret_view->labels[i].value)
			return -EINVAL;
	}
	/* the series name, last, out of the labels */
	if (nr && !strcmp(ret_view->labels[nr - 1].key, SERIES_KEY))
		w->series_name = ret_view->labels[--nr].value;
	for (uint32_t i = 0; i < nr; i++)
		if (!strcmp(ret_view->labels[i].key, SERIES_KEY))
			return -EINVAL;
	if (get_u32(&r, &plen) || !plen || plen != r.left)
		return -EINVAL;
	w->start_ns = (int64_t)start;
	w->end_ns = (int64_t)end;
	w->labels = ret_view->labels;
	w->nr_labels = nr;
	w->payload = r.p;
	w->payload_len = plen;
	return 0;
}
