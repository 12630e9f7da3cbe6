#!/bin/bash
# SPDX-License-Identifier: MIT
# The same JavaScript function at every tier of V8 shows the same name (tests/workloads/js/hot.js
# held at one tier by node's flags): interpreted only, Sparkplug (baseline) only, and by default
# interpreted at start-up then TurboFan. (Node 20's V8 never tiers up to Maglev, even with
# --maglev: that tier is not exercised here.) Each run: hotLoopXyz under driverAbc in >= 85 %
# of the samples, Grid.relax under it, shares within 3 points of the script's, lines in the
# functions; and the summary shows frames of the tier the flags allow, none of those they forbid.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null || skip "node not installed"
JS=$FLAMED_SOURCE_DIR/tests/workloads/js/hot.js
cd "$TEST_TMP"

# shown KIND: frame records of that kind shown (interpreted, baseline, optimized), from the stats
shown()
{
	stats "$name" "run.v8.shown_$1"
}

run_tier()
{
	name=$1
	shift
	note "$name: node $*"
	run_flamed "$name" --once 7s -F 499 -v -o "$TEST_TMP/$name.pb.gz" -- node "$@" "$JS" 5
	[ "$RC" = 0 ] || fail "flamed exited $RC"
	cat "$name.out"
	check jscheck "$name.pb.gz" --expect "$name.out" --source "$JS" \
		--under driverAbc,hotLoopXyz --under driverAbc,hotLoopXyz,Grid.relax --min-under 25 \
		--share Grid.relax=driverAbc,hotLoopXyz,Grid.relax --lines hotLoopXyz,Grid.relax ||
		fail "$name: JavaScript frames wrong (above)"
	check js "$name.pb.gz" --expect "$name.out" --source "$JS" >/dev/null ||
		fail "$name: hotLoopXyz under driverAbc in less than 85 % of the samples"
	echo "shown: interpreted $(shown interpreted), baseline $(shown baseline)," \
		"optimized $(shown optimized)"
}

run_tier interpreted --no-turbofan --no-sparkplug --no-maglev
[ "$(shown interpreted)" -gt 0 ] && [ "$(shown baseline)" = 0 ] && [ "$(shown optimized)" = 0 ] ||
	fail "interpreted only: other tiers shown"
run_tier baseline --always-sparkplug --no-turbofan --no-maglev
[ "$(shown baseline)" -gt 0 ] && [ "$(shown optimized)" = 0 ] ||
	fail "Sparkplug only: no baseline frame, or optimized ones"
run_tier default
[ "$(shown interpreted)" -gt 0 ] && [ "$(shown optimized)" -gt 0 ] ||
	fail "default: not interpreted at start-up, then optimized"
echo PASS
