"""Cold latency of `rbh ask`: a new process per question, on the project's own example.

Clones the committed example (runbooks, manifests, rbh.yaml) into a temporary folder, runs
`rbh index` once, then starts `rbh ask` as a fresh process RUNS times per question (the way a
responder runs it: no warm interpreter) and prints median / p90 / min wall time and median CPU time
(user + sys of the process and any child) per variant. Target: median under 1.5 s on this machine.

    .venv/bin/python bench/ask_latency.py [--runs N] [--variants] [--baseline-python PATH]

The machine is shared and noisy, so variants are interleaved (run 1 of every variant, then run 2
...) and compared with each other in the same run, never with numbers from another run.
``--variants`` adds ``--no-health``. (The forked index reader and its RBH_FORK / RBH_NO_FORK switches
are gone: the embedded store is Qdrant Edge, loaded in the `rbh ask` process.)
``--baseline-python PATH`` adds the same questions run by the ``rbh`` of another venv (one with the
baseline commit installed: ``git worktree add DIR <commit>``, then ``python3 -m venv DIR/.venv`` and
``DIR/.venv/bin/pip install -c constraints.txt -e 'DIR[ask]'``), on its own clone of the example
indexed by that ``rbh``, for before/after ratios. (A checkout put first on ``PYTHONPATH`` does not
work: the editable install's import hook maps ``rbh.*`` to this checkout whatever the path says.)
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


def time_run(repo: Path, question: str, extra: list[str], rbh: Path = RBH) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `rbh ask` process. CPU is user+sys of the process and its
    forked child: with other sessions loading the 2 cores, wall time overstates what an idle machine does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([str(rbh), "ask", "--repo", str(repo), question, *extra], capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"rbh ask failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def p90(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="processes per question and variant (default 7)")
    ap.add_argument("--variants", action="store_true", help="also time --no-health")
    ap.add_argument("--baseline-python", type=Path, default=None, metavar="PATH",
                    help="also time the rbh of the venv of this interpreter (the baseline commit installed there)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rbh-ask-latency-"))
    try:
        repo = clone_example(tmp / "example")
        subprocess.run([str(RBH), "index", "--repo", str(repo), "-q"], check=True)
        variants: list[tuple[str, list[str], Path, Path]] = [("default", [], RBH, repo)]
        if args.baseline_python:
            base_rbh = args.baseline_python.with_name("rbh")
            base_repo = clone_example(tmp / "baseline")
            subprocess.run([str(base_rbh), "index", "--repo", str(base_repo), "-q"], check=True)
            time_run(base_repo, QUESTIONS[0], [], base_rbh)
            variants.append(("baseline", [], base_rbh, base_repo))
        if args.variants:
            variants += [("--no-health", ["--no-health"], RBH, repo)]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"rbh ask, a new process each run, {args.runs} runs per question and variant, interleaved; "
              f"load average at start {load:.2f}, {os.cpu_count()} CPUs")
        time_run(repo, QUESTIONS[0], [])  # first ask at this state fills .rbh/ask-cache.json
        walls: dict[str, list[float]] = {v[0]: [] for v in variants}
        cpus: dict[str, list[float]] = {v[0]: [] for v in variants}
        for _ in range(args.runs):
            for q in QUESTIONS:
                for name, extra, rbh, where in variants:
                    w, c = time_run(where, q, extra, rbh)
                    walls[name].append(w)
                    cpus[name].append(c)
        first = variants[0][0]
        print("| variant | median s | p90 s | min s | median CPU s | median wall vs default |")
        print("|---|---|---|---|---|---|")
        for name, *_ in variants:
            w, c = walls[name], cpus[name]
            ratio = statistics.median(w) / statistics.median(walls[first])
            print(f"| {name} | **{statistics.median(w):.2f}** | {p90(w):.2f} | {min(w):.2f} | {statistics.median(c):.2f} | {ratio:.2f} |")
        # in place: a copied store is not opened (it was not created by rbh for that folder)
        (repo / ".rbh" / "ask-cache.json").unlink(missing_ok=True)
        w, c = time_run(repo, QUESTIONS[0], [])
        print(f"\nfirst ask after a change (no .rbh/ask-cache.json yet): {w:.2f} s wall, {c:.2f} s CPU")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
