"""Cold latency of `rbh ask`: a new process per question, on the project's own example.

Clones the committed example (runbooks, manifests, rbh.yaml) into a temporary folder, runs
`rbh index` once, then starts `rbh ask` as a fresh process RUNS times per question (the way a
responder runs it: no warm interpreter, no cache) and prints median / p90 / min wall time per
question and overall. Target: median under 1.5 s on this machine.

    .venv/bin/python bench/ask_latency.py [--runs N] [--variants]

``--variants`` also times the same questions with the index reader always forked (RBH_FORK=1), never
forked (RBH_NO_FORK=1; by default rbh forks only when a core is free) and without the health checks
(--no-health), to show where time goes.
The alert catalog and findings come from ``.rbh/ask-cache.json`` after the first ask at a repository
state; the last line times that first ask.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RBH = Path(sys.executable).parent / "rbh"
QUESTIONS = [
    "checkout p99 latency is high",
    "CheckoutHighLatency",
    "postgres too many connections",
    "kafka consumer lag keeps growing",
]


def clone_example(dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    return dest


def time_runs(repo: Path, question: str, runs: int, extra: list[str], env: dict[str, str]) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) per run. CPU is user+sys of the process and its forked child:
    with other sessions loading the 2 cores, wall time overstates what an idle machine does."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([str(RBH), "ask", "--repo", str(repo), question, *extra], capture_output=True, text=True,
                              env={**os.environ, **env})
        wall.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"rbh ask failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, cpu


def p90(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="processes per question (default 7)")
    ap.add_argument("--variants", action="store_true", help="also time RBH_NO_FORK=1 and --no-health")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rbh-ask-latency-"))
    try:
        repo = clone_example(tmp / "example")
        subprocess.run([str(RBH), "index", "--repo", str(repo), "-q"], check=True)
        variants = [("default", [], {})]
        if args.variants:
            variants += [("RBH_FORK=1 (reader child)", [], {"RBH_FORK": "1"}), ("RBH_NO_FORK=1 (one process)", [], {"RBH_NO_FORK": "1"}),
                         ("--no-health", ["--no-health"], {})]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"rbh ask, a new process each run, {args.runs} runs per question; load average at start {load:.2f}, "
              f"{os.cpu_count()} CPUs")
        time_runs(repo, QUESTIONS[0], 1, [], {})  # first ask at this state fills .rbh/ask-cache.json
        print("| variant | question | median s | p90 s | min s | median CPU s |")
        print("|---|---|---|---|---|---|")
        for name, extra, env in variants:
            walls: list[float] = []
            cpus: list[float] = []
            for q in QUESTIONS:
                xs, cs = time_runs(repo, q, args.runs, extra, env)
                walls += xs
                cpus += cs
                print(f"| {name} | {q} | {statistics.median(xs):.2f} | {p90(xs):.2f} | {min(xs):.2f} | {statistics.median(cs):.2f} |",
                      flush=True)
            print(f"| {name} | **all** | **{statistics.median(walls):.2f}** | {p90(walls):.2f} | {min(walls):.2f} | "
                  f"{statistics.median(cpus):.2f} |", flush=True)
        cold = tmp / "cold"
        shutil.copytree(repo, cold, symlinks=True)
        (cold / ".rbh" / "ask-cache.json").unlink(missing_ok=True)
        xs, cs = time_runs(cold, QUESTIONS[0], 1, [], {})
        print(f"\nfirst ask after a change (no .rbh/ask-cache.json yet): {xs[0]:.2f} s wall, {cs[0]:.2f} s CPU")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
