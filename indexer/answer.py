"""The ask use case: a resolved request in, an ``Answer`` (results + notices) out; no printing.

Rendering lives in ``indexer.render``; links in ``indexer.links``. The answer a responder reads at
2 AM: each section verbatim, where it came from, and whether to trust it.

For every retrieved section: the section text exactly as indexed (steps and code blocks intact), the
citation (``path:line``, ``#anchor``, commit short sha, the docs-site URL when ``site.url`` is set),
freshness (last change, ``last_reviewed``, overdue marker), health (the runbook's open findings from
``rbh check``) and the owner; for a runbook matched as a whole, its sections in page order
(``procedure``). ``indexer.render`` turns it into terminal text or JSON.

Health is computed lazily and only for the runbooks shown; if the checks fail for any reason the
answer still prints, with a one-line notice instead of the health block.
"""

from __future__ import annotations

import dataclasses

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


ACTION_WORDS = (
    "diagnos", "mitigat", "troubleshoot", "resolv", "resolution", "remediat", "fix", "step", "procedure",
    "investigat", "recover", "workaround", "action", "respond", "response", "what to do", "how to", "check",
    "debug", "verify", "triage", "runbook", "restor", "repair", "solution", "handling", "instructions",
)


CONTEXT_WORDS = (
    "meaning", "impact", "symptom", "overview", "summary", "description", "background", "context", "about",
    "severity", "detail", "cause", "prerequisite", "related", "reference", "see also", "link", "escalat",
    "contact", "note", "purpose", "scope", "owner", "dashboard", "alert expression", "query",
    "information", "resources", "further reading",
)


MAX_PROCEDURE_SECTIONS = 12  # top-level sections of a one-topic page; more is a collection of topics


def is_context_heading(heading: str) -> bool:
    """A heading that explains the alert rather than names another topic (Meaning, Impact ...)."""
    low = heading.lower()
    return any(w in low for w in CONTEXT_WORDS)


def is_action_heading(heading: str) -> bool:
    """A heading of what a responder does (diagnosis, mitigation, troubleshooting, steps ...), told
    by general vocabulary, not by one corpus' section names."""
    low = heading.lower()
    return any(w in low for w in ACTION_WORDS)


@dataclass
class ProcedureSection:
    """One section of a runbook shown as a whole, in page order."""

    heading: str
    level: int
    anchor: str
    line: int
    text: str
    action: bool  # a section the responder acts on: shown in full (capped)

    def as_dict(self) -> dict[str, Any]:
        return {"heading": self.heading, "level": self.level, "anchor": self.anchor, "line": self.line,
                "action": self.action, "text": self.text}


def procedure_from_chunks(chunks: list[Any]) -> list[ProcedureSection]:
    """Sections in page order from a runbook's chunks (``Retriever.sections_of``); the parts of a long
    section are joined again, their overlapping lines dropped."""
    out: list[ProcedureSection] = []
    last_end = 0
    for c in chunks:
        m = c.meta
        line, end = int(m.get("line") or 1), int(m.get("end_line") or 0)
        text = c.text
        if out and int(m.get("part") or 0) > 0 and out[-1].anchor == (m.get("anchor") or ""):
            skip = max(0, last_end - line + 1)
            extra = "\n".join(text.split("\n")[skip:])
            if extra:
                out[-1].text += "\n" + extra
        else:
            heading = m.get("heading") or ""
            if not m.get("level"):
                heading = ""  # the text before the first heading
            out.append(ProcedureSection(heading, int(m.get("level") or 0), m.get("anchor") or "", line, text,
                                        is_action_heading(heading)))
        last_end = max(last_end, end)
    return out


