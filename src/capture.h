/* SPDX-License-Identifier: MIT */
/* One capture (--once, or a command after --): checks, BPF load and attach, the event loop that
 * drains samples and snapshots new processes, then profile building, output and the summary. */
#ifndef FLAMED_CAPTURE_H
#define FLAMED_CAPTURE_H

struct config;

/* Run the capture described by cfg. Returns the process exit code (0 ok, 1 runtime error, 127
 * command not runnable); errors are logged as one line. */
int capture_run(const struct config *cfg);

#endif /* FLAMED_CAPTURE_H */
