# SPDX-License-Identifier: MIT
"""Unit tests of bench/benchlib.py: the parsers and statistics behind every number bench/run
prints. Run by tests/unit/test_bench_helpers.sh (python3 -m unittest)."""

import json
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


class TestSummary(unittest.TestCase):
    def test_odd_and_even(self):
        s = bl.summarize([3, 1, 2])
        self.assertEqual((s.median, s.min, s.max, s.n), (2, 1, 3, 3))
        s = bl.summarize([4, 1, 3, 2])
        self.assertEqual(s.median, 2.5)

    def test_none_values_skipped_and_empty_refused(self):
        self.assertEqual(bl.summarize([None, 5.0]).n, 1)
        with self.assertRaises(ValueError):
            bl.summarize([])

    def test_fmt(self):
        s = bl.summarize([1.0, 1.01, 1.1])
        self.assertEqual(s.fmt(3, unit="x"), "1.010x [1.000..1.100]")
        self.assertEqual(bl.summarize([2e6, 3e6, 4e6]).fmt(1, scale=1e-6, unit="M"),
                         "3.0M [2.0..4.0]")

    def test_ratio(self):
        self.assertAlmostEqual(bl.ratio(10.5, 10.0), 1.05)
        for bad in (0, -1, None):
            with self.assertRaises(ValueError):
                bl.ratio(1.0, bad)


class TestKv(unittest.TestCase):
    def test_parse(self):
        kv = bl.parse_kv("units 400\ncpu_s 0.167952\n\npath /usr/bin/node\n")
        self.assertEqual(kv, {"units": 400.0, "cpu_s": 0.167952, "path": "/usr/bin/node"})

    def test_bad_line(self):
        with self.assertRaises(ValueError):
            bl.parse_kv("units 400\ngarbage\n")


FOLDED = """\
burn_fp;[libc.so.6];main;run;leaf_mix 35
burn_fp;0x0;[ld-linux-x86-64.so.2] 1
burn_fp;[libc.so.6];main;run;work_unit;memcpy;asm_exc_page_fault_[k];do_page_fault_[k] 4
flamed;main;inlined_helper_[i];leaf 2
sh;[no user stack];schedule_[k] 3
"""


class TestFolded(unittest.TestCase):
    def test_parse(self):
        st = bl.parse_folded(FOLDED)
        self.assertEqual(len(st), 5)
        self.assertEqual(st[0], ("burn_fp", ["[libc.so.6]", "main", "run", "leaf_mix"], 35))
        self.assertEqual(st[4][2], 3)

    def test_frame_names_with_spaces(self):
        st = bl.parse_folded("a b;operator new(unsigned long);x y 7\n")
        self.assertEqual(st, [("a b", ["operator new(unsigned long)", "x y"], 7)])

    def test_bad_lines(self):
        for bad in ("burn;main\n", "burn;main x\n", "burn;main -3\n", " 5\n"):
            with self.assertRaises(ValueError, msg=bad):
                bl.parse_folded(bad)

    def test_user_frames(self):
        st = bl.parse_folded(FOLDED)
        self.assertEqual(bl.folded_user_frames(st[2][1]),
                         ["[libc.so.6]", "main", "run", "work_unit", "memcpy"])
        self.assertEqual(bl.folded_user_frames(st[3][1]), ["main", "leaf"])
        self.assertEqual(bl.folded_user_frames(st[4][1]), [])
        self.assertEqual(bl.folded_user_frames(["a", "jitted_[j]"]), ["a", "jitted"])

    def test_symbolized(self):
        self.assertTrue(bl.flamed_frame_symbolized("main"))
        self.assertTrue(bl.flamed_frame_symbolized("std::vector<int>::at[abi:cxx11]"))
        for f in ("0x7f00deadbeef", "0x0", "[libc.so.6]", "[unknown]", "liblzma.so.5+0x15b10"):
            self.assertFalse(bl.flamed_frame_symbolized(f), f)

    def test_quality(self):
        st = bl.parse_folded(FOLDED)
        q = bl.stack_quality(st, "burn_fp", bl.folded_user_frames, bl.flamed_frame_symbolized)
        self.assertEqual(q["samples"], 40)
        # 39 of 40 samples hold main
        self.assertAlmostEqual(q["root_pct"], 100.0 * 39 / 40)
        # frames: 35 * 4 (1 unsym) + 1 * 2 (2 unsym) + 4 * 5 (1 unsym) = 162, unsym 35 + 2 + 4
        self.assertAlmostEqual(q["symbolized_pct"], 100.0 * (162 - 41) / 162)
        self.assertAlmostEqual(q["frames_per_sample"], 162 / 40)
        self.assertAlmostEqual(q["other_comm_pct"], 100.0 * 5 / 45)
        q = bl.stack_quality(st, None, bl.folded_user_frames, bl.flamed_frame_symbolized)
        self.assertEqual(q["samples"], 45)
        self.assertEqual(q["other_comm_pct"], 0.0)
        with self.assertRaises(ValueError):
            bl.stack_quality(st, "nope", bl.folded_user_frames, bl.flamed_frame_symbolized)

    def test_roots(self):
        st = [("t", ["clone3", "start_thread", "worker", "leaf"], 1),
              ("t", ["0x1234", "worker", "leaf"], 1),
              ("t", ["main+0x1a", "leaf"], 1)]
        q = bl.stack_quality(st, "t", lambda f: f, bl.flamed_frame_symbolized)
        self.assertAlmostEqual(q["root_pct"], 200.0 / 3)

    def test_depths_and_other_comm(self):
        st = bl.parse_folded(FOLDED)
        self.assertEqual(sorted(set(bl.folded_depths(st, "burn_fp"))), [2, 4, 5])
        self.assertEqual(len(bl.folded_depths(st)), 45)
        self.assertAlmostEqual(bl.other_comm_pct(st, "flamed"), 100.0 * 43 / 45)
        self.assertEqual(bl.other_comm_pct([], "x"), 0.0)


