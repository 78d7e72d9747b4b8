"""The answer a responder reads at 2 AM: each section verbatim, where it came from, and whether to trust it.

For every retrieved section: the section text exactly as indexed (steps and code blocks intact), the
citation (``path:line``, ``#anchor``, commit short sha, the docs-site URL when ``site.url`` is set),
freshness (last change, ``last_reviewed``, overdue marker), health (the runbook's open findings from
``rbh check``) and the owner. Rendered for a terminal (colors only on a TTY, ``NO_COLOR`` honoured)
or as JSON for tools.

Health is computed lazily and only for the runbooks shown; if the checks fail for any reason the
answer still prints, with a one-line notice instead of the health block.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Model


@dataclass
class Freshness:
    changed: str | None  # ISO datetime of the file's last commit at the indexed ref
    author: str | None
    last_reviewed: str | None
    review_every: int | None
    review_due: str | None
    overdue_days: int | None  # > 0 when the review is overdue

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_days and self.overdue_days > 0)

    def as_dict(self) -> dict[str, Any]:
        return {"last_change": self.changed, "author": self.author, "last_reviewed": self.last_reviewed,
                "review_every_days": self.review_every, "review_due": self.review_due, "overdue": self.overdue,
                "overdue_days": self.overdue_days if self.overdue else 0}


@dataclass
class Result:
    rank: int
    hit: Any  # indexer.query.Hit
    url: str | None
    freshness: Freshness
    findings: list[dict[str, Any]] | None = None  # None: health unknown

    @property
    def meta(self) -> dict[str, Any]:
        return self.hit.meta

    @property
    def commit_short(self) -> str | None:
        c = self.meta.get("commit")
        return c[:8] if c else None

    @property
    def owner(self) -> str | None:
        return self.meta.get("owner") or self.meta.get("team")

    @property
    def citation(self) -> str:
        c = f"{self.hit.path}:{self.hit.line}"
        if self.hit.anchor:
            c += f"#{self.hit.anchor}"
        if self.commit_short:
            c += f" @ {self.commit_short}"
        return c

    def as_dict(self) -> dict[str, Any]:
        h, m = self.hit, self.meta
        d = {
            "rank": self.rank,
            "path": h.path,
            "heading": h.heading,
            "heading_path": m.get("heading_path") or [],
            "anchor": h.anchor,
            "line": h.line,
            "end_line": m.get("end_line"),
            "score": round(h.score, 6),
            "relevance": round(h.relevance, 4) if (h.cosine is not None or h.coverage is not None) else None,
            "term_coverage": round(h.coverage, 4) if h.coverage is not None else None,
            "commit": m.get("commit"),
            "commit_short": self.commit_short,
            "citation": self.citation,
            "url": self.url,
            "title": m.get("title"),
            "owner": m.get("owner"),
            "team": m.get("team"),
            "service": m.get("service") or [],
            "tags": m.get("tags") or [],
            "severity": m.get("severity"),
            "via": h.via,
            "alert": h.alert.as_dict() if h.alert is not None else None,
            "freshness": self.freshness.as_dict(),
            "findings": self.findings,
            "text": h.text,
        }
        return d


@dataclass
class Answer:
    query: str
    results: list[Result]
    no_match: bool = False
    notices: list[str] = field(default_factory=list)
    index: dict[str, Any] = field(default_factory=dict)
    llm: Any = None  # indexer.llm.LLMAnswer
    alert_matches: list[Any] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "no_match": self.no_match,
            "results": [r.as_dict() for r in self.results],
            "alert_matches": [m.as_dict() for m in self.alert_matches],
            "llm": self.llm.as_dict() if self.llm is not None else None,
            "notices": self.notices,
            "index": self.index,
        }


# --------------------------------------------------------------------------------------------
# Building


def freshness_of(meta: dict[str, Any], today: dt.date) -> Freshness:
    reviewed = meta.get("last_reviewed")
    every = meta.get("review_every")
    due = overdue = None
    if reviewed and every:
        try:
            due_date = dt.date.fromisoformat(str(reviewed)) + dt.timedelta(days=int(every))
            due, overdue = due_date.isoformat(), (today - due_date).days
        except (ValueError, TypeError):
            pass
    return Freshness(meta.get("commit_date"), meta.get("author"), reviewed, every, due, overdue)


def site_url_for(path: str, anchor: str | None, site_url: str | None, root: Path) -> str | None:
    """The page URL on the MkDocs site (``site.url``) for a runbook path, with ``#anchor``."""
    if not site_url:
        return None
    docs_dir, directory_urls = _mkdocs_layout(root)
    prefix = docs_dir.strip("/") + "/" if docs_dir.strip("/") else ""
    if not path.startswith(prefix) or not path.endswith(".md"):
        return None
    rel = path[len(prefix):-3]
    if directory_urls:
        if rel == "index" or rel.endswith("/index") or rel == "README" or rel.endswith("/README"):
            rel = rel.rsplit("/", 1)[0] if "/" in rel else ""
        page = f"{rel}/" if rel else ""
    else:
        page = f"{rel}.html"
    url = site_url.rstrip("/") + "/" + page
    return f"{url}#{anchor}" if anchor else url


