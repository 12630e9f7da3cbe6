#!/bin/bash
# SPDX-License-Identifier: MIT
# JIT code named from the process's perf map: a hot JavaScript function under
# node --perf-basic-prof shows by name (V8 writes /tmp/perf-PID.map; --no-v8, so that the perf
# map names the JIT code rather than V8's own metadata), and a perf map planted by another user
# for that pid is not believed. With V8's frames walked (the default) and --perf-basic-prof
# (which moves interpreted frames into copies of the interpreter in the code space), the
# JavaScript frames agree with the perf map: the same function, about the same share.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null || skip "node not installed"
JS=$FLAMED_SOURCE_DIR/tests/workloads/jit_hot.js

cd "$TEST_TMP"
run_flamed jit --once 10s -F 499 --no-v8 -o "$TEST_TMP/jit.folded" -o "$TEST_TMP/jit.pb.gz" -- \
	node --perf-basic-prof "$JS" 3
[ "$RC" = 0 ] || fail "flamed exited $RC"
total=$(awk '$0 ~ /^node;/ {n += $NF} END {print n + 0}' jit.folded)
hits=$(grep -E ';[^;]*flamedHotLoop[^;]*( |;)' jit.folded | awk '{n += $NF} END {print n + 0}')
echo "node samples: $total, in flamedHotLoop: $hits"
grep -o '[^;]*flamedHotLoop[^;]*' jit.folded | sed 's/ [0-9]*$//' | sort | uniq -c | head -3
[ "$hits" -ge $((total / 4)) ] || fail "flamedHotLoop in $hits of $total node samples (want >= 25 %)"
check consistent "$TEST_TMP/jit.folded" "$TEST_TMP/jit.pb.gz"
! grep -q '_\[js\]' jit.folded || fail "--no-v8 showed JavaScript frames"

note "V8's own frames agree with the perf map"
run_flamed v8 --once 10s -F 499 -o "$TEST_TMP/v8.folded" -- node --perf-basic-prof "$JS" 3
[ "$RC" = 0 ] || fail "flamed exited $RC"
vtotal=$(awk '$0 ~ /^node;/ {n += $NF} END {print n + 0}' v8.folded)
vhits=$(grep -E ';flamedHotLoop_\[(js|i)\]( |;)' v8.folded | awk '{n += $NF} END {print n + 0}')
echo "node samples: $vtotal, in flamedHotLoop_[js]: $vhits"
# the perf map's name of the function: "JS:*flamedHotLoop /path:8:23" and the like
pm=$(grep -o '[^;]*flamedHotLoop[^;]*' jit.folded | sed 's/ [0-9]*$//' | sort | uniq -c |
	sort -rn | head -1 | sed -E 's/^ *[0-9]+ //; s/^[A-Za-z]*:[*~^+-]?//; s/ .*//')
[ "$pm" = flamedHotLoop ] || fail "the perf map names the hot code '$pm', not flamedHotLoop"
awk -v a="$hits" -v t="$total" -v b="$vhits" -v u="$vtotal" 'BEGIN {
	d = 100 * a / t - 100 * b / u; if (d < 0) d = -d
	printf "flamedHotLoop: %.1f %% by the perf map, %.1f %% by V8'"'"'s metadata\n", 100 * a / t, 100 * b / u
	exit !(d <= 10 && b * 4 >= u) }' || fail "the two namings disagree on flamedHotLoop's share"

note "a perf map another user planted in /tmp is refused"
# node in a new pid namespace is pid 1 there, so its perf map would be /tmp/perf-1.map: plant
# one owned by nobody (as any user can in /tmp) and run node without --perf-basic-prof
command -v unshare >/dev/null || skip "unshare (util-linux) missing"
planted=()
for p in 1 2 3; do
	[ -e "/tmp/perf-$p.map" ] && continue
	printf '0 ffffffffffff planted_by_another_user\n' >"/tmp/perf-$p.map"
	chown nobody "/tmp/perf-$p.map"
	planted+=("/tmp/perf-$p.map")
done
run_flamed planted --once 6s -F 499 --no-v8 -o "$TEST_TMP/p.folded" -- \
	unshare --pid --fork node "$JS" 3
rm -f "${planted[@]}"
[ "$RC" = 0 ] || fail "flamed exited $RC"
! grep -q planted_by_another_user p.folded || fail "a planted perf map named another user's code"
[ "$(stats planted run.process_files.jit_maps_refused)" -ge 1 ] ||
	fail "the planted perf map was not seen and refused"
echo PASS
