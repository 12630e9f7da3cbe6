// SPDX-License-Identifier: MIT
/* Fuzz the /proc/PID/stat and /proc/PID/comm parsers: a process names itself, so the name may
 * hold newlines, parentheses and spaces. Broken invariants abort so the fuzzer reports them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proc/proc_stat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char comm[PROC_COMM_LEN];
	struct proc_stat st;

	if (proc_stat_parse(text, size, &st) == 0) {
		const char *open = memchr(text, '(', size);

		/* the name is the text after the first '(' (up to 15 bytes) */
		if (!open || strlen(st.comm) >= PROC_COMM_LEN || !st.state)
			abort();
		if (strncmp(st.comm, open + 1, strlen(st.comm)) != 0)
			abort();
	}
	memset(comm, 0x55, sizeof(comm));
	if (proc_comm_parse(text, size, comm) == 0) {
		if (!comm[0] || strnlen(comm, sizeof(comm)) >= PROC_COMM_LEN)
			abort();
		if (memcmp(comm, text, strlen(comm)) != 0)
			abort();
	}
	return 0;
}
