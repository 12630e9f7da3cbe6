#!/usr/bin/env bash
# CI step: README command 1 with only the build dependencies. Hides every test-only pkg-config
# module (cmocka) from CMake, runs tools/demo.sh for a short capture in a scratch directory, and
# checks that the configure said the tests are off and that the SVG and pprof it printed exist.
# Catches a build that quietly needs a test dependency (a user without them could not build).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: check-min-build.sh BUILD_DIR}
rm -rf "$out"
mkdir -p "$out/pc" "$out/run"

# a pkg-config search path with everything the system has but the test-only modules
IFS=: read -ra dirs <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${dirs[@]}"; do
	[ -d "$d" ] || continue
	for pc in "$d"/*.pc; do
		[ -e "$pc" ] || continue
		case $(basename "$pc") in cmocka.pc) continue ;; esac
		[ -e "$out/pc/$(basename "$pc")" ] || ln -s "$pc" "$out/pc/"
	done
done
export PKG_CONFIG_LIBDIR=$out/pc PKG_CONFIG_PATH=

cd "$out/run"
FLAMED_BUILD_DIR=$out/build "$src/tools/demo.sh" 2s >"$out/demo.log" 2>&1 || {
	cat "$out/demo.log" >&2
	echo "check-min-build: tools/demo.sh failed without the test dependencies" >&2
	exit 1
}
cat "$out/demo.log"
if ! grep -q "cmocka not found: tests are off" "$out/demo.log"; then
	echo "check-min-build: configure did not turn the tests off: cmocka was not hidden" >&2
	exit 1
fi
svg=$(ls flamed-*.svg 2>/dev/null | head -1)
pb=$(ls flamed-*.pb.gz 2>/dev/null | head -1)
if [ -z "$svg" ] || [ -z "$pb" ] || [ ! -s "$svg" ] || [ ! -s "$pb" ]; then
	echo "check-min-build: the demo wrote no SVG or pprof in $out/run" >&2
	exit 1
fi
grep -q "$svg" "$out/demo.log" || { echo "check-min-build: the demo did not print where $svg is" >&2; exit 1; }
echo "check-min-build: built without cmocka and wrote $svg and $pb"
