"""The ask use case: a resolved request in, an ``Answer`` (results + notices) out; no printing.

``AskRequest.resolve`` turns the command line's ``AskOptions`` and the config into the request once;
``answer_request`` answers it (``answer_question`` does both). Rendering lives in ``indexer.render``;
links in ``indexer.links``; health and manifests come through ``rbh.checks.api``. The answer a responder reads at
2 AM: each section verbatim, where it came from, and whether to trust it.

For every retrieved section: the section text exactly as indexed (steps and code blocks intact), the
citation (``path:line``, ``#anchor``, commit short sha, the docs-site URL when ``site.url`` is set),
freshness (last change, ``last_reviewed``, the review due date and overdue marker by
``rbh.runbook.review_due``, as ``rbh check`` and the site compute them), health (the runbook's open findings from
``rbh check``) and the owner; for a runbook matched as a whole, its sections in page order
(``procedure``). ``indexer.render`` turns it into terminal text or JSON.

Health is computed lazily and only for the runbooks shown; if the checks fail for any reason the
answer still prints, with a one-line notice instead of the health block.
"""

from __future__ import annotations

import dataclasses

import datetime as dt
import logging
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rbh.config import AskConfig, Config, LLMConfig, SiteConfig
    from rbh.indexer.links import LayoutCache
    from rbh.indexer.llm import LLMAnswer
    from rbh.indexer.query import Filters, Hit, Retrieval, Retriever
    from rbh.indexer.store.base import StoreReader
    from rbh.inventory import Inventory
    from rbh.project import Project

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


# Word stems (a stem matches a whole word: the stem plus one of ``_ENDINGS``) and phrases. Matched
# per word, not as substrings: "check" must not make "Checkout service" a section to act on.
ACTION_WORDS = (
    "diagnos", "mitigat", "troubleshoot", "resolv", "resolution", "remediat", "fix", "step", "procedure",
    "investigat", "recover", "workaround", "action", "respond", "response", "what to do", "how to", "check",
    "debug", "verif", "triage", "runbook", "restor", "repair", "solution", "handling", "instruction",
)


CONTEXT_WORDS = (
    "meaning", "impact", "symptom", "overview", "summary", "description", "background", "context", "about",
    "severity", "detail", "cause", "prerequisite", "related", "reference", "see also", "link", "escalat",
    "contact", "note", "purpose", "scope", "owner", "dashboard", "alert expression", "quer",
    "information", "resource", "further reading",
)

#: Inflections and derivations a stem may take (diagnos-is, mitigat-ion, verif-ying, debug-ging).
_ENDINGS = ("", "s", "e", "es", "ed", "d", "ing", "ion", "ions", "ation", "ations", "is", "ic", "ics", "tic", "tics",
            "y", "ies", "ied", "ying", "ication", "ications", "ging", "er", "ers", "able", "al", "ally", "ly")


