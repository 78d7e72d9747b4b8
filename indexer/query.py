"""Hybrid retrieval: dense and sparse queries to Qdrant, fused with stable ties, then grouped per runbook.

One batch of two nearest-neighbour queries does the work (WordLlama vector on ``text-dense``, BM25
terms on ``text-sparse`` with Qdrant's IDF modifier), filters (service, team/owner, tag) applied
inside both, fused with Qdrant's weighted Reciprocal Rank Fusion formula by the store interface.
Every ranking breaks equal scores by runbook path and chunk position (``hit_order``,
``indexer.store.model.record_order``), never by Qdrant's internal point order, so the same question
gets the same answer after every rebuild of the same commit. The fused sections are then
re-weighted by how much of their runbook's title the query names (a BM25F-style title field: the
index has one sparse vector per section, so the title weight is applied here), and grouped per
runbook: a runbook ranks by its best section, and shows at most ``per_runbook`` sections before the
next runbook gets a slot, so one long runbook cannot fill every slot; when the runbooks run out
before the slots do (one page of a section per alert), other sections fill them. The defaults of
``RetrievalSettings`` were chosen on the development set (bench/README.md); none is specific to it.

Why the store interface (``indexer.store``) directly and not a Haystack retriever: the query needs
weighted RRF over named prefetches and the vectors we use to judge "no runbook matches", and
importing Haystack costs a cold ``rbh ask`` about half a second. The embedded store is Qdrant Edge
in this process (its import and load take milliseconds), so no reader process is needed.

Query side (``rank_sections``, issue 14): rendered alert text is cleaned first (``clean_alert_text``:
generated pod suffixes, IPs, fractional measurements), and after the title boost each section is
weighed by phrase evidence (``Retriever.weigh_phrases``: the share of the query's adjacent word
pairs, stop words kept, that the section repeats; near-duplicate runbooks share terms, not word
order); runbooks whose title says "deprecated" count half. Measured on four sets from three public
repositories (bench/README.md, "rbh ask v2"), each change helped on every set. The pairs a section's
parent headings repeat count once more (a `### Symptoms` is about the problem heading above it), and
a question that reports a failure names a troubleshooting page's title word (bench/README.md, "Issue
14, round 4": neutral on every set, each fixing new-user questions).

"No runbook matches": RRF scores are ranks, not relevance, so the decision uses the best section's
own evidence (``Hit.relevance``: the cosine between the query and the section, or the squared share
of the query's terms it contains); below ``ask.min_score`` (default 0.35) the answer says nothing
matched instead of guessing.
"""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from rbh.indexer.encoding.wordllama_model import WordLlamaModel
    from rbh.indexer.store.base import StoreReader
    from rbh.project import Project

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
    title_boost: float = 3.0  # fused score x (1 + title_boost x title match)
    title_match: str = "dice"  # dice | title (see _title_match)
    phrase_boost: float = 1.0  # fused score x (1 + phrase_boost x share of the query's word pairs in the section)
    phrase_depth: int = 30  # how many of the best fused sections get phrase evidence
    runbook_phrase: bool = False  # phrase evidence over the runbook's retrieved sections, not one section
    clean_query: bool = True  # drop rendered values (hash suffixes, IPs, measurements) before retrieval
    number_boost: float = 0.2  # x (1 + number_boost x share of the query's integers found in the runbook's sections)
    first_sentence_weight: float = 1.0  # a second search with the first sentence of long alert text (0: off)
    deprecated_factor: float = 0.5  # score factor for runbooks whose title says they are deprecated
    section_phrase: bool = True  # phrase evidence over all retrieved parts of a section cut for size
    topic_phrase: bool = True  # the query's word pairs a subsection's parent headings repeat count once more
    trouble_titles: bool = True  # a question reporting a failure names a troubleshooting page's title word
    name_headings: bool = True  # a section headed by an alert-style CamelCase name is titled by it too


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

    def describe(self) -> str:
        """The restriction in words, for a notice: ``tag 'db' or 'kafka' and service 'checkout'``."""
        parts = [f"{kind} " + " or ".join(repr(v) for v in values)
                 for kind, values in (("service", self.service), ("team or owner", self.team), ("tag", self.tag)) if values]
        return " and ".join(parts)

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
    linked_page: bool = False  # the page a best-ranked list of links pointed to (``hand_over_hub``)

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


