#!/bin/bash
# SPDX-License-Identifier: MIT
# Stripped binaries, one box per function: cpu_shares and a `strip --strip-all` copy of it run
# side by side under one flamed. In the stripped copy each hot function is its own frame, named
# after the binary and the function's start from .eh_frame ("shares_stripped+0x1240", the address
# nm gives in the unstripped build), with the share the process measured itself and the
# unstripped process's share of the named function; pprof keeps those frames as addresses
# without a Line in a mapping with the file's build-id and has_functions false, which is what
# Parca needs to symbolize them on its side (check_stripped.py).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v strip >/dev/null || skip "no strip (binutils)"

SECS=8
cd "$TEST_TMP"
cp "$WORKLOAD_DIR/cpu_shares" shares_full
strip --strip-all -o shares_stripped shares_full
nm -S --defined-only shares_full >full.nm
readelf -lW shares_stripped >stripped.segs
readelf -nW shares_stripped >stripped.notes
nm shares_stripped 2>&1 | grep -q 'no symbols' || fail "strip left a symbol table"

run_flamed stripped --once 40s -F 499 -v -o "$TEST_TMP/stripped.folded" \
	-o "$TEST_TMP/stripped.pb.gz" -o "$TEST_TMP/stripped.svg" -- \
	sh -c "./shares_full $SECS >full.out & ./shares_stripped $SECS >stripped.out; wait"
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs stripped "$TEST_TMP/stripped.folded" "$TEST_TMP/stripped.pb.gz" \
	"$TEST_TMP/stripped.svg"
[ "$(stats stripped run.stacks.frames_by_function_start)" -gt 0 ] ||
	fail "no frames named by function start in the stats"

"$PY" "$INTEGRATION_DIR/check_stripped.py" --folded stripped.folded --pprof stripped.pb.gz \
	--nm full.nm --segs stripped.segs --notes stripped.notes --stripped shares_stripped \
	--full shares_full --stripped-out stripped.out \
	--func burn_alpha --func burn_beta --func burn_gamma ||
	fail "stripped frames are not one per function, or pprof lost what a server needs"
note "the flame graph has the same boxes"
for f in burn_alpha burn_beta burn_gamma; do
	addr=$(awk -v f="$f" '$4 == f {print $1}' full.nm | sed 's/^0*//')
	grep -q "shares_stripped+0x$addr" stripped.svg || fail "no box shares_stripped+0x$addr ($f) in the SVG"
done
echo PASS
