"""Indexer benchmark: a synthetic runbook repository, indexed in full, then after a one-file change.

Generates N runbooks (default 2,000, ten sections each: about 20,000 chunks) in a temporary git
repository, then measures with the real pipeline and the real embedded store (Qdrant Edge):

- full index time and chunks per second (``rbh index`` from scratch),
- one-file re-index time (edit one runbook, commit, ``rbh index``),
- opening the index for a query and one hybrid query (what ``rbh ask`` pays for the store),
- store size on disk, peak memory (max RSS of this process).

Targets on the 2-core reference machine: full < 60 s, one-file < 3 s. Prints a markdown table.

    .venv/bin/python bench/index_bench.py                 # 2,000 runbooks
    .venv/bin/python bench/index_bench.py --runbooks 200  # quick look

The machine is shared and noisy: the fresh-process rows are the median of ``--cli-runs`` runs and CPU
time is reported next to wall time. For a before/after ratio within one run use ``store_bench.py
--baseline-python`` (the baseline in its own venv, on its own repository). The ``--baseline DIR``
this script had put a checkout on ``PYTHONPATH``, which the editable install's import hook ignores:
its "baseline" timed the current code.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVICES = ["checkout", "payments", "cart", "catalog", "search", "auth", "gateway", "orders", "inventory", "shipping",
            "notifications", "recommendations", "pricing", "reviews", "accounts", "billing"]
ALERTS = ["HighLatency", "High5xx", "CrashLooping", "MemoryHigh", "CPUThrottling", "QueueBacklog", "ReplicaLag",
          "CertificateExpiry", "DiskPressure", "ErrorBudgetBurn"]
SECTIONS = ["Symptoms", "Impact", "Diagnosis", "Check the dashboards", "Check recent deploys", "Mitigation",
            "Roll back", "Scale out", "Escalation", "Follow-up"]
WORDS = ("latency error rate pods restart deployment rollout queue consumer lag database replica primary memory "
         "cache eviction certificate ingress timeout upstream retry budget saturation throttling node disk pressure "
         "traffic spike release canary feature flag connection pool exhaustion customers checkout orders payment "
         "provider webhook backlog partitions broker leader election threshold dashboard panel").split()


def make_runbook(i: int, rng: random.Random, sections: int) -> str:
    svc = SERVICES[i % len(SERVICES)]
    alert = f"{svc.capitalize()}{ALERTS[i % len(ALERTS)]}"
    out = [f"---\ntitle: {svc} {ALERTS[i % len(ALERTS)]} ({i})\nservice: {svc}\nowner: team-{svc}\nalerts: [{alert}]\n"
           f"severity: {rng.choice(['critical', 'warning'])}\ntags: [{svc}, generated]\nlast_reviewed: 2026-0{1 + i % 9}-1{i % 9}\n---",
           f"# {svc} {alert} runbook {i}"]
    for s in range(sections):
        name = SECTIONS[s % len(SECTIONS)]
        para = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 110)))
        out.append(f"## {name}\n\n{para.capitalize()}.")
        if s % 3 == 1:
            out.append(f"```bash\nkubectl -n {svc} rollout status deploy/{svc}-api\nkubectl -n {svc} logs deploy/{svc}-api --since=15m | grep -i error\n```")
        if s % 4 == 2:
            out.append(f"Query: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{service=\"{svc}\"}}[5m])))`")
    return "\n\n".join(out) + "\n"


def make_repo(root: Path, n: int, sections: int) -> None:
    import git

    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Bench")
        cw.set_value("user", "email", "bench@example.com")
        cw.set_value("commit", "gpgsign", "false")
    rng = random.Random(42)
    for i in range(n):
        path = root / "runbooks" / SERVICES[i % len(SERVICES)] / f"runbook-{i:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make_runbook(i, rng, sections), encoding="utf-8")
    repo.git.add("-A")
    repo.git.commit("-qm", "synthetic runbooks")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runbooks", type=int, default=2000)
    ap.add_argument("--sections", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the temporary repository")
    ap.add_argument("--cli-runs", type=int, default=3, help="fresh `rbh index` processes for the one-file row (default 3)")
    args = ap.parse_args()

    import git

    from rbh.indexer.store import open_store, store_settings, store_size_bytes
    from rbh.indexer.sync import sync
    from rbh.project import load_project

    tmp = Path(tempfile.mkdtemp(prefix="rbh-bench-"))
    root = tmp / "repo"
    try:
        t = time.perf_counter()
        make_repo(root, args.runbooks, args.sections)
        gen_s = time.perf_counter() - t
        project = load_project(root)

        cpu = time.process_time()
        full = sync(project)
        full_cpu = time.process_time() - cpu
        rss_full = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        victim = next(iter(sorted((root / "runbooks").rglob("*.md"))))
        victim.write_text(victim.read_text(encoding="utf-8").replace("## Mitigation\n\n", "## Mitigation\n\nFirst, page the owner.\n\n", 1), encoding="utf-8")
        repo = git.Repo(root)
        repo.git.add("-A")
        repo.git.commit("-qm", "one edit")
        os.sync()  # the full index's pending writeback is not the one-file run's cost
        cpu = time.process_time()
        one = sync(project)
        one_cpu = time.process_time() - cpu

        rebuild = sync(project, full=True)  # same model: unchanged chunks keep their vectors

        # the same kind of edit, through the command line in a fresh process (imports, model load);
        # several runs
        exe = Path(sys.executable).with_name("rbh")
        codes: list[tuple[str, dict[str, str]]] = [("this checkout", {})]
        cli: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in codes}
        for run in range(args.cli_runs):
            for name, env in codes:
                victim.write_text(victim.read_text(encoding="utf-8") + f"\nEdit {run} {name}.\n", encoding="utf-8")
                repo.git.add("-A")
                repo.git.commit("-qm", f"edit {run}")
                os.sync()
                t = time.perf_counter()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                proc = subprocess.run([str(exe), "index", "--quiet", "--repo", str(root)], capture_output=True, text=True,
                                      env={**os.environ, **env}, cwd=tempfile.gettempdir())
                wall = time.perf_counter() - t
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cli[name].append((wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)))
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)

        from rbh.indexer.query import Retriever

        t = time.perf_counter()
        store = open_store(project)
        open_s = time.perf_counter() - t
        retriever = Retriever(project, backend=store)
        q = "checkout p99 latency rollback"
        retriever.dense_vector(q)  # the model load is not the query's cost
        t = time.perf_counter()
        retriever.search(q, top_k=5)
        query_s = time.perf_counter() - t
        store.close()

        size = store_size_bytes(store_settings(project)) or 0
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = [
            ("runbooks / chunks", f"{full.files:,} / {full.chunks_total:,}", ""),
            ("generate repo (not indexing)", f"{gen_s:.1f} s", ""),
            ("full index (wall / CPU)", f"{full.seconds:.1f} s / {full_cpu:.1f} s", "< 60 s"),
            ("full index throughput", f"{full.chunks_total / full.seconds:,.0f} chunks/s", ""),
            ("one-file re-index (wall / CPU)", f"{one.seconds:.2f} s / {one_cpu:.2f} s ({one.chunks_embedded} chunks embedded)", "< 3 s"),
            *((f"one-file re-index, `rbh index` in a new process, {name} (median wall / CPU of {len(xs)})",
               f"{statistics.median(w for w, _ in xs):.2f} s / {statistics.median(c for _, c in xs):.2f} s", "< 3 s")
              for name, xs in cli.items()),
            ("`rbh index --full` with the same model", f"{rebuild.seconds:.1f} s ({rebuild.chunks_reused:,} chunks' vectors reused)", ""),
            ("open index for a query (Qdrant Edge load + checks)", f"{open_s:.2f} s", ""),
            ("one hybrid query", f"{query_s * 1000:.0f} ms", ""),
            ("store size on disk", f"{size / 1e6:.0f} MB", ""),
            ("peak memory (max RSS) after full index", f"{rss_full:.0f} MB", ""),
            ("peak memory (max RSS) overall", f"{rss_peak:.0f} MB", ""),
        ]
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f} when done (other processes compete for the cores)")
        print()
        print("| measure | result | target |")
        print("|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} |")
    finally:
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
