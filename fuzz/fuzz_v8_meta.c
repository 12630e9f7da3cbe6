// SPDX-License-Identifier: MIT
/* Fuzz V8's post-mortem metadata: lines "NAME VALUE" (a v8dbg_ symbol without its prefix, its
 * int), the first line may be "version MAJOR MINOR BUILD PATCH". Whatever finish accepts must be
 * within what the BPF walker and the readers rely on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "v8/v8_meta.h"

static void check(const struct v8_meta *m)
{
	int32_t fp[4] = { m->fp_context, m->fp_function, m->fp_bytecode_array,
			  m->fp_bytecode_offset };

	for (int i = 0; i < 4; i++)
		if (fp[i] >= 0 || fp[i] < -48 || fp[i] % 8)
			abort();
	if (m->smi_shift != 32 || m->jsf_shared > 56 || m->jsf_code > 56 ||
	    m->sfi_function_data >= 256 || m->code_start >= 256 || m->code_size >= 256 ||
	    m->code_flags >= 256 || m->code_kind_shift > 31 || m->code_kind_baseline > 15 ||
	    m->code_kind_interpreted >= m->code_kind_baseline || m->scope_nlocals < 1 ||
	    m->scope_nlocals > 16 || m->bytecode_data >= 256 || m->string_length >= 256)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	struct v8_meta m;
	const char *why;
	unsigned ma, mi, b, pa;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	v8_meta__init(&m);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		int value;

		if (sscanf(line, "version %u %u %u %u", &ma, &mi, &b, &pa) == 4)
			v8_meta__set_version(&m, ma, mi, b, pa);
		else if (sscanf(line, "%127s %d", name, &value) == 2)
			v8_meta__add(&m, name, value);
	}
	if (!v8_meta__finish(&m, &why))
		check(&m);
	else if (!why)
		abort();
	free(text);
	return 0;
}
