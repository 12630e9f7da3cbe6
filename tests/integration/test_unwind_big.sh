#!/bin/bash
# SPDX-License-Identifier: MIT
# Big binaries beside many small ones: a process maps libLLVM (14 and 15 where installed),
# libclang, libclang-cpp and libz3 (tens of MiB of tables, more than the old fixed 16 MiB row
# array held) and burns in its own code, while a hundred short processes (unwind_nofp, no frame
# pointers) run beside it. With the default --unwind-memory every table loads: the big process
# and the small ones reach main in >= 95 % of their samples, nothing is refused, and the summary
# reports the table memory (at least the big libraries' share of it).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

LIBDIR=/usr/lib/x86_64-linux-gnu
libs=()
for lib in libLLVM-14.so.1 libLLVM-15.so.1 libclang-14.so.14.0.6 libclang-cpp.so.14 libz3.so.4; do
	[ -r "$LIBDIR/$lib" ] && libs+=("$(readlink -f "$LIBDIR/$lib")")
done
[ ${#libs[@]} -ge 2 ] || skip "fewer than two large libraries (libLLVM, libclang, libz3) installed"
note "large libraries: ${libs[*]}"

cd "$TEST_TMP"
# shellcheck disable=SC2016 # expanded by the scenario's shell
FLAMED_TIMEOUT=120 run_flamed big --once 90s -F 99 -v -o "$TEST_TMP/big.folded" -- bash -c '
	"$WORKLOAD_DIR/unwind_attacker" map 8 "$@" >big.out 2>&1 &
	for i in $(seq 300); do grep -q "^ready$" big.out && break; sleep 0.1; done
	grep -q "^ready$" big.out || { echo "big process not ready"; cat big.out; exit 1; }
	sleep 1 # its description reads the large libraries ELF headers and symbols (~0.2 s)
	for wave in $(seq 10); do
		for i in $(seq 10); do "$WORKLOAD_DIR/unwind_nofp" 0.3 >/dev/null & done
		wait -n; wait -n; wait -n; wait -n; wait -n; wait -n; wait -n; wait -n; wait -n; wait -n
	done
	wait' scenario "${libs[@]}"
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs big "$TEST_TMP/big.folded"
check reach "$TEST_TMP/big.folded" --comm unwind_attacker --frame main --min-pct 95 \
	--min-samples 200
# a small process gets a sample or two: those in its start-up (the dynamic loader) or exit have
# no main to reach; those in its hot functions must reach it
"$PY" - "$TEST_TMP/big.folded" <<'PY' || fail "the small processes' hot stacks do not reach main"
import sys
hot = reach = 0
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    frames = stack.split(";")
    if frames[0] != "unwind_nofp" or not any(f.startswith("hot_") for f in frames):
        continue
    hot += int(n)
    reach += int(n) if "main" in frames else 0
print("unwind_nofp: %d samples in hot functions, %.1f %% reach main" % (hot, 100.0 * reach / max(hot, 1)))
sys.exit(0 if hot >= 50 and reach >= 0.95 * hot else 1)
PY
refused=$(stats big run.unwind_tables.refused.per_binary run.unwind_tables.refused.per_process \
	run.unwind_tables.refused.per_owner run.unwind_tables.refused.over_memory | tr '\n' ' ')
[ "$refused" = "0 0 0 0 " ] || fail "tables refused (per binary, process, owner, memory): $refused"
peak=$(awk '{ printf "%.1f", $1 / 1048576 }' <<<"$(stats big run.unwind_tables.peak_bytes)")
note "table memory at peak: $peak MiB"
# libLLVM-14 alone is ~7.5 MiB of tables, each large library several MiB
awk -v p="$peak" -v n=${#libs[@]} 'BEGIN { exit !(p >= 3 * n) }' ||
	fail "table memory at peak $peak MiB: the large libraries' tables were not all loaded"
echo PASS
