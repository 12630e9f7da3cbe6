/* SPDX-License-Identifier: MIT */
/* Credential files (--bearer-token-file, --basic-auth-file): the first line, trimmed. Secrets are
 * kept out of logs and wiped when freed. */
#ifndef FLAMED_UPLOAD_AUTH_H
#define FLAMED_UPLOAD_AUTH_H

#include <stdbool.h>

/* A credential file larger than this is not one. */
#define AUTH_FILE_MAX 16384

/* Read path's first line (trailing CR/LF and blanks removed) into a malloc'ed *ret_secret (free it
 * with auth_free). *ret_group_other_readable says the file mode lets group or others read it, for
 * the caller's warning. 0 or -errno (-EINVAL for an empty secret or a file that is not regular). */
int auth_read_file(const char *path, char **ret_secret, bool *ret_group_other_readable);

/* Wipe and free; NULL-safe. */
void auth_free(char *secret);

#endif /* FLAMED_UPLOAD_AUTH_H */
