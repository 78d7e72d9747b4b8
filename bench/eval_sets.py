"""`rbh eval` on every evaluation set, runbooks only (the realistic free-text case), one table.

Sets: OpenShift (``../shared/bench-data/openshift``) and the sets ``bench/build_ask_sets.py`` builds
under ``/work/data/ask`` (``kubevirt``, ``cnpg``, ``srerun``), plus ``human`` (responder questions about the
kubevirt runbooks, evaluated on that set's index). For each set the script copies ``<set>/runbooks``
into a temporary git repository with no config file (every setting a default), runs ``rbh index``,
then ``rbh eval --no-alert-lookup`` on summary + description queries (all queries for ``human``).

    .venv/bin/python bench/eval_sets.py [--sets openshift,kubevirt,cnpg,human,srerun] [--misses N] [--json]

``--ref`` adds the reference hybrid (``bench/ref_baseline.py``, run in /work/data/ask/refvenv);
``--rules`` adds a row per set with its alert rules given and alert lookup on (``PREFIXES`` maps each
set's ``runbook_url`` values to its runbooks, as a team's ``rbh.yaml`` would).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = Path("/work/data/ask")
SETS = {  # name: (set dir with runbooks/, queries file, kinds)
    "openshift": (Path("/work/shared/bench-data/openshift"), None, ["summary", "description"]),
    "kubevirt": (DATA / "kubevirt", None, ["summary", "description"]),
    "cnpg": (DATA / "cnpg", None, ["summary", "description"]),
    "human": (DATA / "kubevirt", DATA / "human/queries.jsonl", None),
    "srerun": (DATA / "srerun", None, ["summary", "description"]),
}
REFVENV = DATA / "refvenv/bin/python"
# where each set's runbook_url values point (for the alert-lookup rows, --rules); the same kind of
# config a team writes once for its repository (bench/README.md shows OpenShift's)
PREFIXES = {
    "openshift": {"https://github.com/openshift/runbooks/blob/*/": "runbooks/"},
    "kubevirt": {"https://kubevirt.io/monitoring/runbooks/": "runbooks/docs/runbooks/"},
    "cnpg": {"https://github.com/cloudnative-pg/charts/blob/*/": "runbooks/"},
    "srerun": {"https://srerun.github.io/prometheus-alerts/": "runbooks/content/"},
}
# Hugo publishes lower-cased page paths; without the site's Hugo config in the copy, the team says so
CASE_INSENSITIVE = {"srerun"}


def make_repo(runbooks: Path, dest: Path, prefixes: dict[str, str] | None = None, case_insensitive: bool = False) -> None:

    shutil.copytree(runbooks, dest / "runbooks")
    if prefixes:
        import yaml

        urls: dict = {"prefixes": prefixes, **({"case_insensitive": True} if case_insensitive else {})}
        (dest / "rbh.yaml").write_text(yaml.safe_dump({"check": {"runbook_urls": urls}}), encoding="utf-8")
    from eval_openshift import commit_bench_copy  # bench/ is on sys.path when a script in it runs

    commit_bench_copy(dest, "runbooks (bench copy)")


def reference(set_dir: Path, queries: Path, kinds: list[str] | None) -> dict | None:
    if not REFVENV.exists():
        return None
    cmd = [str(REFVENV), str(ROOT / "bench/ref_baseline.py"), str(set_dir), "--queries", str(queries), "--json",
           "--kinds", ",".join(kinds) if kinds else ""]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--misses", type=int, default=0)
    ap.add_argument("--ref", action="store_true", help="also run the BM25 + MiniLM reference (bench venv)")
    ap.add_argument("--rules", action="store_true", help="also rows with the set's rules and alert lookup on")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    from rbh.indexer.evaluate import run_eval
    from rbh.indexer.sync import sync
    from rbh.project import load_project

    names = [s for s in args.sets.split(",") if s]
    rows, out = [], {}
    indexed: dict[Path, tuple[Path, object]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="rbh-eval-sets-"))
    try:
        for name in names:
            set_dir, qfile, kinds = SETS[name]
            qfile = qfile or set_dir / "queries.jsonl"
            if not qfile.is_file():
                print(f"{name}: no data at {set_dir}; skipped", file=sys.stderr)
                continue
            if set_dir not in indexed:
                repo = tmp / name
                make_repo(set_dir / "runbooks", repo, PREFIXES.get(name) if args.rules else None, name in CASE_INSENSITIVE)
                project = load_project(repo)
                sync(project)
                indexed[set_dir] = (repo, project)
            repo, project = indexed[set_dir]
            t0 = time.perf_counter()
            rep = run_eval(project, qfile, runbooks_root="runbooks", alert_lookup=False, kinds=kinds)
            secs = time.perf_counter() - t0
            d = rep.as_dict()["overall"]
            ref = reference(set_dir, qfile, kinds) if args.ref else None
            out[name] = {"rbh": d, "reference": ref, "misses": rep.misses}
            rows.append((name, d, ref, secs / max(d["n"], 1) * 1000))
            if args.rules and (set_dir / "rules").is_dir() and name != "human":
                lk = run_eval(project, qfile, runbooks_root="runbooks", alert_lookup=True, kinds=kinds,
                              manifests_dir=set_dir / "rules").as_dict()["overall"]
                rows.append((f"{name} + rules, alert lookup", lk, None, 0.0))
                out[f"{name}+rules"] = {"rbh": lk}
            for m in rep.misses[: args.misses]:
                print(f"  {name} miss rank={m['rank']}: {m['query'][:100]!r} expected {m['expected'][0]} got {m['got'][:2]}",
                      file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print("| set | n | R@1 | R@3 | R@5 | MRR@10 | ms/query |" + (" ref R@1 | ref R@3 |" if args.ref else ""))
    print("|---|---|---|---|---|---|---|" + ("---|---|" if args.ref else ""))
    for name, d, ref, ms in rows:
        line = (f"| {name} | {d['n']} | {d['recall@1']:.3f} | {d['recall@3']:.3f} | {d['recall@5']:.3f} | {d['mrr@10']:.3f} | "
                f"{f'{ms:.0f}' if ms else '-'} |")
        if args.ref:
            line += f" {ref['recall@1']:.3f} | {ref['recall@3']:.3f} |" if ref else " - | - |"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
