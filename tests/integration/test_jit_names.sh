#!/bin/bash
# SPDX-License-Identifier: MIT
# JIT code named from the process's perf map: a hot JavaScript function under
# node --perf-basic-prof shows by name (V8 writes /tmp/perf-PID.map), and a perf map planted by
# another user for that pid is not believed.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null || skip "node not installed"
JS=$FLAMED_SOURCE_DIR/tests/workloads/jit_hot.js

cd "$TEST_TMP"
run_flamed jit --once 10s -F 499 -o "$TEST_TMP/jit.folded" -o "$TEST_TMP/jit.pb.gz" -- \
	node --perf-basic-prof "$JS" 3
[ "$RC" = 0 ] || fail "flamed exited $RC"
total=$(awk '$0 ~ /^node;/ {n += $NF} END {print n + 0}' jit.folded)
hits=$(grep -E ';[^;]*flamedHotLoop[^;]*( |;)' jit.folded | awk '{n += $NF} END {print n + 0}')
echo "node samples: $total, in flamedHotLoop: $hits"
grep -o '[^;]*flamedHotLoop[^;]*' jit.folded | sed 's/ [0-9]*$//' | sort | uniq -c | head -3
[ "$hits" -ge $((total / 4)) ] || fail "flamedHotLoop in $hits of $total node samples (want >= 25 %)"
check consistent "$TEST_TMP/jit.folded" "$TEST_TMP/jit.pb.gz"

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
run_flamed planted --once 6s -F 499 -o "$TEST_TMP/p.folded" -- unshare --pid --fork node "$JS" 3
rm -f "${planted[@]}"
[ "$RC" = 0 ] || fail "flamed exited $RC"
! grep -q planted_by_another_user p.folded || fail "a planted perf map named another user's code"
[ "$(stats planted run.process_files.jit_maps_refused)" -ge 1 ] ||
	fail "the planted perf map was not seen and refused"
echo PASS
