#!/bin/bash
# SPDX-License-Identifier: MIT
# Every bad input gives exactly one stderr line "flamed: ...", the documented exit code (2 usage,
# 1 runtime, 127 command not found), comes back at once instead of after the profiling time, and
# leaves no output file behind. --help and --version print to stdout and exit 0.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

FAILED=0
N=0
CASE_ENV=()

# expect_error CODE REGEX ARGS...: run flamed ARGS in an empty directory; REGEX must match the
# error line (extended regex, case-insensitive; "" for any). Output paths in ARGS are relative to
# that directory unless absolute.
expect_error()
{
	local want=$1 re=$2 dir rc t0 elapsed lines errline files problems=()
	shift 2
	N=$((N + 1))
	dir="$TEST_TMP/case$N"
	mkdir -p "$dir"
	t0=$(now_ms)
	set +e
	(cd "$dir" && exec env "${CASE_ENV[@]}" timeout -k 2 20 "${RUN_AS[@]}" "$FLAMED_BIN" "$@") \
		>"$TEST_TMP/case$N.out" 2>"$TEST_TMP/case$N.err"
	rc=$?
	set -e
	elapsed=$(($(now_ms) - t0))
	lines=$(wc -l <"$TEST_TMP/case$N.err")
	errline=$(head -n 1 "$TEST_TMP/case$N.err")
	files=$(cd "$dir" && find . -mindepth 1 | tr '\n' ' ')

	[ "$rc" = "$want" ] || problems+=("exit $rc, want $want")
	[ "$lines" = 1 ] || problems+=("$lines stderr lines, want 1")
	[[ "$errline" == "flamed: "* ]] || problems+=("stderr does not start with 'flamed: '")
	[ -z "$re" ] || grep -Eiq -- "$re" <<<"$errline" || problems+=("error line does not match /$re/")
	[ -z "$files" ] || problems+=("left files: $files")
	[ "$elapsed" -lt 5000 ] || problems+=("took $elapsed ms (errors must be found before profiling)")
	if [ ${#problems[@]} = 0 ]; then
		printf 'ok   %-3s %-62s -> %s\n' "$rc" "${CASE_ENV[*]} flamed $*" "$errline"
	else
		FAILED=$((FAILED + 1))
		printf 'FAIL %-3s %s\n' "$rc" "${CASE_ENV[*]} ${RUN_AS[*]} flamed $*"
		printf '       %s\n' "${problems[@]}"
		sed 's/^/       stderr| /' "$TEST_TMP/case$N.err" | head -n 10
		sed 's/^/       stdout| /' "$TEST_TMP/case$N.out" | head -n 5
	fi
}

FLAMED_BIN=$FLAMED
RUN_AS=()

note "usage errors: exit 2"
expect_error 2 'duration|10x' --once 10x -o out.pb.gz
expect_error 2 'duration|-1s' --once -1s -o out.pb.gz
expect_error 2 'duration' --once 0 -o out.pb.gz
expect_error 2 'duration' --once -o out.pb.gz
expect_error 2 'freq|-F' --once 10s -F 0 -o out.pb.gz
expect_error 2 'freq|-F|abc' --once 10s -F abc -o out.pb.gz
expect_error 2 'freq|-F|100000' --once 10s -F 100000 -o out.pb.gz
expect_error 2 'no-such-flag|unknown|unrecognized|invalid' --once 10s --no-such-flag -o out.pb.gz
expect_error 2 'x\.txt|extension|format' --once 10s -o x.txt
expect_error 2 'x\.txt|extension|format' --once 10s -o good.folded -o x.txt
expect_error 2 'once' -o out.pb.gz
expect_error 2 'pid|garbage' --once 10s -p garbage -o out.pb.gz

note "runtime errors: exit 1"
sleep 0 &
DEAD_PID=$!
wait "$DEAD_PID"
! kill -0 "$DEAD_PID" 2>/dev/null || fail "pid $DEAD_PID still exists"
expect_error 1 "$DEAD_PID|no such|not found|process" --once 10s -p "$DEAD_PID" -o out.pb.gz
expect_error 1 'nonexistent-dir|directory|writ' --once 10s -o /nonexistent-dir/x.pb.gz
expect_error 1 'nonexistent-dir|directory|writ' --once 10s -o good.folded -o /nonexistent-dir/x.pb.gz
expect_error 1 '/dev/null|directory|writ' --once 10s -o /dev/null/x.pb
CASE_ENV=(FLAMED_BTF_PATH=/nonexistent)
expect_error 1 'BTF' --once 10s -o out.pb.gz
CASE_ENV=()

note "command after -- not found: exit 127"
expect_error 127 'no-such-command|not found|No such file' --once 10s -o out.folded -- "$TEST_TMP/no-such-command"
expect_error 127 'flamed-no-such-command|not found|No such file' --once 10s -o out.folded -- flamed-no-such-command-xyz

note "not root: exit 1"
if command -v setpriv >/dev/null 2>&1; then
	# nobody must be able to reach the binary and a writable working directory
	chmod 755 "$TEST_TMP"
	mkdir -m 0755 "$TEST_TMP/bin"
	cp "$FLAMED" "$TEST_TMP/bin/flamed"
	chmod 755 "$TEST_TMP/bin/flamed"
	FLAMED_BIN=$TEST_TMP/bin/flamed
	RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	# a directory nobody may write to, so only privileges can be the problem
	mkdir -m 0777 "$TEST_TMP/nobody"
	chmod 777 "$TEST_TMP/nobody"
	expect_error 1 'root|CAP_BPF|CAP_PERFMON' --once 10s -o "$TEST_TMP/nobody/out.pb.gz"
	[ -z "$(ls -A "$TEST_TMP/nobody")" ] || fail "files left in $TEST_TMP/nobody"
	FLAMED_BIN=$FLAMED
	RUN_AS=()
else
	echo "note: setpriv missing; not-root case skipped"
fi

note "--help and --version: exit 0, stdout"
for opt in --help --version; do
	set +e
	"$FLAMED" $opt >"$TEST_TMP/opt.out" 2>"$TEST_TMP/opt.err"
	rc=$?
	set -e
	echo "flamed $opt -> exit $rc, $(wc -l <"$TEST_TMP/opt.out") stdout lines: $(head -n 1 "$TEST_TMP/opt.out")"
	if [ "$rc" != 0 ] || [ ! -s "$TEST_TMP/opt.out" ] || [ -s "$TEST_TMP/opt.err" ]; then
		echo "FAIL: flamed $opt: exit $rc, stdout/stderr:"
		cat "$TEST_TMP/opt.out" "$TEST_TMP/opt.err"
		FAILED=$((FAILED + 1))
	fi
done
grep -q -- '--once' <("$FLAMED" --help) || { echo "FAIL: --help does not mention --once"; FAILED=$((FAILED + 1)); }
grep -Eq '[0-9]+\.[0-9]+' <("$FLAMED" --version) || { echo "FAIL: --version prints no version"; FAILED=$((FAILED + 1)); }

[ "$FAILED" = 0 ] || fail "$FAILED error cases broke the contract"
echo PASS
