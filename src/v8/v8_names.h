/* SPDX-License-Identifier: MIT */
/* Names of JavaScript frames from what a V8 process holds: pure functions of outside input
 * (fuzzed). A function's name, inferred name and position are in its ScopeInfo, whose optional
 * fields each release lays out by flag bits that the post-mortem metadata does not describe:
 * the slots are read by their shape (strings, Smis, objects) instead. */
#ifndef FLAMED_V8_NAMES_H
#define FLAMED_V8_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a slot holds, as the caller found out (a heap object's type needs a read). */
enum v8_slot_kind {
	V8_SLOT_SMI,	 /* a small integer */
	V8_SLOT_STRING,	 /* a String */
	V8_SLOT_OBJECT,	 /* another heap object (undefined, the hole, a hash table...) */
	V8_SLOT_UNKNOWN, /* not read */
};

/* What a function's ScopeInfo says. Slot indexes into the caller's array; -1 when absent. */
struct v8_scope {
	int name;      /* the function's name (a String, maybe empty) */
	int inferred;  /* its inferred name ("obj.method" for `obj.method = function`) */
	int64_t start; /* its source positions, -1 when unknown */
	int64_t end;
};

/* Read a ScopeInfo's n slots (slots[i], kinds[i]: the tagged words after its map and what
 * each is). nlocals is the slot of the context local count (the metadata's
 * scopeinfo_idx_ncontextlocals); fixed_positions: the positions follow it (V8 12.8.44+)
 * rather than the locals. 0, or -EINVAL when the slots do not have a ScopeInfo's shape. */
int v8_names__scope(const uint64_t *slots, const enum v8_slot_kind *kinds, size_t n,
		    uint32_t nlocals, bool fixed_positions, struct v8_scope *ret);

/* Slots to read of a ScopeInfo whose context local count is nlocals_value (its locals and what
 * follows them), at most max. */
size_t v8_names__scope_slots(uint32_t nlocals, int64_t nlocals_value, size_t max);

/* The name a frame shows: "Class.method", "method", else the inferred name, else "(anonymous
 * FILE:LINE)" (the file's last path component), into out (sz bytes, truncated). */
void v8_names__compose(const char *cls, const char *name, const char *inferred, const char *file,
		       uint32_t line, char *out, size_t sz);

/* n characters of a string (one byte each: Latin-1, or two: UTF-16, by wide) as UTF-8 into out
 * (sz bytes, NUL-terminated, truncated at a character); control characters and lone surrogates
 * become '?'. Returns the bytes written. */
size_t v8_names__utf8(const void *chars, size_t n, bool wide, char *out, size_t sz);

#endif /* FLAMED_V8_NAMES_H */