_LAYOUT_CACHE: dict[Path, tuple[str, bool]] = {}


def _mkdocs_layout(root: Path) -> tuple[str, bool]:
    """(docs_dir, use_directory_urls) from ``mkdocs.yml``, read without importing MkDocs."""
    if root in _LAYOUT_CACHE:
        return _LAYOUT_CACHE[root]
    docs_dir, directory_urls = "docs", True
    cfg = root / "mkdocs.yml"
    if cfg.is_file():
        text = cfg.read_text(encoding="utf-8", errors="replace")
        m = re.search(r"^docs_dir\s*:\s*[\"']?([^\"'#\n]+?)[\"']?\s*(?:#.*)?$", text, re.M)
        if m:
            docs_dir = m.group(1).strip()
        m = re.search(r"^use_directory_urls\s*:\s*(\w+)", text, re.M)
        if m:
            directory_urls = m.group(1).lower() not in ("false", "no", "off")
    _LAYOUT_CACHE[root] = (docs_dir, directory_urls)
    return _LAYOUT_CACHE[root]


def health_of(project: Any, paths: list[str], inventory: Any = None, cache: Any = None) -> tuple[dict[str, list[dict[str, Any]]] | None, str | None]:
    """Open findings per runbook path from ``checks.engine.run_checks`` (through *cache*, an
    ``indexer.ask_cache.AskCache``), or (None, notice) when the checks are unavailable or fail: the
    answer must print either way."""
    if not paths:
        return {}, None
    if cache is not None:
        cached, missing = cache.findings(paths)
        if not missing:
            return cached, None
        fresh, notice = health_of(project, missing, inventory)
        if fresh is None:
            return None, notice
        cache.put_findings(fresh)
        return {**cached, **fresh}, notice
    try:
        from checks.engine import run_checks
    except Exception as exc:  # noqa: BLE001 - an incomplete install must not block the answer
        return None, f"health unavailable: checks not importable ({type(exc).__name__})"
    try:
        result = run_checks(project, paths=paths, inventory=inventory)
    except Exception as exc:  # noqa: BLE001
        log.debug("run_checks failed", exc_info=True)
        return None, f"health unavailable: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in paths}
    for f in result.active:
        if f.path in out:
            out[f.path].append({"rule": f.rule, "name": f.name, "severity": str(f.severity), "line": f.line,
                                "message": f.message, "suggestion": f.suggestion,
                                "suggestion_source": getattr(f, "suggestion_source", None)})
    return out, None


def build_answer(project: Any, query: str, retrieval: Any, *, state: Any = None, inventory: Any = None,
                 today: dt.date | None = None, with_health: bool = True, cache: Any = None) -> Answer:
    """Results with citation, freshness and health from a ``indexer.query.Retrieval``."""
    today = today or dt.date.today()
    hits = retrieval.hits
    notices: list[str] = []
    findings: dict[str, list[dict[str, Any]]] | None = {}
    if with_health and hits:
        findings, notice = health_of(project, sorted({h.path for h in hits}), inventory, cache)
        if notice:
            notices.append(notice)
    site = project.config.site.url
    results = []
    for i, h in enumerate(hits, start=1):
        results.append(Result(
            rank=i,
            hit=h,
            url=site_url_for(h.path, h.anchor or None, site, project.root),
            freshness=freshness_of(h.meta, today),
            findings=None if findings is None else findings.get(h.path, []),
        ))
    for path in retrieval.missing:
        notices.append(f"an alert links to {path}, which is not in the index (run 'rbh index')")
    index = {}
    if state:
        index = {k: state.get(k) for k in ("commit", "ref", "indexed_at", "worktree")}
    return Answer(query, results, no_match=retrieval.no_match, notices=notices, index=index,
                  alert_matches=list(retrieval.alert_matches))


# --------------------------------------------------------------------------------------------
# Terminal rendering