def is_procedure_page(sections: list[ProcedureSection], alert_heading: str | None = None) -> bool:
    """A one-alert-per-file page: its top-level sections are all responder vocabulary, at least one
    to act on (Meaning / Impact / Diagnosis / Mitigation, Overview / Steps ...).
    A page with a top-level section about something else (``Alert: X``, ``Fail over to ...``)
    covers several topics: its best section is the answer, not the whole page.

    *alert_heading*: the heading an alert's ``runbook_url`` anchors. When it is a top-level section
    and every other top-level section is responder vocabulary (``## Alert: X`` followed by
    ``## Diagnosis`` and ``## Mitigation``), the page is still about that one alert, and its
    procedure is the answer: the anchored section alone is often two lines of context."""
    headed = [s for s in sections if s.heading and s.level > 0]
    if not headed:
        return False
    top = min(s.level for s in headed if s.level > 1) if any(s.level > 1 for s in headed) else 1
    tops = [s for s in headed if s.level == top]
    if alert_heading is not None:
        if not any(s.heading == alert_heading for s in tops):
            return False
        tops = [s for s in tops if s.heading != alert_heading]
        prefix = alert_heading.split(":", 1)[0].strip().lower() + ":" if ":" in alert_heading else None
        if prefix and any(s.heading.lower().startswith(prefix) for s in tops):
            return False  # "## Alert: A", "## Alert: B": a page of several alerts, the section is the answer
        return 1 <= len(tops) <= MAX_PROCEDURE_SECTIONS and any(s.action for s in tops) and all(s.action or is_context_heading(s.heading) for s in tops)
    # up to 12: troubleshooting templates run to 10 (Overview ... Check Resolution, Further Information, Owner)
    return 2 <= len(tops) <= MAX_PROCEDURE_SECTIONS and any(s.action for s in tops) and all(
        s.action or is_context_heading(s.heading) for s in tops)


@dataclass
class Result:
    rank: int
    hit: Any  # indexer.query.Hit
    url: str | None
    freshness: Freshness
    findings: list[dict[str, Any]] | None = None  # None: health unknown
    url_source: str | None = None  # runbook_url (the alert's own link) | site (built from site.url)
    procedure: list[ProcedureSection] | None = None  # the runbook as a whole, when matched as a whole

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
            "url_source": self.url_source,
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
            "procedure": [p.as_dict() for p in self.procedure] if self.procedure is not None else None,
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
    best_relevance: float | None = None  # of the free-text ranking (why "no runbook matches")

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
    """The page URL for a runbook path on the site at ``site_url`` (layout detected), with ``#anchor``."""
    from rbh.indexer.links import detect_layout, page_url

    if not site_url:
        return None
    return page_url(detect_layout(root, site_url), path, anchor)


def health_of(project: Any, paths: list[str], inventory: Any = None, cache: Any = None,
              today: dt.date | None = None) -> tuple[dict[str, list[dict[str, Any]]] | None, str | None]:
    """Open findings per runbook path, or (None, notice) when the checks are unavailable or fail: the
    answer must print either way. With *cache* (an ``indexer.ask_cache.AskCache``) they come from the
    findings stored for this repository state (``checks.health_cache``), recomputed for every
    runbook in one pass when the repository moved on; without it the checks run for *paths*."""
    if not paths:
        return {}, None
    try:
        from rbh.checks.health_cache import health
    except Exception as exc:  # noqa: BLE001 - an incomplete install must not block the answer
        return None, f"health unavailable: checks not importable ({type(exc).__name__})"
    try:
        result = health(project, paths, inventory=inventory, today=today, use_cache=cache is not None)
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
                 today: dt.date | None = None, with_health: bool = True, cache: Any = None,
                 procedures: dict[str, list[ProcedureSection]] | None = None) -> Answer:
    """Results with citation, link, freshness and health from a ``indexer.query.Retrieval``;
    *procedures* maps runbook path -> its sections, for results shown as a whole runbook."""
    today = today or dt.date.today()
    hits = retrieval.hits
    notices: list[str] = []
    findings: dict[str, list[dict[str, Any]]] | None = {}
    if with_health and hits:
        findings, notice = health_of(project, sorted({h.path for h in hits}), inventory, cache, today=today)
        if notice:
            notices.append(notice)
    results = []
    for i, h in enumerate(hits, start=1):
        url, source = link_for(project, h, notices, cache)
        results.append(Result(
            rank=i,
            hit=h,
            url=url,
            url_source=source,
            freshness=freshness_of(h.meta, today),
            findings=None if findings is None else findings.get(h.path, []),
            procedure=(procedures or {}).get(h.path) if (procedures and h.id in _whole_ids(retrieval, procedures)) else None,
        ))
    for path in retrieval.missing:
        notices.append(f"an alert links to {path}, which is not in the index (run 'rbh index')")
    index = {}
    if state:
        index = {k: state.get(k) for k in ("commit", "ref", "indexed_at", "worktree")}
    return Answer(query, results, no_match=retrieval.no_match, notices=notices, index=index,
                  alert_matches=list(retrieval.alert_matches), best_relevance=retrieval.best_relevance)


