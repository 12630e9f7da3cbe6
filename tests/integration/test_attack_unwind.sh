#!/bin/bash
# SPDX-License-Identifier: MIT
# An unprivileged user (nobody, through setpriv) attacks a root flamed through its unwind tables,
# with the libraries of tests/unwind_fixtures, while a victim (unwind_lib) is profiled too:
#  1. truncate: libraries cut to nothing and written back, over and over, while flamed reads them
#     (a reader through mmap dies of SIGBUS). flamed must finish with valid output.
#  2. poison: a library carrying the victim library's build-id and "return address undefined"
#     over its code, mapped before the victim starts. The victim's stacks must still reach main
#     (>= 99 %), as in test_unwind.sh.
#  3. fill: libraries with ~3M rows in all (one of 1.4M, 11 MiB) against --unwind-memory 16M,
#     mapped before the victim starts. The victim must keep its tables (reach main >= 99 %) and
#     the summary must count the refusals.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"

FX="$WORKLOAD_DIR/../unwind_fixtures"
[ -r "$FX/atk_poison.so" ] || fail "$FX/atk_poison.so missing: build target flamed_unwind_fixtures"
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
ATK="$TEST_TMP/attacker"
mkdir -p "$ATK"
chown 65534:65534 "$ATK"
chmod 755 "$TEST_TMP"
cd "$TEST_TMP"

# attack NAME ATTACKER-ARGS...: flamed --once -- a scenario, so that only its processes take
# rows (the host may be busy with big binaries of its own): the attacker runs as nobody; once it
# is ready and has been sampled (its tables loaded), the victim, unwind_lib, runs for 6 s.
attack()
{
	local name=$1
	shift
	# shellcheck disable=SC2016 # expanded by the scenario's shell
	run_flamed "$name" --once 40s -F 999 -v ${UNWIND_MEMORY:+--unwind-memory "$UNWIND_MEMORY"} \
		-o "$TEST_TMP/$name.folded" \
		-o "$TEST_TMP/$name.pb.gz" -- bash -c '
		atk=$1 victim=$2
		shift 2
		"$@" >"$atk" 2>&1 &
		for i in $(seq 300); do grep -q "^ready$" "$atk" && break; sleep 0.1; done
		grep -q "^ready$" "$atk" || { echo "attacker not ready"; exit 1; }
		sleep 1
		"$WORKLOAD_DIR/unwind_lib" 6 >"$victim"
		wait' \
		scenario "$TEST_TMP/$name.atk" "$TEST_TMP/$name.victim" "${AS_NOBODY[@]}" "$@"
	cat "$TEST_TMP/$name.atk"
	[ "$RC" = 0 ] || fail "flamed exited $RC (signal $((RC - 128)) if > 128)"
	check_outputs "$name" "$TEST_TMP/$name.folded" "$TEST_TMP/$name.pb.gz"
}

note "1. libraries truncated while flamed reads them"
attack trunc sh -c "cd '$ATK' && exec '$WORKLOAD_DIR/unwind_attacker' truncate 16 '$FX/atk_rows_1.so'"
grep -q '^rounds 16 ' "$TEST_TMP/trunc.atk" || fail "the attacker did not finish its rounds"
check reach "$TEST_TMP/trunc.folded" --comm unwind_lib --frame main --frame __libc_start_main \
	--min-pct 99

note "2. a library with the victim's build-id and poisoned CFI"
victim_id=$(readelf -nW "$WORKLOAD_DIR/libunwind_hot.so" | sed -En 's/.*Build ID: ([0-9a-f]+).*/\1/p')
[ ${#victim_id} = 40 ] || fail "libunwind_hot.so has no 20-byte build-id: '$victim_id'"
"${AS_NOBODY[@]}" "$PY" - "$FX/atk_poison.so" "$ATK/libpoison.so" "$victim_id" <<'EOF'
import sys
src, dst, bid = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
img = open(src, "rb").read()
placeholder = bytes.fromhex("f1a3ed" * 6 + "f1a3")
assert img.count(placeholder) == 1, "placeholder build-id not found once"
open(dst, "wb").write(img.replace(placeholder, bid))
EOF
readelf -nW "$ATK/libpoison.so" | grep -q "Build ID: $victim_id" || fail "forged build-id not in place"
attack poison "$WORKLOAD_DIR/unwind_attacker" map 9 "$ATK/libpoison.so"
check reach "$TEST_TMP/poison.folded" --comm unwind_lib --frame main --frame __libc_start_main \
	--min-pct 99

note "3. libraries whose tables would fill the table memory"
# dlopen order: smallest first. Mappings go top-down, so flamed, reading /proc/PID/maps in
# address order, meets the largest first: the fill leaves no gap a victim's table would fit in.
libs=()
for n in 8 16 32 64 128 256 512 1024 2048 4096 8192 16384 32768; do
	libs+=("$FX/atk_fill_$n.so")
done
for n in $(seq 1 16); do
	libs+=("$FX/atk_rows_$n.so")
done
libs+=("$FX/atk_huge.so")
own=()
for lib in "${libs[@]}"; do
	"${AS_NOBODY[@]}" cp "$lib" "$ATK/"
	own+=("$ATK/$(basename "$lib")")
done
UNWIND_MEMORY=16M attack fill "$WORKLOAD_DIR/unwind_attacker" map 9 "${own[@]}"
check reach "$TEST_TMP/fill.folded" --comm unwind_lib --frame main --frame __libc_start_main \
	--min-pct 99
read -r per_binary per_process per_owner <<<"$(stats fill run.unwind_tables.refused.per_binary \
	run.unwind_tables.refused.per_process run.unwind_tables.refused.per_owner | tr '\n' ' ')"
summary="refused per binary $per_binary, per process $per_process, per owner $per_owner"
[ "$per_binary" -ge 1 ] || fail "atk_huge.so (1.4M rows) not refused per binary: $summary"
# one process of one user: whichever of the two caps (both 3/4 of the bound) trips first
[ $((per_process + per_owner)) -ge 1 ] || fail "no table refused over the per-process or per-owner cap: $summary"
grep -q "unwind table of $ATK/atk_huge.so refused" "$TEST_TMP/fill.err" ||
	fail "-v does not name the refused atk_huge.so"
echo PASS