def _title_match(query_terms: set[str], title_terms: set[str], how: str, nouns: dict[str, str] | None = None) -> float:
    """How well a title matches a query, 0..1: ``title`` = share of the title named by the query
    (favours short titles), ``dice`` = 2|Q&T| / (|Q|+|T|) (also asks the query to be about the title).
    A query term whose agent noun or adjective (*nouns*) the title holds is named ("crawling", "...
    crawlers"; "health", "... Healthy")."""
    if not title_terms or not query_terms:
        return 0.0
    nouns = nouns or {}
    common = sum(1 for t in query_terms if t in title_terms or nouns.get(t, "") in title_terms)
    if how == "dice":
        return 2 * common / (len(query_terms) + len(title_terms))
    return common / len(title_terms)


_WORD = re.compile(r"[a-z0-9]+")
_WORD_PARTS = re.compile(r"[A-Za-z0-9]+")
_INTEGER = re.compile(r"(?<![\w.])\d+(?![\w.]\d)")
_DEPRECATED = re.compile(r"\b(deprecat(?:e|ed|es|ing|ion)|obsolete|superseded)\b", re.I)


def phrase_words(text: str) -> list[str]:
    """Lower-case words of *text* with a light plural/-ing/-ed fold, stop words kept: in alert text
    "not ready" and "no ready" are different alerts, and word order carries what single terms lose.
    (Not the index's Snowball stemmer: stemming every candidate section costs a cold ask ~40 ms.)"""
    return [_fold(w) for w in _WORD.findall(text.lower())]


@lru_cache(maxsize=100_000)
def _fold(word: str) -> str:
    if len(word) > 4 and word.isalpha():
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and not word.endswith("ss"):
                return word[: -len(suffix)]
        # an adjective in -y after a consonant is its noun ("Cluster Healthy is Yellow" repeats "cluster
        # health is yellow", new-user round 13); six letters or more, so "ready" stays apart from "read",
        # "every" from "ever", "party" from "part"
        if len(word) > 5 and word.endswith("y") and word[-2] not in "aeiouy":
            return word[:-1]
    return word


def title_words(text: str) -> set[str]:
    """Index terms of the word parts of *text* (CamelCase and snake_case split, stop words out),
    without the joined compounds the lexical index also keeps."""
    from rbh.indexer.encoding.terms import _CAMEL, _word  # same package: the index's own word rules

    out: set[str] = set()
    for token in _WORD_PARTS.findall(text):
        for part in _CAMEL.findall(token) or [token]:
            w = _word(part.lower())
            if w:
                out.add(w)
    return out


_NAME = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*")


def name_heading(h: "Hit") -> str | None:
    """The nearest heading over a section (its own first, the page title never) that is one
    CamelCase name of two words or more and nothing else (``PostgresConnectionsRunningLow``,
    ``CoderdCPUUsage``, ``CortexRequestLatency``): an alert's name heading its section on a page of
    several alerts."""
    from rbh.indexer.encoding.terms import _CAMEL  # same package: the index's own word rules

    title = h.meta.get("title") or ""
    for heading in reversed(h.meta.get("heading_path") or []):
        text = heading.strip().strip("`").strip()
        if heading != title and _NAME.fullmatch(text) and len(_CAMEL.findall(text)) > 1:
            return text
    return None


def word_pairs(words: list[str]) -> set[tuple[str, str]]:
    return set(zip(words, words[1:]))


def topic_pairs(h: "Hit") -> set[tuple[str, str]]:
    """Word pairs of the headings a section sits under (its heading path without its own heading and
    the page title), each heading apart: the subject of a generic subsection (Symptoms, Investigation,
    Solution) on a page of many problems."""
    title = h.meta.get("title") or ""
    out: set[tuple[str, str]] = set()
    for heading in (h.meta.get("heading_path") or [])[:-1]:
        if heading != title:
            out |= word_pairs(phrase_words(heading))
    return out


