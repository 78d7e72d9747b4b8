"""Store benchmark (issue 11): every row in new `rbh` processes, this checkout beside a baseline
checkout (the previous release) in the same run, at several repository sizes.

For each size N (runbooks of ten sections, about 10 chunks each; the generator of
``bench/index_bench.py``), each code version gets its own copy of the same synthetic git repository
and runs, as a user would:

- full ``rbh index`` (wall time, peak memory of that process),
- ``rbh ask --json`` for several questions after one warm-up ask (health cached), median wall time,
- one-file ``rbh index`` after an edit and commit, median of ``--one-file-runs``,
- store size on disk (the store folder after the runs).

The asks and the one-file runs of the versions take turns (A, B, C, then C, B, A), so that other
work on the machine falls on every version alike; ``--also LABEL=PYTHON`` adds versions.
``--history N`` puts N more commits on top (most of them changing manifests), as a repository
with years of history has them.

The baseline runs with its own interpreter (``--baseline-python``: a venv where the baseline
checkout is installed), so its dependencies are its own. Prints a markdown table.

    python3 -m venv /work/data/store-bench/baseline-venv
    git worktree add --detach /work/data/store-bench/baseline 4626f49
    /work/data/store-bench/baseline-venv/bin/pip install -e /work/data/store-bench/baseline
    .venv/bin/python bench/store_bench.py --sizes 200,2000 \\
        --baseline-python /work/data/store-bench/baseline-venv/bin/python

Targets at 2,000 runbooks (2-core reference machine): full index <= 30 s, ``rbh ask`` <= 0.8 s,
one-file ``rbh index`` <= 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUESTIONS = ["checkout p99 latency rollback", "payments webhook backlog", "CartHighLatency",
             "database replica lag after release", "certificate expiry on ingress", "pods restart memory cache eviction",
             "queue consumer lag partitions broker"]


# rbh runs as a pip install leaves it: with its modules byte-compiled. A workplace that sets
# PYTHONDONTWRITEBYTECODE would make both versions (editable installs) compile every module of
# their own in every process (about 0.1 s each); the first run of each version writes them.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def rusage_run(cmd: list[str], cwd: Path) -> tuple[float, float, int, str, float]:
    """(wall seconds, peak RSS MB of that process, exit code, stderr tail, CPU seconds user + system)
    of one new process. CPU is the comparison that holds when other work shares the machine."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - t, usage.ru_maxrss / 1024, proc.returncode, err.strip()[-300:],
            usage.ru_utime + usage.ru_stime)


