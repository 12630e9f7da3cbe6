// SPDX-License-Identifier: MIT
/* Fuzz the container-id parser of /proc/PID/cgroup: any id found is 64 lowercase hex digits. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proc/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[CGROUP_CONTAINER_ID_LEN + 2];

	id[CGROUP_CONTAINER_ID_LEN + 1] = 'X'; /* canary: the parser writes at most 65 bytes */
	if (cgroup__container_id((const char *)data, size, id) == 0 &&
	    (strlen(id) != CGROUP_CONTAINER_ID_LEN ||
	     strspn(id, "0123456789abcdef") != CGROUP_CONTAINER_ID_LEN))
		abort();
	if (id[CGROUP_CONTAINER_ID_LEN + 1] != 'X')
		abort();
	return 0;
}
