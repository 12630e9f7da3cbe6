#!/bin/bash
# SPDX-License-Identifier: MIT
# Attack on flamed's CPU and memory: an unprivileged process maps 2,000
# executable pages at new addresses every 200 ms, runs code in each (so the sampler keeps asking
# for its maps again) and unmaps the previous batch. A profiler that keeps every mapping it ever
# saw, merged quadratically, burns a growing share of a core and memory. flamed must stay under
# CHURN_MAX_CPU_PCT of a core and CHURN_MAX_RSS_MB, and count what it refused.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

SECONDS_RUN=${CHURN_SECONDS:-30}
MAX_CPU_PCT=${CHURN_MAX_CPU_PCT:-5}
MAX_RSS_MB=${CHURN_MAX_RSS_MB:-48}

bg_start "$TEST_TMP/att.out" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$WORKLOAD_DIR/attack_churn" 2000 200 $((SECONDS_RUN + 10))
wait_for_line "$TEST_TMP/att.out" '^pid [0-9]+$' 20
PID=$(sed -n 's/^pid //p' "$TEST_TMP/att.out")

set +e
timeout -k 5 $((SECONDS_RUN + 60)) /usr/bin/time -o "$TEST_TMP/time.txt" -f "%U %S %M %e" \
	"$FLAMED" -v --once "${SECONDS_RUN}s" -F 99 -p "$PID" -o "$TEST_TMP/churn.pb.gz" \
	>"$TEST_TMP/churn.out" 2>"$TEST_TMP/churn.err"
RC=$?
set -e
grep -vE "debug: (unwind|metric)" "$TEST_TMP/churn.err" | tail -n 12 | sed 's/^/  | /'
[ "$RC" = 0 ] || fail "flamed exited $RC"
read -r USER_S SYS_S RSS_KB WALL_S <"$TEST_TMP/time.txt"
CPU_PCT=$(awk -v u="$USER_S" -v s="$SYS_S" -v w="$WALL_S" 'BEGIN { printf "%.1f", 100 * (u + s) / w }')
RSS_MB=$((RSS_KB / 1024))
note "flamed: ${USER_S}s user + ${SYS_S}s system in ${WALL_S}s (${CPU_PCT}% of a core), max RSS ${RSS_MB} MB"
awk -v c="$CPU_PCT" -v m="$MAX_CPU_PCT" 'BEGIN { exit !(c <= m) }' ||
	fail "flamed used ${CPU_PCT}% of a core (want <= ${MAX_CPU_PCT}%)"
[ "$RSS_MB" -le "$MAX_RSS_MB" ] || fail "flamed grew to ${RSS_MB} MB (want <= ${MAX_RSS_MB} MB)"
echo PASS