STDERR = """\
libbpf: loading object
flamed: wrote x.folded (folded stacks)
flamed: 663 samples, 1 processes, 0 dropped (count map full 0)
flamed: stacks: 99.0% of frames symbolized; stack map full 0, kernel stack errors 0
flamed: debug: metric samples = 2008
flamed: debug: metric filtered = 1345
flamed: debug: metric counted = 663
flamed: debug: metric unknown = 0
flamed: debug: metric unknown = 0
"""


class TestFlamedStderr(unittest.TestCase):
    def test_parse(self):
        s = bl.parse_flamed_stderr(STDERR)
        self.assertEqual((s["samples"], s["processes"], s["dropped"]), (663, 1, 0))
        self.assertEqual(s["symbolized_pct"], 99.0)
        self.assertEqual(s["metrics"], {"samples": 2008, "filtered": 1345, "counted": 663})

    def test_missing_summary(self):
        with self.assertRaises(ValueError):
            bl.parse_flamed_stderr("flamed: error: failed to load BPF\n")


PERF = """\
burn_fp 22974 
\t            1682 leaf_mix (/tmp/b/burn_fp)
\t            17d9 work_unit (/tmp/b/burn_fp)
\t            135e main (/tmp/b/burn_fp)
\t           2724a __libc_start_call_main (/usr/lib/x86_64-linux-gnu/libc.so.6)

burn_fp 22974 
\tffffffff8168c2dd __account_obj_stock ([kernel.kallsyms])
\tffffffff81000130 entry_SYSCALL_64_after_hwframe ([kernel.kallsyms])
\t           3fbfb msort_with_tmp.part.0 (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t               0 [unknown] ([unknown])

perf-exec 22974 
\tffffffff8168c2dd __x64_sys_execve ([kernel.kallsyms])

my prog 7 
\t            1000 (anonymous namespace)::f(int) const (/x/my prog (deleted))
\t            2000 main (/x/my prog (deleted))
"""


