// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "v8/v8_classes.h"

enum { S_CODE, S_SLASH, S_LINE, S_BLOCK, S_STR, S_TEMPLATE, S_REGEX };
/* the last token, for telling a regular expression from a division */
enum { T_OPERATOR, T_VALUE };
#define ESCAPE	 1u /* flags: a backslash was just read */
#define STAR	 2u /* flags (block comment): a * was just read */
#define DOLLAR	 4u /* flags (template): a $ was just read */
#define IN_CLASS 8u /* flags (regular expression): inside [...] */
#define BLOCK	 (-1)
#define TEMPLATE (-2)

void v8_classes__init(struct v8_classes *c)
{
	*c = (struct v8_classes){ 0 };
	c->tok = T_OPERATOR;
}

static bool ident_char(uint32_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '$' || ch >= 0x80 || ch == '\\';
}

static bool line_end(uint32_t ch)
{
	return ch == '\n' || ch == '\r' || ch == 0x2028 || ch == 0x2029;
}

static bool space(uint32_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' || ch == 0xa0 || ch == 0xfeff ||
	       line_end(ch);
}

static bool word_is(const struct v8_classes *c, const char *w)
{
	size_t n = strlen(w);

	return c->word_len == n && !memcmp(c->word, w, n);
}

/* Keywords after which a slash starts a regular expression. */
static bool operator_keyword(const struct v8_classes *c)
{
	static const char *const kw[] = { "return", "typeof", "instanceof", "in",    "of",
					  "new",    "delete", "void",	    "throw", "case",
					  "do",	    "else",   "yield",	    "await" };

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (word_is(c, kw[i]))
			return true;
	return false;
}

/* The identifier just read ends: a class head begins, is named, or goes on. */
static void end_word(struct v8_classes *c)
{
	bool member = c->prev == '.'; /* obj.class: a property, not a keyword */

	c->tok = operator_keyword(c) ? T_OPERATOR : T_VALUE;
	if (c->head == 1) {
		if (word_is(c, "extends")) {
			c->head = 3;
		} else if (c->word_len < sizeof(c->word) && c->word_len < V8_CLASSES_NAME) {
			memcpy(c->head_name, c->word, c->word_len);
			c->head_name[c->word_len] = '\0';
			c->head = 2;
		} else {
			c->head = 0;
		}
	} else if (c->head == 2) {
		c->head = word_is(c, "extends") ? 3 : 0;
	} else if (!c->head && !member && word_is(c, "class")) {
		c->head = 1;
		c->head_name[0] = '\0';
		c->head_depth = c->sp;
		c->head_paren = c->paren;
		c->tok = T_OPERATOR;
	}
	c->word_len = 0;
	c->prev = 'a';
}

static int grow(void **v, size_t *cap, size_t size)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, n * size);

	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

static int open_brace(struct v8_classes *c)
{
	int32_t kind = BLOCK, blk = -1;

	if (c->sp >= V8_CLASSES_DEPTH) {
		c->broken = true;
		return 0;
	}
	if (c->head && c->head_depth == c->sp && c->head_paren == c->paren) {
		/* a class body */
		if (c->nr >= V8_CLASSES_MAX) {
			c->broken = true;
			return 0;
		}
		if (c->nr == c->cap && grow((void **)&c->v, &c->cap, sizeof(*c->v)))
			return -ENOMEM;
		c->v[c->nr] = (struct v8_class){ .body_start = c->pos, .body_end = UINT32_MAX };
		memcpy(c->v[c->nr].name, c->head_name, sizeof(c->head_name));
		kind = (int32_t)c->nr++;
		c->head = 0;
	} else if (c->sp && c->stack[c->sp - 1] >= 0) {
		/* a block one level inside a class body: a method's body, a static block */
		if (c->nr_blocks >= (size_t)V8_CLASSES_MAX * 16) {
			c->broken = true;
			return 0;
		}
		if (c->nr_blocks == c->cap_blocks &&
		    grow((void **)&c->blocks, &c->cap_blocks, sizeof(*c->blocks)))
			return -ENOMEM;
		c->blocks[c->nr_blocks] = (struct v8_class_block){
			.start = c->pos, .end = UINT32_MAX, .cls = (uint32_t)c->stack[c->sp - 1]
		};
		blk = (int32_t)c->nr_blocks++;
	}
	c->open_block[c->sp] = blk;
	c->stack[c->sp++] = kind;
	c->tok = T_OPERATOR;
	return 0;
}

/* A closing brace; it may end a template's ${...}, which goes back into the template. */
static void close_brace(struct v8_classes *c)
{
	int32_t top;

	if (!c->sp) {
		c->broken = true;
		return;
	}
	top = c->stack[--c->sp];
	if (c->open_block[c->sp] >= 0)
		c->blocks[c->open_block[c->sp]].end = c->pos;
	if (top >= 0)
		c->v[top].body_end = c->pos;
	/* after a block a statement may start with a regular expression */
	c->tok = T_OPERATOR;
	if (top == TEMPLATE) {
		c->state = S_TEMPLATE;
		c->flags = 0;
	}
}

