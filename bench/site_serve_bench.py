"""`mkdocs serve` rebuilds with the rbh-health plugin: check results reused while nothing changed.

The OpenShift corpus (272 runbooks, 40 PrometheusRule files; /work/shared/bench-data/openshift) is
copied into a git repository in a temp folder (runbooks/ as the docs, the rules under manifests/)
with a plain-theme mkdocs.yml. Each rebuild runs as `mkdocs serve` runs one: a fresh config (MkDocs
keeps the plugin, which has on_startup) and a real in-process build. The rows:

* plain build: `mkdocs build` (the checks always run): the baseline, measured in the same run;
* serve, first build: the checks run;
* serve, a docs page changed that is no runbook: nothing the checks read changed, results reused;
* serve, a manifest changed: the checks run again.

The trend chart is off (its points are cached per commit anyway), so the rows differ by the checks.

    .venv/bin/python bench/site_serve_bench.py               # fastest of 3 per row
    .venv/bin/python bench/site_serve_bench.py --repeat 1
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DATA = Path("/work/shared/bench-data/openshift")

MKDOCS_YML = """\
site_name: OpenShift runbooks (bench)
docs_dir: runbooks
site_dir: build/site
theme: {name: mkdocs}
plugins:
  - search
  - rbh-health:
      trend: false
"""


def make_repo(root: Path) -> None:
    shutil.copytree(DATA / "runbooks", root / "runbooks")
    shutil.copytree(DATA / "rules", root / "manifests")
    (root / "runbooks" / "index.md").write_text("# OpenShift runbooks\n", encoding="utf-8")
    (root / "rbh.yaml").write_text("runbooks:\n  include: [runbooks/alerts/**/*.md]\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "corpus"]):
        subprocess.run(cmd, cwd=root, check=True, env=env)


def timed_build(root: Path) -> float:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(root / "mkdocs.yml"))
    start = time.perf_counter()
    build(config)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)

    import rbh.checks.mkdocs_plugin as plugin_mod

    runs = {"n": 0}
    engine = plugin_mod._run_engine

    def counted(project):
        runs["n"] += 1
        return engine(project)

    plugin_mod._run_engine = counted  # our own module's hook: count the check runs, change nothing else

    rows: dict[str, list[tuple[float, int]]] = {}

    def record(name: str, seconds: float, before: int) -> None:
        rows.setdefault(name, []).append((seconds, runs["n"] - before))

    with tempfile.TemporaryDirectory(prefix="rbh-site-serve-") as tmp:
        root = Path(tmp) / "repo"
        make_repo(root)
        manifest = sorted((root / "manifests").rglob("*.yaml"))[0]
        page = root / "runbooks" / "index.md"
        timed_build(root)  # warm: imports, history cache
        from mkdocs.config import load_config

        for i in range(args.repeat):
            n = runs["n"]
            record("plain `mkdocs build` (baseline)", timed_build(root), n)
            config = load_config(str(root / "mkdocs.yml"))
            config.plugins.on_startup(command="serve", dirty=False)
            try:
                n = runs["n"]
                record("serve: first build", timed_build(root), n)
                page.write_text(page.read_text(encoding="utf-8") + f"\nEdit {i}.\n", encoding="utf-8")
                n = runs["n"]
                record("serve: a docs page that is no runbook changed", timed_build(root), n)
                manifest.write_text(manifest.read_text(encoding="utf-8") + f"\n# edit {i}\n", encoding="utf-8")
                n = runs["n"]
                record("serve: a manifest changed", timed_build(root), n)
            finally:
                config.plugins.on_shutdown()
        runbooks = len(list((root / "runbooks" / "alerts").rglob("*.md")))
        manifests = len(list((root / "manifests").rglob("*.yaml")))

    base = min(s for s, _ in rows["plain `mkdocs build` (baseline)"])
    load = os.getloadavg()[0]
    print(f"OpenShift corpus: {runbooks} runbooks, {manifests} rule files; fastest of {args.repeat} per row, "
          f"load average {load:.1f} on {os.cpu_count()} cores at the end\n")
    print("| rebuild | wall time | vs plain build | check runs |")
    print("|---|---:|---:|---:|")
    for name, values in rows.items():
        best = min(s for s, _ in values)
        print(f"| {name} | {best:.2f} s | {best / base:.2f}x | {values[0][1]} |")


if __name__ == "__main__":
    main()
