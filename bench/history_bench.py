"""History benchmark (issue 13): rbh on repositories with long history, beside the baseline.

Builds a synthetic repository with ``git fast-import`` (500 runbooks, 50 Kubernetes and 50 rule
files, 5,000 commits that rename deployments, alerts and metrics, bump images and edit runbooks),
and optionally takes a real one (``--real PATH``: a clone of a public runbook repository with its
config). For each, in new processes, as CI or an on-call laptop would run them:

* ``rbh check`` cold (no ``.rbh`` cache: a fresh CI clone) and warm (median of 3);
* ``rbh check`` on one runbook (median of 3);
* ``rbh ask`` with health on questions no earlier ask has seen, after ``rbh index`` and one warm-up
  ask (median of 3);
* the cost of each new commit: ``rbh check`` right after a commit that edits a manifest and a
  runbook (median of 3 commits);
* ``rbh check --changed-since HEAD~1`` after the last of those commits (median of 3).

The baseline is main at 4626f49, exported from git into a temp folder and run with the same Python
through ``PYTHONPATH``; each implementation gets its own clone of the repository, so neither sees
the other's caches. Targets on the 2-core machine: warm check <= 1.5 s, one file <= 0.8 s, ask with
health <= 1.0 s, cold check <= 4 s.

    .venv/bin/python bench/history_bench.py                                   # synthetic only
    .venv/bin/python bench/history_bench.py --real /work/data/history/govuk   # and a real repository
    .venv/bin/python bench/history_bench.py --skip-ask                        # no index / ask rows
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

HERE = Path(__file__).resolve().parent.parent
BASELINE = "4626f49"
DATA = Path("/work/data/history")
# Unseen questions must land on different runbooks, or the baseline's per-path health cache answers
# them from the warm-up: the synthetic ones name a service each, the real ones are distinct topics.
SYNTHETIC_QUESTIONS = [f"svc-{n:04d} in ns-{n // 10:02d} returns errors, what do I check" for n in (17, 123, 256, 389, 444, 71, 305)]
REAL_QUESTIONS = ["how do I deploy a hotfix to production", "restore a database from backup", "rotate a leaked secret",
                  "search index is out of date", "publishing queue is backing up", "an app returns 502 errors",
                  "renew an expiring TLS certificate"]


# ------------------------------------------------------------------------------------ synthetic repo
def _k8s(ns: str, services: list[str], image: dict[str, int]) -> str:
    docs = []
    for s in services:
        docs.append(f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {s}
  namespace: {ns}
  labels:
    app: {s}
spec:
  selector:
    matchLabels:
      app: {s}
  template:
    metadata:
      labels:
        app: {s}
    spec:
      containers:
        - name: {s}
          image: registry.example.com/{s}:{image.get(s, 1)}
          ports:
            - containerPort: 8080
""")
    return "---\n".join(docs)


def _rules(group: str, alerts: list[tuple[str, str]]) -> str:
    rows = "".join(f"""\
        - alert: {a}
          expr: |
            sum(rate({m}{{code=~"5.."}}[5m])) by (job) > 1
          for: 5m
          labels:
            severity: critical
          annotations:
            summary: {a} is failing
            runbook_url: https://runbooks.example.com/runbooks/{r}.md
""" for a, m, r in alerts)
    return f"""\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {group}
  namespace: monitoring
spec:
  groups:
    - name: {group}
      rules:
{rows}"""


def _camel(s: str) -> str:
    return "".join(p.capitalize() for p in s.replace("_", "-").split("-"))


def _runbook(i: int, svc: str, ns: str, alert: str, metric: str, edits: int) -> str:
    return f"""\
---
title: {alert}
service: {svc}
owner: team-{i % 20}
last_reviewed: 2026-01-01
review_every: 180
---
# {alert}

The {svc} service in {ns} returns errors; this page says what to check.

## Check

```bash
kubectl -n {ns} get deployment/{svc}
kubectl -n {ns} logs deployment/{svc} -c {svc} --tail=100
```

```promql
sum(rate({metric}[5m])) by (job)
```

## Fix

```bash
kubectl -n {ns} rollout restart deployment/{svc}
```
""" + "".join(f"\nNote {k}: seen again during incident {i}-{k}.\n" for k in range(edits))


