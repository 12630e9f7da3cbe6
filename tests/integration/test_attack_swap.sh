#!/bin/bash
# SPDX-License-Identifier: MIT
# Attacks on how flamed opens another process's mapped files. An
# unprivileged process maps a library, unlinks it, puts something else at its path and keeps
# remapping the file at moving addresses, so /proc/PID/map_files/START-END misses and a profiler
# falls back to the path:
#   fifo:    a FIFO at the path: opening it blocks; flamed must still finish on time.
#   symlink: a symlink to a root-only ELF: its names must not appear in the profile.
#   mountns: (own user and mount namespace) the library lives on a private tmpfs over a
#            directory that, in flamed's namespace, holds the root-only ELF under the same name.
# Several attackers run at once (each gets one chance at flamed's first look at its maps); they
# live 60 s, as setting up 1,000 decoys each may take seconds on a loaded host, and are killed
# after each case.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

NOBODY=65534
ATTACKERS=3
as_nobody()
{
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

chmod 755 "$TEST_TMP"
ATT="$TEST_TMP/att"
SECRET="$TEST_TMP/secret"
mkdir -p "$ATT" "$SECRET"
chown $NOBODY:$NOBODY "$ATT"
chmod 700 "$SECRET"
cp "$WORKLOAD_DIR/libattack_secret.so" "$SECRET/libattack_pub.so"
chmod 600 "$SECRET/libattack_pub.so"
as_nobody cat "$SECRET/libattack_pub.so" >/dev/null 2>&1 && fail "the secret is readable by nobody"

# start_attackers MODE: ATTACKERS attackers in MODE; sets PIDS (flamed -p arguments).
start_attackers()
{
	local mode=$1 i lib
	PIDS=()
	for ((i = 0; i < ATTACKERS; i++)); do
		lib="$ATT/$mode$i.so"
		case $mode in
		fifo | symlink)
			cp "$WORKLOAD_DIR/libattack_pub.so" "$lib"
			chown $NOBODY "$lib"
			bg_start "$TEST_TMP/$mode$i.out" setpriv --reuid=$NOBODY --regid=$NOBODY \
				--clear-groups "$WORKLOAD_DIR/attack_swap" "$mode" "$lib" 60 \
				"$SECRET/libattack_pub.so"
			;;
		mountns)
			# inside: a tmpfs over $SECRET, the library under the secret's name, deleted
			bg_start "$TEST_TMP/$mode$i.out" setpriv --reuid=$NOBODY --regid=$NOBODY \
				--clear-groups unshare -Urm --propagation private sh -c \
				'mount -t tmpfs none "$1" && cp "$2" "$1/libattack_pub.so" &&
				 exec "$3" none "$1/libattack_pub.so" 60' \
				sh "$SECRET" "$WORKLOAD_DIR/libattack_pub.so" "$WORKLOAD_DIR/attack_swap"
			;;
		esac
		wait_for_line "$TEST_TMP/$mode$i.out" '^pid [0-9]+$'
		PIDS+=(-p "$(sed -n 's/^pid //p' "$TEST_TMP/$mode$i.out")")
	done
}

for mode in ${ATTACK_MODES:-fifo symlink mountns}; do
	note "$mode"
	if [ $mode = mountns ] && ! as_nobody unshare -Urm true 2>/dev/null; then
		echo "unprivileged user namespaces unavailable: $mode skipped"
		continue
	fi
	start_attackers $mode
	FLAMED_TIMEOUT=30 run_flamed $mode --once 4s -F 499 "${PIDS[@]}" -o "$TEST_TMP/$mode.pb.gz"
	[ "$RC" = 0 ] || fail "$mode: flamed exited $RC"
	[ "$ELAPSED_MS" -lt 15000 ] || fail "$mode: --once 4s took $ELAPSED_MS ms"
	check_outputs $mode "$TEST_TMP/$mode.pb.gz"
	check dump "$TEST_TMP/$mode.pb.gz" >"$TEST_TMP/$mode.txt"
	if grep -q 'secret_' "$TEST_TMP/$mode.txt"; then
		grep 'secret_' "$TEST_TMP/$mode.txt" | head -5
		fail "$mode: names from the root-only file are in the profile"
	fi
	# the attackers' own library is still symbolized (through map_files, verified)
	check funcs "$TEST_TMP/$mode.pb.gz" --comm attack_swap --func attack_hot_loop --min-samples 3 ||
		fail "$mode: the attackers' library was not symbolized"
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
done
echo PASS
