#!/bin/bash
# SPDX-License-Identifier: MIT
# Libraries truncated while flamed reads them: an unprivileged user keeps truncating its own copy
# of a large library (libstdc++, stripped of its build-id) where its unwind data starts, for 3 ms,
# then whole for 5 ms, over and over, moving to a fresh copy (a new file to flamed) five times a
# second, while 50 children a second (x STRESS_SCALE) map the current copy as the dynamic loader
# would, so flamed reads each copy as it shrinks. flamed must not crash (SIGBUS from a mapped file that shrank),
# must exit 0 with readable outputs within its bounds, and the victim must keep complete stacks
# and its shares. 15 s (x STRESS_SCALE).
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress
command -v objcopy >/dev/null || skip "objcopy missing (binutils)"
# a library with a fair amount of unwind data (200 KB of .eh_frame), quick to rewrite (2 MB)
# (awk reads all its input: an early exit would SIGPIPE ldconfig and fail the pipeline)
BIG=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !n++ { print $NF }')
if [ -z "$BIG" ] || [ ! -r "$BIG" ]; then skip "no libstdc++.so.6 to copy"; fi

SECS=$((15 * STRESS_SCALE))
RATE=$((50 * STRESS_SCALE))
cd "$TEST_TMP"
LIB="$ATT_DIR/big.so"
as_nobody cp "$BIG" "$LIB"
as_nobody objcopy --remove-section=.note.gnu.build-id "$LIB"
# cut where the unwind data (.eh_frame, .eh_frame_hdr) starts
KEEP=$(readelf -SW "$LIB" | awk '$2 ~ /^\.eh_frame/ { print "0x" $5 }' | sort | awk 'NR == 1')
KEEP=$((KEEP / 4096 * 4096))
echo "$BIG -> $LIB, $(stat -c %s "$LIB") bytes, build-id removed; truncated to $KEEP"

note "attacker (uid $NOBODY) for $((SECS + 4)) s: truncate and rewrite $LIB, $RATE mappers/s"
attacker_start trunc "$STRESS_DIR/stress_truncate" "$LIB" "$RATE" $((SECS + 4)) "$KEEP"
ATT_PID=$BG_PID
sleep 1

note "flamed --once ${SECS}s on the whole host, victim unwind_nofp"
flamed_start trunc "${SECS}s"
flamed_attached
victim_start unwind_nofp $((SECS - 3))
victim_wait
flamed_wait
wait "$ATT_PID" || true
echo "attacker: $(tr '\n' ' ' <"$TEST_TMP/trunc.out")"
# floors at a tenth of the nominal rates (125 truncations and 5 copies a second): an attacker
# that did not run fails, one a busy host slowed does not
expect "the file was truncated" at_least truncations "$(attacker_value trunc truncations)" \
	$((SECS * 12))
expect "fresh copies made" at_least copies "$(attacker_value trunc copies)" $((SECS / 2))

print_summary_line
if [ "$RC" = 0 ]; then
	note "victim"
	check_victim unwind_nofp "$VICTIM_OUT"
fi
note "flamed's cost"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
