"""Hybrid retrieval: dense and sparse queries fused inside Qdrant, then grouped per runbook.

One ``query_points`` call does the work: two prefetches (WordLlama vector on ``text-dense``, BM25
terms on ``text-sparse`` with Qdrant's IDF modifier) fused with weighted Reciprocal Rank Fusion,
filters (service, team/owner, tag) applied inside both prefetches. The fused sections are then
re-weighted by how much of their runbook's title the query names (a BM25F-style title field: the
index has one sparse vector per section, so the title weight is applied here), and grouped per
runbook: a runbook ranks by its best section, and shows at most ``per_runbook`` sections before the
next runbook gets a slot, so one long runbook cannot fill every slot. The defaults of
``RetrievalSettings`` were chosen on the development set (bench/README.md); none is specific to it.

Why the store interface (``indexer.store``) directly and not a Haystack retriever: the query needs
weighted RRF over named prefetches and the vectors we use to judge "no runbook matches", and
importing Haystack costs a cold ``rbh ask`` about half a second. The embedded store is Qdrant Edge
in this process (its import and load take milliseconds), so no reader process is needed.

"No runbook matches": RRF scores are ranks, not relevance, so the decision uses the best section's
own evidence (``Hit.relevance``: the cosine between the query and the section, or the squared share
of the query's terms it contains); below ``ask.min_score`` (default 0.35) the answer says nothing
matched instead of guessing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

log = logging.getLogger(__name__)


MAX_QUERY_CHARS = 8000  # a pasted log or stack trace is cut here: its head carries the signal


@dataclass(frozen=True)
class RetrievalSettings:
    """Fusion knobs, tuned on the development set (see bench/README.md); not data-specific."""

    rrf_k: int = 20  # smaller than the usual 60: the first few ranks of each list matter most here
    dense_weight: float = 1.5
    sparse_weight: float = 1.0
    prefetch: int = 60  # candidates per prefetch (sections)
    group_by: str = "max"  # max | sum: how section scores make a runbook score (sum favours long runbooks)
    title_boost: float = 4.0  # fused score x (1 + title_boost x title match)
    title_match: str = "dice"  # dice | title (see _title_match)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to runbooks of some services, teams (team or owner) or tags; OR within a kind."""

    service: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.service or self.team or self.tag)

    def matches(self, meta: dict[str, Any]) -> bool:
        """The same test in Python, for sections fetched by path (alert lookups)."""
        if self.service and not set(self.service) & set(meta.get("service") or []):
            return False
        if self.team and not ({meta.get("team"), meta.get("owner")} & set(self.team)):
            return False
        if self.tag and not set(self.tag) & set(meta.get("tags") or []):
            return False
        return True

    def to_filters(self) -> dict[str, Any] | None:
        """The same restriction in Haystack's filter syntax (what the store interface takes)."""
        if not self:
            return None
        must: list[dict[str, Any]] = []
        if self.service:
            must.append({"field": "meta.service", "operator": "in", "value": list(self.service)})
        if self.team:
            must.append({"operator": "OR", "conditions": [
                {"field": "meta.team", "operator": "in", "value": list(self.team)},
                {"field": "meta.owner", "operator": "in", "value": list(self.team)},
            ]})
        if self.tag:
            must.append({"field": "meta.tags", "operator": "in", "value": list(self.tag)})
        return {"operator": "AND", "conditions": must}


@dataclass
class Hit:
    """One retrieved section with its metadata (the chunk payload documented in ``indexer.store``)."""

    id: str
    text: str
    meta: dict[str, Any]
    score: float = 0.0  # fused RRF score (rank-based)
    cosine: float | None = None  # dense similarity of query and section
    coverage: float | None = None  # share of query terms present in the section
    via: str = "retrieval"  # retrieval | alert
    alert: Any = None  # indexer.alerts.AlertMatch when via == "alert"

    @property
    def path(self) -> str:
        return self.meta.get("path", "")

    @property
    def anchor(self) -> str:
        return self.meta.get("anchor") or ""

    @property
    def heading(self) -> str:
        return self.meta.get("heading") or ""

    @property
    def line(self) -> int:
        return int(self.meta.get("line") or 1)

    @property
    def relevance(self) -> float:
        """0..1 evidence that this section is about the query: the dense cosine of query and section,
        or the squared share of the query's terms the section contains, whichever is larger.

        Measured on the example and the development set (bench/README.md): alert descriptions reach
        a cosine of 0.36 or more (1st percentile), and short keyword questions ("too many clients",
        "oom") have every term in their section even when the cosine of a two-word query is low;
        unrelated questions (recipes, travel, sales reports, gibberish) stay at a cosine of 0.36 or
        less and never had more than half of their terms in one section (0.5 squared = 0.25)."""
        return max(self.cosine or 0.0, (self.coverage or 0.0) ** 2)