class TestPerfScript(unittest.TestCase):
    def test_parse(self):
        st = bl.parse_perf_script(PERF)
        self.assertEqual([s[0] for s in st], ["burn_fp", "burn_fp", "perf-exec", "my prog"])
        self.assertEqual(st[0][1][0], ("__libc_start_call_main",
                                       "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x2724a))
        self.assertEqual(st[0][1][-1][0], "leaf_mix")
        self.assertEqual(st[3][1][1], ("(anonymous namespace)::f(int) const",
                                       "/x/my prog (deleted)", 0x1000))

    def test_user_frames_and_quality(self):
        st = bl.parse_perf_script(PERF)
        self.assertEqual(bl.perf_user_frames(st[1][1]), ["[unknown]", "msort_with_tmp.part.0"])
        q = bl.stack_quality(st, "burn_fp", bl.perf_user_frames, bl.perf_frame_symbolized)
        self.assertEqual(q["samples"], 2)
        self.assertEqual(q["root_pct"], 50.0)
        self.assertAlmostEqual(q["symbolized_pct"], 100.0 * 5 / 6)
        self.assertAlmostEqual(q["other_comm_pct"], 50.0)

    def test_no_trailing_blank_line(self):
        st = bl.parse_perf_script("a 1\n\t  10 f (/x)")
        self.assertEqual(st, [("a", [("f", "/x", 0x10)], 1)])

    def test_bad(self):
        for bad in ("\t 10 f (/x)\n", "a 1\n\tzz f (/x)\n", "a 1\n\t10 f\n", "noheader\n"):
            with self.assertRaises(ValueError, msg=bad):
                bl.parse_perf_script(bad)


FDINFO_PROG = """pos:\t0
flags:\t02000002
prog_type:\t7
prog_jited:\t1
prog_tag:\t39d239a08aefeeea
prog_id:\t229
run_time_ns:\t123456
run_cnt:\t100
"""
FDINFO_LINK = "pos:\t0\nlink_type:\tperf\nlink_id:\t122\nprog_tag:\t39d2\nprog_id:\t229\n"


class TestBpf(unittest.TestCase):
    def test_fdinfo(self):
        info = bl.parse_fdinfo(FDINFO_PROG)
        self.assertEqual(info["prog_tag"], "39d239a08aefeeea")
        self.assertEqual(bl.fdinfo_bpf_prog(info), (229, 123456, 100))
        self.assertIsNone(bl.fdinfo_bpf_prog(bl.parse_fdinfo(FDINFO_LINK)))
        self.assertIsNone(bl.fdinfo_bpf_prog(bl.parse_fdinfo("pos:\t0\n")))

    def test_bpftool(self):
        one = {"id": 229, "type": "perf_event", "name": "on_cpu_sample", "run_cnt": 5}
        self.assertEqual(bl.parse_bpftool_progs(json.dumps(one)), [one])
        self.assertEqual(len(bl.parse_bpftool_progs(json.dumps([one, one]))), 2)
        with self.assertRaises(ValueError):
            bl.parse_bpftool_progs("[1, 2]")
        with self.assertRaises(ValueError):
            bl.parse_bpftool_progs("not json")

    def test_ns(self):
        self.assertEqual(bl.ns_per_run(123456, 100), 1234.56)
        with self.assertRaises(ValueError):
            bl.ns_per_run(0, 0)
        # 60% of runs walk; early exits cost 300 ns; the average of 1500 means walks cost 2300
        self.assertAlmostEqual(bl.net_ns_per_walk(0.6 * 2300 + 0.4 * 300, 0.6, 300), 2300)
        self.assertAlmostEqual(bl.net_ns_per_walk(800, 1.0, 300), 800)
        for bad in (0, -0.1, 1.5):
            with self.assertRaises(ValueError):
                bl.net_ns_per_walk(800, bad, 300)


class TestProc(unittest.TestCase):
    def test_stat_with_odd_comm(self):
        line = ("1234 (a b) c)) R 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 "
                "100 1000 10 18446744073709551615\n")
        self.assertAlmostEqual(bl.parse_proc_stat_cpu(line, 100), 3.0)

    def test_stat_live(self):
        with open("/proc/self/stat") as f:
            v = bl.parse_proc_stat_cpu(f.read(), os.sysconf("SC_CLK_TCK"))
        self.assertGreaterEqual(v, 0.0)

    def test_stat_bad(self):
        for bad in ("", "1 (x) R 1 2\n"):
            with self.assertRaises(ValueError):
                bl.parse_proc_stat_cpu(bad, 100)

    def test_status(self):
        text = "Name:\tx\nVmHWM:\t   24164 kB\nVmRSS:\t    9000 kB\n"
        self.assertEqual(bl.parse_status_kb(text, "VmHWM"), 24164)
        with self.assertRaises(ValueError):
            bl.parse_status_kb(text, "VmSwap")


    def test_host_busy(self):
        text = ("cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 5 25 500 10 1 1 3 0 0\n"
                "intr 12345\n")
        # user + nice + system + irq + softirq; idle, iowait and steal left out
        self.assertEqual(bl.parse_host_busy_ticks(text), 160)
        with open("/proc/stat") as f:
            self.assertGreaterEqual(bl.parse_host_busy_ticks(f.read()), 0)
        for bad in ("", "cpu 1 2 3\n", "cpu0 1 2 3 4 5 6 7 8\n"):
            with self.assertRaises(ValueError):
                bl.parse_host_busy_ticks(bad)

    def test_schedstat(self):
        self.assertEqual(bl.parse_schedstat_ns("123456789 2000 17\n"), 123456789)
        with open("/proc/self/schedstat") as f:
            self.assertGreater(bl.parse_schedstat_ns(f.read()), 0)
        with self.assertRaises(ValueError):
            bl.parse_schedstat_ns("")

    def test_direct_cost(self):
        # 0.1 s agent + 0.02 s BPF over 40 busy CPU-s: 0.12 / 39.88
        self.assertAlmostEqual(bl.direct_cost_pct(0.1, 0.02, 40.0), 100 * 0.12 / 39.88)
        with self.assertRaises(ValueError):
            bl.direct_cost_pct(1.0, 0.5, 1.2)

    def test_agent_costs(self):
        text = ("flamed: window 1 (10.0s): ...; agent 34.0 ms CPU (drain 1.3 in 11, events 23.0, "
                "build 1.6 (names 0.3), encode 1.7)\n"
                "flamed: window 2 (1.2s): ...; agent 6.0 ms CPU (drain 0.2 in 2, events 3.0, "
                "build 0.4 (names 0.1), encode 1.3)\n")
        c = bl.parse_agent_costs(text)
        self.assertAlmostEqual(c["total"], 0.040)
        self.assertAlmostEqual(c["events"], 0.026)
        self.assertEqual(c["drains"], 13)
        self.assertIsNone(bl.parse_agent_costs("flamed: window 1 (10.0s): 375 samples\n"))

def make_elf(sections):
    """A minimal ELF64 LE header + section header table: sections = [(sh_type, size, entsize)]."""
    shentsize, shnum = 64, len(sections)
    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", head, 0x28, 64)
    struct.pack_into("<HH", head, 0x3A, shentsize, shnum)
    sh = bytearray(shentsize * shnum)
    for i, (t, size, ent) in enumerate(sections):
        struct.pack_into("<I", sh, i * shentsize + 4, t)
        struct.pack_into("<Q", sh, i * shentsize + 32, size)
        struct.pack_into("<Q", sh, i * shentsize + 56, ent)
    return bytes(head), bytes(sh)


class TestElf(unittest.TestCase):
    def test_counts_symtab_and_dynsym(self):
        head, sh = make_elf([(0, 0, 0), (1, 4096, 0), (2, 24 * 1000, 24), (11, 24 * 50, 24)])
        self.assertEqual(bl.elf_section_table_location(head), (64, 256))
        self.assertEqual(bl.elf_symbol_entries(head, sh), 1050)

    def test_not_elf(self):
        head, sh = make_elf([(2, 240, 24)])
        self.assertIsNone(bl.elf_symbol_entries(b"\x7fELG" + head[4:], sh))
        self.assertIsNone(bl.elf_symbol_entries(head[:4] + b"\x01" + head[5:], sh))  # 32-bit
        self.assertIsNone(bl.elf_symbol_entries(head, sh[:10]))  # short table
        self.assertIsNone(bl.elf_section_table_location(b"short"))

    def test_large_elf_files(self):
        # only regular ELF files of the size asked for; symlinks and other files are skipped
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "sub"))
            elf = os.path.join(d, "sub", "big.so")
            for path, data in ((elf, b"\x7fELF" + b"\0" * 2000), (os.path.join(d, "small"),
                               b"\x7fELF" + b"\0" * 10), (os.path.join(d, "text"), b"x" * 2000)):
                with open(path, "wb") as f:
                    f.write(data)
            os.symlink(elf, os.path.join(d, "link"))
            found = list(bl.large_elf_files([d], min_bytes=1000))
        self.assertEqual([(p, st.st_size, head[:4]) for p, st, head in found],
                         [(elf, 2004, b"\x7fELF")])

    def test_real_file(self):
        # the running python is an ELF file with a .dynsym
        with open(os.path.realpath(sys.executable), "rb") as f:
            head = f.read(64)
            off, length = bl.elf_section_table_location(head)
            f.seek(off)
            n = bl.elf_symbol_entries(head, f.read(length))
        self.assertGreater(n, 10)


class TestTable(unittest.TestCase):
    def test_table(self):
        t = bl.markdown_table(["a", "b"], [[1, "x"], ["2", ""]])
        self.assertEqual(t, "| a | b |\n|---|---|\n| 1 | x |\n| 2 |  |")
        with self.assertRaises(ValueError):
            bl.markdown_table(["a", "b"], [[1]])


if __name__ == "__main__":
    unittest.main()