def _whole_ids(retrieval: Any, procedures: dict[str, list[ProcedureSection]]) -> set[str]:
    """Hits shown as their whole runbook: the first hit of each runbook that has a procedure."""
    seen: set[str] = set()
    out: set[str] = set()
    for h in retrieval.hits:
        if h.path in procedures and h.path not in seen:
            out.add(h.id)
        seen.add(h.path)
    return out


def link_for(project: Any, hit: Any, notices: list[str], cache: Any = None) -> tuple[str | None, str | None]:
    """The URL to cite for *hit*, and where it came from: the alert's own ``runbook_url`` when the
    hit came through one, else ``site.url`` in the site's layout; a notice (once) when no layout fits."""
    alert = getattr(hit, "alert", None)
    if alert is not None and getattr(alert, "url", None):
        return alert.url, "runbook_url"
    if not project.config.site.url:
        return None, None
    from rbh.indexer.links import layout_for, no_layout_notice, page_url

    layout = layout_for(project, cache)
    url = page_url(layout, hit.path, hit.anchor or None, hit.heading if hit.anchor else None, hit.meta.get("commit"))
    if url is None:
        n = no_layout_notice(layout, hit.path)
        if n not in notices:
            notices.append(n)
        return None, None
    return url, "site"


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
    rerank: str | None = None  # none | cross-encoder | llm (default: ask.rerank)


def answer_question(project: Any, opts: AskOptions, *, today: dt.date | None = None, backend: Any = None) -> Answer:
    """Retrieve and build the answer, notices included; nothing is printed. Raises RbhError
    subclasses for user errors.

    *backend* is an ``indexer.store`` reader already open; by default
    the store is opened in this process."""
    from rbh.indexer.alerts import catalog_for_project, read_payload
    from rbh.indexer.query import Filters, Retriever, retrieve

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
    ask_cfg = cfg.ask if opts.rerank is None else cfg.ask.model_copy(update={"rerank": opts.rerank})
    reranking = ask_cfg.rerank != "none"

    retriever = Retriever(project, qdrant_url=opts.qdrant_url, backend=backend)
    cache = None
    if opts.cache:
        from rbh.indexer.ask_cache import AskCache

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
        retrieval = retrieve(retriever, opts.query, catalog=catalog, payload=payload,
                             top_k=max(top_k, ask_cfg.rerank_candidates * per_runbook) if reranking else top_k,
                             per_runbook=per_runbook, filters=filters, min_score=min_score)
        if reranking:
            notice = apply_rerank(retrieval, opts.query, ask_cfg, cfg.llm, top_k)
            if notice:
                notices.append(notice)
        procedures = whole_runbooks(retriever, retrieval.hits)
        state = retriever.state
    answer = build_answer(project, opts.query, retrieval, state=state, inventory=inventory, today=today,
                          with_health=opts.health, cache=cache, procedures=procedures)
    if cache is not None:
        cache.save()
    answer.notices[:0] = notices
    _stale_index_notice(project, state, answer.notices)
    if use_llm and answer.results:
        from rbh.indexer.llm import synthesize
        from rbh.errors import LLMError

        try:
            answer.llm = synthesize(opts.query or _payload_question(payload), [r.hit for r in answer.results], cfg.llm)
        except LLMError as exc:
            answer.notices.append(f"LLM answer unavailable ({exc}); showing the runbook sections")
    return answer


