#!/bin/bash
# SPDX-License-Identifier: MIT
# JavaScript frames of Node.js without --perf-basic-prof, from V8's own metadata
# (tests/workloads/js/hot.js): hotLoopXyz under driverAbc in >= 85 % of the process's samples,
# the class method Grid.relax named, both shares within 3 points of what the script measured,
# every JS frame with hot.js and a line of its function in pprof; folded and pprof agree.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null || skip "node not installed"
JS=$FLAMED_SOURCE_DIR/tests/workloads/js/hot.js
cd "$TEST_TMP"

note "hot.js: names, order, shares, lines"
run_flamed hot --once 8s -F 499 -v -o "$TEST_TMP/hot.pb.gz" -o "$TEST_TMP/hot.folded" -- \
	node "$JS" 6
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat hot.out
grep -E '^flamed: v8:' hot.err || fail "no v8 summary line"
check js hot.pb.gz --expect hot.out --source "$JS" || fail "hot.js's JavaScript frames wrong (above)"
check consistent hot.folded hot.pb.gz
grep -q 'Grid.relax_\[js\]' hot.folded || fail "no Grid.relax_[js] frame in the folded output"
echo PASS
