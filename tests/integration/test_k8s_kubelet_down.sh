#!/bin/bash
# SPDX-License-Identifier: MIT
# The kubelet down at start and back later: the daemon profiles all along (its windows keep
# coming, the pod's process without pod labels), warns once, and labels the pod's samples from
# the first list once the kubelet answers; when the kubelet goes away again the labels stay (the
# pods last listed), with no second warning within the minute. With --k8s-namespace, a kubelet
# that stops answering leaves the last known targets in place: the chosen pod is still sampled,
# the other still not.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
# shellcheck source=k8s_lib.sh
source "$(dirname "$0")/k8s_lib.sh"

add_pod shop cart-1 cart app=cart
burn_in "$POD_CG" cartd 120
add_pod batch report-1 report app=report
burn_in "$POD_CG" reportd 120
port=$(free_port)
KUBELET_URL="https://127.0.0.1:$port"

# windows DIR FROM TO COMM WANT: in every window of DIR starting in [FROM, TO), COMM's samples
# carry pod label WANT (None: none), or with WANT absent there are none
windows()
{
	"$PY" - "$INTEGRATION_DIR" "$@" <<'PYEOF'
import calendar, os, sys, time
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
d, lo, hi, comm, what = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
want = None if what == "None" else what  # the pod label expected, None: no pod label
n = total = 0
for name in sorted(f for f in os.listdir(d) if f.endswith(".pb.gz")):
    stamp = name.rsplit("_", 1)[1][:-len("Z.pb.gz")]
    start = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H-%M-%S"))
    if not lo <= start < hi:
        continue
    samples = [s for s in fc.load(os.path.join(d, name), fc.Failures()) if s.comm == comm]
    got = sum(s.count for s in samples)
    pods = {s.labels.get("pod") for s in samples}
    print("  window %s: %d samples of %s, pods %s" % (stamp, got, comm, pods))
    n += 1
    total += got
    if what == "absent" and got:
        sys.exit("FAIL: %s sampled in %s" % (comm, stamp))
    if what != "absent" and pods != ({want} if got else set()):
        sys.exit("FAIL: %s in %s has pods %s, want %s" % (comm, stamp, pods, want))
if not n:
    sys.exit("FAIL: no window in that time")
if what != "absent" and not total:
    sys.exit("FAIL: no samples of %s" % comm)
PYEOF
}

cd "$TEST_TMP"
mkdir "$TEST_TMP/w1"
# shellcheck disable=SC2046
bg_start "$TEST_TMP/d1.err" "$FLAMED" --output-dir "$TEST_TMP/w1" --interval 1s -F 99 \
	$(kubelet_flags) --kubelet-interval 2s
D1=$BG_PID
wait_for_line "$TEST_TMP/d1.err" "window 4 " 30
# the thread that talks to the kubelet runs with no capability (they are per thread)
for t in /proc/"$D1"/task/*; do
	[ "$(cat "$t/comm")" = flamed-kubelet ] || continue
	kcap=$(awk '/^CapEff:/ {print $2}' "$t/status")
	mcap=$(awk '/^CapEff:/ {print $2}' /proc/"$D1"/status)
	echo "capabilities: kubelet thread $kcap, main thread $mcap"
	[ "$kcap" = 0000000000000000 ] || fail "the kubelet thread has capabilities $kcap"
done
grep -q flamed-kubelet /proc/"$D1"/task/*/comm || fail "no flamed-kubelet thread"
t_up=$(date +%s)
start_kubelet "$port"
wait_for_line "$TEST_TMP/d1.err" "answering again" 10
t_listed=$(date +%s)
sleep 4
t_down=$(date +%s)
stop_kubelet
sleep 5
kill -0 "$D1" || fail "the daemon stopped: $(cat "$TEST_TMP/d1.err")"
kill -TERM "$D1"
wait "$D1" || fail "the daemon exited $?"
grep -E "kubelet|warning" "$TEST_TMP/d1.err" | sed 's/^/  | /'
[ "$(grep -c "warning: kubelet" "$TEST_TMP/d1.err")" = 1 ] ||
	fail "want one kubelet warning (the second failure is within the minute)"
grep -q "warning: kubelet $KUBELET_URL: no answer" "$TEST_TMP/d1.err" || fail "no 'no answer' warning"
note "down: sampled without pod labels"
# labels are applied when a window is built: a window that ended after the first list has them
windows "$TEST_TMP/w1" 0 $((t_up - 2)) cartd None || fail "windows before the kubelet"
note "up: labelled"
windows "$TEST_TMP/w1" $((t_listed + 1)) "$t_down" cartd cart-1 || fail "windows with the kubelet"
note "down again: the pods last listed still label"
windows "$TEST_TMP/w1" $((t_down + 1)) 9999999999 cartd cart-1 || fail "windows after the kubelet"

note "targets stay when the kubelet stops answering"
start_kubelet "$port"
mkdir "$TEST_TMP/w2"
# shellcheck disable=SC2046
bg_start "$TEST_TMP/d2.err" "$FLAMED" --output-dir "$TEST_TMP/w2" --interval 1s -F 99 \
	$(kubelet_flags) --kubelet-interval 2s --k8s-namespace shop
D2=$BG_PID
wait_for_line "$TEST_TMP/d2.err" "pods listed" 30
wait_for_line "$TEST_TMP/d2.err" "window 2 " 30
t_down=$(date +%s)
stop_kubelet
sleep 6
kill -TERM "$D2"
wait "$D2" || fail "the daemon exited $?"
grep -E "kubelet|warning" "$TEST_TMP/d2.err" | sed 's/^/  | /'
windows "$TEST_TMP/w2" $((t_down + 2)) 9999999999 cartd cart-1 || fail "cart's pod no longer sampled"
windows "$TEST_TMP/w2" 0 9999999999 reportd absent || fail "report's pod sampled"
echo PASS
