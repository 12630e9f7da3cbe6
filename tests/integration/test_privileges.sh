#!/bin/bash
# SPDX-License-Identifier: MIT
# After loading and attaching, flamed keeps only the capabilities it needs to read processes
# (/proc/<flamed>/status during a capture: CapEff = CapPrm = CapBnd = dac_read_search, sys_ptrace,
# syslog, checkpoint_restore; no ambient set; NoNewPrivs), and still symbolizes a process of
# another user started after the drop, from a binary only that user can read. The command after
# "--" runs with the caller's full privileges, and flamed then also keeps cap_kill; writing into
# another user's directory keeps cap_dac_override, --output-owner cap_chown.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"

# bits: dac_read_search 2, sys_ptrace 19, syslog 34, checkpoint_restore 40; kill 5
WANT=0000010400080004
WANT_CMD=0000010400080024

status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

note "a capture's own privileges, and another user's process started after the drop"
chmod 711 "$TEST_TMP"
mkdir "$TEST_TMP/theirs"
cp "$WORKLOAD_DIR/cpu_shares" "$TEST_TMP/theirs/cpu_shares"
chown -R nobody "$TEST_TMP/theirs"
chmod 700 "$TEST_TMP/theirs" "$TEST_TMP/theirs/cpu_shares" # unreadable without caps

bg_start "$TEST_TMP/capture.err" timeout -k 5 60 "$FLAMED" --once 8s -v --no-progress -F 499 \
	-o "$TEST_TMP/priv.folded" -o "$TEST_TMP/priv.pb.gz"
# shellcheck disable=SC2153 # BG_PID is set by bg_start (lib.sh)
FLAMED_PID=$(pgrep -P "$BG_PID" -x flamed || true) # the child of timeout
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -n "$FLAMED_PID" ] && break
	sleep 0.1
	FLAMED_PID=$(pgrep -P "$BG_PID" -x flamed || true)
done
[ -n "$FLAMED_PID" ] || fail "flamed did not start"
wait_for_line "$TEST_TMP/capture.err" 'privileges: kept' 30
grep 'privileges: kept' "$TEST_TMP/capture.err"
eff=$(status_field "$FLAMED_PID" CapEff)
prm=$(status_field "$FLAMED_PID" CapPrm)
bnd=$(status_field "$FLAMED_PID" CapBnd)
amb=$(status_field "$FLAMED_PID" CapAmb)
nnp=$(status_field "$FLAMED_PID" NoNewPrivs)
echo "flamed $FLAMED_PID: CapEff $eff CapPrm $prm CapBnd $bnd CapAmb $amb NoNewPrivs $nnp"
[ "$eff" = "$WANT" ] || fail "CapEff $eff, want $WANT"
[ "$prm" = "$WANT" ] || fail "CapPrm $prm, want $WANT"
[ "$bnd" = "$WANT" ] || fail "CapBnd $bnd, want $WANT"
[ "$amb" = 0000000000000000 ] || fail "CapAmb $amb, want none"
[ "$nnp" = 1 ] || fail "NoNewPrivs $nnp, want 1"
grep -q 'privileges: kept cap_dac_read_search,cap_sys_ptrace,cap_syslog,cap_checkpoint_restore;' \
	"$TEST_TMP/capture.err" || fail "-v does not name the capabilities kept"

FLAMED_BG=$BG_PID
setpriv --reuid=nobody --regid=nogroup --clear-groups "$TEST_TMP/theirs/cpu_shares" 3 \
	>"$TEST_TMP/work.out" 2>&1 &
WORK_PID=$!
BG_PIDS+=("$WORK_PID")
wait_for_line "$TEST_TMP/work.out" '^pid [0-9]+$'
[ "$(status_field "$WORK_PID" Uid | cut -f1)" = 65534 ] || fail "workload does not run as nobody"
wait "$WORK_PID" || fail "workload failed: $(cat "$TEST_TMP/work.out")"
wait "$FLAMED_BG" || fail "flamed exited $?: $(grep -v debug "$TEST_TMP/capture.err")"
grep -v 'debug\|^libbpf' "$TEST_TMP/capture.err" | grep '^flamed:'
grep -Fq "flamed: wrote $TEST_TMP/priv.folded (" "$TEST_TMP/capture.err" || fail "no folded output"
grep -m 3 -E '^cpu_shares;' "$TEST_TMP/priv.folded" | cut -c1-200 # no head: pipefail would see grep's SIGPIPE
for fn in main run burn_alpha burn_beta burn_gamma; do
	grep -Eq "^cpu_shares;.*(^|;)${fn}(;| )" "$TEST_TMP/priv.folded" ||
		fail "nobody's cpu_shares has no symbolized '$fn' frame after the drop"
done
check pids "$TEST_TMP/priv.pb.gz" --require "$WORK_PID:cpu_shares"

note "the command after -- keeps the caller's privileges; flamed adds cap_kill"
# shellcheck disable=SC2016 # expanded by the command's shell
run_flamed cmd --once 10s -v --no-progress -o "$TEST_TMP/cmd.folded" -- sh -c \
	'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; sleep 1; echo "parent $(grep CapEff /proc/$PPID/status)"'
[ "$RC" = 0 ] || fail "flamed -- sh exited $RC"
cat "$TEST_TMP/cmd.out"
full=$(status_field $$ CapEff)
grep -Eq "^CapEff:[[:space:]]*$full$" "$TEST_TMP/cmd.out" || fail "the command lost privileges (want $full)"
grep -Eq '^NoNewPrivs:[[:space:]]*0$' "$TEST_TMP/cmd.out" || fail "the command got no_new_privs"
grep -Eq "^parent CapEff:[[:space:]]*$WANT_CMD$" "$TEST_TMP/cmd.out" ||
	fail "flamed's CapEff during a command is not $WANT_CMD"

note "an output directory of another user, files given to them: cap_dac_override and cap_chown kept"
mkdir "$TEST_TMP/their_dir"
chown nobody "$TEST_TMP/their_dir"
chmod 755 "$TEST_TMP/their_dir"
run_flamed owner --once 1s -v --no-progress --output-owner nobody -o "$TEST_TMP/their_dir/x.folded"
[ "$RC" = 0 ] || fail "flamed -o their_dir/x.folded exited $RC"
grep -q 'privileges: kept cap_chown,cap_dac_override,cap_dac_read_search,cap_sys_ptrace,cap_syslog,cap_checkpoint_restore;' \
	"$TEST_TMP/owner.err" || fail "cap_chown and cap_dac_override not kept for their directory"
[ "$(stat -c %U:%a "$TEST_TMP/their_dir/x.folded")" = nobody:600 ] ||
	fail "x.folded is $(stat -c %U:%a "$TEST_TMP/their_dir/x.folded"), want nobody:600"

note "flamed's own directory, files given to another user (no cap_dac_override kept)"
mkdir "$TEST_TMP/our_dir"
run_flamed owner2 --once 1s --no-progress --output-owner nobody -o "$TEST_TMP/our_dir/x.pb.gz"
[ "$RC" = 0 ] || fail "flamed -o our_dir/x.pb.gz --output-owner nobody exited $RC"
[ "$(stat -c %U:%a "$TEST_TMP/our_dir/x.pb.gz")" = nobody:600 ] ||
	fail "x.pb.gz is $(stat -c %U:%a "$TEST_TMP/our_dir/x.pb.gz"), want nobody:600"
echo PASS
