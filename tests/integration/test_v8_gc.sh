#!/bin/bash
# SPDX-License-Identifier: MIT
# JavaScript frames while V8's garbage collector works (tests/workloads/js/gc.js: lists of fresh
# objects and closures, a full collection every 20 rounds, a 1 MiB young generation): every
# frame of the script's functions is one its call graph allows where it stands (a frame named
# after another function would break it), lines within the functions, few frames unnamed. Then
# with every full collection compacting (functions and code move all the time): still no frame
# the call graph does not allow, whatever could not be named is counted as moved.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null || skip "node not installed"
JS=$FLAMED_SOURCE_DIR/tests/workloads/js/gc.js
GRAPH=(--known driverGc,churnDef,makeNodeAbc,sumGhi,closureJkl --graph 'driverGc>churnDef'
	--graph 'churnDef>makeNodeAbc' --graph 'driverGc>sumGhi' --graph 'driverGc>closureJkl')
cd "$TEST_TMP"

note "an allocating loop"
run_flamed gc --once 8s -F 499 -v -o "$TEST_TMP/gc.pb.gz" -- \
	node --expose-gc --max-semi-space-size=1 "$JS" 6
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat gc.out
grep -E '^flamed: v8:' gc.err
check jscheck gc.pb.gz --expect gc.out --source "$JS" "${GRAPH[@]}" \
	--under driverGc,churnDef --min-under 8 --lines driverGc,churnDef --max-unnamed-pct 3 ||
	fail "JavaScript frames under garbage collection wrong (above)"

note "every full collection compacting"
run_flamed compact --once 8s -F 499 -v -o "$TEST_TMP/compact.pb.gz" -- \
	node --expose-gc --compact-on-every-full-gc --max-semi-space-size=1 "$JS" 6
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat compact.out
grep -E '^flamed: v8:' compact.err
check jscheck compact.pb.gz --expect compact.out --source "$JS" "${GRAPH[@]}" \
	--max-unnamed-pct 100 || fail "a frame named after another function (above)"
read -r stale replaced <<<"$(stats compact run.v8.frames_stale run.v8.functions_replaced | xargs)"
echo "frames whose objects moved since the sample: $stale, functions replaced at their address: $replaced"
[ $((stale + replaced)) -gt 0 ] || fail "objects never moved under the profile: the stress did not stress"
echo PASS
