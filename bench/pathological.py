"""Pathological-input benchmark: time against input size for every case of the hostile corpus.

Each case of ``tests/data/pathological.yaml`` (adjacent alert templates, unclosed ``{{``, Helm-like
manifests, alias bombs, deep nesting, huge lines, many headings ...) runs through the real
components that read that kind of input (``tests/pathological.py``: the runbook parser, reference
extraction and chunker; the manifest sources; the alert catalog; the runbook-URL resolver; the
``--alert-json`` reader; the config loader) at 1x, 2x, 4x and 8x its size. The baseline, in the same
run, is a benign input of the same kind and the same size at 8x (plain words), so the table shows
both the growth (linear: time doubles with size, exponent ~1) and what the hostile shape costs over
ordinary text. Best of 3 runs per point; a case that takes over ``--budget`` seconds at one size is
not run at the next (marked ``>``).

    .venv/bin/python bench/pathological.py                 # every case, 1x..8x
    .venv/bin/python bench/pathological.py --cases adjacent-templates,helm-unclosed-action
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pathological import Case, load_cases, run_case  # noqa: E402

SCALES = (1, 2, 4, 8)


def timed(case: Case, scale: float, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        run_case(case, scale)
        best = min(best, time.perf_counter() - started)
    return best


def benign(case: Case, size: int) -> Case:
    """A harmless input of the same kind and about *size* characters: plain words (or, for a
    manifest, ordinary YAML; for a payload, an ordinary summary)."""
    if case.kind == "manifest":
        unit = "key: a plain value of words\n"
        return replace(case, text={"prefix": "", "repeat": unit, "times": max(1, size // len(unit)), "suffix": ""})
    if case.kind == "payload":
        prefix = '{"alerts": [{"labels": {"alertname": "Unknown"}, "annotations": {"summary": "'
        return replace(case, text={"prefix": prefix, "repeat": "word ", "times": max(1, size // 5), "suffix": '"}}]}'})
    if case.kind == "config":
        unit = "# a comment line\n"
        return replace(case, text={"prefix": "", "repeat": unit, "times": max(1, size // len(unit)), "suffix": ""})
    prefix = "# Plain\n\n" if case.kind == "runbook" else ""
    unit = "word word word\n" if case.kind == "runbook" else "word "
    return replace(case, text={"prefix": prefix, "repeat": unit, "times": max(1, size // len(unit)), "suffix": ""})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per point, best taken (default 3)")
    ap.add_argument("--budget", type=float, default=20.0, help="seconds at one size before larger sizes are skipped")
    args = ap.parse_args()
    wanted = {c.strip() for c in args.cases.split(",") if c.strip()}
    cases = [c for c in load_cases() if not wanted or c.name in wanted]

    for c in {c.kind: c for c in cases}.values():  # warm up: imports, models, caches
        run_case(c, 0.05)

    head = f"| {'case':28} | {'kind':8} | {'size 1x':>9} | " + " | ".join(f"{f'{s}x':>8}" for s in SCALES)
    print(head + f" | {'exponent':>8} | {'baseline 8x':>11} |")
    print("|" + "|".join("-" * (len(p) + 0) for p in (head + " | -------- | ----------- |").split("|")[1:-1]) + "|")
    for case in cases:
        times: list[float | None] = []
        for scale in SCALES:
            if times and (times[-1] is None or times[-1] > args.budget):
                times.append(None)
                continue
            times.append(timed(case, scale, args.repeat if scale < 8 else max(1, args.repeat - 1)))
        size = len(case.build(1))
        base = timed(benign(case, len(case.build(8))), 1, args.repeat)
        first, last = times[0], next((t for t in reversed(times) if t is not None), None)
        n_last = SCALES[max(i for i, t in enumerate(times) if t is not None)]
        exponent = math.log(last / first) / math.log(n_last) if first and last and first > 0 and n_last > 1 else float("nan")
        cells = " | ".join(f"{t * 1000:7.1f}m" if t is not None else f"{'>':>8}" for t in times)
        print(f"| {case.name:28} | {case.kind:8} | {size / 1024:7.1f}KB | {cells} | {exponent:8.2f} | {base * 1000:9.1f}ms |", flush=True)
    print("\ntimes in ms (best of runs); exponent = log(t_max / t_1x) / log(max scale): 1 is linear, 2 quadratic."
          "\nbaseline: a benign input of the same kind and size as 8x (plain words / plain YAML).")


if __name__ == "__main__":
    main()
