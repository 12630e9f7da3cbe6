# SPDX-License-Identifier: MIT
"""Figure 12, Kubernetes: BPF ns per sample the cgroup filter leaves out against figure 3's
floor, and the daemon's CPU and memory with a kubelet listing 500 pods. The measurement is
bench/k8sbench.py's; how it is measured: bench/RESULTS.md."""

import k8sbench


def run(bench):
    return k8sbench.fig12(bench)