def phrase_overlap(query_pairs: set[tuple[str, str]], text: str) -> float:
    """Share of the query's adjacent word pairs that also occur, adjacent, in *text* (0..1)."""
    if not query_pairs:
        return 0.0
    return len(query_pairs & word_pairs(phrase_words(text))) / len(query_pairs)


def _cosine(a: Iterable[float], b: Iterable[float]) -> float:
    a, b = list(a), list(b)
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def hit_order(h: Hit) -> tuple[float, str, int, int, str]:
    """Sort key of every ranking of hits: best score first, then runbook path, chunk position, line
    and id. Never the input order: equal scores are common (sections with the same text, equally
    long sections matching only their runbook's title), and the order hits arrive in came from
    Qdrant's internal point order, which differs from one build of the same commit to the next."""
    return (-h.score, h.path, int(h.meta.get("chunk_index") or 0), h.line, h.id)


def group_by_runbook(hits: list[Hit], top_k: int, per_runbook: int, how: str = "max") -> list[Hit]:
    """Sections ranked, then grouped: runbooks ordered by best (or summed) section score, each
    contributing up to *per_runbook* sections, *top_k* sections in all. Equal runbooks go by path.
    When the runbooks run out before the slots do, the next best sections fill the rest."""
    ranked = sorted(hits, key=hit_order)
    groups: dict[str, list[Hit]] = {}
    for h in ranked:
        groups.setdefault(h.path, []).append(h)
    if how == "sum":
        order = sorted(groups, key=lambda p: (-sum(h.score for h in groups[p]), p))
    else:
        order = sorted(groups, key=lambda p: (-groups[p][0].score, p))
    out: list[Hit] = []
    for path in order:
        out.extend(groups[path][:per_runbook])
        if len(out) >= top_k:
            break
    if len(out) < top_k:  # fewer runbooks than slots (one file of a section per alert): their next sections fill them
        for h in ranked:  # other sections, not parts or subsections of one already in
            if len(out) >= top_k:
                break
            if all(h.id != o.id and not (h.path == o.path and _within(h, o)) for o in out):
                out.append(h)
    return out[:top_k]


def _section_key(h: Hit) -> tuple[str, str, tuple[str, ...]]:
    """The section a chunk is a part of (a section longer than the chunk size is cut into parts)."""
    return h.path, h.anchor, tuple(h.meta.get("heading_path") or ())


def _within(h: Hit, o: Hit) -> bool:
    """*h* is a part of *o*'s section or lies under it (its heading path extends *o*'s)."""
    inner, outer = list(h.meta.get("heading_path") or []), list(o.meta.get("heading_path") or [])
    return bool(outer) and inner[:len(outer)] == outer