def du(path: Path) -> int:
    """Bytes on disk (blocks): Edge preallocates sparse files whose apparent size is mostly holes."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def commit_edit(repo: Path, victim: Path, n: int) -> None:
    victim.write_text(victim.read_text(encoding="utf-8") + f"\nEdit {n}: page the owner first.\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", f"edit {n}"], check=True)


def add_history(repo: Path, commits: int) -> None:
    """*commits* more commits on top of the runbooks, as years of work leave them (``git
    fast-import``): nine in ten change one of 100 manifest files, one in ten adds a line to a
    runbook, an hour apart."""
    runbooks = sorted(p.relative_to(repo).as_posix() for p in (repo / "runbooks").rglob("*.md"))
    texts: dict[str, str] = {}
    out: list[bytes] = []
    when = 1_600_000_000
    for c in range(commits):
        if c % 10 == 9:
            path = runbooks[(c * 7919) % len(runbooks)]
            text = texts.get(path) or (repo / path).read_text(encoding="utf-8")
            text += f"\nReviewed in change {c}.\n"
        else:
            path = f"manifests/app-{c % 100:02d}.yaml"
            text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{c % 100:02d}\ndata:\n  revision: \"{c}\"\n"
        texts[path] = text
        data, msg = text.encode(), f"change {c}".encode()
        who = f"Bench <bench@example.com> {when + c * 3600} +0000"
        out.append(f"commit refs/heads/main\nauthor {who}\ncommitter {who}\ndata {len(msg)}\n".encode() + msg + b"\n")
        if c == 0:
            out.append(b"from refs/heads/main^0\n")
        out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(out), check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-f", "main"], check=True)


def measure(versions: list[tuple[str, list[str]]], seed: Path, tmp: Path, n: int, questions: int,
            one_file_runs: int) -> list[tuple[str, dict]]:
    """Every version on its own clone of *seed*: the full index one version after the other, then
    the asks and the one-file runs in turns (version A, B, C, then C, B, A, ...), so that what else
    runs on the machine meanwhile falls on every version alike."""
    repos, out = {}, {}
    for label, rbh in versions:
        repo = tmp / f"{label.replace(' ', '-')}-{n}"
        subprocess.run(["git", "clone", "-q", str(seed), str(repo)], check=True)
        (repo / ".gitignore").write_text(".rbh/\n")
        full = rusage_run([*rbh, "index", "--quiet", "--repo", str(repo)], repo)
        if full[2] != 0:
            raise SystemExit(f"{label}: full index failed: {full[3]}")
        warm = rusage_run([*rbh, "ask", "--json", "--repo", str(repo), QUESTIONS[0]], repo)  # builds the health cache
        if warm[2] != 0:
            raise SystemExit(f"{label}: ask failed: {warm[3]}")
        repos[label] = repo
        out[label] = {"full": full, "asks": [], "ones": []}
    for i, q in enumerate((QUESTIONS * 3)[:questions]):
        for label, rbh in (versions if i % 2 == 0 else versions[::-1]):
            out[label]["asks"].append(rusage_run([*rbh, "ask", "--json", "--repo", str(repos[label]), q], repos[label]))
    for i in range(one_file_runs):
        for label, rbh in (versions if i % 2 == 0 else versions[::-1]):
            repo = repos[label]
            commit_edit(repo, sorted((repo / "runbooks").rglob("*.md"))[0], i)
            out[label]["ones"].append(rusage_run([*rbh, "index", "--quiet", "--repo", str(repo)], repo))
    rows = []
    for label, _ in versions:
        full, asks, ones = out[label]["full"], out[label]["asks"], out[label]["ones"]
        rows.append((label, {
            "full": full[0], "full_rss": full[1], "ask": statistics.median(a[0] for a in asks),
            "ask_rss": max(a[1] for a in asks), "one": statistics.median(o[0] for o in ones),
            "one_rss": max(o[1] for o in ones), "size": du(repos[label] / ".rbh" / "qdrant"),
            "errors": sum(1 for a in asks + ones if a[2] != 0),
            "full_cpu": full[4], "ask_cpu": statistics.median(a[4] for a in asks), "one_cpu": statistics.median(o[4] for o in ones)}))
        shutil.rmtree(repos[label], ignore_errors=True)
    return rows


def main() -> int:
    from index_bench import make_repo

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200,2000", help="runbook counts (default 200,2000)")
    ap.add_argument("--questions", type=int, default=7, help="asks per version and size (default 7)")
    ap.add_argument("--one-file-runs", type=int, default=3)
    ap.add_argument("--history", type=int, default=0, metavar="N",
                    help="N more commits of history on top of the runbooks (default 0: one commit)")
    ap.add_argument("--only", choices=["this", "baseline"], default=None, help="run one version only")
    ap.add_argument("--baseline-python", type=Path, default=None, help="interpreter of a venv with the baseline installed")
    ap.add_argument("--also", action="append", default=[], metavar="LABEL=PYTHON",
                    help="another version to measure in the same run (repeatable): a label and its venv's interpreter")
    args = ap.parse_args()
    versions = [("this checkout", [str(Path(sys.executable).with_name("rbh"))])] if args.only != "baseline" else []
    for spec in args.also:
        label, _, python = spec.partition("=")
        versions.append((label, [str(Path(python).with_name("rbh"))]))
    if args.baseline_python and args.only != "this":
        versions.append(("baseline", [str(args.baseline_python.with_name("rbh"))]))
    tmp = Path(tempfile.mkdtemp(prefix="rbh-store-bench-"))
    rows = []
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            seed = tmp / f"seed-{n}"
            make_repo(seed, n, 10)
            if args.history:
                add_history(seed, args.history)
            for label, m in measure(versions, seed, tmp, n, args.questions, args.one_file_runs):
                rows.append((n, label, m))
                print(f"  {n} runbooks, {label}: {m}", file=sys.stderr, flush=True)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} when done; "
              f"history: {args.history + 1} commits\n")
        print("Wall seconds, CPU seconds (user + system, child processes included) in brackets.\n")
        print("| runbooks | code | full `rbh index` | `rbh ask` (median) | one-file `rbh index` (median) | store size | peak memory: index / ask | errors |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|")
        for n, label, m in rows:
            print(f"| {n:,} | {label} | {m['full']:.1f} s ({m['full_cpu']:.1f}) | {m['ask']:.2f} s ({m['ask_cpu']:.2f}) | "
                  f"{m['one']:.2f} s ({m['one_cpu']:.2f}) | {m['size'] / 1e6:.0f} MB | "
                  f"{m['full_rss']:.0f} MB / {m['ask_rss']:.0f} MB | {m['errors']} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