def _vocabulary(words: tuple[str, ...]) -> re.Pattern[str]:
    stems = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in sorted(words, key=len, reverse=True))
    endings = "|".join(re.escape(e) for e in sorted(_ENDINGS, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{stems})(?:{endings})(?![a-z0-9])")


_ACTION = _vocabulary(ACTION_WORDS)
_CONTEXT = _vocabulary(CONTEXT_WORDS)


MAX_PROCEDURE_SECTIONS = 12  # top-level sections of a one-topic page; more is a collection of topics
# lines of a page shown whole for a free question: one-alert pages run to ~350 lines (the longest
# OpenShift and KubeVirt ones); a longer page of responder-sounding parts is a course or a handbook
# (a workshop of "Part 1: Setup" ... "Part 9: Recovery"), whose best section is the answer
MAX_PROCEDURE_LINES = 450


def is_context_heading(heading: str) -> bool:
    """A heading that explains the alert rather than names another topic (Meaning, Impact ...)."""
    return _CONTEXT.search(heading.lower()) is not None


def is_action_heading(heading: str) -> bool:
    """A heading of what a responder does (diagnosis, mitigation, troubleshooting, steps ...), told
    by general vocabulary, not by one corpus' section names; whole words, so "Checkout" is not "check"."""
    return _ACTION.search(heading.lower()) is not None


@dataclass
class ProcedureSection:
    """One section of a runbook shown as a whole, in page order."""

    heading: str
    level: int
    anchor: str
    line: int
    text: str
    action: bool  # a section the responder acts on: shown in full (capped)
    parents: tuple[str, ...] = ()  # the headings above it, the page's title first

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
            crumbs = tuple(str(h) for h in (m.get("heading_path") or []))
            out.append(ProcedureSection(heading, int(m.get("level") or 0), m.get("anchor") or "", line, text,
                                        is_action_heading(heading), crumbs[:-1] if heading else crumbs))
        last_end = max(last_end, end)
    return out


_STEP_ITEM = re.compile(r"^[ \t]{0,3}\d+[.)][ \t]+(?!\[[^\]]*\]\(#)(.+)$", re.M)  # numbered, not a link into the page


def own_checklist(sections: list[ProcedureSection]) -> int | None:
    """The index of the section whose numbered list names the page's own sections, one item a step
    (PagerDuty's security incident page: ``## Checklist`` with "1. Cut off the attack vector." ...
    and then ``## Cut Off Attack Vector`` ...), or None. A step is named when every word of its
    heading is in one item (as index terms: stemmed, stop words out); more than half of the page's
    other headed sections, and at least three, must be named. A bulleted list names topics (the
    components a page then describes one by one), and a table of contents links into the page:
    neither is a sequence of steps."""
    from rbh.indexer.query import title_words

    headed = [(i, sec) for i, sec in enumerate(sections) if sec.heading and sec.level > 1]
    for i, sec in headed:
        items = [title_words(m.group(1)) for m in _STEP_ITEM.finditer(sec.text)]
        if len(items) < 3:
            continue
        # headings as distinct word sets: one item naming "triage steps" does not name every
        # alert's `### Triage Steps` of a page
        others = {frozenset(title_words(o.heading)) for j, o in headed if j != i} - {frozenset()}
        named = sum(1 for words in others if any(words <= item for item in items))
        if named >= 3 and 2 * named > len(others):
            return i
    return None


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
    # a heading whose body is only subsections has no chunk of its own, but it is a part of the page
    # as much as any other: "## Contributing to Runbooks" over "### Adding New Runbooks" says the page
    # covers more than one procedure (its crumbs below the title name it)
    if own_checklist(sections) is not None:
        return True  # a checklist of the page's steps, then a section per step: one procedure, whatever its headings say
    known = {s.heading for s in sections}
    containers = {c for s in headed for c in s.parents[1:] if c not in known}
    tops = tops + [ProcedureSection(c, top, "", 0, "", is_action_heading(c)) for c in sorted(containers)]
    # up to 12: troubleshooting templates run to 10 (Overview ... Check Resolution, Further Information, Owner)
    return 2 <= len(tops) <= MAX_PROCEDURE_SECTIONS and any(s.action for s in tops) and all(
        s.action or is_context_heading(s.heading) for s in tops)


@dataclass
class Result:
    rank: int
    hit: Hit
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
    llm: LLMAnswer | None = None
    alert_matches: list[Any] = field(default_factory=list)  # indexer.alerts.AlertMatch
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


def freshness_of(meta: dict[str, Any], today: dt.date, default_review_days: int | None = None) -> Freshness:
    """Freshness of a chunk's runbook; the due date by ``rbh.runbook.review_due``, the rule RBH401
    and the site apply (*default_review_days* for a runbook that declares no ``review_every``)."""
    from rbh.runbook import review_due

    reviewed = meta.get("last_reviewed")
    every = meta.get("review_every")
    due = overdue = None
    if reviewed:
        try:
            due_date = review_due(dt.date.fromisoformat(str(reviewed)), int(every) if every else None, default_review_days)
        except (ValueError, TypeError):
            due_date = None
        if due_date is not None:
            due, overdue = due_date.isoformat(), (today - due_date).days
    return Freshness(meta.get("commit_date"), meta.get("author"), reviewed, every, due, overdue)


def site_url_for(path: str, anchor: str | None, site_url: str | None, root: Path) -> str | None:
    """The page URL for a runbook path on the site at ``site_url`` (layout detected), with ``#anchor``."""
    from rbh.indexer.links import detect_layout, page_url

    if not site_url:
        return None
    return page_url(detect_layout(root, site_url), path, anchor)


#: What an answer shows of a finding: these keys of ``Finding.as_dict()`` (``rbh check --format json``).
FINDING_KEYS = ("rule", "name", "severity", "line", "message", "suggestion", "suggestion_source")


def health_of(project: Project, paths: list[str], inventory: Inventory | None = None, cache: LayoutCache | None = None,
              today: dt.date | None = None) -> tuple[dict[str, list[dict[str, Any]]] | None, str | None]:
    """Open findings per runbook path, or (None, notice) when the checks are unavailable or fail: the
    answer must print either way. With *cache* (an ``indexer.ask_cache.AskCache``) they come from the
    findings stored for this repository state (``rbh.checks.api.runbook_health``), recomputed for
    every runbook in one pass when the repository moved on; without it the checks run for *paths*."""
    if not paths:
        return {}, None
    try:
        from rbh.checks.api import runbook_health
    except Exception as exc:  # noqa: BLE001 - an incomplete install must not block the answer
        return None, f"health unavailable: checks not importable ({type(exc).__name__})"
    try:
        found = runbook_health(project, paths, inventory=inventory, today=today, use_cache=cache is not None)
    except Exception as exc:  # noqa: BLE001
        log.debug("run_checks failed", exc_info=True)
        return None, f"health unavailable: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    out: dict[str, list[dict[str, Any]]] = {}
    for p in paths:
        out[p] = [{k: d.get(k) for k in FINDING_KEYS} for d in (f.as_dict() for f in found.get(p, []))]
    return out, None


def review_default(project: Project) -> int | None:
    """The review interval of runbooks that declare none, as ``rbh check`` applies it (RBH401's
    ``default_review_days``); None when the rule is off or its configuration is broken (the health
    notice then says why)."""
    try:
        from rbh.checks.api import default_review_days

        return default_review_days(project.config)
    except Exception:  # noqa: BLE001 - an incomplete install or a broken rule config must not block the answer
        log.debug("default_review_days failed", exc_info=True)
        return None


def build_answer(project: Project, query: str, retrieval: Retrieval, *, state: dict[str, Any] | None = None,
                 inventory: Inventory | None = None, today: dt.date | None = None, with_health: bool = True,
                 cache: LayoutCache | None = None, procedures: dict[str, list[ProcedureSection]] | None = None) -> Answer:
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
    review_days = review_default(project) if hits else None
    for i, h in enumerate(hits, start=1):
        url, source = link_for(project.root, project.config.site, h, notices, cache)
        results.append(Result(
            rank=i,
            hit=h,
            url=url,
            url_source=source,
            freshness=freshness_of(h.meta, today, review_days),
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


def _whole_ids(retrieval: Retrieval, procedures: dict[str, list[ProcedureSection]]) -> set[str]:
    """Hits shown as their whole runbook: the first hit of each runbook that has a procedure."""
    seen: set[str] = set()
    out: set[str] = set()
    for h in retrieval.hits:
        if h.path in procedures and h.path not in seen:
            out.add(h.id)
        seen.add(h.path)
    return out


def link_for(root: Path, site: SiteConfig, hit: Hit, notices: list[str],
             cache: LayoutCache | None = None) -> tuple[str | None, str | None]:
    """The URL to cite for *hit*, and where it came from: the alert's own ``runbook_url`` when the
    hit came through one, else ``site.url`` in the layout of the site at *root*; a notice (once)
    when no layout fits."""
    alert = hit.alert
    if alert is not None and getattr(alert, "url", None):
        return alert.url, "runbook_url"
    if not site.url:
        return None, None
    from rbh.indexer.links import layout_for, no_layout_notice, page_url

    layout = layout_for(root, site, cache)
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


def ask_settings(config: Config, rerank: str | None = None) -> AskConfig:
    """The config's ``ask`` settings with the command line's ``--rerank`` (``rbh ask``, ``rbh eval``)."""
    return config.ask if rerank is None else config.ask.model_copy(update={"rerank": rerank})


@dataclass(frozen=True)
class AskRequest:
    """A question resolved against the config: the command line's ``AskOptions`` with every default
    taken from ``rbh.yaml`` (``ask``, ``llm``), built once by ``resolve`` (the way ``checks.engine``
    builds ``RuleContext``). ``rbh ask`` and ``rbh serve`` answer the same request the same way."""

    query: str
    payload: Any  # the parsed Alertmanager payload, or None
    top_k: int
    per_runbook: int
    alert_lookup: bool
    use_llm: bool
    min_score: float
    filters: Filters
    ask: AskConfig  # ``ask`` with the command line's --rerank applied
    llm: LLMConfig
    health: bool = True
    cache: bool = True

    @classmethod
    def resolve(cls, opts: AskOptions, config: Config) -> AskRequest:
        """Raises ``ConfigError`` for a payload that is not one (``indexer.alerts.read_payload``)."""
        from rbh.indexer.alerts import read_payload
        from rbh.indexer.query import Filters

        payload = read_payload(opts.payload_text) if opts.payload_text is not None else None
        alert_lookup = config.ask.alert_lookup if opts.alert_lookup is None else opts.alert_lookup
        return cls(
            query=opts.query,
            payload=payload,
            top_k=opts.top_k or config.ask.top_k,
            per_runbook=opts.per_runbook or config.ask.per_runbook,
            alert_lookup=alert_lookup or payload is not None,  # a payload only makes sense through the alert catalog
            use_llm=config.llm.enabled if opts.llm is None else opts.llm,
            min_score=config.ask.min_score if opts.min_score is None else opts.min_score,
            filters=Filters(opts.service, opts.team, opts.tag),
            ask=ask_settings(config, opts.rerank),
            llm=config.llm,
            health=opts.health,
            cache=opts.cache,
        )

    @property
    def reranking(self) -> bool:
        return self.ask.rerank != "none"

    @property
    def candidates(self) -> int:
        """Sections to retrieve: more than shown when a reranker reorders them."""
        return max(self.top_k, self.ask.rerank_candidates * self.per_runbook) if self.reranking else self.top_k


def answer_question(project: Project, opts: AskOptions, *, today: dt.date | None = None,
                    backend: StoreReader | None = None) -> Answer:
    """*opts* resolved against the project's config (``AskRequest.resolve``), then answered
    (``answer_request``). Raises RbhError subclasses for user errors."""
    return answer_request(project, AskRequest.resolve(opts, project.config), qdrant_url=opts.qdrant_url,
                          today=today, backend=backend)


def answer_request(project: Project, req: AskRequest, *, qdrant_url: str | None = None, today: dt.date | None = None,
                   backend: StoreReader | None = None) -> Answer:
    """The ask use case: a resolved request in, the answer with its notices out; nothing is printed
    (``indexer.render`` turns the answer into text or JSON). Raises RbhError subclasses for user errors.

    *backend* is an ``indexer.store`` reader already open; by default the store is opened in this
    process (at *qdrant_url* when given)."""
    from rbh.indexer.alerts import catalog_for_project
    from rbh.indexer.query import Retriever, retrieve

    retriever = Retriever(project, qdrant_url=qdrant_url, backend=backend)
    cache = None
    if req.cache:
        from rbh.indexer.ask_cache import AskCache

        cache = AskCache(project, today)
    inventory = None
    catalog = None
    notices: list[str] = []
    if req.alert_lookup:
        catalog = cache.catalog(project) if cache is not None else None
        if catalog is None:
            inventory = _load_inventory(project, notices)
            runbooks = project.load_runbooks(with_git=False)
            catalog = catalog_for_project(project, runbooks, inventory=inventory)
            if cache is not None:
                cache.put_catalog(catalog, [rb.path for rb in runbooks])
    if req.query:
        retriever.dense_vector(req.query)  # load the model while the index reader is still starting
    with retriever:
        retrieval = retrieve(retriever, req.query, catalog=catalog, payload=req.payload, top_k=req.candidates,
                             per_runbook=req.per_runbook, filters=req.filters, min_score=req.min_score)
        if req.reranking:
            notice = apply_rerank(retrieval, req.query, req.ask, req.llm, req.top_k, req.per_runbook)
            if notice:
                notices.append(notice)
        if catalog is not None and req.query and not retrieval.alert_matches:
            # an alert the rules define but no runbook covers: say that the answer is a search, and
            # give the documentation link its rule carries
            from rbh.indexer.alerts import unlinked_notice

            unlinked = catalog.unlinked_alert(req.query)
            if unlinked is not None:
                notices.append(unlinked_notice(unlinked, searched=bool(retrieval.hits)))
        for m in retrieval.empty_sections:
            notices.append(f"alert `{m.alert}` links `{m.path}#{m.anchor}`, a section with no text of its own: the "
                           f"section shown for it is the page's closest match to the question, not its runbook section")
        procedures = whole_runbooks(retriever, retrieval.hits)
        state = retriever.state
        if req.filters and not retrieval.hits and retriever.store.count(req.filters.to_filters()) == 0:
            notices.append(f"no indexed runbook has {req.filters.describe()}: the filter left nothing to search")
    answer = build_answer(project, req.query, retrieval, state=state, inventory=inventory, today=today,
                          with_health=req.health, cache=cache, procedures=procedures)
    if cache is not None:
        cache.save()
    answer.notices[:0] = notices
    if req.query and answer.results and (weak := weak_match_notice(req.query, answer.results[0])):
        answer.notices.append(weak)
    _stale_index_notice(project, state, answer.notices)
    if req.use_llm and answer.results:
        from rbh.indexer.llm import synthesize
        from rbh.errors import LLMError

        try:
            answer.llm = synthesize(req.query or _payload_question(req.payload), [r.hit for r in answer.results], req.llm)
        except LLMError as exc:
            answer.notices.append(f"LLM answer unavailable ({exc}); showing the runbook sections")
    return answer


_QUESTION_WORD = re.compile(r"[A-Za-z0-9][\w.-]*[A-Za-z0-9]|[A-Za-z0-9]")


def weak_match_notice(query: str, result: Result) -> str | None:
    """A notice when the first free-text answer shares at most one word with a question of three
    words or more (stop words aside; compared as index terms, so "restarts" is "restart"): the best
    the runbooks had, shown because its meaning came close, but it may not be what was asked
    ("how do I restart the message bus monitor" answered by a load balancer's "How do I restart
    it"; no page mentions the monitor). The words it lacks are named, so the responder can tell."""
    from rbh.indexer.encoding.terms import adjective_forms, agent_nouns, tokenize

    if result.hit.via != "retrieval":
        return None
    words: dict[str, set[str]] = {}
    for w in _QUESTION_WORD.findall(query):
        # "crawling" is in "crawlers", "health" in "Healthy", as retrieval reads them
        terms = set(tokenize(w)) | set(agent_nouns(w).values()) | set(adjective_forms(w).values())
        if terms and w.lower() not in words:
            words[w.lower()] = terms
    if len(words) < 3:
        return None
    h = result.hit
    shown = [str(h.meta.get("title") or ""), *(str(x) for x in h.meta.get("heading_path") or [])]
    shown += [sec.text for sec in result.procedure] if result.procedure is not None else [h.text]
    present = set(tokenize("\n".join(shown)))
    missing = [w for w, terms in words.items() if not terms & present]
    if len(words) - len(missing) > 1:
        return None
    return ("weak match: the first answer does not mention " + ", ".join(f"'{w}'" for w in missing)
            + " from the question; no runbook may cover it")


def apply_rerank(retrieval: Retrieval, query: str, ask_cfg: AskConfig, llm_cfg: LLMConfig, top_k: int,
                 per_runbook: int = 1) -> str | None:
    """Reorder the free-text runbooks of *retrieval* with the optional reranker (alert hits stay
    first), each with its first *per_runbook* sections, then the sections that filled the slots the
    runbooks did not (``group_by_runbook``); keep *top_k* sections. Returns a notice when the
    reranker failed."""
    from rbh.indexer.rerank import rerank

    alert_hits = [h for h in retrieval.hits if h.via == "alert"]
    groups: dict[str, list[Hit]] = {}
    for h in retrieval.hits:
        if h.via != "alert":
            groups.setdefault(h.path, []).append(h)
    firsts = [g[0] for g in groups.values()]
    ordered, notice = rerank(query, firsts, ask_cfg, llm_cfg) if firsts else (firsts, None)
    head = [h for first in ordered for h in groups[first.path][:per_runbook]]
    kept = {h.id for h in head}
    fill = [h for h in retrieval.hits if h.via != "alert" and h.id not in kept]
    retrieval.hits = (alert_hits + head + fill)[:top_k]
    return notice


def whole_runbooks(retriever: Retriever, hits: list[Hit]) -> dict[str, list[ProcedureSection]]:
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
        if by_alert_section and (container := _anchored_container(sections, h)):
            # the answer is that heading: the hit (its first subsection) is cited and named as it
            crumbs, out[h.path] = container
            h.meta = {**h.meta, "heading": crumbs[-1], "heading_path": crumbs, "anchor": h.alert.anchor}
        elif by_alert_section and is_procedure_page(sections, alert_heading=h.heading):
            # the section the alert links is shown in full too: it is what the alert points at
            out[h.path] = [dataclasses.replace(s, action=True) if s.anchor == h.anchor else s for s in sections]
        elif by_alert or (first_free and (h.linked_page or is_procedure_page(sections) or named_after_alert(h.path, sections))
                          and _page_lines(sections) <= MAX_PROCEDURE_LINES):
            # on a page without a section to act on, the one that matched best is shown in full
            # (else every section would be cut to a few lines)
            best = h.anchor if not any(s.action for s in sections) else None
            steps = own_checklist(sections)  # the page's checklist is what to do first: in full
            out[h.path] = [dataclasses.replace(s, action=True) if (best and s.anchor == best) or i == steps else s
                           for i, s in enumerate(sections)]
            # the answer is the page from its top: cite the page, not the section that matched best
            # (a citation `#quick-confirmation` over a text that starts at `## Summary` sends the
            # responder to the middle of the page)
            title = str(h.meta.get("title") or (sections[0].parents[0] if sections[0].parents else sections[0].heading))
            h.meta = {**h.meta, "line": sections[0].line, "anchor": "", "heading": title, "heading_path": [title],
                      "end_line": _page_lines(sections) + sections[0].line - 1}
        elif first_free and (subtree := section_subtree(sections, h.anchor)):
            out[h.path] = subtree
    return out


_ALERT_STEM = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+")


def named_after_alert(path: str, sections: list[ProcedureSection]) -> bool:
    """A page named after one alert (``runbooks/BackupDiskNotMounted.md`` titled "BackupDiskNotMounted —
    Backup disk not mounted"): the convention of one runbook per alert, whatever its sections are
    called, so the page is about that alert and its procedure is the answer."""
    stem = posixpath.basename(path).split(".", 1)[0]
    if not _ALERT_STEM.fullmatch(stem):
        return False
    titles = [s.parents[0] if s.parents else s.heading for s in sections if s.heading]
    return bool(titles) and titles[0].split()[0].strip(":—-") == stem


def _anchored_container(sections: list[ProcedureSection], hit: Hit) -> tuple[list[str], list[ProcedureSection]] | None:
    """(heading path, subsections) of the heading an alert anchors when that heading has no text of
    its own (``## Loki Request Errors`` over ``### Impact`` ... ``### Steps``): the hit is its first
    subsection (``Retriever.section_for``), and the alert's procedure is all of them, shown in full."""
    from rbh.anchors import DEFAULT, github_slug

    anchor = getattr(hit.alert, "anchor", None)
    if not anchor or anchor == hit.anchor:
        return None
    crumbs = [str(t) for t in hit.meta.get("heading_path") or []][:-1]
    depth = next((i for i in range(len(crumbs) - 1, -1, -1) if anchor in (DEFAULT(crumbs[i]), github_slug(crumbs[i]))), None)
    start = next((i for i, sec in enumerate(sections) if sec.anchor == hit.anchor and sec.level > 0), None)
    if depth is None or start is None:
        return None
    end = start
    while end < len(sections) and sections[end].parents[:depth + 1] == tuple(crumbs[:depth + 1]):
        end += 1
    if end - start > MAX_PROCEDURE_SECTIONS:
        return None
    return crumbs[:depth + 1], [dataclasses.replace(sec, action=True) for sec in sections[start:end]]


def _page_lines(sections: list[ProcedureSection]) -> int:
    """Lines from the first section to the end of the last one."""
    last = sections[-1]
    return last.line + last.text.count("\n") - sections[0].line + 1


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


def _load_inventory(project: Project, notices: list[str]) -> Inventory | None:
    """The manifests' inventory (alerts for the catalog, and reused by the health checks)."""
    try:
        from rbh.checks.api import load_inventory
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


def _runbooks_changed(project: Project, commit: str) -> bool:
    from rbh.indexer.ask_cache import runbooks_changed_since

    return runbooks_changed_since(project, commit)


def _stale_index_notice(project: Project, state: dict[str, Any] | None, notices: list[str]) -> None:
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