class Retriever:
    """Query side of the store: embeds the query (dense + sparse) and asks Qdrant.

    The store is an ``indexer.store`` reader (*backend*: one already open, else opened here).
    Opened once per command; ``rbh eval`` reuses one retriever for every query.
    """

    def __init__(self, project: Project, *, qdrant_url: str | None = None, settings: RetrievalSettings | None = None,
                 backend: StoreReader | None = None):
        from rbh.indexer.store import model_signature, store_settings

        # Narrow settings, not the project: where the store is, the model signature the query
        # vectors have, and the index config that names the model (rbh serve swaps it on reload).
        self.store_settings = store_settings(project, qdrant_url)
        self.model_signature = model_signature(project.config)
        self.index_config = project.config.index
        self.settings = settings or RetrievalSettings()
        self._backend = backend
        self._state: dict[str, Any] | None = None
        self._model: WordLlamaModel | None = None
        self._vectors: dict[str, list[float]] = {}

    # -------------------------------------------------------------- lifecycle
    def open(self) -> "Retriever":
        if self._backend is None:
            from rbh.indexer.store import open_reader

            self._backend = open_reader(self.store_settings, self.model_signature)
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
        return self.open()._backend  # noqa: SLF001 - our own class

    # -------------------------------------------------------------- query vectors
    def dense_vector(self, text: str) -> list[float]:
        if text not in self._vectors:
            if self._model is None:
                from rbh.indexer.encoding.wordllama_model import load_wordllama

                idx = self.index_config
                self._model = load_wordllama(idx.model, idx.dim)
            self._vectors[text] = self._model.embed([text], norm=True)[0].tolist()
        return self._vectors[text]

    @staticmethod
    def sparse_terms(text: str) -> list[int]:
        return sorted({t for g in Retriever.term_groups(text) for t in g})

    @staticmethod
    def term_groups(text: str) -> list[frozenset[int]]:
        """The query's terms, each as the ids that count as it (a verb written apart from its
        particle, or the closed compound: ``encoding.terms.query_term_groups``): every id is
        searched, and a section covers the query's term when it has one of them."""
        from rbh.indexer.encoding.terms import query_term_groups

        return query_term_groups(text)

    # -------------------------------------------------------------- search
    def search_sections(self, query: str, *, limit: int | None = None, filters: Filters | None = None,
                        paths: list[str] | None = None) -> list[Hit]:
        """Sections ranked by RRF of the dense and sparse prefetches (best first)."""
        s = self.settings
        f = filters or Filters()
        from rbh.indexer.encoding.terms import join_phrasal_verbs

        # "fail over" is embedded as "failover": the page's word, and the question's meaning
        dense = self.dense_vector(join_phrasal_verbs(query))
        groups = self.term_groups(query)
        terms = sorted({t for g in groups for t in g})
        from rbh.indexer.store import DENSE_VECTOR, SPARSE_VECTOR, Prefetch, SparseValues
        from rbh.indexer.store.filters import and_filters, path_filter

        limit = limit or s.prefetch
        n = max(limit, s.prefetch)
        prefetches = [Prefetch(DENSE_VECTOR, dense, n, s.dense_weight)]
        if terms:
            prefetches.append(Prefetch(SPARSE_VECTOR, SparseValues(list(terms), [1.0] * len(terms)), n, s.sparse_weight))
        records = self.store.search(prefetches, limit=limit, rrf_k=s.rrf_k,
                                    filters=and_filters(path_filter(paths) if paths else None, f.to_filters()))
        hits = []
        for r in records:
            hit = Hit(id=str(r.payload.get("id") or r.id), text=r.payload.get("content") or "", meta=r.payload.get("meta") or {},
                      score=r.score)
            if r.vectors.get(DENSE_VECTOR) is not None:
                hit.cosine = _cosine(dense, r.vectors[DENSE_VECTOR])
            if groups:
                sparse = r.vectors.get(SPARSE_VECTOR)
                present = set(sparse.indices if sparse is not None else [])
                hit.coverage = sum(1 for g in groups if g & present) / len(groups)
            hits.append(hit)
        return hits

    def search(self, query: str, *, top_k: int = 5, per_runbook: int = 1, filters: Filters | None = None) -> list[Hit]:
        """Sections grouped per runbook, *top_k* in all."""
        hits = self.search_sections(query, filters=filters)
        return group_by_runbook(hits, top_k, per_runbook, self.settings.group_by)

    def boost_titles(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Re-rank fused hits by how much of each runbook's title the query names (BM25F-style field
        weight: a runbook's title is its most specific description). Title and query are compared as
        word parts (``NodeFilesystemAlmostOutOfSpace`` -> node, filesystem, almost, space): the
        index's joined CamelCase terms would make long titles look less like the query."""
        if not self.settings.title_boost or not hits:
            return hits
        q = title_words(query)
        # a question that reports a failure ("naisdevice cannot connect", "PVC is stuck pending") asks
        # for troubleshooting: a page titled "Troubleshooting naisdevice" or "CSI Common Issues" names
        # what the question means but does not say, where "naisdevice" alone would win the match
        failing = self.settings.trouble_titles and reports_failure(query)
        from rbh.indexer.encoding.terms import adjective_forms, agent_nouns  # same package: the index's own word rules

        # "bots are crawling" names a title's "crawlers", "cluster health" a title's "Healthy"
        nouns = {**adjective_forms(query), **agent_nouns(query)}
        cache: dict[str, float] = {}
        names: dict[str, float] = {}
        for h in hits:
            title = h.meta.get("title") or ""
            if title not in cache:
                words = title_words(title)
                cache[title] = _title_match(q | (words & _TROUBLE_WORDS) if failing else q, words, self.settings.title_match,
                                            nouns)
            # a page template ("PD Alert Template", `runbook_template.md`) shares its title's words with
            # the questions about the real pages it stands for; its title counts only for a question
            # about templates
            if _is_template(title, h.path) and not q & _TEMPLATE_WORDS:
                continue
            match = cache[title]
            # a page of one `## AlertName` section per alert: each section's name is its title, as a
            # page's title is on a page per alert (the title match favoured that layout). One word in
            # common is no evidence: an alert's name is two to five words about its component, and
            # "queries" alone names every CortexXxxQueriesYyy
            name = name_heading(h) if self.settings.name_headings else None
            if name:
                if name not in names:
                    words = title_words(name)
                    names[name] = _title_match(q, words, self.settings.title_match) if len(q & words) >= 2 else 0.0
                match = max(match, names[name])
            h.score *= 1.0 + self.settings.title_boost * match
        return sorted(hits, key=hit_order)

    def weigh_phrases(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Re-rank by phrase evidence: how many of the query's adjacent word pairs a section (its
        retrieved parts together, with ``section_phrase``; or, with ``runbook_phrase``, its runbook's
        retrieved sections together) repeats. Rendered alert text
        mostly paraphrases its runbook's first paragraph; near-duplicate runbooks share the terms but
        not the word order."""
        s = self.settings
        if not s.phrase_boost or not hits:
            return hits
        qp = word_pairs(phrase_words(query))
        if not qp:
            return hits
        if s.deprecated_factor != 1.0:
            for h in hits:
                if _DEPRECATED.search(h.meta.get("title") or ""):
                    h.score *= s.deprecated_factor
        # the first sections of the fused ranking only: below them a word pair cannot lift a section
        # to the top, and stemming every candidate's text costs a cold ask tens of milliseconds
        found = {h.id: qp & word_pairs(phrase_words(f"{h.meta.get('title') or ''}\n{h.text}")) for h in hits[:s.phrase_depth]}
        if s.section_phrase:
            # a section longer than a chunk is cut into parts: the pairs any retrieved part repeats
            # count for every part (a part holding "the read" and one holding "on the" are one section)
            by_section: dict[tuple[str, str, tuple[str, ...]], set[tuple[str, str]]] = {}
            for h in hits[:s.phrase_depth]:
                by_section.setdefault(_section_key(h), set()).update(found[h.id])
            found = {h.id: by_section[_section_key(h)] for h in hits[:s.phrase_depth]}
        # the headings a subsection sits under name its subject (`## Too few PGs per OSD warning is
        # shown` over `### Symptoms`): the query's word pairs they repeat count once more
        topic = {h.id: len(qp & topic_pairs(h)) for h in hits[:s.phrase_depth]} if s.topic_phrase else {}
        per_section = {h.id: min(1.0, (len(found.get(h.id, ())) + topic.get(h.id, 0)) / len(qp)) for h in hits}
        if s.runbook_phrase:
            best: dict[str, float] = {}
            for h in hits:
                best[h.path] = max(best.get(h.path, 0.0), per_section[h.id])
            for h in hits:
                h.score *= 1.0 + s.phrase_boost * best[h.path]
        else:
            for h in hits:
                h.score *= 1.0 + s.phrase_boost * per_section[h.id]
        return sorted(hits, key=hit_order)

    def weigh_numbers(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Runbook-level evidence: the integers of the query (thresholds a template wrote: "less than
        3%", "more than 12 times"; rendered measurements were cleaned away) that the runbook's
        retrieved sections, together, also mention. Near-duplicate alerts often differ only there."""
        wanted = set(_INTEGER.findall(query))
        if not self.settings.number_boost or not wanted:
            return hits
        found: dict[str, set[str]] = {}
        for h in hits:
            found.setdefault(h.path, set()).update(_INTEGER.findall(h.text))
        for h in hits:
            h.score *= 1.0 + self.settings.number_boost * len(wanted & found[h.path]) / len(wanted)
        return sorted(hits, key=hit_order)

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
        hit = self._anchored(chunks, anchor) if anchor else None
        if hit is not None:
            return hit
        return self._best_or_first(path, chunks, query)

    def anchored_section(self, path: str, anchor: str) -> Hit | None:
        """The chunk of the section *anchor* names (see ``section_for``), or None when no chunk holds
        it: the heading has no text of its own, nor under it (an empty section)."""
        return self._anchored(self.sections_of(path), anchor)

    def _best_or_first(self, path: str, chunks: list[Hit], query: str | None) -> Hit:
        if query:
            ranked = self.search_sections(query, limit=max(5, len(chunks)), paths=[path])
            if ranked:
                return ranked[0]
        return next((c for c in chunks if c.meta.get("level", 0) > 1), chunks[0])

    @staticmethod
    def _anchored(chunks: list[Hit], anchor: str) -> Hit | None:
        if anchor:
            for c in chunks:
                if c.anchor == anchor:
                    return c
            # A heading with nothing of its own before its subsections (`## Loki Request Errors`, then
            # `### Impact`) has no chunk: its first subsection is where the alert points, not the
            # page's best match for the query (a sibling alert's `### Summary`).
            from rbh.anchors import DEFAULT, github_slug

            for c in chunks:
                if any(anchor in (DEFAULT(t), github_slug(t)) for t in c.meta.get("heading_path") or []):
                    return c
            # A heading deeper than the index splits at (`#### SidekiqAnswerQueueLength` inside
            # `### Slack Alerts`, beside five other alerts): that heading's own part of the chunk
            for c in chunks:
                if (deep := deep_section(c, anchor)) is not None:
                    return deep
        return None


_DEEP_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def deep_section(chunk: Hit, anchor: str) -> Hit | None:
    """The part of *chunk* under a heading inside its text whose anchor is *anchor* (a heading below
    the index's ``heading_levels``), up to the next heading of the same or a higher level, as a hit
    of its own: heading, anchor, line and heading path are that heading's."""
    from rbh.anchors import DEFAULT, github_slug

    lines = chunk.text.split("\n")
    fenced = False
    start = level = None
    end = len(lines)
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced or i == 0 else _DEEP_HEADING.match(line)
        if m is None:
            continue
        if start is None:
            if anchor in (DEFAULT(m.group(2)), github_slug(m.group(2))):
                start, level = i, len(m.group(1))
        elif len(m.group(1)) <= (level or 0):
            end = i
            break
    if start is None:
        return None
    heading = lines[start].lstrip("#").strip().rstrip("#").strip()
    meta = dict(chunk.meta)
    meta.update(heading=heading, anchor=anchor, line=chunk.line + start, end_line=chunk.line + end - 1,
                heading_path=[*(chunk.meta.get("heading_path") or []), heading])
    return Hit(id=chunk.id, text="\n".join(lines[start:end]).rstrip(), meta=meta, score=chunk.score,
               cosine=chunk.cosine, coverage=chunk.coverage, via=chunk.via, alert=chunk.alert)


_FAILURE = re.compile(r"\b(?:can ?not|can't|cannot|fail\w*|error\w*|broken|stuck|crash\w*|down|unable|"
                      r"not (?:working|starting|running|connecting))\b", re.I)
_TROUBLE_WORDS = title_words("troubleshooting issues problems faq debugging")  # folded as titles are


def reports_failure(question: str) -> bool:
    """The question says something fails: "cannot connect", "is stuck pending", "crashlooping"."""
    return bool(_FAILURE.search(question))


_TEMPLATE_WORDS = title_words("template templates skeleton boilerplate")  # folded as titles are


def _is_template(title: str, path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return bool(title_words(title) & _TEMPLATE_WORDS) or "template" in name


def rank_sections(retriever: Retriever, text: str, filters: Filters | None = None) -> list[Hit]:
    """Free-text ranking of sections: cleaned query, fused store search (plus a second search with
    the first sentence of a multi-sentence alert text), then the query-side evidence (title match,
    phrase evidence). Store calls stay in ``Retriever.search_sections``."""
    s = retriever.settings
    query = (clean_alert_text(text) if s.clean_query else text) or text
    hits = retriever.search_sections(query, filters=filters)
    first = first_sentence(query)
    if s.first_sentence_weight and first:
        hits = merge_scores(hits, retriever.search_sections(first, filters=filters), s.first_sentence_weight)
    hits = retriever.boost_titles(query, hits)
    hits = retriever.weigh_phrases(query, hits)
    return retriever.weigh_numbers(query, hits)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def first_sentence(text: str, min_chars: int = 100) -> str | None:
    """The first sentence of a description of several sentences (the one that names the problem;
    the rest is generic advice shared by many alerts), or None for short, one-sentence text."""
    if len(text) <= min_chars:
        return None
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return parts[0] if len(parts) > 1 else None


def merge_scores(hits: list[Hit], more: list[Hit], weight: float) -> list[Hit]:
    """Sum of two fused rankings' scores per section (a section found by both gains)."""
    by_id = {h.id: h for h in hits}
    for h in more:
        if h.id in by_id:
            by_id[h.id].score += weight * h.score
        else:
            h.score *= weight
            by_id[h.id] = h
    return sorted(by_id.values(), key=hit_order)


_HASH_SUFFIX = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*?)-(?:[a-f0-9]{8,10}-[a-z0-9]{5}|[a-z0-9]{5}|[0-9]{1,3}|[a-f0-9]{6,10})\b")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\b")
_MEASURE = re.compile(r"(?<![\w.])\d+\.\d+\s*(?:%|[a-zA-Z]{1,3}\b)?|(?<![\w.])\d+(?:\.\d+)?(?=\s*[kKMGT]i?B\b)")


