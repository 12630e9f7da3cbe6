#!/bin/bash
# SPDX-License-Identifier: MIT
# Profiling only chosen pods, filtered in the kernel by cgroup: --k8s-namespace shop samples the
# processes of shop's pods and no other (another namespace's pod, a host process: left out in
# the kernel, counted in the summary); --k8s-selector app=report only the pod with that label.
# A pod created while the daemon runs is profiled from the first re-list after it (the windows
# of --output-dir say when its samples start), and every window after.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
# shellcheck source=k8s_lib.sh
source "$(dirname "$0")/k8s_lib.sh"

add_pod shop cart-1 cart app=cart
burn_in "$POD_CG" cartd 90
add_pod batch report-1 report app=report
burn_in "$POD_CG" reportd 90
burn_in "" hostd 90
start_kubelet

cd "$TEST_TMP"
# shellcheck disable=SC2046
run_flamed ns --once 4s -F 199 $(kubelet_flags) --k8s-namespace shop -o "$TEST_TMP/ns.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
labels "$TEST_TMP/ns.pb.gz" cartd --want namespace=shop --want pod=cart-1
labels "$TEST_TMP/ns.pb.gz" reportd --absent
labels "$TEST_TMP/ns.pb.gz" hostd --absent
left=$(stats ns run.kubernetes.samples_left_out_in_kernel)
echo "left out in the kernel: $left"
[ -n "$left" ] && [ "$left" -gt 100 ] || fail "reportd's and hostd's samples were not filtered in the kernel"

# shellcheck disable=SC2046
run_flamed sel --once 3s -F 199 $(kubelet_flags) --k8s-selector app=report \
	-o "$TEST_TMP/sel.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
labels "$TEST_TMP/sel.pb.gz" reportd --want namespace=batch --want pod=report-1
labels "$TEST_TMP/sel.pb.gz" cartd --absent
labels "$TEST_TMP/sel.pb.gz" hostd --absent

note "a pod created while the daemon runs: profiled from the next re-list (every 3 s)"
mkdir "$TEST_TMP/windows"
# shellcheck disable=SC2046
bg_start "$TEST_TMP/daemon.err" "$FLAMED" --output-dir "$TEST_TMP/windows" --interval 1s \
	-F 99 $(kubelet_flags) --kubelet-interval 3s --k8s-namespace shop
DAEMON=$BG_PID
wait_for_line "$TEST_TMP/daemon.err" "window 2 " 30
add_pod shop search-1 search app=search
burn_in "$POD_CG" searchd 60
created=$(date +%s.%N)
sleep 9
kill -TERM "$DAEMON"
wait "$DAEMON" || fail "the daemon exited $?: $(cat "$TEST_TMP/daemon.err")"
grep -E "window|kubelet|targets|warning" "$TEST_TMP/daemon.err" | sed 's/^/  | /'
"$PY" - "$INTEGRATION_DIR" "$TEST_TMP/windows" "$created" 3 <<'PYEOF' || fail "the new pod was not picked up in time"
import calendar, os, sys, time
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
d, created, relist = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
first = None
bad = []
windows = sorted(f for f in os.listdir(d) if f.endswith(".pb.gz"))
for name in windows:
    stamp = name.rsplit("_", 1)[1][:-len("Z.pb.gz")]
    start = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H-%M-%S"))
    samples = fc.load(os.path.join(d, name), fc.Failures())
    by = {}
    for s in samples:
        by[s.comm] = by.get(s.comm, 0) + s.count
    print("  window %s: %s" % (stamp, by))
    if by.get("reportd") or by.get("hostd"):
        bad.append(name)
    if by.get("searchd") and first is None:
        first = start
        if any(s.labels.get("pod") != "search-1" for s in samples if s.comm == "searchd"):
            bad.append(name + " (searchd without its pod label)")
    elif first is not None and start < created + 8 and not by.get("searchd"):
        bad.append(name + " (no searchd after it was picked up)")
if bad:
    print("FAIL: other pods or unlabelled samples in", bad)
    sys.exit(1)
if first is None:
    print("FAIL: searchd never sampled")
    sys.exit(1)
# a window names its start to the second: the first with searchd began at most one re-list
# (and the second the window lasts, and one for the cgroup found late) after the pod appeared
print("pod created at %.1f, first window with it starts at %d: %.1f s later" %
      (created, first, first - created))
sys.exit(0 if first - created <= relist + 2 else 1)
PYEOF
echo PASS
