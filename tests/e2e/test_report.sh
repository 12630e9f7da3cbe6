#!/bin/bash
# SPDX-License-Identifier: MIT
# `flamed report` on a CPU profile written by Go's runtime/pprof: every output format names the Go
# functions, the filters (--focus, --comm, --pid; labels come from pprof.Do) change totals exactly
# as the unfiltered folded stacks predict, a filtered .pb.gz is read back by flamed and by
# `go tool pprof`, --diff compares Go's profile with one flamed wrote (two-count folded stacks,
# a differential SVG, filters applied to both), and bad input fails with a one-line error and
# exit code 1 or 2.
set -u

FLAMED=${FLAMED:?FLAMED must point at the flamed binary}
if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: go not installed (apt-get install golang-go)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0

ok() { checks=$((checks + 1)); echo "ok: $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# Sum of the counts of folded lines (optionally only lines matching an ERE).
folded_total() { awk -v re="${2:-}" 're == "" || $0 ~ re { n += $NF } END { print n + 0 }' "$1"; }
svg_total() { sed -n 's/.*<g id="frames" data-total="\([0-9]*\)".*/\1/p' "$1"; }

# --- a Go program that burns CPU in named functions under pprof labels ---
mkdir -p "$tmp/burn" "$tmp/home" "$tmp/gopath" "$tmp/gocache"
cat >"$tmp/burn/main.go" <<'EOF'
package main

import (
	"context"
	"os"
	"runtime/pprof"
	"syscall"
	"time"
)

var sink int

//go:noinline
func burnAlpha(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i % 7
	}
	return s
}

//go:noinline
func burnBeta(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i ^ (i >> 3)
	}
	return s
}

// the process's CPU time so far: the burn runs until it has enough samples, however busy the
// host (a wall-clock budget gave a handful of samples on a loaded machine)
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	end := time.Now().Add(60 * time.Second)
	for cpuTime() < 800*time.Millisecond && time.Now().Before(end) {
		pprof.Do(context.Background(), pprof.Labels("comm", "alpha", "pid", "100"),
			func(context.Context) { sink += burnAlpha(4000000) })
		pprof.Do(context.Background(), pprof.Labels("comm", "beta", "pid", "200"),
			func(context.Context) { sink += burnBeta(2000000) })
	}
	pprof.StopCPUProfile()
	f.Close()
}
EOF
export HOME="$tmp/home" GOPATH="$tmp/gopath" GOCACHE="$tmp/gocache" GO111MODULE=off GOFLAGS=
if ! (cd "$tmp/burn" && go build -o burn main.go) >"$tmp/go-build.log" 2>&1; then
	cat "$tmp/go-build.log"
	echo "FAIL: go build"
	exit 1
fi
"$tmp/burn/burn" "$tmp/cpu.pprof" || { echo "FAIL: go program"; exit 1; }

cd "$tmp"

# --- every format names the Go functions ---
if "$FLAMED" report cpu.pprof -o out.svg -o out.folded -o out.txt 2>report.err; then
	ok "report of a Go CPU profile exits 0"
else
	fail "report of a Go CPU profile: $(cat report.err)"
fi
for f in out.svg out.folded out.txt; do
	for fn in main.burnAlpha main.burnBeta; do
		check "$f names $fn" grep -q "$fn" "$f"
	done
done
if command -v xmllint >/dev/null 2>&1; then
	check "out.svg is well-formed XML" xmllint --noout out.svg
fi
total=$(folded_total out.folded)
check "profile has samples ($total)" test "$total" -gt 20
check "SVG total ($(svg_total out.svg)) equals the folded total ($total)" \
	test "$(svg_total out.svg)" = "$total"
check "SVG root frame shows the total" grep -q "<title>all ($total samples, 100.00%)</title>" out.svg
check "SVG title names the input" grep -q "<text id=\"title\"[^>]*>cpu.pprof" out.svg
check "top table lists burnAlpha with flat time" \
	awk '$NF == "main.burnAlpha" && $1 > 0 { found = 1 } END { exit !found }' out.txt
