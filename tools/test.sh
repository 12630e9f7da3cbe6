#!/usr/bin/env bash
# README command 2 (and what CI runs): install dependencies, build from scratch, run every test:
# README command 1 with only the build dependencies (test ones hidden), unit tests, fuzz corpus
# replay, end-to-end tests (the binaries against protocol peers and a browser), integration
# tests and the stress suite (real BPF, needs root) in a normal build, then unit, fuzz and
# end-to-end tests again under ASan+UBSan, then the layering and clang-format checks.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${FLAMED_TEST_BUILD:-$src/build-test}
jobs=$(nproc)

"$src/tools/setup.sh" --test
for dir in browser upload; do
	if [ -f "$src/tests/$dir/package.json" ]; then
		(cd "$src/tests/$dir" && npm ci --no-audit --no-fund --silent)
	fi
done

rm -rf "$out" "$out-asan" "$out-min"
echo "== build with the build dependencies only, and a short capture (README command 1)"
"$src/tools/check-min-build.sh" "$out-min"

echo "== build (RelWithDebInfo)"
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
cmake --build "$out" -j"$jobs"
echo "== tests (unit, fuzz corpora, end to end)"
(cd "$out" && ctest --no-tests=error --output-on-failure -j"$jobs" -LE 'integration|stress')
# integration and stress tests measure CPU shares and flamed's own cost: one at a time, so they
# do not skew each other
(cd "$out" && ctest --no-tests=error --output-on-failure -L integration)
(cd "$out" && ctest --no-tests=error --output-on-failure -L stress)

echo "== build (ASan + UBSan)"
cmake -S "$src" -B "$out-asan" -DCMAKE_BUILD_TYPE=Debug -DFLAMED_SANITIZE=ON -DBUILD_TESTING=ON >/dev/null
cmake --build "$out-asan" -j"$jobs"
echo "== unit, fuzz and end-to-end tests under ASan + UBSan"
(cd "$out-asan" && ctest --no-tests=error --output-on-failure -j"$jobs" -L 'unit|fuzz|e2e')

echo "== layers (tools/check-layers.sh)"
"$src/tools/check-layers.sh"

echo "== clang-format"
cd "$src"
bad=$(git ls-files '*.c' '*.h' | grep -v '^bpf/vmlinux/' | while read -r f; do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -n "$bad" ]; then
	echo "not clang-formatted:" $bad >&2
	exit 1
fi
echo "== all tests passed"
