# SPDX-License-Identifier: MIT
"""Figure 8, DWARF frames: file:line and inline frames per second cold, warm and cached against
symtab lookups, and memory (symbench -d).
How it is measured: bench/RESULTS.md."""

import os
import subprocess

import benchcore as core
import benchlib as bl


def find_dwarf_binaries(bench):
    """ELF files >= 8 MB under /usr, /opt and pyenv's Pythons with a .debug_info section, as
    (path, .debug_info bytes, file size), largest .debug_info first."""
    found = []
    for path, st, _ in bl.large_elf_files(("/usr", "/opt", "/root/.pyenv/versions")):
        out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
        for line in out.splitlines():
            cols = line.replace("[ ", "[").split()
            if len(cols) > 5 and cols[1] == ".debug_info":
                found.append((path, int(cols[5], 16), st.st_size))
    return sorted(found, key=lambda t: -t[1])


def run(bench):
    runs = bench.p["runs"]
    if bench.args.dwarf_binary:
        st = os.stat(bench.args.dwarf_binary)
        targets = [("given", bench.args.dwarf_binary, 0, st.st_size)]
    else:
        found = find_dwarf_binaries(bench)
        if not found:
            raise core.RunError("no ELF file >= 8 MB with DWARF under /usr, /opt, pyenv")
        targets = [("most DWARF", *found[0])]
        biggest = max(found, key=lambda t: t[2])
        if biggest[0] != found[0][0]:
            targets.append(("largest file with DWARF", *biggest))
    rows, raw = [], {}
    for why, path, dinfo, size in targets:
        keys = ("cold_addr_per_s", "warm_addr_per_s", "dwarf_open_s", "dwarf_cold_addr_per_s",
                "dwarf_warm_addr_per_s", "dwarf_cached_addr_per_s", "dwarf_line_pct",
                "dwarf_inline_pct", "dwarf_bytes", "dwarf_anon_kb", "dwarf_rss_kb", "hwm_kb")
        vals = {k: [] for k in keys + ("cold_ratio", "warm_ratio")}
        for r in range(runs):
            argv = [bench.args.symbench, path, "-d", "-n", str(bench.p["fig8_cold"]), "-w",
                    str(bench.p["fig8_warm"]), "-s", str(r + 1)]
            res = bench.check(bench.run_proc(argv, name="fig8"), "flamed_symbench -d")
            kv = bl.parse_kv(res.out)
            for k in keys:
                vals[k].append(kv[k])
            vals["cold_ratio"].append(kv["cold_addr_per_s"] / kv["dwarf_cold_addr_per_s"])
            vals["warm_ratio"].append(kv["warm_addr_per_s"] / kv["dwarf_warm_addr_per_s"])
        s = {k: bl.summarize(v) for k, v in vals.items()}
        rows.append(["%s: `%s` (%.0f MB, .debug_info %.1f MB)"
                     % (why, path, size / 1048576.0, dinfo / 1048576.0),
                     s["dwarf_open_s"].fmt(3),
                     s["dwarf_cold_addr_per_s"].fmt(0, scale=1e-3, unit="k"),
                     s["dwarf_warm_addr_per_s"].fmt(1, scale=1e-3, unit="k"),
                     s["dwarf_cached_addr_per_s"].fmt(2, scale=1e-6, unit="M"),
                     s["cold_addr_per_s"].fmt(0, scale=1e-3, unit="k"),
                     s["warm_addr_per_s"].fmt(2, scale=1e-6, unit="M"),
                     s["cold_ratio"].fmt(0, unit="x"), s["warm_ratio"].fmt(0, unit="x"),
                     s["dwarf_line_pct"].fmt(1, unit="%"), s["dwarf_inline_pct"].fmt(1, unit="%"),
                     s["dwarf_bytes"].fmt(1, scale=1.0 / 1048576), s["dwarf_anon_kb"].fmt(1, scale=1.0 / 1024),
                     s["dwarf_rss_kb"].fmt(1, scale=1.0 / 1024), s["hwm_kb"].fmt(1, scale=1.0 / 1024)])
        raw[path] = {k: v.as_dict() for k, v in s.items()}
    bench.results["fig8"] = raw
    title = ("8. DWARF frames (file:line + inline frames) through the symbolizer "
             "(bench/symbench.c -d): cold = open + first %d addresses, warm = %d new "
             "addresses (tables of the units met kept), cached = the first %d again; "
             "baseline = ELF symtab lookups (elf_syms) in the same process; addresses "
             "uniform over the executable segments (every unit touched: a worst case); "
             "%d runs" % (bench.p["fig8_cold"], bench.p["fig8_warm"], bench.p["fig8_cold"], runs))
    table = bl.markdown_table(
        ["binary", "open s", "DWARF cold addr/s", "DWARF warm addr/s", "cached addr/s",
         "symtab cold addr/s", "symtab warm addr/s", "symtab/DWARF cold", "symtab/DWARF warm",
         "with a line", "with inline frames", "estimated MB", "heap growth MB",
         "RSS growth MB", "peak RSS MB"], rows)
    return title, table