check "top table header" grep -q "flat%" out.txt

# --- --focus keeps exactly the stacks through a matching frame ---
expect=$(folded_total out.folded 'main\.burnBeta')
"$FLAMED" report cpu.pprof --focus 'burnB.t[a]' -o focus.folded -o focus.pb.gz -o focus.svg \
	2>focus.err || fail "--focus run: $(cat focus.err)"
check "--focus total $(folded_total focus.folded) = burnBeta stacks $expect" \
	test "$(folded_total focus.folded)" = "$expect"
check "--focus total is a strict part ($expect < $total)" test "$expect" -lt "$total" -a "$expect" -gt 0
check "--focus output has no burnAlpha" bash -c '! grep -q burnAlpha focus.folded'
check "--focus SVG total" test "$(svg_total focus.svg)" = "$expect"
# the filtered pprof reads back with the same stacks
"$FLAMED" report focus.pb.gz -o again.folded 2>again.err || fail "re-read: $(cat again.err)"
check "filtered .pb.gz reads back to the same folded stacks" cmp -s focus.folded again.folded
if go tool pprof -raw -symbolize=none focus.pb.gz >pprof-raw.txt 2>&1; then
	ok "go tool pprof accepts the filtered .pb.gz"
	check "go tool pprof sees burnBeta" grep -q main.burnBeta pprof-raw.txt
else
	fail "go tool pprof rejects the filtered .pb.gz: $(head -3 pprof-raw.txt)"
fi

# --- label filters: pprof.Do labels comm/pid ---
alpha=$(folded_total out.folded '^alpha;')
beta=$(folded_total out.folded '^beta;')
check "labelled stacks present (alpha $alpha, beta $beta)" test "$alpha" -gt 0 -a "$beta" -gt 0
"$FLAMED" report cpu.pprof --comm alpha -o comm.folded 2>/dev/null
check "--comm alpha total = alpha stacks" test "$(folded_total comm.folded)" = "$alpha"
"$FLAMED" report cpu.pprof --pid 200 -o pid.folded 2>/dev/null
check "--pid 200 total = beta stacks" test "$(folded_total pid.folded)" = "$beta"
"$FLAMED" report cpu.pprof --pid 100 --pid 200 -o pids.folded 2>/dev/null
check "--pid 100 --pid 200 = either" test "$(folded_total pids.folded)" = "$((alpha + beta))"
"$FLAMED" report cpu.pprof --comm alpha --comm beta --focus burnAlpha -o both.folded 2>/dev/null
check "--comm and --focus together" test "$(folded_total both.folded)" = \
	"$(folded_total out.folded '^alpha;.*main\.burnAlpha')"
if "$FLAMED" report cpu.pprof --comm alpha --pid 200 -o none.folded -o none.svg 2>none.err; then
	ok "filters matching nothing still exit 0"
else
	fail "filters matching nothing: $(cat none.err)"
fi
check "empty result: empty folded" test "$(folded_total none.folded)" = 0
check "empty result: warning on stderr" grep -q "^flamed: warning: " none.err

# --- --diff: Go's profile as the base, flamed's filtered one (burnBeta only) as the new ---
if "$FLAMED" report cpu.pprof focus.pb.gz --diff -o diff.folded -o diff.svg 2>diff.err; then
	ok "--diff of Go's pprof and flamed's exits 0"
else
	fail "--diff run: $(cat diff.err)"
fi
col_total() { awk -v c="$2" '{ n += $(NF - c) } END { print n + 0 }' "$1"; }
check "--diff folded: base column sums to the base total ($total)" \
	test "$(col_total diff.folded 1)" = "$total"
check "--diff folded: new column sums to the new total ($expect)" \
	test "$(col_total diff.folded 0)" = "$expect"
# every line: STACK BASE NEW, with BASE and NEW what the one-profile reports say
awk 'NR == FNR { base[$1] = $2; next } FILENAME == "focus.folded" { new[$1] = $2; next }
	{ if ($2 != base[$1] + 0 || $3 != new[$1] + 0) bad++ } END { exit bad > 0 }' \
	out.folded focus.folded diff.folded
