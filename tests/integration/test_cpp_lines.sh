#!/bin/bash
# SPDX-License-Identifier: MIT
# DWARF frames: a C++ program built -O2 -g whose class template member's hot loop is an
# always-inline helper. The helper must show as an inline frame (pprof: several Lines in one
# Location, the physical function last; folded "_[i]"; SVG "inlined" with its file:line on
# hover) at the source line marked HOT-LINE, names demangled with their template arguments, and
# the mapping's has_filenames/line_numbers/inline_frames set. A static helper (no linkage name in
# GCC's DWARF) keeps its namespace and parameters, as its symbol would demangle.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
[ -x "$WORKLOAD_DIR/cpp_lines" ] || skip "no C++ compiler: cpp_lines workload not built"

src="$FLAMED_SOURCE_DIR/tests/workloads/cpp_lines.cpp"
hot=$(grep -n 'HOT-LINE mix' "$src" | cut -d: -f1)
[ -n "$hot" ] || fail "no HOT-LINE marker in $src"
relax='geo::Grid<unsigned int>::relax(int)'
mix='geo::mix(unsigned int, int)'
twist='geo::twist(unsigned long)'
twist_line=$(grep -n 'HOT-LINE twist' "$src" | cut -d: -f1)

cd "$TEST_TMP"
run_flamed lines --once 10s -F 499 -o lines.folded -o lines.pb.gz -o lines.svg -- \
	"$WORKLOAD_DIR/cpp_lines" 3
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs lines lines.folded lines.pb.gz
[ "$(stats lines run.debug_info.embedded)" -ge 1 ] || fail "no file with embedded DWARF counted"

note "pprof: $mix inlined into $relax at cpp_lines.cpp:$hot"
"$PY" "$CHECK" lines lines.pb.gz --func "$relax" --inline "$mix" --file cpp_lines.cpp \
	--line "$hot" --min-pct 25 || fail "no inline frame at the hot line in the pprof"

note "pprof: $twist (static, named from its DWARF scope) inlined into $relax"
"$PY" "$CHECK" lines lines.pb.gz --func "$relax" --inline "$twist" --file cpp_lines.cpp \
	--line "$twist_line" --min-pct 3 || fail "no $twist inline frame in the pprof"

note "folded: the inline frame marked _[i], under its caller"
total=$(awk '$0 ~ /^cpp_lines;/ {n += $NF} END {print n + 0}' lines.folded)
hits=$(grep -F ";$relax;${mix}_[i]" lines.folded | awk '{n += $NF} END {print n + 0}')
echo "$relax;${mix}_[i]: $hits of $total samples"
[ "$hits" -ge $((total / 8)) ] || fail "inline frame in $hits of $total folded samples"
grep -F ";$relax;${twist}_[i]" lines.folded >/dev/null ||
	fail "no $twist inline frame under $relax in the folded output"
grep -F 'main::{lambda(int)#1}::operator()(int) const' lines.folded >/dev/null ||
	fail "lambda not demangled in the folded output"

note "SVG: the inline frame's title says inlined, with its file:line"
grep -o "<g class=\"i\"><title>geo::mix(unsigned int, int) ([0-9]* samples, [0-9.]*%; inlined; at [^<]*cpp_lines.cpp:$hot)</title>" \
	lines.svg | head -1 | grep . || fail "no inlined mix frame with cpp_lines.cpp:$hot in the SVG"
grep -o "<g class=\"i\"><title>geo::twist(unsigned long) ([0-9]* samples, [0-9.]*%; inlined; at [^<]*cpp_lines.cpp:$twist_line)</title>" \
	lines.svg | head -1 | grep . || fail "no inlined $twist frame with cpp_lines.cpp:$twist_line in the SVG"
grep -o "<title>geo::Grid&lt;unsigned int&gt;::relax(int) ([^<]*; at [^<]*cpp_lines.cpp:[0-9-]*)</title>" \
	lines.svg | head -1 | grep . || fail "no file:line on relax's SVG frame"

if have_go; then
	note "go tool pprof -lines"
	go_pprof -lines -top lines.pb.gz >lines.top 2>&1 || { cat lines.top; fail "go tool pprof failed"; }
	head -12 lines.top
	grep -E "^ .*geo::mix\(unsigned int, int\) .*cpp_lines.cpp:$hot \(inline\)$" lines.top ||
		fail "go tool pprof -lines does not show $mix at cpp_lines.cpp:$hot (inline)"
fi
echo PASS
