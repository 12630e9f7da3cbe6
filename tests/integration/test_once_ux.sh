#!/bin/bash
# SPDX-License-Identifier: MIT
# What a person at a terminal sees: default output files named after the host and time, a live
# status line only on a terminal, and Ctrl-C ending a long capture early with every output still
# written.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v script >/dev/null || skip "script (util-linux) missing: needed for a pseudo-terminal"

note "no -o: flamed-HOST-YYYYmmdd-HHMMSS.svg and .pb.gz in the current directory"
mkdir -p "$TEST_TMP/cwd"
cd "$TEST_TMP/cwd"
run_flamed default --once 1s
[ "$RC" = 0 ] || fail "flamed exited $RC"
host=$(hostname)
svg=$(ls flamed-"$host"-*.svg 2>/dev/null | head -n 1)
pb=$(ls flamed-"$host"-*.pb.gz 2>/dev/null | head -n 1)
[ -s "$svg" ] || fail "no flamed-$host-*.svg written"
[ -s "$pb" ] || fail "no flamed-$host-*.pb.gz written"
[[ $svg =~ ^flamed-.*-[0-9]{8}-[0-9]{6}\.svg$ ]] || fail "unexpected name $svg"
grep -Fq "flamed: wrote $svg (" "$TEST_TMP/default.err" || fail "the SVG path was not printed"
grep -Fq "flamed: wrote $pb (" "$TEST_TMP/default.err" || fail "the pprof path was not printed"
grep -q $'\r' "$TEST_TMP/default.err" && fail "status line written while stderr is not a terminal"
cd "$TEST_TMP"

note "on a terminal: a live status line"
script -qfec "$FLAMED --once 3s -o $TEST_TMP/tty.folded" "$TEST_TMP/tty.log" >/dev/null
grep -aq $'\rflamed: \\(\x1b\\[K\\)\\?' "$TEST_TMP/tty.log" || true
grep -aEq 'flamed: [0-9.]+m?s / 3s, [0-9]+ samples, [0-9]+ processes' "$TEST_TMP/tty.log" ||
	fail "no status line on the terminal: $(tr '\r' '\n' <"$TEST_TMP/tty.log" | head -n 5)"
grep -aq 'flamed: wrote' "$TEST_TMP/tty.log" || fail "no 'wrote' line on the terminal"

note "Ctrl-C (SIGINT) after 3 s of --once 60s"
# something to sample: an idle host gives an empty (but valid) profile
"$WORKLOAD_DIR/cpu_shares" 10 >/dev/null &
BG_PIDS+=("$!")
t0=$(now_ms)
"$FLAMED" --once 60s -o "$TEST_TMP/int.pb.gz" -o "$TEST_TMP/int.svg" -o "$TEST_TMP/int.folded" \
	--stats-json "$TEST_TMP/int.stats.json" 2>"$TEST_TMP/int.err" &
pid=$!
BG_PIDS+=("$pid")
sleep 3
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
elapsed=$(($(now_ms) - t0))
sed 's/^/  | /' "$TEST_TMP/int.err"
[ "$rc" = 0 ] || fail "exit $rc after SIGINT (want 0)"
[ "$elapsed" -lt 15000 ] || fail "took $elapsed ms to stop after SIGINT"
for f in int.pb.gz int.svg int.folded; do
	[ -s "$TEST_TMP/$f" ] || fail "$f not written after SIGINT"
done
grep -q 'cut short' "$TEST_TMP/int.err" || fail "the summary does not say the capture was cut short"
grep -q 'cut short' "$TEST_TMP/int.svg" || fail "the SVG title does not say the capture was cut short"
check_outputs int "$TEST_TMP/int.pb.gz" "$TEST_TMP/int.svg" "$TEST_TMP/int.folded"
[ "$SAMPLES" -gt 0 ] || fail "no samples in 3 s of whole-host capture"
if have_go; then
	go_pprof -raw "$TEST_TMP/int.pb.gz" >/dev/null || fail "go tool pprof rejects the cut-short profile"
fi

note "-v: what start-up and the run cost flamed, and the parts add up"
run_flamed costs -v --once 2s -o "$TEST_TMP/costs.pb.gz"
[ "$RC" = 0 ] || fail "flamed -v exited $RC"
check costs "$TEST_TMP/costs.stats.json" --startup --min-lines 1 --min-drains 2
echo PASS
