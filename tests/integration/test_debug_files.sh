#!/bin/bash
# SPDX-License-Identifier: MIT
# Separate debug files: a stripped copy of the cpp_lines workload (strip --strip-all: no .symtab,
# no DWARF) gets its names, lines and inline frames back from a debug file found
#   1. by build-id under $FLAMED_DEBUG_DIR/.build-id/xx/rest.debug,
#   2. by .gnu_debuglink next to the binary (and not when the CRC does not match),
#   3. from a debuginfod server on loopback (elfutils' own, serving a directory), --debuginfod.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
[ -x "$WORKLOAD_DIR/cpp_lines" ] || skip "no C++ compiler: cpp_lines workload not built"
for tool in objcopy strip; do
	command -v $tool >/dev/null || skip "$tool missing (binutils)"
done

src="$FLAMED_SOURCE_DIR/tests/workloads/cpp_lines.cpp"
hot=$(grep -n 'HOT-LINE mix' "$src" | cut -d: -f1)
relax='geo::Grid<unsigned int>::relax(int)'
mix='geo::mix(unsigned int, int)'
cd "$TEST_TMP"
build_id=$(readelf -n "$WORKLOAD_DIR/cpp_lines" | awk '/Build ID/ {print $3}')
[ -n "$build_id" ] || fail "cpp_lines has no build-id"

# A stripped copy in dir $1 named $2, its debug file written to $3.
stripped_copy()
{
	mkdir -p "$1"
	cp "$WORKLOAD_DIR/cpp_lines" "$1/$2"
	objcopy --only-keep-debug "$1/$2" "$3"
	strip --strip-all "$1/$2"
	readelf -S "$1/$2" | grep -q debug_info && fail "$1/$2 still has DWARF"
	return 0
}

# Profile binary $2 as run $1 and check the inline frame at the hot line. With PROFILE_PID=1
# the binary runs first and flamed attaches with -p (the process is still alive when the profile
# is built: a .gnu_debuglink target is looked for inside the process's own root).
profile_and_check()
{
	local name=$1 bin=$2
	shift 2
	if [ -n "${PROFILE_PID:-}" ]; then
		bg_start "$TEST_TMP/$name.work" "$bin" 8
		wait_for_line "$TEST_TMP/$name.work" '^pid [0-9]+$'
		run_flamed "$name" --once 3s -F 499 -p "$BG_PID" -o "$name.folded" -o "$name.pb.gz" \
			"$@"
	else
		run_flamed "$name" --once 10s -F 499 -o "$name.folded" -o "$name.pb.gz" "$@" -- \
			"$bin" 3
	fi
	[ "$RC" = 0 ] || fail "$name: flamed exited $RC"
	grep -F 'debug info:' "$name.err"
	"$PY" "$CHECK" lines "$name.pb.gz" --func "$relax" --inline "$mix" --file cpp_lines.cpp \
		--line "$hot" --min-pct 25 || fail "$name: no names, lines or inline frames"
}

note "1. build-id: \$FLAMED_DEBUG_DIR/.build-id/${build_id:0:2}/${build_id:2}.debug"
mkdir -p "dbg/.build-id/${build_id:0:2}"
stripped_copy bid cpp_lines "dbg/.build-id/${build_id:0:2}/${build_id:2}.debug"
FLAMED_DEBUG_DIR="$TEST_TMP/dbg" profile_and_check bid "$TEST_TMP/bid/cpp_lines"
[ "$(stats bid run.debug_info.embedded)" = 0 ] && [ "$(stats bid run.debug_info.build_id)" -ge 1 ] ||
	fail "build-id: not counted as found by build-id"

note "2. .gnu_debuglink next to the binary, CRC checked"
stripped_copy link cpp_lines link/cpp_lines.dbg
objcopy --add-gnu-debuglink=link/cpp_lines.dbg link/cpp_lines
PROFILE_PID=1 profile_and_check link "$TEST_TMP/link/cpp_lines"
[ "$(stats link run.debug_info.debuglink)" = 1 ] || fail "debuglink: not counted as found by debuglink"
# the same link to a file whose CRC differs (one byte appended): refused, no lines
stripped_copy badcrc cpp_lines badcrc/cpp_lines.dbg
objcopy --add-gnu-debuglink=badcrc/cpp_lines.dbg badcrc/cpp_lines
printf x >>badcrc/cpp_lines.dbg
bg_start "$TEST_TMP/badcrc.work" "$TEST_TMP/badcrc/cpp_lines" 5
wait_for_line "$TEST_TMP/badcrc.work" '^pid [0-9]+$'
run_flamed badcrc --once 2s -F 499 -p "$BG_PID" -o badcrc.pb.gz
[ "$RC" = 0 ] || fail "badcrc: flamed exited $RC"
[ "$(stats badcrc run.debug_info.debuglink)" = 0 ] || fail "a debug file with the wrong CRC was taken"
"$PY" "$CHECK" lines badcrc.pb.gz --func "$relax" --inline "$mix" --file cpp_lines.cpp \
	--line "$hot" >/dev/null 2>&1 && fail "badcrc: lines from a debug file with the wrong CRC"

note "3. debuginfod on loopback"
if ! command -v debuginfod >/dev/null; then
	echo "SKIP part 3: debuginfod not installed (tools/setup.sh --test installs it)"
	echo PASS
	exit 0
fi
mkdir -p served
stripped_copy dfd cpp_lines served/cpp_lines.debug
port=$((20000 + RANDOM % 20000))
debuginfod -F -p "$port" -d "$TEST_TMP/dfd.sqlite" -t 1 "$TEST_TMP/served" >debuginfod.log 2>&1 &
BG_PIDS+=($!)
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
	curl -sf -o /dev/null "$url/buildid/$build_id/debuginfo" && break
	sleep 0.2
done
curl -sf -o /dev/null "$url/buildid/$build_id/debuginfo" ||
	{ tail -20 debuginfod.log; fail "debuginfod on $url does not serve $build_id"; }
DEBUGINFOD_URLS="$url" DEBUGINFOD_CACHE_PATH="$TEST_TMP/cache" \
	profile_and_check dfd "$TEST_TMP/dfd/cpp_lines" --debuginfod
[ "$(stats dfd run.debug_info.debuginfod)" = 1 ] || fail "debuginfod: not counted as found through debuginfod"
ls -R cache | grep -q debuginfo || fail "nothing in the debuginfod cache"
echo PASS
