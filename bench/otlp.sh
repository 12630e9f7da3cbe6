#!/bin/bash
# OTLP against pprof for the daemon's windows: whole host, 10 s at 19 Hz (the fleet setting),
# RUNS windows of the host as it runs, captured with `flamed --once 10s -F 19`; then bytes (gzip, as both are sent) and encode CPU time per window, medians of REPS
# encodings each, OTLP / pprof ratios measured in the same run (flamed_otlp_bench).
#   sudo flock /tmp/flamed-bench.lock bench/otlp.sh [BUILD_DIR] [RUNS] [REPS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
runs=${2:-3}
reps=${3:-15}
out=$(mktemp -d /tmp/flamed-bench-otlp.XXXXXX)
trap 'rm -rf "$out"' EXIT
[ -x "$build/flamed" ] && [ -x "$build/bench/flamed_otlp_bench" ] ||
	{ echo "build flamed and flamed_otlp_bench first (cmake --build $build)" >&2; exit 1; }
echo "otlp bench: $(nproc) CPUs, $(uname -r), $runs whole-host windows of 10 s at 19 Hz"
for i in $(seq "$runs"); do
	"$build/flamed" --once 10s -F 19 --no-progress -o "$out/window-$i.pb.gz" 2>/dev/null
done
"$build/bench/flamed_otlp_bench" -n "$reps" "$out"/window-*.pb.gz