check "--diff folded: each stack's counts match the single reports" test $? = 0
if command -v xmllint >/dev/null 2>&1; then
	check "diff.svg is well-formed XML" xmllint --noout diff.svg
fi
check "diff.svg widths from the new profile" test "$(svg_total diff.svg)" = "$expect"
check "diff.svg has a legend" grep -q '<g id="legend">' diff.svg
# burnBeta's share grew (to 100%): red
check "diff.svg colours burnBeta red" \
	grep -q '<title>main.burnBeta ([0-9]* samples, 100.00%; base [0-9]* samples, [0-9.]*%; +[0-9.]* points)</title><rect [^>]*fill="rgb(255,' diff.svg
check "diff.svg default title names both inputs" \
	grep -q "cpu.pprof $(printf '\xe2\x86\x92') focus.pb.gz" diff.svg
# the filters apply to both inputs: the same profile twice is the same stacks twice
"$FLAMED" report cpu.pprof cpu.pprof --diff --comm alpha -o same.folded 2>/dev/null
check "--diff --comm: both columns filtered, equal, alpha's total" \
	awk -v want="$alpha" '$(NF - 1) != $NF { bad++ } { n += $NF } END { exit bad || n != want }' \
	same.folded

# --- --sample-index ---
"$FLAMED" report cpu.pprof --sample-index cpu -o cpu.svg -o cpu.txt 2>/dev/null
check "--sample-index cpu draws nanoseconds" grep -q ' nanoseconds, 100.00%)</title>' cpu.svg
check "--sample-index cpu: top table in time units" grep -q 'Type: cpu' cpu.txt

# --- errors: one line on stderr, exit 1 (input) or 2 (usage) ---
expect_error() { # expect_error CODE DESCRIPTION ARGS...
	local code=$1 what=$2 rc lines
	shift 2
	"$FLAMED" report "$@" >/dev/null 2>err.txt
	rc=$?
	lines=$(wc -l <err.txt)
	if [ "$rc" = "$code" ] && [ "$lines" = 1 ] && grep -q '^flamed: ' err.txt; then
		ok "$what: exit $rc, '$(cat err.txt)'"
	else
		fail "$what: exit $rc (want $code), $lines stderr lines: $(cat err.txt)"
	fi
}
head -c 3000 /dev/urandom >garbage.pprof
printf 'not a profile\n' >text.pprof
expect_error 1 "garbage input" garbage.pprof -o x.svg
expect_error 1 "text input" text.pprof -o x.svg
expect_error 1 "missing input" does-not-exist.pprof -o x.svg
expect_error 1 "unwritable output" cpu.pprof -o /nonexistent-dir/x.svg
expect_error 2 "unknown output extension" cpu.pprof -o out.xyz
expect_error 2 "no output" cpu.pprof
expect_error 2 "no input" -o x.svg
expect_error 2 "two inputs" cpu.pprof cpu.pprof -o x.svg
expect_error 2 "--diff with one input" cpu.pprof --diff -o x.svg
expect_error 2 "--diff with three inputs" cpu.pprof cpu.pprof cpu.pprof --diff -o x.svg
expect_error 2 "--diff to a top table" cpu.pprof cpu.pprof --diff -o x.txt
expect_error 1 "--diff with a bad base" garbage.pprof cpu.pprof --diff -o x.svg
expect_error 2 "bad regex" cpu.pprof --focus '(' -o x.svg
expect_error 2 "bad pid" cpu.pprof --pid abc -o x.svg
expect_error 2 "unknown option" cpu.pprof --bogus -o x.svg
expect_error 2 "unknown sample index" cpu.pprof --sample-index bogus -o x.svg
check "failed runs leave no output behind" test ! -e x.svg
check "--help exits 0" bash -c "\"\$FLAMED\" report --help >/dev/null"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ]
