// SPDX-License-Identifier: MIT
/* flamed: parse the command line, then run a capture, the daemon, or a report on a pprof file. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "daemon.h"
#include "report.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];

	/* big buffers (inflated debug sections, symbol tables, line tables) from mmap, so freeing
	 * them gives the memory back: glibc's dynamic threshold rises to the size of the first such
	 * buffer freed and would serve the next ones from the heap, where they stay as holes */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	switch (cli_parse(argc, argv, &cfg, err, sizeof(err), stdout)) {
	case CLI_EXIT_OK:
		return EXIT_SUCCESS;
	case CLI_USAGE_ERR:
		log_error("%s", err);
		return 2;
	case CLI_RUN:
		break;
	}
	if (cfg.verbose)
		log_set_level(LOG_DEBUG);
	return cfg.daemon ? daemon_run(&cfg) : capture_run(&cfg);
}
