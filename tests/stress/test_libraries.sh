#!/bin/bash
# SPDX-License-Identifier: MIT
# Libraries that are not what they claim, 10 s captures (x STRESS_SCALE) of the whole host, the
# victim being unwind_lib (its hot code, without frame pointers, in libunwind_hot.so):
#   build-id  an unprivileged user runs its own copy of the victim's program with a library of its
#             own making (the same functions, compiled differently: other code, other unwind data)
#             that carries the victim library's GNU build-id; then the victim starts. A cache of
#             unwind tables or symbols keyed by build-id alone hands the victim the attacker's.
#   replaced  the victim's library is replaced on disk (renamed over, as a package upgrade does)
#             after the victim mapped it and before flamed first reads it.
# Either way the victim's stacks stay complete (>= 99 % reach main) and its shares within
# tolerance, and flamed exits 0 with readable outputs, within its bounds.
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress

SECS=$((10 * STRESS_SCALE))
cd "$TEST_TMP"
REAL="$WORKLOAD_DIR/libunwind_hot.so"
build_id()
{
	readelf -n "$1" | awk '/Build ID:/ { print $3 }'
}

note "build-id: the attacker's libunwind_hot.so (from libstress_poison.so) gets $(build_id "$REAL")"
POISON_DIR="$ATT_DIR/poison"
as_nobody mkdir "$POISON_DIR"
as_nobody cp "$STRESS_DIR/libstress_poison.so" "$POISON_DIR/libunwind_hot.so"
as_nobody cp "$WORKLOAD_DIR/unwind_lib" "$POISON_DIR/poisoner"
as_nobody "$PY" - "$POISON_DIR/libunwind_hot.so" "$(build_id "$POISON_DIR/libunwind_hot.so")" \
	"$(build_id "$REAL")" <<'PYEOF'
import sys
path, old, new = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
data = open(path, "rb").read()
assert len(old) == len(new) and data.count(old) == 1, "build-id not found once"
open(path, "wb").write(data.replace(old, new))
PYEOF
[ "$(build_id "$POISON_DIR/libunwind_hot.so")" = "$(build_id "$REAL")" ] ||
	fail "build-id not copied"
cmp -s "$POISON_DIR/libunwind_hot.so" "$REAL" && fail "the poison is the real library"

flamed_start buildid "${SECS}s"
flamed_attached
attacker_start poisoner env LD_LIBRARY_PATH="$POISON_DIR" "$POISON_DIR/poisoner" $((SECS + 2))
POISONER=$BG_PID
sleep 2 # the attacker is sampled, its tables built, before the victim starts
grep -q "$POISON_DIR/libunwind_hot.so" "/proc/$POISONER/maps" ||
	fail "the poisoner did not map the poison"
victim_start unwind_lib $((SECS - 4))
wait_for_line "$VICTIM_OUT" '^pid [0-9]+$'
grep -q "$REAL" "/proc/$VICTIM_PID/maps" || fail "the victim did not map $REAL"
victim_wait
flamed_wait
print_summary_line
[ "$RC" != 0 ] || check_victim unwind_lib "$VICTIM_OUT"
check_cost --max-cpu-pct 10 --max-rss-mb 64
wait "$POISONER" || true

note "replaced: the victim's library renamed over after it was mapped"
VLIB_DIR="$TEST_TMP/victimlib"
mkdir "$VLIB_DIR"
cp "$REAL" "$VLIB_DIR/libunwind_hot.so"
VICTIM_OUT="$TEST_TMP/victim-replaced.out"
bg_start "$VICTIM_OUT" nice -n -10 env LD_LIBRARY_PATH="$VLIB_DIR" "$WORKLOAD_DIR/unwind_lib" \
	$((SECS + 4))
VICTIM_PID=$BG_PID
wait_for_line "$VICTIM_OUT" '^pid [0-9]+$'
grep -q "$VLIB_DIR/libunwind_hot.so" "/proc/$VICTIM_PID/maps" ||
	fail "the victim did not map its copy"
cp "$STRESS_DIR/libstress_poison.so" "$VLIB_DIR/new.so"
mv -f "$VLIB_DIR/new.so" "$VLIB_DIR/libunwind_hot.so"
flamed_start replaced "${SECS}s"
flamed_attached
flamed_wait
victim_wait
print_summary_line
[ "$RC" != 0 ] || check_victim unwind_lib "$VICTIM_OUT"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
