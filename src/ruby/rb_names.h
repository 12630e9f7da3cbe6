/* SPDX-License-Identifier: MIT */
/* Ruby frames' names from what a process holds: pure functions of outside input (fuzzed) over
 * the bytes of its objects (strings, arrays, iseqs, method entries, classes' ivar tables) and
 * the composition of a frame's label. */
#ifndef FLAMED_RB_NAMES_H
#define FLAMED_RB_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruby/rb_offsets.h"

#define RB_NAMES_MAX	 256 /* bytes kept of a label, a class path, a method or file name */
#define RB_NAMES_OBJ	 40  /* bytes of an object read at once (an RVALUE slot) */
#define RB_NAMES_BODY	 256 /* bytes of an iseq body read: past every field used */
#define RB_NAMES_ST_READ 64  /* entries of a class's ivar table searched */

/* Whether v could be an object pointer (not an immediate, user space, aligned). */
bool rb_names__ptr(uint64_t v);

/* The type of the object whose first word (flags) is flags (RUBY_T_*). */
uint32_t rb_names__type(uint64_t flags, const struct rb_offsets *o);

/* Whether flags are an imemo's of kind imemo (imemo_iseq, imemo_ment...). */
bool rb_names__imemo(uint64_t flags, const struct rb_offsets *o, uint32_t imemo);

/* A String's text: embedded in the object (at obj[off, off + len)) or on the heap (len bytes
 * at ptr). */
struct rb_str {
	bool embedded;
	uint64_t len;
	uint64_t ptr; /* heap: its address */
	size_t off;   /* embedded: its offset in the object */
};

/* Parse the String whose first n bytes are obj; false when it is no String or its length is
 * inconsistent (an embedded one past n, a heap one above 1 MiB or without a pointer). */
bool rb_names__str(const uint8_t *obj, size_t n, const struct rb_offsets *o, struct rb_str *ret);

/* An Array's elements: len VALUEs at ptr (its own address + offset when embedded). */
struct rb_ary {
	uint64_t len;
	uint64_t ptr;
};

/* Parse the Array at address addr whose first n bytes are obj; false when it is no Array. */
bool rb_names__ary(const uint8_t *obj, size_t n, uint64_t addr, const struct rb_offsets *o,
		   struct rb_ary *ret);

/* The fields of an iseq body (buf[0, n)) the names and lines need. */
struct rb_body {
	uint32_t type;
	uint32_t iseq_size;
	uint64_t encoded;
	uint64_t path, base_label, label; /* VALUEs */
	int64_t first_line;
	uint64_t info;	    /* insns_info.body */
	uint32_t info_size; /* its entries */
	uint64_t succ;	    /* insns_info.succ_index_table */
	uint64_t local_iseq;
};

/* Parse an iseq body; false when a field is out of buf or a pointer is no pointer. */
bool rb_names__body(const uint8_t *buf, size_t n, const struct rb_offsets *o, struct rb_body *ret);

/* The value of the entry of key among the ivar table entries buf[0, n) (st_table_entry
 * records, deleted ones skipped); 0 when absent. */
uint64_t rb_names__st_find(const uint8_t *buf, size_t n, const struct rb_offsets *o, uint64_t key);

/* The serial of ID id (its index in the symbol table). */
uint64_t rb_names__id_serial(uint64_t id, const struct rb_offsets *o);

/* A frame's name into out (cap bytes) as Ruby's rb_profile_frame_full_label composes it:
 * method frames "Class#method" ("Class.method" for a singleton's), blocks "block in
 * Class#method" (label's prefix before base_label, then the qualified method), C functions
 * "Class#method" (label NULL, base_label the method's name); cls NULL or empty: the method
 * alone; without a method (file, class body) the label. Returns the length. */
size_t rb_names__label(const char *label, const char *base_label, const char *cls, bool singleton,
		       bool method, char *out, size_t cap);

#endif /* FLAMED_RB_NAMES_H */