def generate(root: Path, n_commits: int = 5000, n_runbooks: int = 500, files: int = 50) -> None:
    """A repository with *n_runbooks* runbooks and *n_commits* commits, written by git fast-import."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    per_file = n_runbooks // files
    svc = [f"svc-{i:04d}" for i in range(n_runbooks)]
    ns_of = [f"ns-{i // per_file:02d}" for i in range(n_runbooks)]
    alert = [f"Svc{i:04d}Errors" for i in range(n_runbooks)]
    metric = [f"svc_{i:04d}_http_requests_total" for i in range(n_runbooks)]
    image: dict[str, int] = {}
    edits = [0] * n_runbooks
    out: list[bytes] = []
    t0 = 1_600_000_000
    mark = 0

    def blob(path: str, text: str) -> None:
        data = text.encode()
        out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    def k8s_file(f: int) -> tuple[str, str]:
        idx = range(f * per_file, (f + 1) * per_file)
        return f"manifests/k8s/ns-{f:02d}.yaml", _k8s(f"ns-{f:02d}", [svc[i] for i in idx], image)

    def rules_file(f: int) -> tuple[str, str]:
        idx = range(f * per_file, (f + 1) * per_file)
        return f"manifests/rules/group-{f:02d}.yaml", _rules(f"group-{f:02d}", [(alert[i], metric[i], f"rb-{i:04d}") for i in idx])

    def runbook_file(i: int) -> tuple[str, str]:
        return f"runbooks/rb-{i:04d}.md", _runbook(i, svc[i], ns_of[i], alert[i], metric[i], edits[i])

    def commit(msg: str, changes: list[tuple[str, str]], when: int) -> None:
        nonlocal mark
        mark += 1
        msg_b = msg.encode()
        out.append(f"commit refs/heads/main\nmark :{mark}\nauthor Bench <b@example.com> {when} +0000\n"
                   f"committer Bench <b@example.com> {when} +0000\ndata {len(msg_b)}\n".encode() + msg_b + b"\n")
        if mark > 1:
            out.append(f"from :{mark - 1}\n".encode())
        for path, text in changes:
            blob(path, text)
        out.append(b"\n")

    first = [k8s_file(f) for f in range(files)] + [rules_file(f) for f in range(files)]
    first += [runbook_file(i) for i in range(n_runbooks)]
    first.append(("rbh.yaml", "runbooks:\n  include: [\"runbooks/**/*.md\"]\nmanifests:\n  include: [\"manifests/**/*.yaml\"]\n"))
    commit("initial platform", first, t0)
    for c in range(1, n_commits):
        i = (c * 7919) % n_runbooks
        f = i // per_file
        kind = c % 10
        changes = []
        if kind == 0:  # a deployment renamed; its runbook follows two commits out of three
            old = svc[i]
            svc[i] = f"{old.rsplit('-v', 1)[0]}-v{c}"
            changes.append(k8s_file(f))
            if c % 3:
                changes.append(runbook_file(i))
        elif kind == 1:  # a metric renamed in the rules
            metric[i] = f"svc_{i:04d}_requests_v{c}_total"
            changes.append(rules_file(f))
        elif kind == 2:  # an alert renamed
            alert_old = alert[i]
            alert[i] = f"{alert_old.split('V')[0]}V{c}"
            changes.append(rules_file(f))
        elif kind in (3, 4, 5):  # an image bump
            image[svc[i]] = image.get(svc[i], 1) + 1
            changes.append(k8s_file(f))
        else:  # a runbook edit
            edits[i] = min(edits[i] + 1, 30)
            changes.append(runbook_file(i))
        commit(f"change {c}", changes, t0 + c * 3600)
    stream = b"".join(out)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "-f", "main"], check=True)


# ------------------------------------------------------------------------------------ running rbh
def baseline_tree(tmp: Path) -> Path:
    dest = tmp / "baseline"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(HERE), "archive", BASELINE], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


class Timing(float):
    """Wall seconds, with the CPU seconds (user + system, the process and its children) beside: on
    a machine shared by other sessions the wall time mostly measures their load."""

    cpu: float

    def __new__(cls, wall: float, cpu: float):
        obj = super().__new__(cls, wall)
        obj.cpu = cpu
        return obj


def rbh(code_root: Path, repo: Path, *args: str) -> tuple[Timing, subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(code_root), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "import sys; from rbh.cli import main; sys.exit(main())", *args],
                          cwd=repo, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"rbh {' '.join(args)} failed ({proc.returncode}) in {repo}:\n{proc.stderr[-2000:]}")
    return Timing(elapsed, cpu), proc


def median(xs: list[Timing]) -> Timing:
    return Timing(statistics.median(xs), statistics.median(x.cpu for x in xs))


def new_commit(repo: Path, n: int) -> None:
    """Edit one manifest and one runbook, and commit (what a merge to main does to the repository)."""
    files = subprocess.run(["git", "-C", str(repo), "ls-files"], check=True, capture_output=True, text=True).stdout.split("\n")
    manifest = next(f for f in files if f.endswith((".yaml", ".yml")) and not f.startswith(".") and f != "rbh.yaml")
    runbook = sorted(f for f in files if f.endswith(".md"))[n * 7 % 50]
    with open(repo / manifest, "a", encoding="utf-8") as fh:
        fh.write(f"\n# bench edit {n}\n")
    with open(repo / runbook, "a", encoding="utf-8") as fh:
        fh.write(f"\nBench edit {n}.\n")
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Bench", "-c", "user.email=b@example.com", "commit", "-q",
                    "-am", f"bench edit {n}"], check=True)


def measure(code_root: Path, repo: Path, one_file: str, skip_ask: bool, questions: list[str]) -> dict[str, float]:
    shutil.rmtree(repo / ".rbh", ignore_errors=True)
    check = ["check", "--format", "json", "--fail-on", "never"]
    row: dict[str, Timing] = {}
    row["cold"], cold = rbh(code_root, repo, *check)
    n = cold.stdout.count('"rule":')
    row["findings"] = Timing(n, n)
    row["warm"] = median([rbh(code_root, repo, *check)[0] for _ in range(3)])
    row["one"] = median([rbh(code_root, repo, *check, one_file)[0] for _ in range(3)])
    if not skip_ask:
        row["index"], _ = rbh(code_root, repo, "index", "-q")
        rbh(code_root, repo, "ask", "warm up the model files")
        row["ask"] = median([rbh(code_root, repo, "ask", q)[0] for q in questions[:3]])
        row["ask_nohealth"] = median([rbh(code_root, repo, "ask", "--no-health", q)[0] for q in questions[4:7]])
    commits = []
    for n in range(3):
        new_commit(repo, n)
        commits.append(rbh(code_root, repo, *check)[0])
    row["commit"] = median(commits)
    row["changed"] = median([rbh(code_root, repo, *check, "--changed-since", "HEAD~1")[0] for _ in range(3)])
    if not skip_ask:  # after the commits: health recomputed once for the new state, then read
        row["ask_after"] = rbh(code_root, repo, "ask", questions[3])[0]
    return row


def clone(src: Path, dest: Path, config: Path | None) -> Path:
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    if config is not None:
        shutil.copy(config, dest / config.name)
    return dest


def one_runbook(repo: Path) -> str:
    files = subprocess.run(["git", "-C", str(repo), "ls-files", "*.md"], check=True, capture_output=True, text=True).stdout.split()
    return sorted(files)[len(files) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--runbooks", type=int, default=500)
    ap.add_argument("--real", type=Path, action="append", default=[], help="a real repository (its rbh.yaml in the work tree)")
    ap.add_argument("--skip-ask", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    args = ap.parse_args()
    corpora: list[tuple[str, Path, Path | None, list[str]]] = []
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    if not args.skip_synthetic:
        synth = DATA / "synthetic"
        t = time.perf_counter()
        generate(synth, args.commits, args.runbooks)
        print(f"generated {synth}: {args.runbooks} runbooks, {args.commits} commits in {time.perf_counter() - t:.1f}s")
        corpora.append((f"synthetic {args.runbooks} rb / {args.commits} commits", synth, None, SYNTHETIC_QUESTIONS))
    for real in args.real:
        cfg = real / "rbh.yaml"
        corpora.append((real.name, real, cfg if cfg.exists() else None, REAL_QUESTIONS))
    with tempfile.TemporaryDirectory(prefix="rbh-history-bench-") as tmpname:
        tmp = Path(tmpname)
        base = baseline_tree(tmp)
        rows = []
        for label, src, cfg, questions in corpora:
            for impl, code in (("baseline", base), ("this branch", HERE)):
                repo = clone(src, tmp / f"{label.split()[0]}-{impl.split()[0]}", cfg)
                one = one_runbook(repo)
                row = measure(code, repo, one, args.skip_ask, questions)
                rows.append((label, impl, row))
                print(f"  {label:<34} {impl:<12} " + "  ".join(f"{k} {v:.2f}/{v.cpu:.2f}" for k, v in row.items()), flush=True)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    cols = [("cold", "cold"), ("warm", "warm"), ("one", "1 file"), ("commit", "commit"), ("changed", "changed"), ("ask", "ask"),
            ("ask_nohealth", "ask -H"), ("ask_after", "ask+c"), ("index", "index")]
    head = f"{'repository':<34} {'code':<12} " + " ".join(f"{t:>11}" for _, t in cols) + f" {'findings':>8}"
    print(head)
    print("-" * len(head))
    for label, impl, r in rows:
        cells = [f"{r[k]:.2f} ({r[k].cpu:.2f})" if k in r else "-" for k, _ in cols]
        print(f"{label:<34} {impl:<12} " + " ".join(f"{c:>11}" for c in cells) + f" {int(r['findings']):>8}")
    print("\nseconds: wall (CPU user+sys), new process each; warm, 1 file, ask, commit, changed: median of 3.\n"
          "commit: rbh check right after a commit that edits a manifest and a runbook; changed: then\n"
          "rbh check --changed-since HEAD~1. ask: unseen question\n"
          "after rbh index and one warm-up ask; ask -H: the same with --no-health (the floor without health);\n"
          "ask+c: the first ask after those commits (health recomputed for the new state).\n"
          "targets: cold <= 4, warm <= 1.5, 1 file <= 0.8, ask <= 1.0")


if __name__ == "__main__":
    main()
