/* SPDX-License-Identifier: MIT */
/* libbpf's messages through flamed's log level: its warnings always, its debug output (and the
 * verifier's log it prints) only with -v. Every BPF object flamed loads goes through libbpf, so
 * this is set once, by the first loader. */
#ifndef FLAMED_BPF_LOG_H
#define FLAMED_BPF_LOG_H

/* Install the print callback (libbpf_set_print). Idempotent; reads the log level per message. */
void bpf_log_install(void);

#endif /* FLAMED_BPF_LOG_H */