_HOSTNAME = re.compile(r"(?<![\w/.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+){2,}(?![\w/-]|\.\w)", re.I)


def clean_alert_text(text: str) -> str:
    """Rendered alert text without the values Prometheus filled in: generated pod/job suffixes
    (``checkout-7d9f8b6c5-x2lqz`` -> ``checkout``), IP addresses and ports, host names with two or
    more dots (``worker-2.prod.example.internal``; not ``a.b.c/key``), fractional measurements
    (``12.35%``, ``87.5ms``). Integers stay: in a template they are thresholds ("crossed 75%") that
    tell near-duplicate alerts apart. The result feeds both the dense and the lexical query."""
    out = _IP.sub(" ", text)
    out = _HOSTNAME.sub(" ", out)
    out = _HASH_SUFFIX.sub(lambda m: m.group(1), out)
    out = _MEASURE.sub(" ", out)
    return re.sub(r"\s+", " ", out).strip()


@dataclass
class Retrieval:
    """What ``ask`` found: alert hits first, then free-text hits; and what it could not use."""

    hits: list[Hit]
    alert_matches: list[Any] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # alert targets not in the index
    # alerts whose anchored section holds no text: the hit shown for each is the page's best match
    empty_sections: list[Any] = field(default_factory=list)
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
            if not matches:
                # an alert the rules define but no runbook is linked to: what its rule says of it
                # (summary, description, the name in words) finds the runbook, as a payload's would
                described = catalog.rule_text(query)
                if described:
                    texts = [*texts, described]
    hits: list[Hit] = []
    missing: list[str] = []
    shown: dict[str, int] = {}
    empty: list[Any] = []
    for m in matches:
        if len(hits) >= top_k:
            break
        fallback = False
        if fetch_sections:
            hit = retriever.anchored_section(m.path, m.anchor) if m.anchor else None
            if hit is None:
                hit = retriever.section_for(m.path, None, query or None)
                # `## Elasticsearch Write Requests Rejection Jumps` with an empty `### Troubleshooting`:
                # the page's best match is another section (a sibling alert's), not this alert's runbook
                fallback = bool(m.anchor)
        else:
            hit = Hit(id=f"alert:{m.path}#{m.anchor or ''}", text="", meta={"path": m.path, "anchor": m.anchor or ""})
        if hit is None:
            missing.append(m.path)
            continue
        if (fetch_sections and not filters.matches(hit.meta)) or shown.get(hit.path, 0) >= per_runbook or any(h.id == hit.id for h in hits):
            continue
        hit.via, hit.alert = "alert", m
        hits.append(hit)
        if fallback:
            empty.append(m)
        shown[hit.path] = shown.get(hit.path, 0) + 1
    free_text = " ".join(t for t in texts if t).strip()[:MAX_QUERY_CHARS]
    best = None
    if free_text and len(hits) < top_k:
        ranked = rank_sections(retriever, free_text, filters)
        # relevance is absolute (cosine, term coverage), so look past the title re-ranking's top 3
        best = max((h.relevance for h in ranked[:10]), default=None)
        weak = not hits and (best is None or best < min_score)
        if weak:
            return Retrieval([], matches, missing, empty, no_match=True, best_relevance=best)
        taken = {h.id for h in hits}
        for h in group_by_runbook([h for h in ranked if h.id not in taken and shown.get(h.path, 0) == 0],
                                  top_k - len(hits), per_runbook, retriever.settings.group_by):
            hits.append(h)
        if hits and hits[0].via != "alert":
            hits = hand_over_hub(hits, ranked)
    return Retrieval(hits, matches, missing, empty, no_match=not hits, best_relevance=best)


