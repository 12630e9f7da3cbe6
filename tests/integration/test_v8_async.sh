#!/bin/bash
# SPDX-License-Identifier: MIT
# JavaScript run from the event loop (tests/workloads/js/async.js): an async function resumed
# after an await, a timer's callback and a promise's reaction, each named over its callee
# burnXyz, with shares within 3 points of what the script measured.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v node >/dev/null || skip "node not installed"
JS=$FLAMED_SOURCE_DIR/tests/workloads/js/async.js
cd "$TEST_TMP"

run_flamed async --once 8s -F 499 -v -o "$TEST_TMP/async.pb.gz" -o "$TEST_TMP/async.folded" -- \
	node "$JS" 6
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat async.out
grep -E '^flamed: v8:' async.err
check jscheck async.pb.gz --expect async.out --source "$JS" \
	--share asyncWorkAbc=asyncWorkAbc,burnXyz --share timerCbDef=timerCbDef,burnXyz \
	--share promiseCbGhi=promiseCbGhi,burnXyz \
	--known asyncWorkAbc,timerCbDef,promiseCbGhi,burnXyz,round \
	--graph 'round>asyncWorkAbc' --graph 'asyncWorkAbc>burnXyz' --graph 'timerCbDef>burnXyz' \
	--graph 'promiseCbGhi>burnXyz' \
	--lines asyncWorkAbc,timerCbDef,promiseCbGhi,burnXyz ||
	fail "callbacks' JavaScript frames wrong (above)"
check consistent async.folded async.pb.gz
echo PASS
