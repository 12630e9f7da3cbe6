/* SPDX-License-Identifier: MIT */
/* The classes a script's source declares, for naming methods "Class.method": V8 keeps no link
 * from a method to its class that outlives compilation (the class scope is dropped from the
 * scope chain unless it needs a context), so the source is scanned instead, in the same pass
 * that finds its line ends. A small lexer (comments, strings, template literals, regular
 * expressions, braces) records each `class NAME ... {}` body and the blocks one level inside
 * it (method bodies, static blocks, object literals); a function is a member of the innermost
 * class whose body holds its start outside those blocks. Source text is outside input: a
 * scan that loses its way (unbalanced braces, unterminated tokens) gives no classes at all, so
 * a method is then shown without its class, never with another's. */
#ifndef FLAMED_V8_CLASSES_H
#define FLAMED_V8_CLASSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V8_CLASSES_NAME	 64   /* bytes of a class name kept (longer names: none) */
#define V8_CLASSES_MAX	 4096 /* classes of one script */
#define V8_CLASSES_DEPTH 256  /* nesting of braces, templates and classes followed */

struct v8_class {
	uint32_t body_start, body_end; /* offsets of its { and } */
	char name[V8_CLASSES_NAME];    /* "" for an anonymous class */
};

struct v8_class_block {
	uint32_t start, end; /* a { } one level inside a class body */
	uint32_t cls;	     /* that class (index into v8_classes.v) */
};

struct v8_classes {
	struct v8_class *v;
	size_t nr, cap;
	struct v8_class_block *blocks;
	size_t nr_blocks, cap_blocks;
	bool broken; /* the scan lost its way: no answers */
	/* the lexer's state between chunks (internal) */
	uint32_t pos;	   /* characters fed */
	uint8_t state;	   /* in code, a comment, a string, a template, a regular expression */
	uint8_t tok;	   /* the last token: does a slash divide or start an expression */
	uint8_t prev;	   /* the last significant character of code */
	uint32_t flags;	   /* within a token: escape, a star or a dollar just read, [ ] */
	uint32_t quote;	   /* the quote of the string being read */
	char word[32];	   /* the identifier being read */
	uint32_t word_len; /* its length (beyond the buffer: too long to matter) */
	uint32_t head;	   /* a class head: 1 after `class`, 2 named, 3 after `extends` */
	char head_name[V8_CLASSES_NAME];
	int32_t head_depth, head_paren;	      /* where its body must open */
	int32_t paren;			      /* ( and [ open */
	int32_t sp;			      /* braces open */
	int32_t stack[V8_CLASSES_DEPTH];      /* per open brace: class index, -1, -2 template */
	int32_t open_block[V8_CLASSES_DEPTH]; /* per open brace: its block, or -1 */
};

/* Start a scan. */
void v8_classes__init(struct v8_classes *c);

/* Feed n characters (one byte each, or UTF-16 units). 0 or -ENOMEM. */
int v8_classes__feed1(struct v8_classes *c, const uint8_t *s, size_t n);
int v8_classes__feed2(struct v8_classes *c, const uint16_t *s, size_t n);

/* Done: a scan that did not end at depth 0 outside any token is broken. */
void v8_classes__end(struct v8_classes *c);

/* The class a function starting at source offset off is a member of, or NULL. Borrowed. */
const char *v8_classes__of(const struct v8_classes *c, uint64_t off);

/* NULL-safe: frees the arrays (the struct is the caller's). */
void v8_classes__release(struct v8_classes *c);

#endif /* FLAMED_V8_CLASSES_H */