_LIST_ITEM = re.compile(r"^[ \t]{0,3}(?:[-*+]|\d+[.)])[ \t]+")
_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)")
_REF_USE = re.compile(r"\]\[([^\]]*)\]")
_REF_DEF = re.compile(r"^[ \t]{0,3}\[([^\]]+)\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$")


def _page_stem(target: str) -> str:
    """``../after/post_mortem_process.md#x`` -> ``post_mortem_process``; a folder URL names its page."""
    name = target.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name.split(".", 1)[0].lower()


def hub_targets(text: str) -> set[str]:
    """The pages a hub section links to, by file stem, when the section is a list of links (every
    list item holds a link: a table of contents, an index page's "After an Incident" list); empty
    for any other section. External URLs are no pages of the site."""
    lines = text.split("\n")
    defs = {m.group(1).lower(): m.group(2) for line in lines if (m := _REF_DEF.match(line))}
    items: list[list[str]] = []
    for line in lines[1:]:  # the first line is the section's heading
        if _LIST_ITEM.match(line):
            items.append([line])
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1].append(line)  # an item's continuation
    stems: set[str] = set()
    if len(items) < 2:
        return stems
    for item in items:
        body = " ".join(item)
        targets = _LINK_TARGET.findall(body) + [defs.get(label.lower(), "") for label in _REF_USE.findall(body)]
        if not any(targets):
            return set()  # an item without a link: prose, not a table of contents
        stems |= {_page_stem(t) for t in targets if t and not t.startswith(("http://", "https://", "mailto:", "#"))}
    stems.discard("")
    return stems


def hand_over_hub(hits: list[Hit], ranked: list[Hit] | None = None) -> list[Hit]:
    """When the best free-text section is a list of links to other pages, and one of the pages it
    links also matched, that page answers first: the hub pointed at the answer, it is not one (GOV.UK's
    "Help with publishing content" list over "If documents aren't live after being published").
    A section cut into parts is judged by its parts among *ranked* together (the list's second
    part alone starts mid-list)."""
    first = hits[0]
    parts = sorted({h.id: h for h in ranked or [] if _section_key(h) == _section_key(first)}.values(),
                   key=lambda h: int(h.meta.get("chunk_index") or 0))
    targets = hub_targets("\n".join(h.text for h in parts) if len(parts) > 1 else first.text)
    if not targets:
        return hits
    for i, h in enumerate(hits[1:], start=1):
        if h.via != "alert" and _page_stem(h.path) in targets:
            # the hub linked the page, not one of its sections: it is shown and cited as a whole
            h.linked_page = True
            h.meta = {**h.meta, "anchor": "", "heading": "", "heading_path": [], "line": 1}
            return [h, *hits[:i], *hits[i + 1:]]
    return hits
