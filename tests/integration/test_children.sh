#!/bin/bash
# SPDX-License-Identifier: MIT
# flamed --once -- CMD profiles CMD's descendants too: spawner starts short-lived children, both
# exec'd programs (cpu_shares 0.3) and plain forks (forked_child_burn), one after another.
# Children have exited by the time flamed symbolizes, so this also covers keeping exited
# processes' binaries resolvable, and (unmapped-address check) learning an exec'd child's
# mappings after its dynamic loader has mapped the libraries, not only at exec.
# 499 Hz: the children are short and the host may be busy; enough samples to judge each kind.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

cd "$TEST_TMP"
run_flamed kids --once 10s -F 499 -o "$TEST_TMP/kids.folded" -o "$TEST_TMP/kids.pb.gz" \
	-- "$WORKLOAD_DIR/spawner" 3
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat "$TEST_TMP/kids.out"
[ "$ELAPSED_MS" -lt 9000 ] || fail "took $ELAPSED_MS ms for a 3 s command"
check_outputs kids "$TEST_TMP/kids.folded" "$TEST_TMP/kids.pb.gz"
PARENT=$(sed -n 's/^pid //p' "$TEST_TMP/kids.out")
n_exec=$(grep -c ' exec$' "$TEST_TMP/kids.out" || true)
n_fork=$(grep -c ' fork$' "$TEST_TMP/kids.out" || true)
if [ "$n_exec" -lt 2 ] || [ "$n_fork" -lt 2 ]; then
	fail "spawner started $n_exec exec and $n_fork fork children"
fi

note "exec'd children (comm cpu_shares)"
check funcs "$TEST_TMP/kids.folded" --comm cpu_shares --func burn_alpha --func burn_beta \
	--func burn_gamma --min-samples 20 --min-pct 50
check funcs "$TEST_TMP/kids.pb.gz" --comm cpu_shares --func burn_alpha --func burn_beta \
	--func burn_gamma --min-samples 20 --min-pct 50 --min-pids 2 --max-raw-pct 10
note "forked children (comm spawner, not the parent pid $PARENT)"
check funcs "$TEST_TMP/kids.pb.gz" --comm spawner --pid-not "$PARENT" --func forked_child_burn \
	--min-samples 10 --min-pct 50 --min-pids 2 --max-raw-pct 10
note "pids"
# every pid in the profile is the parent or one of its children
mapfile -t CHILDREN < <(awk '/^child /{print $2}' "$TEST_TMP/kids.out")
check pids "$TEST_TMP/kids.pb.gz" --only "$PARENT" "${CHILDREN[@]}" --total "$SAMPLES"
check consistent "$TEST_TMP/kids.folded" "$TEST_TMP/kids.pb.gz"
echo PASS
