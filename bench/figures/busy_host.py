# SPDX-License-Identifier: MIT
"""Figure 11, the daemon on a busy host: C, Python, Node and Java programs, a compile loop and short
processes; CPU per window, RSS, parses per file, cache hit rates, with --flamed-old an older
flamed beside it on the same mix. The measurement is bench/busyhost.py's (tested by
bench/test_busyhost.py); how it is measured: bench/RESULTS.md."""

import busyhost


def run(bench):
    return busyhost.fig11(bench)
