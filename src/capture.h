/* SPDX-License-Identifier: MIT */
/* One capture (--once, or a command after -- without a sink): a session (session.h) for one
 * window, its event loop, then the profile written to the -o files (and sent to the sinks when
 * some are given) and the summary. */
#ifndef FLAMED_CAPTURE_H
#define FLAMED_CAPTURE_H

struct config;

/* Run the capture described by cfg. Returns the process exit code (0 ok, 1 runtime error, 127
 * command not runnable); errors are logged as one line. */
int capture_run(const struct config *cfg);

#endif /* FLAMED_CAPTURE_H */
