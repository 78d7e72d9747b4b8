"""Compare two runs of bench/recheck_rounds.sh finding by finding: every finding only in one of them,
per repository and report (the configured check and the no-rbh.yaml one).

    python3 bench/recheck_compare.py /work/data/fixes13/before /work/data/fixes13/after
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def findings(path: Path) -> list[tuple]:
    if not path.exists():
        return []
    return [(f["severity"], f["rule"], f["path"], f["line"], f["message"]) for f in json.loads(path.read_text())["findings"]]


def main(before: str, after: str) -> None:
    a, b = Path(before), Path(after)
    for report in sorted(p.name for p in b.glob("*.json")):
        old, new = findings(a / report), findings(b / report)
        gone = [f for f in old if f not in new]
        came = [f for f in new if f not in old]
        print(f"{report}: {len(old)} -> {len(new)} findings" + ("" if gone or came else " (identical)"))
        for sign, rows in (("-", gone), ("+", came)):
            for sev, rule, path, line, message in rows:
                print(f"  {sign} {rule} {sev} {path}:{line} {message}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
