// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "symbolize/demangle.h"

char *demangle(const char *name)
{
	char *out;
	size_t len;

	/* Itanium C++ and Rust legacy names start with _Z (or __Z on some targets), Rust v0 with
	 * _R: anything else (C, kernel symbols) skips the demangler and its allocation */
	if (!name || name[0] != '_' ||
	    (name[1] != 'Z' && name[1] != 'R' && !(name[1] == '_' && name[2] == 'Z')))
		return NULL;
	len = strnlen(name, DEMANGLE_MAX_INPUT + 1);
	if (len > DEMANGLE_MAX_INPUT)
		return NULL;
	/* DMGL_AUTO tries each scheme; DMGL_PARAMS keeps the argument types, which tell overloads
	 * apart; the recursion limit (DMGL_NO_RECURSE_LIMIT unset) bounds hostile inputs */
	out = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	if (out && !*out) {
		/* "_RC0" demangles to nothing (found by fuzz_demangle): keep the symbol as it is */
		free(out);
		out = NULL;
	}
	return out;
}
