"""On-demand benchmark: one million subject-years of the 5-lesion scenario through `abscopal cohort`.

    .venv/bin/python benchmarks/million.py [--size 1000000] [--workers 2] [--out /tmp/abscopal-million]

Runs the real command line (streaming Parquet chunks under --out), samples the resident memory of the whole
process tree (the command and its worker processes) every 0.2 s from /proc, then reads the chunks back with
DuckDB. Writes benchmarks/results/million.json; benchmarks/report.py puts it into docs/performance.md.
Not part of CI (it takes tens of minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml"


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="/tmp/abscopal-million")
    args = parser.parse_args()
    out = Path(args.out)
    abscopal = Path(sys.executable).with_name("abscopal")
    cmd = [str(abscopal), "cohort", str(SCENARIO), "--size", str(args.size), "--workers", str(args.workers),
           "--out", str(out), "--json", str(out / "result.json")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    if proc.returncode != 0:
        print(err, file=sys.stderr)
        return proc.returncode

    import duckdb

    files = sorted(str(p) for p in out.rglob("*.parquet"))
    con = duckdb.connect()
    rows, with_status = con.execute(
        "select count(*), count(status) from read_parquet($files)", {"files": files}).fetchone()
    result = json.loads((out / "result.json").read_text())
    years = args.size * 365.0 / 365.25
    summary = {
        "size": args.size, "workers": args.workers, "subject_years": years, "wall_s": wall,
        "subject_years_per_s": years / wall, "peak_rss_mb_process_tree": peak, "parquet_files": len(files),
        "duckdb_rows": rows, "duckdb_rows_with_status": with_status,
        "n_failed": [arm.get("n_failed") for arm in result.get("arms", [])],
        "command": f"abscopal cohort {SCENARIO.relative_to(ROOT)} --size {args.size} --workers {args.workers} --out DIR",
        "date": time.strftime("%Y-%m-%d"),
    }
    summary["summary_lines"] = [
        f"`{summary['command']}` on this machine: {years:,.0f} subject-years in {wall / 60:.1f} min "
        f"({summary['subject_years_per_s']:,.0f} subject-years/s end to end: sampling, integration, RECIST/iRECIST "
        f"evaluation and Parquet), peak resident memory of the process tree {peak:,.0f} MB, {len(files)} Parquet "
        f"chunk files; DuckDB reads {rows:,} rows back.",
    ]
    methods = {les.get("median_method", "exact") for arm in result.get("arms", []) for les in arm.get("lesions", {}).values()}
    summary["median_method"] = sorted(methods)
    summary["summary_lines"].append("Group median curves: " + "; ".join(sorted(methods)) + " (docs/trials.md, Large cohorts).")
    (ROOT / "benchmarks" / "results" / "million.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
