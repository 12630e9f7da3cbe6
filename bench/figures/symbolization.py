# SPDX-License-Identifier: MIT
"""Figure 5, symbolization: ELF symbol lookups per second cold and warm, and memory
(flamed_symbench on the file with the most symbols).
How it is measured: bench/RESULTS.md."""

import os

import benchcore as core
import benchlib as bl


def find_binaries(bench):
    """(most symbol table entries, largest ELF file) among ELF files >= 8 MB under /usr and
    /opt, each as (path, entries, size); the first is None when no file has 1000 entries."""
    best_syms = largest = None
    for path, st, head in bl.large_elf_files(("/usr", "/opt")):
        loc = bl.elf_section_table_location(head)
        if not loc or loc[1] > (16 << 20):
            continue
        try:
            with open(path, "rb") as f:
                f.seek(loc[0])
                n = bl.elf_symbol_entries(head, f.read(loc[1]))
        except (OSError, ValueError, OverflowError):
            continue
        if n is None:
            continue
        if not largest or st.st_size > largest[2]:
            largest = (path, n, st.st_size)
        if n >= 1000 and (not best_syms or n > best_syms[1]):
            best_syms = (path, n, st.st_size)
    return best_syms, largest


def run(bench):
    runs = bench.p["runs"]
    note = ""
    if bench.args.sym_binary:
        st = os.stat(bench.args.sym_binary)
        targets = [("given", (bench.args.sym_binary, None, st.st_size))]
    else:
        most, largest = find_binaries(bench)
        if not most:
            raise core.RunError("no ELF file with >= 1000 symbols under /usr or /opt")
        targets = [("most symbols on the machine", most)]
        if largest and largest[0] != most[0]:
            # the largest file is often stripped (a few .dynsym entries): say so, bench the
            # one with the most symbols, which is what costs a symbolizer
            note = ("; the largest ELF file, `%s` (%.0f MB), has only %d symbol table "
                    "entries, so the file with the most symbols is used"
                    % (largest[0], largest[2] / 1048576.0, largest[1]))
    rows, raw = [], {}
    for why, (path, _, size) in targets:
        vals = {k: [] for k in ("open_s", "cold_addr_per_s", "warm_addr_per_s", "rss_mb",
                                "mem_mb", "hit_pct")}
        syms = None
        for r in range(runs):
            argv = [bench.args.symbench, path, "-n", str(bench.p["fig5_cold"]), "-w",
                    str(bench.p["fig5_warm"]), "-s", str(r + 1)]
            res = bench.check(bench.run_proc(argv, name="fig5"), "flamed_symbench")
            kv = bl.parse_kv(res.out)
            syms = int(kv["symbols"])
            vals["open_s"].append(kv["open_s"])
            vals["cold_addr_per_s"].append(kv["cold_addr_per_s"])
            vals["warm_addr_per_s"].append(kv["warm_addr_per_s"])
            vals["rss_mb"].append((kv["rss_after_kb"] - kv["rss_before_kb"]) / 1024.0)
            vals["mem_mb"].append(kv["mem_bytes"] / 1048576.0)
            vals["hit_pct"].append(kv["hit_pct"])
        s = {k: bl.summarize(v) for k, v in vals.items()}
        rows.append(["%s: `%s` (%.0f MB, %d symbols kept)" % (why, path, size / 1048576.0,
                                                               syms),
                     s["open_s"].fmt(3), s["cold_addr_per_s"].fmt(0, scale=1e-3, unit="k"),
                     s["warm_addr_per_s"].fmt(2, scale=1e-6, unit="M"), s["rss_mb"].fmt(1),
                     s["mem_mb"].fmt(1), s["hit_pct"].fmt(1, unit="%")])
        raw[path] = {k: v.as_dict() for k, v in s.items()}
    bench.results["fig5"] = raw
    title = ("5. Symbolization with elf_syms (bench/symbench.c): cold = open + parse + first "
             "%d lookups, warm = %d more lookups, uniform over the executable segments; "
             "page cache not dropped; %d runs%s" % (bench.p["fig5_cold"], bench.p["fig5_warm"],
                                                    runs, note))
    table = bl.markdown_table(["binary", "open+parse s", "cold addr/s", "warm addr/s",
                               "RSS growth MB", "elf_syms MB", "lookups hitting a symbol"],
                              rows)
    return title, table
