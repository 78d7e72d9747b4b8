"""Does a rebuild of the same commit answer the same? `rbh index --full` N times, one table.

Copies an evaluation set (``bench/eval_sets.py``'s ``SETS``: runbooks, and its alert rules as
``manifests/`` with the set's ``runbook_url`` prefixes in ``rbh.yaml``) into a temporary git
repository, then N times: ``rbh index --full`` in its own process under ``PYTHONHASHSEED=<n>``,
and every summary, description and alert-name query of the set asked in another process (a fixed
seed), with alert lookup and without; top 5 (path, anchor) per query. Rows: how many rankings and
top-1 answers differ from the first build's.

    .venv/bin/python bench/rebuild_determinism.py [--set cnpg] [--builds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ASK = r"""
import json, sys
from rbh.indexer.alerts import catalog_for_project
from rbh.indexer.query import Retriever, retrieve
from rbh.project import load_project

project = load_project(sys.argv[1])
catalog = catalog_for_project(project)
out = {}
with Retriever(project) as r:
    for line in open(sys.argv[2], encoding="utf-8"):
        q = json.loads(line)
        if q.get("query_kind") in ("summary", "description", "alert_name"):
            for mode, c in (("alert", catalog), ("free", None)):
                out[f"{q['id']}:{mode}"] = [(h.path, h.anchor) for h in retrieve(r, q["query"], catalog=c, top_k=5).hits]
print(json.dumps(out))
"""


def main() -> int:
    import yaml
    from eval_openshift import commit_bench_copy  # bench/ is on sys.path
    from eval_sets import CASE_INSENSITIVE, PREFIXES, SETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="cnpg", choices=[s for s in SETS if s != "human"])
    ap.add_argument("--builds", type=int, default=5)
    args = ap.parse_args()
    set_dir, _, _ = SETS[args.set]
    rbh = str(Path(sys.executable).parent / "rbh")
    tmp = Path(tempfile.mkdtemp(prefix="rbh-rebuilds-"))
    try:
        repo = tmp / args.set
        shutil.copytree(set_dir / "runbooks", repo / "runbooks")
        if (set_dir / "rules").is_dir():
            shutil.copytree(set_dir / "rules", repo / "manifests")
        urls = {"prefixes": PREFIXES[args.set], **({"case_insensitive": True} if args.set in CASE_INSENSITIVE else {})}
        (repo / "rbh.yaml").write_text(yaml.safe_dump({"check": {"runbook_urls": urls}}), encoding="utf-8")
        (repo / ".gitignore").write_text(".rbh/\n", encoding="utf-8")
        commit_bench_copy(repo, f"{args.set} (bench copy)")
        answers = []
        for n in range(args.builds):
            env = {**os.environ, "PYTHONHASHSEED": str(n + 1)}
            subprocess.run([rbh, "index", "--full", "-q", "--repo", str(repo)], env=env, check=True)
            out = subprocess.run([sys.executable, "-c", ASK, str(repo), str(set_dir / "queries.jsonl")],
                                 env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=True).stdout
            answers.append(json.loads(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    first = answers[0]
    print(f"{args.set}: {len(first)} rankings (queries x alert lookup on/off) after each `rbh index --full`")
    print("| build | PYTHONHASHSEED | answers sha256 | rankings unlike build 1 | top-1 unlike build 1 |")
    print("|---|---|---|---|---|")
    for n, got in enumerate(answers):
        digest = hashlib.sha256(json.dumps(got, sort_keys=True).encode()).hexdigest()[:12]
        ranks = sum(got[k] != first[k] for k in first)
        tops = sum(got[k][:1] != first[k][:1] for k in first)
        print(f"| {n + 1} | {n + 1} | {digest} | {ranks} | {tops} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