def apply_rerank(retrieval: Any, query: str, ask_cfg: Any, llm_cfg: Any, top_k: int) -> str | None:
    """Reorder the free-text runbooks of *retrieval* with the optional reranker (alert hits stay
    first), then keep *top_k* sections; returns a notice when the reranker failed."""
    from rbh.indexer.rerank import rerank

    alert_hits = [h for h in retrieval.hits if h.via == "alert"]
    groups: dict[str, list[Any]] = {}
    for h in retrieval.hits:
        if h.via != "alert":
            groups.setdefault(h.path, []).append(h)
    firsts = [g[0] for g in groups.values()]
    ordered, notice = rerank(query, firsts, ask_cfg, llm_cfg) if firsts else (firsts, None)
    hits = alert_hits + [h for first in ordered for h in groups[first.path]]
    retrieval.hits = hits[:top_k]
    return notice


def whole_runbooks(retriever: Any, hits: list[Any]) -> dict[str, list[ProcedureSection]]:
    """Runbooks to show as a procedure: those an alert's ``runbook_url`` names without an anchor,
    and the best result's runbook when it is a one-alert-per-file page."""
    out: dict[str, list[ProcedureSection]] = {}
    for i, h in enumerate(hits):
        by_alert = h.via == "alert" and h.alert is not None and getattr(h.alert, "whole_runbook", False)
        by_alert_section = h.via == "alert" and h.alert is not None and not by_alert and bool(h.heading)
        first_free = i == 0 and h.via != "alert"
        if h.path in out or not (by_alert or by_alert_section or first_free):
            continue
        sections = procedure_from_chunks(retriever.sections_of(h.path))
        if not sections:
            continue
        if by_alert_section and is_procedure_page(sections, alert_heading=h.heading):
            # the section the alert links is shown in full too: it is what the alert points at
            out[h.path] = [dataclasses.replace(s, action=True) if s.anchor == h.anchor else s for s in sections]
        elif by_alert or (first_free and is_procedure_page(sections)):
            out[h.path] = sections
        elif first_free and (subtree := section_subtree(sections, h.anchor)):
            out[h.path] = subtree
    return out


def section_subtree(sections: list[ProcedureSection], anchor: str) -> list[ProcedureSection] | None:
    """The section at *anchor* with its subsections, every one shown in full, when it has any (up to
    ``MAX_PROCEDURE_SECTIONS``): ``## AlertName`` whose steps are ``### a. If ...`` and ``### b. If ...``
    is one answer, and its two-line introduction alone is not."""
    start = next((i for i, sec in enumerate(sections) if sec.anchor == anchor and sec.level > 0), None)
    if start is None:
        return None
    level = sections[start].level
    end = start + 1
    while end < len(sections) and sections[end].level > level:
        end += 1
    if end == start + 1 or end - start > MAX_PROCEDURE_SECTIONS:
        return None
    return [dataclasses.replace(sec, action=True) for sec in sections[start:end]]


def _load_inventory(project: Any, notices: list[str]) -> Any:
    """The manifests' inventory (alerts for the catalog, and reused by the health checks)."""
    try:
        from rbh.checks.inventory import load_inventory
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
    from rbh.indexer.alerts import iter_payload_alerts

    names = [str((a.get("labels") or {}).get("alertname") or "") for a in iter_payload_alerts(payload)]
    return "What should I do about the alert(s) " + ", ".join(n for n in names if n) + "?"


def _runbooks_changed(project: Any, commit: str) -> bool:
    from rbh.indexer.ask_cache import runbooks_changed_since

    return runbooks_changed_since(project, commit)


def _stale_index_notice(project: Any, state: Any, notices: list[str]) -> None:
    """Tell the responder when runbooks changed since the indexed commit: the answer may quote an
    old version (a commit that touched only manifests or code leaves the index current)."""
    if not state or not state.get("commit") or project.repo is None or state.get("worktree"):
        return
    try:
        head = project.repo.head.commit.hexsha
    except Exception:  # noqa: BLE001 - no commits, detached oddities: nothing to compare
        return
    if head != state["commit"] and _runbooks_changed(project, state["commit"]):
        notices.append(f"the index is at commit {state['commit'][:8]}, the repository at {head[:8]}: run 'rbh index' for the latest runbooks")
