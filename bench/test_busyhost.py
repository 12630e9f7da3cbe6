# SPDX-License-Identifier: MIT
"""Unit tests of bench/busyhost.py's parsers (figure 11): the daemon's window lines, the names
summary line, the percentile. Run by tests/unit/test_bench_helpers.sh."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import busyhost as bh  # noqa: E402

WINDOW = ("flamed: window 12 (10.0s): 3790 samples, 41 processes, 1 series; dropped 0 (count "
          "map full), stack map full 0, lost process events 0; file sent 11, queued 0; agent "
          "9.6 ms CPU (drain 1.3 in 10, events 2.1, build 3.0 (names 0.4), encode 2.9)\n")
NAMES = ("flamed: names: 1550 looked up, 535 from the names cache (1015 entries, 0.2 MiB, peak "
         "0.2 MiB, 0 evicted, 3 unused expired); symbol files: 16 parsed, 24 parses (ELF 16, DWARF 5 (libdw "
         "opened 5 times), .eh_frame 3), most parses of one file 2, files parsed more than 3 "
         "times 0, replaced in place 0; tables 3.1 MiB now, 3.1 MiB at peak, budget 24 MiB, "
         "0 evicted, 2 unused expired\n")


class TestParsers(unittest.TestCase):
    def test_windows(self):
        w = bh.parse_windows("noise\n" + WINDOW + WINDOW.replace("window 12", "window 13"))
        self.assertEqual([x["window"] for x in w], [12, 13])
        self.assertEqual((w[0]["agent"], w[0]["names"], w[0]["events"]), (9.6, 0.4, 2.1))

    def test_counters(self):
        c = bh.parse_counters(NAMES)
        self.assertEqual((c["names_lookups"], c["names_hits"], c["names_entries"]),
                         (1550, 535, 1015))
        self.assertEqual((c["names_evicted"], c["names_expired"]), (0, 3))
        self.assertEqual((c["tables_mb"], c["tables_evicted"], c["tables_expired"]), (3.1, 0, 2))
        self.assertEqual(c["files_parsed"], 16)
        self.assertEqual(c["parses"], 24)
        self.assertEqual(c["max_parses"], 2)
        self.assertEqual(c["files_reparsed"], 0)
        self.assertEqual(bh.parse_counters("an older flamed\n"), {})

    def test_percentile(self):
        self.assertEqual(bh.percentile([5, 1, 3, 2, 4], 50), 3)
        self.assertEqual(bh.percentile(list(range(1, 101)), 95), 95)
        self.assertEqual(bh.percentile([7], 95), 7)
        with self.assertRaises(ValueError):
            bh.percentile([], 95)


if __name__ == "__main__":
    unittest.main()
