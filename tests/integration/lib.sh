# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared helpers for tests/integration/test_*.sh (sourced, not run). ctest provides FLAMED,
# FLAMED_SOURCE_DIR and WORKLOAD_DIR; exit 77 means skipped, with the reason printed.
# By hand, as root: FLAMED=build/flamed WORKLOAD_DIR=build/tests/workloads bash test_X.sh
# (KEEP_TMP=1 keeps the profiles; flamed_check.py dump FILE prints a profile's samples).

set -euo pipefail

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3, not whatever python3 comes first on PATH; the checker needs only the stdlib.
PY=/usr/bin/python3
CHECK="$INTEGRATION_DIR/flamed_check.py"

: "${FLAMED:?run through ctest, or set FLAMED to the flamed binary}"
: "${WORKLOAD_DIR:?run through ctest, or set WORKLOAD_DIR to <build>/tests/workloads}"

skip()
{
	echo "SKIP: $*"
	exit 77
}

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

note()
{
	echo "== $*"
}

# Real BPF needs root and kernel BTF; anything else is a test failure, not a skip.
require_bpf()
{
	[ "$(id -u)" = 0 ] || skip "needs root (loads BPF programs)"
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux missing)"
	[ -x "$FLAMED" ] || fail "FLAMED=$FLAMED is not executable"
	[ -x "$PY" ] || skip "$PY missing"
}

BG_PIDS=()
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/flamed-it.XXXXXX")

cleanup()
{
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "kept $TEST_TMP"
	else
		rm -rf "$TEST_TMP"
	fi
}
trap cleanup EXIT

# bg_start OUTFILE CMD...: run CMD in the background with stdout to OUTFILE; sets BG_PID.
bg_start()
{
	local out=$1
	shift
	"$@" >"$out" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_for_line FILE REGEX [SECONDS]: wait until a line of FILE matches.
wait_for_line()
{
	local file=$1 re=$2 limit=$((${3:-10} * 10)) i
	for ((i = 0; i < limit; i++)); do
		grep -Eq "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no line /$re/ in $file after ${3:-10} s: $(cat "$file" 2>/dev/null)"
}

now_ms()
{
	date +%s%3N
}

# run_flamed NAME ARGS...: runs flamed with a hard timeout, stdout to $TEST_TMP/NAME.out,
# stderr to NAME.err and its counters to NAME.stats.json (--stats-json: read them with stats);
# sets RC and ELAPSED_MS and prints stderr.
run_flamed()
{
	local name=$1 t0 t1
	shift
	t0=$(now_ms)
	set +e
	timeout -k 5 "${FLAMED_TIMEOUT:-60}" "$FLAMED" --stats-json "$TEST_TMP/$name.stats.json" "$@" \
		>"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err"
	RC=$?
	set -e
	t1=$(now_ms)
	ELAPSED_MS=$((t1 - t0))
	echo "\$ flamed $*"
	echo "exit $RC after $ELAPSED_MS ms; stderr:"
	sed 's/^/  | /' "$TEST_TMP/$name.err"
	[ "$RC" != 124 ] || fail "flamed did not finish within ${FLAMED_TIMEOUT:-60} s"
}

# stats NAME|FILE KEY...: the values (one a line) of KEYs, dotted names of docs/stats.md
# (run.stacks.stacks_missing, run.sinks.0.sent), in the --stats-json output of run_flamed NAME
# ($TEST_TMP/NAME.stats.json) or in FILE (of JSON lines: the last). A missing key fails the test.
stats()
{
	local f=$1
	shift
	[[ $f == */* ]] || f="$TEST_TMP/$f.stats.json"
	[ -s "$f" ] || fail "no stats in $f"
	"$PY" "$CHECK" stat "$f" "$@" || fail "stats: $* not in $f"
}

# check_outputs NAME PATH...: the end-of-run stderr lines: one "wrote PATH (FORMAT)" per file and
# the summary; each file exists and is non-empty. Sets SAMPLES to the run's sample count (its
# stats).
check_outputs()
{
	local name=$1 path err
	shift
	err="$TEST_TMP/$name.err"
	for path in "$@"; do
		[ -s "$path" ] || fail "$path missing or empty"
		grep -Fq "flamed: wrote $path (" "$err" || fail "no 'flamed: wrote $path (...)' on stderr"
	done
	grep -Eq '^flamed: [0-9]+ samples, [0-9]+ processes, [0-9]+ dropped' "$err" ||
		fail "no summary line 'flamed: N samples, M processes, K dropped' on stderr"
	# shellcheck disable=SC2034 # used by the tests that source this file
	SAMPLES=$(stats "$name" run.samples.total)
}

check()
{
	"$PY" "$CHECK" "$@"
}

# cgroup_v2_root: the host's cgroup v2 hierarchy (a cgroup2 mount whose directory is the root
# cgroup, inode 1: pure v2 or hybrid), or nothing on a cgroup v1 host.
cgroup_v2_root()
{
	local mnt fs root=
	while read -r _ mnt fs _; do
		if [ "$fs" = cgroup2 ] && [ "$(stat -c %i "$mnt" 2>/dev/null)" = 1 ]; then
			root=$mnt
		fi
	done </proc/mounts
	echo "$root"
}

# go tool pprof, if installed (CI installs golang-go); HOME must be writable for its cache.
have_go()
{
	command -v go >/dev/null 2>&1
}

go_pprof()
{
	mkdir -p "$TEST_TMP/home"
	HOME="$TEST_TMP/home" GOCACHE="$TEST_TMP/home/gocache" go tool pprof -symbolize=none "$@"
}

# Upload peers (tests/upload/peer.py: Pyroscope, Parca and OTLP receivers built from the real
# protocol definitions). upload_peers_setup skips without Debian's python3-grpcio and protoc, and
# generates the peers' protocol modules into $TEST_TMP/pb.
upload_peers_setup()
{
	"$PY" -c 'import grpc, google.protobuf' 2>/dev/null ||
		skip "python3-grpcio/python3-protobuf missing"
	command -v protoc >/dev/null || skip "protoc missing"
	mkdir -p "$TEST_TMP/pb"
	protoc --python_out="$TEST_TMP/pb" -I "$FLAMED_SOURCE_DIR/proto" \
		"$FLAMED_SOURCE_DIR/proto/pyroscope_types.proto" \
		"$FLAMED_SOURCE_DIR/proto/pyroscope_push.proto" \
		"$FLAMED_SOURCE_DIR/proto/parca_profilestore.proto"
}

# free_port: a loopback TCP port nobody listens on now.
free_port()
{
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# upload_peer OUT ARGS...: start a peer (ARGS: --http PORT, --grpc PORT, ...) recording into the
# directory OUT, and wait until it listens.
upload_peer()
{
	local out=$1
	shift
	mkdir -p "$out"
	bg_start "$out/peer.log" "$PY" "$FLAMED_SOURCE_DIR/tests/upload/peer.py" \
		--pb "$TEST_TMP/pb" --out "$out" "$@"
	for _ in $(seq 100); do
		grep -q "peer: ready" "$out/peer.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "peer did not start: $(cat "$out/peer.log")"
}
