"""Retrieval quality on real data: `rbh eval` over the OpenShift runbooks and their alert rules.

Copies ``<data>/runbooks`` into a temporary git repository (the data never enters this project),
runs ``rbh index`` on it, then ``rbh eval`` in three modes and prints one table:

- runbooks only, summary + description queries, no alert lookup (the realistic free-text case;
  targets R@1 >= 0.80 and R@3 >= 0.95);
- the same queries with the operators' rules given (``--manifests <data>/rules``) and alert-aware
  lookup on (target R@1 >= 0.95);
- every query kind (also raw templates and bare alert names) with the rules and alert lookup.

Nothing here is tuned to this data: the repository gets no config file, so every setting is a
default of ``rbh.yaml``; ``--heading-levels N`` writes an ``rbh.yaml`` to try another chunking.

    .venv/bin/python bench/eval_openshift.py [--data DIR] [--heading-levels N] [--keep] [--misses N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = Path("/work/shared/bench-data/openshift")


def make_repo(data: Path, dest: Path, heading_levels: int | None) -> None:
    shutil.copytree(data / "runbooks", dest / "runbooks")
    if heading_levels:
        (dest / "rbh.yaml").write_text(f"index:\n  heading_levels: {heading_levels}\n", encoding="utf-8")
    commit_bench_copy(dest, "openshift runbooks (bench copy)")


def commit_bench_copy(dest: Path, message: str) -> None:
    """*dest* as a new git repository with everything in it committed once (bench data copies)."""
    import git

    repo = git.Repo.init(dest, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "bench")
        cw.set_value("user", "email", "bench@example.invalid")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", message)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--heading-levels", type=int, default=None, help="index.heading_levels for the temp repo")
    ap.add_argument("--keep", action="store_true", help="keep the temporary repository and index")
    ap.add_argument("--misses", type=int, default=0, help="print this many misses of the runbooks-only mode")
    ap.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    queries = args.data / "queries.jsonl"
    if not queries.is_file():
        print(f"no bench data at {args.data}; skipped")
        return 0

    from rbh.indexer.evaluate import run_eval
    from rbh.indexer.sync import sync
    from rbh.project import load_project

    tmp = Path(tempfile.mkdtemp(prefix="rbh-eval-openshift-"))
    try:
        repo = tmp / "repo"
        make_repo(args.data, repo, args.heading_levels)
        project = load_project(repo)
        t0 = time.perf_counter()
        report = sync(project)
        index_s = time.perf_counter() - t0
        modes = [
            ("runbooks only, summary+description", dict(alert_lookup=False, kinds=["summary", "description"])),
            ("+ rules, alert lookup, summary+description", dict(alert_lookup=True, manifests_dir=args.data / "rules",
                                                                kinds=["summary", "description"])),
            ("+ rules, alert lookup, all kinds", dict(alert_lookup=True, manifests_dir=args.data / "rules")),
        ]
        rows = []
        out = {}
        for name, kw in modes:
            t0 = time.perf_counter()
            rep = run_eval(project, queries, runbooks_root="runbooks", **kw)
            secs = time.perf_counter() - t0
            d = rep.as_dict()
            out[name] = {**d, "seconds": round(secs, 1)}
            o = d["overall"]
            rows.append((name, o["n"], o["recall@1"], o["recall@3"], o["recall@5"], o["mrr@10"], secs / max(o["n"], 1) * 1000))
            if name.startswith("runbooks only") and args.misses:
                for m in rep.misses[: args.misses]:
                    print(f"  miss rank={m['rank']}: {m['query'][:90]!r} expected {m['expected'][0]} got {m['got'][:2]}", file=sys.stderr)
        if args.json:
            print(json.dumps(out, indent=2))
            return 0
        print(f"index: {report.files} runbooks, {report.chunks_total} chunks in {index_s:.1f}s"
              + (f" (heading_levels {args.heading_levels})" if args.heading_levels else ""))
        print("| mode | n | R@1 | R@3 | R@5 | MRR@10 | ms/query |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:.3f} | {r[5]:.3f} | {r[6]:.0f} |")
        by_kind = out["+ rules, alert lookup, all kinds"]["by_kind"]
        print("\nby query_kind (rules + alert lookup):")
        for kind, s in by_kind.items():
            print(f"  {kind:<16} n={s['n']:<4} R@1 {s['recall@1']:.3f}  R@3 {s['recall@3']:.3f}  MRR@10 {s['mrr@10']:.3f}")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