def _title_match(query_terms: set[str], title_terms: set[str], how: str) -> float:
    """How well a title matches a query, 0..1: ``title`` = share of the title named by the query
    (favours short titles), ``dice`` = 2|Q&T| / (|Q|+|T|) (also asks the query to be about the title)."""
    if not title_terms or not query_terms:
        return 0.0
    common = len(query_terms & title_terms)
    if how == "dice":
        return 2 * common / (len(query_terms) + len(title_terms))
    return common / len(title_terms)


def _cosine(a: Iterable[float], b: Iterable[float]) -> float:
    a, b = list(a), list(b)
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def group_by_runbook(hits: list[Hit], top_k: int, per_runbook: int, how: str = "max") -> list[Hit]:
    """Sections ranked, then grouped: runbooks ordered by best (or summed) section score, each
    contributing up to *per_runbook* sections, *top_k* sections in all."""
    groups: dict[str, list[Hit]] = {}
    for h in hits:  # hits arrive best first
        groups.setdefault(h.path, []).append(h)
    if how == "sum":
        order = sorted(groups, key=lambda p: -sum(h.score for h in groups[p]))
    else:
        order = sorted(groups, key=lambda p: -groups[p][0].score)
    out: list[Hit] = []
    for path in order:
        out.extend(groups[path][:per_runbook])
        if len(out) >= top_k:
            break
    return out[:top_k]


