# SPDX-License-Identifier: MIT
"""Unit tests of bench/offcpu.py's readers of flamed's output. Run by
tests/unit/test_bench_helpers.sh (python3 -m unittest)."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import offcpu  # noqa: E402

SUMMARY = ("flamed: off-CPU: 1550708 waits seen (421.278 s), 7826 kept at threshold 114.12 ms "
           "(1.00 to 120.50; 425.276 s estimated, 425.276 s in the profile); stacks failed 0\n"
           "flamed: debug: metric offcpu_waits = 1550708\n"
           "flamed: debug: metric offcpu_ns_kept = 425276132952\n"
           "flamed: debug: start-up: on_switch_in's verifier 77.7 ms, 17218 instructions\n")


class TestReaders(unittest.TestCase):
    def test_metrics(self):
        self.assertEqual(offcpu.metrics(SUMMARY),
                         {"offcpu_waits": 1550708, "offcpu_ns_kept": 425276132952})

    def test_threshold(self):
        self.assertEqual(offcpu.threshold_ms(SUMMARY), (114.12, 120.5))
        self.assertIsNone(offcpu.threshold_ms("flamed: 12 samples\n"))

    def test_folded_total_of_one_comm(self):
        with tempfile.NamedTemporaryFile("w", suffix=".folded", delete=False) as f:
            f.write("pingpong;main;read_[k] 1000\npingpong;echo;read_[k] 250\n"
                    "cc1;main 7\npingpongx;main 5\n")
        try:
            self.assertEqual(offcpu.folded_total(f.name, "pingpong"), 1250)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
