#!/usr/bin/env bash
# README command 1: install dependencies, build, and capture a 10-second whole-host profile.
# Leaves flamed-HOST-TIME.svg (flame graph) and .pb.gz (pprof) in the current directory.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/tools/setup.sh"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$src/build" -j"$(nproc)" --target flamed
echo "demo: capturing the whole host for 10 s..."
# under sudo, the files go to the user who will open them (flamed writes 0600, root's otherwise)
owner=()
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	owner=(--output-owner "$SUDO_USER")
fi
"$src/build/flamed" --once "${1:-10s}" "${owner[@]}"
