// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "symbolize/demangle.h"

char *demangle(const char *name)
{
	char *out;
	size_t len;

	/* Itanium C++ and Rust legacy names start with _Z (or __Z on some targets): anything else
	 * (C, kernel symbols) skips the demangler and its allocation. Rust v0 names (_R) are left
	 * as they are: libiberty's v0 demangler spins for minutes on a crafted binder
	 * ("_RC0YYYYYYYYDGYYYYYYYY_YYYYYY", found by fuzz_demangle), and any user's binary can
	 * carry such a symbol */
	if (!name || name[0] != '_' || (name[1] != 'Z' && !(name[1] == '_' && name[2] == 'Z')))
		return NULL;
	len = strnlen(name, DEMANGLE_MAX_INPUT + 1);
	if (len > DEMANGLE_MAX_INPUT)
		return NULL;
	/* DMGL_AUTO tries each scheme; DMGL_PARAMS keeps the argument types, which tell overloads
	 * apart; the recursion limit (DMGL_NO_RECURSE_LIMIT unset) bounds hostile inputs */
	out = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	if (out && !*out) {
		/* a name that demangles to nothing: keep the symbol as it is */
		free(out);
		out = NULL;
	}
	return out;
}
