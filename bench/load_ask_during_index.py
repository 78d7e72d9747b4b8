"""50 concurrent `rbh ask` processes against one local store while incremental `rbh index` runs publish
new generations under them (issue 7, "Load").

Clones the committed example into a temporary folder and indexes it. Each question is asked once on
the idle index: its top runbook is the reference. Then ASKS threads each start an `rbh ask --json`
process, STAGGER seconds apart (the realistic case: every responder's shell is its own process; all
of them run at the same time under this load), and for as long as
any ask runs, the main thread commits an edit to every runbook and runs `rbh index` (incremental: the
edited sections are re-embedded and a new generation is published), again and again.

Reported: errors (exit code not 0, or output that is not JSON; must be zero), incomplete answers (no
results, or a result without text or citation; must be zero), answers whose top runbook differs from
the idle answer, how many asks overlapped an index run, and wall-time latency p50/p90/p99/max.

    .venv/bin/python bench/load_ask_during_index.py [--asks 50] [--stagger 0.3] [--keep]

Bounded: an ask needs about 1 s of CPU, so 50 take about 30 s of both cores, longer when shared.
Each ask loads the published Qdrant Edge generation with a reader lease; every index run publishes a
new generation beside it (issue 11: at least two publishes must happen while the asks run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RBH = Path(sys.executable).parent / "rbh"
QUESTIONS = [
    "checkout p99 latency is high",
    "CheckoutHighLatency",
    "postgres too many connections",
    "kafka consumer lag keeps growing",
    "redis memory almost full, evictions",
    "pods stuck in CrashLoopBackOff",
    "certificate expires soon",
    "node disk pressure",
    "payments provider returns 5xx",
    "roll back a bad deploy",
]


@dataclass
class AskRun:
    question: str
    start: float
    end: float
    code: int
    top: str | None
    problem: str | None  # None: a complete answer
    index_commit: str | None = None  # the index generation that answered


def ask(repo: Path, question: str) -> AskRun:
    start = time.monotonic()
    proc = subprocess.run([str(RBH), "ask", "--repo", str(repo), "--json", question],
                          capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=600)
    end = time.monotonic()
    if proc.returncode != 0:
        return AskRun(question, start, end, proc.returncode, None, f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    try:
        answer = json.loads(proc.stdout)
    except ValueError as exc:
        return AskRun(question, start, end, -1, None, f"not JSON: {exc}")
    results = answer.get("results") or []
    if not results:
        return AskRun(question, start, end, 0, None, "incomplete: no results")
    for r in results:
        if not (r.get("text") or "").strip() or not r.get("citation"):
            return AskRun(question, start, end, 0, results[0].get("path"), f"incomplete: {r.get('path')} without text or citation")
    return AskRun(question, start, end, 0, results[0]["path"], None, (answer.get("index") or {}).get("commit"))


def edit_every_runbook(repo: Path, n: int, count: int | None = None) -> int:
    """Append (or replace) a neutral review note in *count* runbooks (all by default) and commit: the
    index has work. Returns how many runbooks the repository has."""
    every = sorted((repo / "runbooks").rglob("*.md"))
    paths = every if count is None else [every[(n * count + i) % len(every)] for i in range(count)]
    for path in paths:
        text = path.read_text(encoding="utf-8").split("\n<!-- load-note -->\n")[0]
        path.write_text(f"{text}\n<!-- load-note -->\nReviewed during load run {n}.\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "add", "runbooks"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com",
                    "commit", "-q", "-m", f"load note {n}"], check=True)
    return len(every)


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asks", type=int, default=50, help="concurrent rbh ask processes (default 50)")
    ap.add_argument("--stagger", type=float, default=0.3, metavar="S",
                    help="seconds between ask starts (default 0.3), so asks open the store before, during and "
                         "after index runs publish; 0 starts all at once")
    ap.add_argument("--keep", action="store_true", help="keep the temporary clone and print its path")
    ap.add_argument("--edit", type=int, default=3, metavar="N",
                    help="runbooks edited before each index run (default 3: short runs, several publishes)")
    ap.add_argument("--publishes", type=int, default=2, metavar="N",
                    help="the asks are started in N+1 waves, each after the previous publish (default 2)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rbh-load-"))
    try:
        repo = tmp / "example"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
        subprocess.run([str(RBH), "index", "--repo", str(repo), "-q"], check=True)
        idle = {q: ask(repo, q) for q in QUESTIONS}
        bad_idle = {q: r.problem for q, r in idle.items() if r.problem}
        if bad_idle:
            raise SystemExit(f"idle answers already fail: {bad_idle}")
        load_start = os.getloadavg()[0]

        runs: list[AskRun] = []
        lock = threading.Lock()

        def worker(i: int) -> None:
            r = ask(repo, QUESTIONS[i % len(QUESTIONS)])
            with lock:
                runs.append(r)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.asks)]
        publishes = [threading.Event() for _ in range(args.publishes)]
        t0 = time.monotonic()

        def start_all() -> None:
            # waves: asks start before the first publish, between publishes and after the last, so
            # every publish happens while asks are loading and reading the store
            wave = -(-len(threads) // (args.publishes + 1))
            for i, t in enumerate(threads):
                if i and i % wave == 0 and i // wave - 1 < len(publishes):
                    publishes[i // wave - 1].wait(timeout=600)
                t.start()
                time.sleep(args.stagger)

        starter = threading.Thread(target=start_all)
        starter.start()
        index_runs: list[tuple[float, float, int, str]] = []
        n = 0
        while starter.is_alive() or any(t.is_alive() for t in threads):
            n += 1
            edited = edit_every_runbook(repo, n, args.edit)
            s = time.monotonic()
            proc = subprocess.run([str(RBH), "index", "--repo", str(repo)], capture_output=True, text=True)
            index_runs.append((s, time.monotonic(), proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[0]))
            done = sum(1 for _, _, code, line in index_runs if code == 0 and "incremental sync" in line)
            for event in publishes[:done]:
                event.set()
        starter.join()
        for t in threads:
            t.join()
        total = time.monotonic() - t0

        errors = [r for r in runs if r.code != 0]
        incomplete = [r for r in runs if r.code == 0 and r.problem]
        differs = [r for r in runs if not r.problem and r.top != idle[r.question].top]
        overlapping = [r for r in runs if any(r.start < e and s < r.end for s, e, _, _ in index_runs)]
        lat = [r.end - r.start for r in runs]
        index_failures = [line for _, _, code, line in index_runs if code != 0]

        print(f"example clone: {edited} runbooks, {args.edit} edited before each index run; "
              f"{os.cpu_count()} CPUs, load average {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at the end")
        print(f"{len(runs)} concurrent `rbh ask --json` processes, {len(index_runs)} incremental `rbh index` runs "
              f"during them ({len(index_failures)} failed); {total:.1f} s in all\n")
        print("| measure | result | must be |")
        print("|---|---:|---|")
        print(f"| ask errors (exit code, not JSON) | {len(errors)} | 0 |")
        print(f"| incomplete answers (no results, a result without text or citation) | {len(incomplete)} | 0 |")
        print(f"| index runs that failed | {len(index_failures)} | 0 |")
        published = [line for s, e, code, line in index_runs if code == 0 and "incremental sync" in line
                     and any(r.start < e and s < r.end for r in runs)]
        print(f"| index runs that published a new generation while asks ran | {len(published)} | at least {args.publishes} |")
        print(f"| top runbook differs from the idle answer | {len(differs)} |  |")
        print(f"| asks overlapping an index run | {len(overlapping)} of {len(runs)} |  |")
        served = sorted({r.index_commit for r in runs if r.index_commit}, key=lambda c: min(r.start for r in runs if r.index_commit == c))
        print(f"| index generations that answered (by commit) | {len(served)}: {', '.join(c[:8] for c in served)} |  |")
        for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
            print(f"| latency {name} | {percentile(lat, q):.2f} s |  |")
        print(f"| latency max | {max(lat):.2f} s |  |")
        for r in (errors + incomplete)[:10]:
            print(f"  {r.question!r}: {r.problem}")
        for line in index_failures[:5]:
            print(f"  index: {line}")
        for r in differs[:10]:
            print(f"  differs: {r.question!r}: {r.top} (idle: {idle[r.question].top})")
        if args.keep:
            print(f"kept: {repo}")
        return 1 if errors or incomplete or index_failures or len(published) < args.publishes else 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
