#!/usr/bin/env bash
# Unit tests of bench/benchlib.py and bench/busyhost.py, the parsers behind bench/run's numbers (folded stacks, perf
# script, fdinfo/bpftool, /proc, ELF section headers, median/min/max). No privileges needed.
set -euo pipefail
src=${FLAMED_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)
if [ -z "$py" ]; then
	echo "skip: python3 not installed"
	exit 77
fi
cd "$src/bench"
# -B: no __pycache__ in the source tree
exec "$py" -B -m unittest -v test_benchlib test_busyhost test_offcpu
