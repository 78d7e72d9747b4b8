"""``rbh eval``: retrieval quality at runbook level, so tuning is measured instead of guessed.

A query file has one JSON object a line: ``query``, ``expected`` (runbook paths; any one counts as a
hit) and optionally ``query_kind`` and ``id``. Expected paths are relative to the repository root,
or to ``--runbooks-root`` when the set was written against a runbooks folder.

Scores: recall@1, @3, @5 (the share of queries whose expected runbook is among the first k distinct
runbooks) and MRR@10 (mean of 1/rank within the first 10, 0 beyond), per ``query_kind`` and overall.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from rbh.indexer.query import RetrievalSettings
    from rbh.project import Project

from rbh.errors import ConfigError

KS = (1, 3, 5)
MRR_DEPTH = 10


@dataclass(frozen=True)
class EvalQuery:
    id: str
    query: str
    expected: tuple[str, ...]
    kind: str = "query"


def load_queries(path: Path, kinds: Iterable[str] | None = None) -> list[EvalQuery]:
    """Read a JSONL query file; a one-line ConfigError names the line of the first bad record."""
    wanted = {k.strip() for k in kinds if k.strip()} if kinds else None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    out: list[EvalQuery] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path.name}:{n}: not valid JSON: {exc.msg}") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("query"), str):
            raise ConfigError(f"{path.name}:{n}: expected an object with a 'query' string")
        expected = rec.get("expected")
        if isinstance(expected, str):
            expected = [expected]
        if not isinstance(expected, list) or not expected or not all(isinstance(e, str) for e in expected):
            raise ConfigError(f"{path.name}:{n}: 'expected' must be a non-empty list of runbook paths")
        kind = str(rec.get("query_kind") or "query")
        if wanted is not None and kind not in wanted:
            continue
        out.append(EvalQuery(str(rec.get("id") or f"line-{n}"), rec["query"], tuple(expected), kind))
    if not out:
        raise ConfigError(f"{path.name}: no queries" + (f" of kind {', '.join(sorted(wanted))}" if wanted else ""))
    return out


def resolve_expected(queries: list[EvalQuery], runbook_paths: Iterable[str], root: str | None = None) -> tuple[list[EvalQuery], list[str]]:
    """Expected paths as repository paths: prefixed with *root*; notices for paths that name no runbook."""
    known = set(runbook_paths)
    prefix = root.strip("/") + "/" if root and root.strip("/") else ""
    unknown: set[str] = set()
    out = []
    for q in queries:
        exp = tuple(prefix + e.lstrip("/") for e in q.expected)
        unknown.update(e for e in exp if e not in known)
        out.append(EvalQuery(q.id, q.query, exp, q.kind))
    notices = []
    if unknown:
        sample = ", ".join(sorted(unknown)[:3])
        notices.append(f"{len(unknown)} expected path(s) are not indexed runbooks (e.g. {sample}); "
                       f"use --runbooks-root if the set's paths are relative to a runbooks folder")
    return out, notices


@dataclass
class Scores:
    n: int = 0
    hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in KS})
    rr: float = 0.0

    def add(self, rank: int | None) -> None:
        self.n += 1
        for k in KS:
            if rank is not None and rank <= k:
                self.hits[k] += 1
        if rank is not None and rank <= MRR_DEPTH:
            self.rr += 1.0 / rank

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"n": self.n}
        for k in KS:
            d[f"recall@{k}"] = round(self.hits[k] / self.n, 4) if self.n else 0.0
        d[f"mrr@{MRR_DEPTH}"] = round(self.rr / self.n, 4) if self.n else 0.0
        return d


@dataclass
class EvalReport:
    overall: Scores
    by_kind: dict[str, Scores]
    misses: list[dict[str, Any]]
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_kind": {k: s.as_dict() for k, s in sorted(self.by_kind.items())},
            "misses": self.misses,
        }

    def table(self) -> str:
        cols = ["n", *[f"recall@{k}" for k in KS], f"mrr@{MRR_DEPTH}"]
        rows = [(k, s.as_dict()) for k, s in sorted(self.by_kind.items())] + [("overall", self.overall.as_dict())]
        width = max(len("query_kind"), *(len(k) for k, _ in rows))
        out = [f"{'query_kind':<{width}}  " + "  ".join(f"{c:>9}" for c in cols)]
        for name, d in rows:
            out.append(f"{name:<{width}}  " + "  ".join(f"{d[c]:>9}" if c == "n" else f"{d[c]:>9.3f}" for c in cols))
        return "\n".join(out)


def rank_of(expected: Iterable[str], ranked: list[str]) -> int | None:
    exp = set(expected)
    for i, path in enumerate(ranked, start=1):
        if path in exp:
            return i
    return None


def evaluate(queries: list[EvalQuery], rank: Callable[[str], list[str]]) -> EvalReport:
    """Score *rank* (query -> distinct runbook paths, best first) on *queries*."""
    overall = Scores()
    by_kind: dict[str, Scores] = {}
    misses: list[dict[str, Any]] = []
    for q in queries:
        ranked = list(dict.fromkeys(rank(q.query)))
        r = rank_of(q.expected, ranked)
        overall.add(r)
        by_kind.setdefault(q.kind, Scores()).add(r)
        if r != 1:
            misses.append({"id": q.id, "query_kind": q.kind, "query": q.query, "expected": list(q.expected),
                           "rank": r, "got": ranked[:3]})
    return EvalReport(overall, by_kind, misses)


def set_name(queries_file: Path) -> str:
    """A query file's set name: its folder for ``<set>/queries.jsonl``, else the file name's stem."""
    return queries_file.parent.name if queries_file.stem == "queries" and queries_file.parent.name else queries_file.stem


def run_eval(project: Project, queries_file: Path, *, runbooks_root: str | None = None, manifests_dir: Path | None = None,
             alert_lookup: bool = True, kinds: list[str] | None = None, qdrant_url: str | None = None,
             settings: RetrievalSettings | None = None, rerank: str | None = None) -> EvalReport:
    """Evaluate the project's index on a query file, the way ``rbh ask`` retrieves (no health, no LLM
    answer; *rerank* applies the optional reranking stage as ``rbh ask --rerank`` does)."""
    from rbh.indexer.alerts import catalog_for_project
    from rbh.indexer.query import Retriever, retrieve

    queries = load_queries(queries_file, kinds)
    runbooks = project.load_runbooks(with_git=False)
    queries, notices = resolve_expected(queries, [rb.path for rb in runbooks], runbooks_root)
    catalog = catalog_for_project(project, runbooks, manifests_dir=manifests_dir) if alert_lookup else None
    from rbh.indexer.answer import apply_rerank, ask_settings

    with Retriever(project, qdrant_url=qdrant_url, settings=settings) as retriever:

        ask_cfg = ask_settings(project.config, rerank)

        def rank(text: str) -> list[str]:
            depth = max(MRR_DEPTH, ask_cfg.rerank_candidates) if ask_cfg.rerank != "none" else MRR_DEPTH
            found = retrieve(retriever, text, catalog=catalog, top_k=depth, per_runbook=1, min_score=0.0,
                             fetch_sections=False)
            if ask_cfg.rerank != "none":
                apply_rerank(found, text, ask_cfg, project.config.llm, MRR_DEPTH)
            return [h.path for h in found.hits]

        report = evaluate(queries, rank)
    report.notices = notices
    return report