class Retriever:
    """Query side of the store: embeds the query (dense + sparse) and asks Qdrant.

    The store is an ``indexer.store`` reader (*backend*: one already open, else opened here).
    Opened once per command; ``rbh eval`` reuses one retriever for every query.
    """

    def __init__(self, project: Any, *, qdrant_url: str | None = None, settings: RetrievalSettings | None = None,
                 backend: Any = None):
        self.project = project
        self.qdrant_url = qdrant_url
        self.settings = settings or RetrievalSettings()
        self._backend = backend
        self._state: dict[str, Any] | None = None
        self._model = None
        self._vectors: dict[str, list[float]] = {}

    # -------------------------------------------------------------- lifecycle
    def open(self) -> "Retriever":
        if self._backend is None:
            from indexer.store import open_store

            self._backend = open_store(self.project, qdrant_url=self.qdrant_url)
        if self._state is None:
            s = self._backend.state
            self._state = {"commit": s.commit, "ref": s.ref, "indexed_at": s.indexed_at, "worktree": s.worktree,
                           "location": self._backend.location}
        return self

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def __enter__(self) -> "Retriever":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> dict[str, Any]:
        """What the index holds: commit, ref, indexed_at, worktree, location."""
        self.open()
        return self._state or {}

    @property
    def store(self):
        """The open ``indexer.store`` reader."""
        return self.open()._backend

    # -------------------------------------------------------------- query vectors
    def dense_vector(self, text: str) -> list[float]:
        if text not in self._vectors:
            if self._model is None:
                from indexer.components.wordllama_model import load_wordllama

                idx = self.project.config.index
                self._model = load_wordllama(idx.model, idx.dim)
            self._vectors[text] = self._model.embed([text], norm=True)[0].tolist()
        return self._vectors[text]

    @staticmethod
    def sparse_terms(text: str) -> list[int]:
        from indexer.components.terms import query_terms

        return query_terms(text)

    # -------------------------------------------------------------- search
    def search_sections(self, query: str, *, limit: int | None = None, filters: Filters | None = None,
                        paths: list[str] | None = None) -> list[Hit]:
        """Sections ranked by RRF of the dense and sparse prefetches (best first)."""
        s = self.settings
        f = filters or Filters()
        dense = self.dense_vector(query)
        terms = self.sparse_terms(query)
        from indexer.store import DENSE_VECTOR, SPARSE_VECTOR, Prefetch, SparseValues
        from indexer.store.filters import and_filters, path_filter

        limit = limit or s.prefetch
        n = max(limit, s.prefetch)
        prefetches = [Prefetch(DENSE_VECTOR, dense, n, s.dense_weight)]
        if terms:
            prefetches.append(Prefetch(SPARSE_VECTOR, SparseValues(list(terms), [1.0] * len(terms)), n, s.sparse_weight))
        records = self.store.search(prefetches, limit=limit, rrf_k=s.rrf_k,
                                    filters=and_filters(path_filter(paths) if paths else None, f.to_filters()))
        hits = []
        term_set = set(terms)
        for r in records:
            hit = Hit(id=str(r.payload.get("id") or r.id), text=r.payload.get("content") or "", meta=r.payload.get("meta") or {},
                      score=r.score)
            if r.vectors.get(DENSE_VECTOR) is not None:
                hit.cosine = _cosine(dense, r.vectors[DENSE_VECTOR])
            if term_set:
                sparse = r.vectors.get(SPARSE_VECTOR)
                hit.coverage = len(term_set & set(sparse.indices if sparse is not None else [])) / len(term_set)
            hits.append(hit)
        return hits

    def search(self, query: str, *, top_k: int = 5, per_runbook: int = 1, filters: Filters | None = None) -> list[Hit]:
        """Sections grouped per runbook, *top_k* in all."""
        hits = self.search_sections(query, filters=filters)
        return group_by_runbook(hits, top_k, per_runbook, self.settings.group_by)

    def boost_titles(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Re-rank fused hits by how much of each runbook's title the query names (BM25F-style field
        weight: a runbook's title is its most specific description)."""
        if not self.settings.title_boost or not hits:
            return hits
        from indexer.components.terms import tokenize

        q = set(tokenize(query))
        cache: dict[str, float] = {}
        for h in hits:
            title = h.meta.get("title") or ""
            if title not in cache:
                t = set(tokenize(title))
                cache[title] = _title_match(q, t, self.settings.title_match)
            h.score *= 1.0 + self.settings.title_boost * cache[title]
        return sorted(hits, key=lambda h: -h.score)

    def sections_of(self, path: str) -> list[Hit]:
        """Every chunk of one runbook, in document order (for alert lookups that name a file)."""
        hits = [Hit(id=str(r.payload.get("id") or r.id), text=r.payload.get("content") or "", meta=r.payload.get("meta") or {})
                for r in self.store.records_of(path)]
        hits.sort(key=lambda h: (h.meta.get("chunk_index") or 0))
        return hits

    def section_for(self, path: str, anchor: str | None, query: str | None = None) -> Hit | None:
        """The chunk an alert points at: the anchored section (its first part), else the runbook's
        section that best matches *query*, else its first section."""
        chunks = self.sections_of(path)
        if not chunks:
            return None
        if anchor:
            for c in chunks:
                if c.anchor == anchor:
                    return c
        if query:
            ranked = self.search_sections(query, limit=max(5, len(chunks)), paths=[path])
            if ranked:
                return ranked[0]
        return next((c for c in chunks if c.meta.get("level", 0) > 1), chunks[0])


@dataclass
class Retrieval:
    """What ``ask`` found: alert hits first, then free-text hits; and what it could not use."""

    hits: list[Hit]
    alert_matches: list[Any] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # alert targets not in the index
    no_match: bool = False
    best_relevance: float | None = None


def retrieve(retriever: Retriever, query: str, *, catalog: Any = None, payload: Any = None, top_k: int = 5,
             per_runbook: int = 1, filters: Filters | None = None, min_score: float = 0.0,
             fetch_sections: bool = True) -> Retrieval:
    """Alert-aware lookup first (when *catalog* is given), free-text retrieval fills the rest.

    An alert hit is exact: it never falls under the "no runbook matches" threshold, and filters
    still apply to it (a responder who asks for ``--team payments`` sees only payments runbooks).
    ``fetch_sections=False`` (``rbh eval``, which scores runbooks only) skips reading the alert
    hits' sections from the store; those hits then carry only path and anchor, and filters are not
    applied to them.
    """
    filters = filters or Filters()
    matches: list[Any] = []
    texts = [query] if query else []
    if catalog is not None:
        if payload is not None:
            matches, leftovers = catalog.match_payload(payload)
            texts = leftovers + texts
        elif query:
            matches = catalog.match_query(query)
    hits: list[Hit] = []
    missing: list[str] = []
    shown: dict[str, int] = {}
    for m in matches:
        if len(hits) >= top_k:
            break
        if fetch_sections:
            hit = retriever.section_for(m.path, m.anchor, query or None)
        else:
            hit = Hit(id=f"alert:{m.path}#{m.anchor or ''}", text="", meta={"path": m.path, "anchor": m.anchor or ""})
        if hit is None:
            missing.append(m.path)
            continue
        if (fetch_sections and not filters.matches(hit.meta)) or shown.get(hit.path, 0) >= per_runbook or any(h.id == hit.id for h in hits):
            continue
        hit.via, hit.alert = "alert", m
        hits.append(hit)
        shown[hit.path] = shown.get(hit.path, 0) + 1
    free_text = " ".join(t for t in texts if t).strip()[:MAX_QUERY_CHARS]
    best = None
    if free_text and len(hits) < top_k:
        ranked = retriever.boost_titles(free_text, retriever.search_sections(free_text, filters=filters))
        # relevance is absolute (cosine, term coverage), so look past the title re-ranking's top 3
        best = max((h.relevance for h in ranked[:10]), default=None)
        weak = not hits and (best is None or best < min_score)
        if weak:
            return Retrieval([], matches, missing, no_match=True, best_relevance=best)
        taken = {h.id for h in hits}
        for h in group_by_runbook([h for h in ranked if h.id not in taken and shown.get(h.path, 0) == 0],
                                  top_k - len(hits), per_runbook, retriever.settings.group_by):
            hits.append(h)
    return Retrieval(hits, matches, missing, no_match=not hits, best_relevance=best)
