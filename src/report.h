/* SPDX-License-Identifier: MIT */
/* `flamed report IN -o OUT...`: read any pprof file (ours or Go's; gzip, zstd or raw), optionally
 * keep only some samples (--pid, --comm, --focus), and write a flame graph (.svg), folded stacks
 * (.folded), a `pprof -top`-style table (.txt) or pprof again (.pb.gz, .pb, .pb.zst). */
#ifndef FLAMED_REPORT_H
#define FLAMED_REPORT_H

/* Run the subcommand; argv[0] is "report" (argv borrowed). Errors are one "flamed: ..." line on
 * stderr. Returns the exit code: 0, 1 (unreadable or invalid input, failed write) or 2 (usage). */
int report_main(int argc, char **argv);

#endif /* FLAMED_REPORT_H */
