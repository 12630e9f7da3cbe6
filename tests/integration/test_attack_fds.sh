#!/bin/bash
# SPDX-License-Identifier: MIT
# Attack on flamed's file descriptors: an unprivileged process maps 1,100
# distinct small files under flamed's 1024-fd limit (soft and hard: flamed cannot raise it). A
# profiler that keeps one fd per mapped file for the whole capture has none left for the
# processes that start later: a victim started afterwards must still be symbolized.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

chmod 755 "$TEST_TMP"
mkdir "$TEST_TMP/att"
chown 65534:65534 "$TEST_TMP/att"
bg_start "$TEST_TMP/att.out" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$WORKLOAD_DIR/attack_fds" "$TEST_TMP/att" 1100 14
wait_for_line "$TEST_TMP/att.out" '^pid [0-9]+$' 30
ATT_PID=$(sed -n 's/^pid //p' "$TEST_TMP/att.out")

# whole host: flamed meets the attacker first, the victim 2 s later
set +e
prlimit --nofile=1024:1024 timeout -k 5 60 "$FLAMED" -v --once 6s -F 199 \
	-o "$TEST_TMP/fds.pb.gz" --stats-json "$TEST_TMP/fds.stats.json" >"$TEST_TMP/fds.out" \
	2>"$TEST_TMP/fds.err" &
FL_PID=$!
set -e
sleep 2
bg_start "$TEST_TMP/victim.out" "$WORKLOAD_DIR/cpu_shares" 3
VICTIM_PID=$BG_PID
set +e
wait $FL_PID
RC=$?
set -e
grep -E "^flamed: (process|[0-9]+ samples)" "$TEST_TMP/fds.err" || true
grep -E "process table:" "$TEST_TMP/fds.err" || true
[ "$RC" = 0 ] || { cat "$TEST_TMP/fds.err"; fail "flamed exited $RC"; }
check_outputs fds "$TEST_TMP/fds.pb.gz"
check pids "$TEST_TMP/fds.pb.gz" --require "$ATT_PID:attack_fds" --require "$VICTIM_PID:cpu_shares" \
	--min-samples 20 || fail "attacker or victim missing"
check funcs "$TEST_TMP/fds.pb.gz" --comm cpu_shares --func burn_alpha --func burn_beta \
	--func burn_gamma --min-pct 90 --max-raw-pct 5 || fail "the victim was not symbolized"
check funcs "$TEST_TMP/fds.pb.gz" --comm attack_fds --func fds_hot_loop --min-pct 80 ||
	fail "the attacker itself was not symbolized"
echo PASS
