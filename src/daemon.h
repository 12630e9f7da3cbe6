/* SPDX-License-Identifier: MIT */
/* The daemon (a sink given without --once): a profile every --interval to every sink, until
 * SIGTERM/SIGINT or the command after "--" exits. */
#ifndef FLAMED_DAEMON_H
#define FLAMED_DAEMON_H

struct config;

/* Run the daemon described by cfg. Returns the process exit code (0 after a signal, once the last
 * window went to the sinks; 1 runtime error; 127 command not runnable); errors are one line. */
int daemon_run(const struct config *cfg);

#endif /* FLAMED_DAEMON_H */