def use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def render_text(answer: Answer, *, color: bool = False, best_relevance: float | None = None) -> str:
    """The answer as terminal text; ANSI colors only when *color*."""
    import click

    def st(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    out: list[str] = []
    if answer.no_match:
        msg = "No runbook matches this question."
        if best_relevance is not None:
            msg += f" (best section relevance {best_relevance:.2f} is below ask.min_score)"
        out.append(st(msg, fg="yellow", bold=True))
        out.append("Try the alert name, a service name (--service), or different words; 'rbh index' if runbooks changed.")
        return "\n".join(out) + "\n"
    if answer.llm is not None:
        out.extend(_render_llm(answer, st))
    for r in answer.results:
        out.extend(_render_result(r, st))
    return "\n".join(out).rstrip() + "\n"


def _render_llm(answer: Answer, st: Callable[..., str]) -> list[str]:
    llm = answer.llm
    lines = [st(f"Answer ({llm.model}, generated; check it against the cited sections):", bold=True)]
    for s in llm.sentences:
        lines.append(f"  {s.text}")
    for cmd in llm.flagged_commands:
        lines.append(st(f"  ! not in any cited runbook section, do not run as is: {cmd}", fg="red", bold=True))
    if llm.dropped_sentences or llm.dropped_citations:
        lines.append(st(f"  ({llm.dropped_sentences} uncited sentence(s) and {len(llm.dropped_citations)} citation(s) of "
                        f"unretrieved sections were removed)", dim=True))
    lines.append("")
    return lines


def _render_result(r: Result, st: Callable[..., str]) -> list[str]:
    h, m = r.hit, r.meta
    title = m.get("title") or h.path
    crumb = " > ".join(m.get("heading_path") or []) or h.heading
    head = f"[{r.rank}] {title}"
    if crumb and crumb != title:
        head += f" > {crumb}" if not crumb.startswith(title) else crumb[len(title):]
    if h.via == "alert" and h.alert is not None:
        head += st(f"  (alert {h.alert.alert} -> {h.alert.via})", fg="cyan")
    lines = [st(head, bold=True)]
    lines.append("    " + st(r.citation, fg="blue"))
    if r.url:
        lines.append("    " + r.url)
    f = r.freshness
    facts = []
    if r.owner:
        facts.append(f"owner {r.owner}")
    if f.changed:
        facts.append(f"changed {f.changed[:10]}" + (f" by {f.author}" if f.author else ""))
    if f.last_reviewed:
        rev = f"reviewed {f.last_reviewed}"
        if f.overdue:
            rev += " " + st(f"REVIEW OVERDUE by {f.overdue_days} day(s) (due {f.review_due})", fg="red", bold=True)
        elif f.review_due:
            rev += f", next review {f.review_due}"
        facts.append(rev)
    else:
        facts.append(st("never reviewed (no last_reviewed)", fg="yellow"))
    lines.append("    " + " | ".join(facts))
    if r.findings is None:
        lines.append("    " + st("health: unknown", fg="yellow"))
    elif not r.findings:
        lines.append("    " + st("health: no open findings", fg="green"))
    else:
        worst = "error" if any(x["severity"] == "error" for x in r.findings) else "warning"
        lines.append("    " + st(f"health: {len(r.findings)} open finding(s): this runbook may be out of date",
                                  fg="red" if worst == "error" else "yellow", bold=True))
        for sev, rule, msg, sugg, where in _grouped_findings(r.findings, h.line, int(h.meta.get("end_line") or h.line))[:6]:
            hint = f"  (did you mean `{sugg}`)" if sugg else ""
            lines.append(f"      {sev:<7} {rule} {where}: {msg}{hint}")
        groups = len(_grouped_findings(r.findings, 0, 0))
        if groups > 6:
            lines.append(f"      ... and {groups - 6} more ('rbh check {h.path}')")
    lines.append("")
    for text_line in h.text.split("\n"):
        lines.append("    " + text_line if text_line else "")
    lines.append("")
    return lines


def _grouped_findings(findings: list[dict[str, Any]], start: int, end: int) -> list[tuple[str, str, str, str | None, str]]:
    """One line per distinct finding (the same stale name on eleven lines is one problem), the ones
    inside the quoted section first, errors before warnings."""
    groups: dict[tuple[str, str, str, str | None], list[int]] = {}
    for x in findings:
        groups.setdefault((x["severity"], x["rule"], x["message"], x.get("suggestion")), []).append(int(x["line"]))
    rows = []
    for (sev, rule, msg, sugg), lines in groups.items():
        inside = [n for n in lines if start <= n <= end]
        shown = ", ".join(map(str, sorted(lines)[:6])) + (", ..." if len(lines) > 6 else "")
        where = ("line " if len(lines) == 1 else "lines ") + shown
        if inside:
            where += " (in this section)"
        rows.append((0 if inside else 1, {"error": 0, "warning": 1}.get(sev, 2), min(lines), (sev, rule, msg, sugg, where)))
    return [row[-1] for row in sorted(rows)]


# --------------------------------------------------------------------------------------------
# The ask command's flow


@dataclass
class AskOptions:
    query: str = ""
    payload_text: str | None = None
    service: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    top_k: int | None = None
    per_runbook: int | None = None
    alert_lookup: bool | None = None
    llm: bool | None = None
    health: bool = True
    qdrant_url: str | None = None
    min_score: float | None = None
    cache: bool = True


def run_ask(project: Any, opts: AskOptions, *, as_json: bool = False, color: bool | None = None,
            today: dt.date | None = None, backend: Any = None) -> str:
    """Retrieve, build and render the answer (text or JSON). Raises RbhError subclasses for user errors.

    *backend* is an ``indexer.store`` reader already open; by default
    the store is opened in this process."""
    import json
    import sys

    from indexer.alerts import catalog_for_project, read_payload
    from indexer.query import Filters, Retriever, retrieve

    cfg = project.config
    payload = read_payload(opts.payload_text) if opts.payload_text is not None else None
    top_k = opts.top_k or cfg.ask.top_k
    per_runbook = opts.per_runbook or cfg.ask.per_runbook
    alert_lookup = cfg.ask.alert_lookup if opts.alert_lookup is None else opts.alert_lookup
    if payload is not None:
        alert_lookup = True  # a payload only makes sense through the alert catalog
    use_llm = cfg.llm.enabled if opts.llm is None else opts.llm
    min_score = cfg.ask.min_score if opts.min_score is None else opts.min_score
    filters = Filters(opts.service, opts.team, opts.tag)

    retriever = Retriever(project, qdrant_url=opts.qdrant_url, backend=backend)
    cache = None
    if opts.cache:
        from indexer.ask_cache import AskCache

        cache = AskCache(project, today)
    inventory = None
    catalog = None
    notices: list[str] = []
    if alert_lookup:
        catalog = cache.catalog(project) if cache is not None else None
        if catalog is None:
            inventory = _load_inventory(project, notices)
            runbooks = project.load_runbooks(with_git=False)
            catalog = catalog_for_project(project, runbooks, inventory=inventory) if inventory is not None else \
                catalog_for_project(project, runbooks)
            if cache is not None:
                cache.put_catalog(catalog, [rb.path for rb in runbooks])
    if opts.query:
        retriever.dense_vector(opts.query)  # load the model while the index reader is still starting
    with retriever:
        retrieval = retrieve(retriever, opts.query, catalog=catalog, payload=payload, top_k=top_k,
                             per_runbook=per_runbook, filters=filters, min_score=min_score)
        state = retriever.state
    answer = build_answer(project, opts.query, retrieval, state=state, inventory=inventory, today=today,
                          with_health=opts.health, cache=cache)
    if cache is not None:
        cache.save()
    answer.notices[:0] = notices
    _stale_index_notice(project, state, answer.notices)
    if use_llm and answer.results:
        from indexer.llm import synthesize
        from rbh.errors import LLMError

        try:
            answer.llm = synthesize(opts.query or _payload_question(payload), [r.hit for r in answer.results], cfg.llm)
        except LLMError as exc:
            answer.notices.append(f"LLM answer unavailable ({exc}); showing the runbook sections")
    if as_json:
        from rbh.redact import redact

        return redact(json.dumps(answer.as_dict(), indent=2, ensure_ascii=False)) + "\n"
    if color is None:
        color = use_color(sys.stdout)
    for n in answer.notices:
        sys.stderr.write(f"rbh: notice: {n}\n")
    return render_text(answer, color=color, best_relevance=retrieval.best_relevance)


def _load_inventory(project: Any, notices: list[str]) -> Any:
    """The manifests' inventory (alerts for the catalog, and reused by the health checks)."""
    try:
        from checks.inventory import load_inventory
    except Exception as exc:  # noqa: BLE001 - degrade to the catalog's own loader
        notices.append(f"checks inventory unavailable ({type(exc).__name__}); alerts read directly")
        return None
    try:
        return load_inventory(project)
    except Exception as exc:  # noqa: BLE001
        log.debug("load_inventory failed", exc_info=True)
        notices.append(f"manifests could not be read for alerts ({type(exc).__name__})")
        return None


def _payload_question(payload: Any) -> str:
    from indexer.alerts import iter_payload_alerts

    names = [str((a.get("labels") or {}).get("alertname") or "") for a in iter_payload_alerts(payload)]
    return "What should I do about the alert(s) " + ", ".join(n for n in names if n) + "?"


def _stale_index_notice(project: Any, state: Any, notices: list[str]) -> None:
    """Tell the responder when the index is older than HEAD: the answer may quote an old version."""
    if not state or not state.get("commit") or project.repo is None or state.get("worktree"):
        return
    try:
        head = project.repo.head.commit.hexsha
    except Exception:  # noqa: BLE001 - no commits, detached oddities: nothing to compare
        return
    if head != state["commit"]:
        notices.append(f"the index is at commit {state['commit'][:8]}, the repository at {head[:8]}: run 'rbh index' for the latest runbooks")
