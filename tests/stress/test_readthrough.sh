#!/bin/bash
# SPDX-License-Identifier: MIT
# Reading through flamed: an unprivileged user maps its own library, then points the path flamed
# would open at a file only root can read (a library of the same layout whose function is named
# stress_dl_burn_secret), three ways:
#   swap    the mapped file is renamed over by a symlink to the secret;
#   suffix  the mapped file's real name ends in " (deleted)", and the name without the suffix is
#           a symlink to the secret;
#   gone    the mapped file is deleted (maps shows "... (deleted)"), and a symlink to the secret
#           takes its name.
# The secret's symbol must appear in no output. Run twice: flamed as root, and flamed as uid 0
# with only the capabilities README.md names (bpf, perfmon, sys_ptrace: no /proc/PID/map_files,
# so every file is opened by path). As root the attackers' code must also be symbolized as what
# really ran, stress_dl_burn_public. Two more captures, as root and with those capabilities:
#   fifo    the mapped file is deleted and a FIFO takes its name: opening it blocks until a
#           writer comes, so flamed must not open it (or not block): it must finish on time.
#           One process holds the mapping; others (stress_flicker) map and unmap it every
#           0.5 ms, so that as root too the mapping may be gone from /proc/PID/map_files by the
#           time flamed opens it.
# Captures of 6 s (x STRESS_SCALE); a hung flamed is killed 10 s after its capture should have
# ended.
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress

SECS=$((6 * STRESS_SCALE))
FLAMED_GRACE=10
cd "$TEST_TMP"
SECRET_DIR="$TEST_TMP/secret"
mkdir -m 700 "$SECRET_DIR"
SECRET="$SECRET_DIR/libsecret.so"
install -m 600 "$STRESS_DIR/libstress_dl_secret.so" "$SECRET"
for way in swap suffix gone fifo; do
	install -d -o $NOBODY -m 755 "$ATT_DIR/$way"
done
# read through ${!lib}
# shellcheck disable=SC2034
LIB_swap="$ATT_DIR/swap/libpub.so" LIB_suffix="$ATT_DIR/suffix/libpub.so (deleted)"
LIB_gone="$ATT_DIR/gone/libpub.so"
# uid 0 with only the capabilities README.md names
# shellcheck disable=SC2054 # commas inside one argument
CAPS_WRAP=(setpriv --inh-caps=-all --bounding-set=-all,+bpf,+perfmon,+sys_ptrace --)
LIB_fifo="$ATT_DIR/fifo/libpub.so"

attack()
{
	local way lib
	note "attackers (uid $NOBODY): swap, suffix, gone"
	for way in swap suffix gone; do
		lib="LIB_$way"
		as_nobody install -m 755 "$STRESS_DIR/libstress_dl_public.so" "${!lib}"
		attacker_start "rt-$way" "$STRESS_DIR/stress_dlopen" 0 $((2 * SECS + 120)) "${!lib}"
		ATTACKERS+=("$BG_PID")
	done
	sleep 1 # loaded: now point the paths at the secret
	as_nobody ln -s "$SECRET" "$ATT_DIR/swap/link"
	as_nobody mv -T "$ATT_DIR/swap/link" "$LIB_swap"
	as_nobody ln -s "$SECRET" "$ATT_DIR/suffix/libpub.so"
	as_nobody rm "$LIB_gone"
	as_nobody ln -s "$SECRET" "$LIB_gone"
	grep -m 1 'libpub' "/proc/$BG_PID/maps" || fail "the attacker did not map its library"
}

# capture NAME: a capture while the attackers run; the secret must not show.
capture()
{
	local name=$1 f
	note "flamed --once ${SECS}s on the whole host${FLAMED_WRAP:+ via ${FLAMED_WRAP[*]}}"
	flamed_start "$name" "${SECS}s"
	flamed_attached
	flamed_wait
	for f in "$TEST_TMP/$name".{pb.gz,folded,svg}; do
		[ -e "$f" ] || continue
		if [ "${f##*.}" = gz ]; then
			zcat "$f" >"$TEST_TMP/$name.pb"
			f="$TEST_TMP/$name.pb"
		fi
		expect "$(basename "$f"): no stress_dl_burn_secret (read through a symlink)" \
			not_in "$f" stress_dl_burn_secret
	done
	print_summary_line
}

not_in()
{
	local n
	n=$(grep -ac "$2" "$1" || true)
	echo "  $(basename "$1"): $n lines with $2"
	[ "$n" = 0 ]
}

ATTACKERS=()
attack
capture root
if [ "$RC" = 0 ]; then
	for way in swap suffix gone; do
		expect "root: $way attacker symbolized as stress_dl_burn_public" check funcs \
			"$TEST_TMP/root.pb.gz" --comm stress_dlopen --func stress_dl_burn_public \
			--min-samples 3 --pid-not 0 >/dev/null
	done
	check funcs "$TEST_TMP/root.pb.gz" --comm stress_dlopen --func stress_dl_burn_public \
		--min-pids 3 || FAILED+=("root: not all three attackers symbolized")
fi
check_cost --max-cpu-pct 10 --max-rss-mb 64

FLAMED_WRAP=("${CAPS_WRAP[@]}")
capture caps
check_cost --max-cpu-pct 10 --max-rss-mb 64

note "attackers (uid $NOBODY): fifo (a held mapping, and flickering ones)"
as_nobody install -m 755 "$STRESS_DIR/libstress_dl_public.so" "$LIB_fifo"
attacker_start rt-fifo "$STRESS_DIR/stress_dlopen" 0 $((SECS + 60)) "$LIB_fifo"
ATTACKERS+=("$BG_PID")
attacker_start rt-flicker "$STRESS_DIR/stress_flicker" "$LIB_fifo" 50 $((SECS + 60))
ATTACKERS+=("$BG_PID")
wait_for_line "$TEST_TMP/rt-flicker.out" '^ready$'
sleep 1
as_nobody rm "$LIB_fifo"
as_nobody mkfifo "$LIB_fifo"
FLAMED_WRAP=()
FLAMED_HUNG_OK=1 capture fifo-root
FLAMED_WRAP=("${CAPS_WRAP[@]}")
FLAMED_HUNG_OK=1 capture fifo-caps
finish_stress
