"""`make demo`: the four user paths on the built-in example, end to end.

1. index the example runbooks (this repository, committed tree at HEAD) into an embedded Qdrant store
2. ask two questions a responder would ask, and one by alert name
3. run the staleness checks: clean on the example
4. commit the drift scenario on a temporary clone and show the checks catching it
5. build the docs site with its health banners (mkdocs build --strict)

Each step prints the command it runs, as a user would type it. The demo stops with a non-zero
exit when a step does not behave as documented.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))


def step(title: str) -> None:
    print(f"\n\033[1m==> {title}\033[0m" if sys.stdout.isatty() else f"\n==> {title}", flush=True)


def run(args: list[str], expect: int | tuple[int, ...] = 0, cwd: Path = ROOT) -> int:
    shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
    print(f"$ {shown}", flush=True)
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    code = subprocess.call([exe, *args[1:]], cwd=cwd)
    expected = (expect,) if isinstance(expect, int) else expect
    if code not in expected:
        print(f"demo: '{shown}' exited {code}, expected {' or '.join(map(str, expected))}", file=sys.stderr)
        sys.exit(1)
    return code


def main() -> None:
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # material's end-of-life banner is noise here
    step("1. Index the example runbooks (git HEAD) into the embedded Qdrant store under .rbh/")
    run(["rbh", "index", "--repo", "."])

    step("2. Ask like a responder at 2 AM")
    run(["rbh", "ask", "--repo", ".", "--top-k", "3", "checkout p99 latency is high"])
    run(["rbh", "ask", "--repo", ".", "--top-k", "3", "postgres replica is lagging behind the primary"])
    run(["rbh", "ask", "--repo", ".", "--top-k", "1", "KubePodCrashLooping"])

    step("3. Staleness checks on the example: clean")
    run(["rbh", "check", "--repo", "."])

    step("4. The drift scenario: a later commit renames deployment checkout and retires an alert")
    import drift

    tmp = Path(tempfile.mkdtemp(prefix="rbh-drift-"))
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(tmp / "shop")], check=True)
        for key, value in (("user.name", "Demo"), ("user.email", "demo@shop.example")):
            subprocess.run(["git", "-C", str(tmp / "shop"), "config", key, value], check=True)
        sha = drift.apply_drift(tmp / "shop")
        print(f"(committed {sha[:8]} in a temporary clone: {tmp / 'shop'})")
        run(["rbh", "check", "--repo", str(tmp / "shop")], expect=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    step("5. Build the docs site with health banners")
    run(["mkdocs", "build", "--strict", "--quiet"])
    print(f"site written to {ROOT / 'build' / 'site'} (open index.html, or run: .venv/bin/mkdocs serve)")
    print("\ndemo: all steps behaved as documented")


if __name__ == "__main__":
    main()