/* One character of code (a byte, or a UTF-16 unit). */
static int code_char(struct v8_classes *c, uint32_t ch)
{
	if (ident_char(ch)) {
		if (c->word_len < sizeof(c->word))
			c->word[c->word_len] = (char)ch;
		c->word_len++;
		return 0;
	}
	if (c->word_len)
		end_word(c);
	if (space(ch))
		return 0;
	/* a class head ends at its body: anything else cancels an unnamed or named head
	 * (`class: 1`, `class = x`); after `extends` any expression may come */
	if ((c->head == 1 || c->head == 2) && ch != '{')
		c->head = 0;
	c->prev = (uint8_t)(ch < 0x80 ? ch : '?');
	switch (ch) {
	case '/':
		c->state = S_SLASH;
		break;
	case '\'':
	case '"':
		c->state = S_STR;
		c->quote = ch;
		c->flags = 0;
		break;
	case '`':
		c->state = S_TEMPLATE;
		c->flags = 0;
		break;
	case '{':
		return open_brace(c);
	case '}':
		close_brace(c);
		break;
	case '(':
	case '[':
		c->paren++;
		c->tok = T_OPERATOR;
		break;
	case ')':
	case ']':
		c->paren--;
		c->tok = T_VALUE;
		break;
	default:
		c->tok = T_OPERATOR;
		break;
	}
	return 0;
}

static int feed(struct v8_classes *c, uint32_t ch)
{
	int err = 0;

	switch (c->state) {
	case S_CODE:
		err = code_char(c, ch);
		break;
	case S_SLASH:
		if (ch == '/') {
			c->state = S_LINE;
		} else if (ch == '*') {
			c->state = S_BLOCK;
			c->flags = 0;
		} else if (c->tok == T_VALUE) { /* a division */
			c->state = S_CODE;
			c->tok = T_OPERATOR;
			err = code_char(c, ch);
		} else { /* a regular expression */
			c->state = S_REGEX;
			c->flags = 0;
			if (ch == '\\')
				c->flags = ESCAPE;
			else if (ch == '[')
				c->flags = IN_CLASS;
			else if (line_end(ch))
				c->broken = true;
		}
		break;
	case S_LINE:
		if (line_end(ch))
			c->state = S_CODE;
		break;
	case S_BLOCK:
		if (c->flags & STAR && ch == '/')
			c->state = S_CODE;
		c->flags = ch == '*' ? STAR : 0;
		break;
	case S_STR:
		if (c->flags & ESCAPE) {
			c->flags = 0;
		} else if (ch == '\\') {
			c->flags = ESCAPE;
		} else if (ch == c->quote) {
			c->state = S_CODE;
			c->tok = T_VALUE;
			c->prev = '"';
		} else if (ch == '\n' || ch == '\r') {
			c->broken = true; /* a string does not span lines */
		}
		break;
	case S_TEMPLATE:
		if (c->flags & ESCAPE) {
			c->flags = 0;
		} else if (ch == '\\') {
			c->flags = ESCAPE;
		} else if (ch == '`') {
			c->state = S_CODE;
			c->tok = T_VALUE;
			c->prev = '`';
		} else if (c->flags & DOLLAR && ch == '{') {
			if (c->sp >= V8_CLASSES_DEPTH) {
				c->broken = true;
				break;
			}
			c->open_block[c->sp] = -1;
			c->stack[c->sp++] = TEMPLATE;
			c->state = S_CODE;
			c->tok = T_OPERATOR;
			c->prev = '{';
		} else {
			c->flags = ch == '$' ? DOLLAR : 0;
		}
		break;
	case S_REGEX:
		if (c->flags & ESCAPE) {
			c->flags &= ~ESCAPE;
		} else if (ch == '\\') {
			c->flags |= ESCAPE;
		} else if (ch == '[') {
			c->flags |= IN_CLASS;
		} else if (ch == ']') {
			c->flags &= ~IN_CLASS;
		} else if (ch == '/' && !(c->flags & IN_CLASS)) {
			c->state = S_CODE;
			c->tok = T_VALUE;
			c->prev = '/';
		} else if (line_end(ch)) {
			c->broken = true;
		}
		break;
	default:
		c->broken = true;
		break;
	}
	c->pos++;
	return err;
}

int v8_classes__feed1(struct v8_classes *c, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n && !c->broken; i++)
		if (feed(c, s[i]))
			return -ENOMEM;
	return 0;
}

int v8_classes__feed2(struct v8_classes *c, const uint16_t *s, size_t n)
{
	for (size_t i = 0; i < n && !c->broken; i++) {
		uint16_t u;

		memcpy(&u, &s[i], sizeof(u));
		if (feed(c, u))
			return -ENOMEM;
	}
	return 0;
}

void v8_classes__end(struct v8_classes *c)
{
	if (c->word_len && c->state == S_CODE)
		end_word(c);
	if (c->sp || (c->state != S_CODE && c->state != S_LINE))
		c->broken = true;
}

const char *v8_classes__of(const struct v8_classes *c, uint64_t off)
{
	const struct v8_class *best = NULL;
	size_t bi = 0;

	if (!c || c->broken)
		return NULL;
	for (size_t i = 0; i < c->nr; i++) {
		const struct v8_class *v = &c->v[i];

		if (off > v->body_start && off < v->body_end &&
		    (!best || v->body_start > best->body_start)) {
			best = v;
			bi = i;
		}
	}
	if (!best || !best->name[0])
		return NULL;
	/* inside one of its methods' bodies: a function of that method, not a member */
	for (size_t i = 0; i < c->nr_blocks; i++)
		if (c->blocks[i].cls == bi && off > c->blocks[i].start && off < c->blocks[i].end)
			return NULL;
	return best->name;
}

void v8_classes__release(struct v8_classes *c)
{
	if (!c)
		return;
	free(c->v);
	free(c->blocks);
	c->v = NULL;
	c->blocks = NULL;
	c->nr = c->cap = c->nr_blocks = c->cap_blocks = 0;
}
