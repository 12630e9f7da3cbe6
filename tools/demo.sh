#!/usr/bin/env bash
# README command 1: install the build dependencies, build, and capture a 10-second whole-host
# profile. Leaves flamed-HOST-TIME.svg (flame graph) and .pb.gz (pprof) in the current directory.
# Needs only what tools/setup.sh installs (no test dependencies). Optional argument: the
# duration (default 10s); FLAMED_BUILD_DIR overrides the build directory (default build/).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FLAMED_BUILD_DIR:-$src/build}
"$src/tools/setup.sh"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target flamed
echo "demo: capturing the whole host for ${1:-10s}..."
# under sudo, the files go to the user who will open them (flamed writes 0600, root's otherwise)
owner=()
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	owner=(--output-owner "$SUDO_USER")
fi
"$build/flamed" --once "${1:-10s}" "${owner[@]}"
