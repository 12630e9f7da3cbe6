/* SPDX-License-Identifier: MIT */
/* Command line -> struct config. Pure (no I/O but the help text), so it is unit-tested and
 * fuzzed. */
#ifndef FLAMED_CLI_H
#define FLAMED_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output.h"

#define CLI_MAX_PIDS	1024
#define CLI_MAX_OUTPUTS 16

struct cli_output {
	const char *path; /* borrowed from argv */
	enum output_format fmt;
};

struct config {
	uint64_t duration_ns; /* 0 = until the command exits (only with a command) */
	int freq_hz;
	bool once;
	bool include_idle;
	bool progress; /* live status line (auto: stderr is a terminal) */
	int verbose;
	int unwind_mode; /* enum flamed_unwind_mode */
	int nr_pids;
	int pids[CLI_MAX_PIDS];
	int nr_outputs;
	struct cli_output outputs[CLI_MAX_OUTPUTS];
	bool has_output_mode;	  /* --output-mode given */
	unsigned int output_mode; /* its permission bits (at most 0777) */
	const char *output_owner; /* --output-owner USER[:GROUP], borrowed; resolved at start */
	char **cmd;		  /* argv after "--", NULL-terminated, borrowed; NULL when none */
};

enum cli_result {
	CLI_RUN = 0,   /* config filled: run it */
	CLI_EXIT_OK,   /* --help / --version printed: exit 0 */
	CLI_USAGE_ERR, /* message in err: exit 2 */
};

/* Parse argv into *cfg (defaults applied first). Messages for usage errors go to err (one line,
 * no "flamed: " prefix). --help and --version print to out. */
enum cli_result cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t err_len,
			  void *out /* FILE * */);

#endif /* FLAMED_CLI_H */
