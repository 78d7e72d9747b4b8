"""What ``rbh serve`` keeps warm between requests: the open index, the alert catalog, the inventory and
the runbooks' health, and how it notices a newly published index generation.

Only the query side's public functions are used (``indexer.query.Retriever`` / ``retrieve``,
``indexer.answer.build_answer``, ``indexer.alerts.catalog_for_project``), never the store's
internals: whatever the store does underneath, a ``Retriever`` opened now reads the generation that
is published now, and ``Retriever.state`` says which one that is.

Generations: every ``serve.index_check_seconds`` a background thread opens a fresh ``Retriever``
and compares its state (commit, ref, indexed_at, worktree) with the serving one. A new state means a
new generation: the project (config, runbook list), the inventory, the alert catalog and the health
memo are rebuilt beside the serving bundle, then swapped in one assignment. An unchanged state swaps
only the retriever (the check already paid for opening it, and a fresh retriever starts with an
empty query-vector memo, so a long-running service does not grow with every distinct question).
Requests never wait for a check; a request in flight finishes on the bundle it started with.

Retrieval is serialised by one lock: it is CPU-bound, and the embedded store is not documented as
thread-safe.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rbh.indexer.alerts import AlertCatalog
    from rbh.indexer.answer import AskOptions
    from rbh.indexer.query import Retriever
    from rbh.inventory import Inventory
    from rbh.project import Project

log = logging.getLogger(__name__)

STATE_KEYS = ("commit", "ref", "indexed_at", "worktree")
MAX_REMEMBERED_ALERTS = 4096  # alert -> section answers kept per generation (the same alerts fire again and again)


class HealthMemo:
    """The day a generation's health was prepared for. The findings themselves are stored once per
    repository state by ``checks.health_cache`` (``refresh``) and read per answer with the date rules
    evaluated then; the day only tells when the memory of rendered alert answers must go, because
    those hold review-overdue findings. Passed to ``build_answer`` as its cache: it answers the site
    layout calls with nothing (``indexer.links`` keeps the layout in memory in a long-running process)."""

    def __init__(self, today: dt.date):
        self.today = today

    def site_layout(self, stamp: str) -> dict[str, Any] | None:
        return None

    def put_site_layout(self, stamp: str, layout: dict[str, Any]) -> None:
        pass


@dataclass
class Bundle:
    """Everything one index generation answers with."""

    project: Project
    retriever: Retriever
    state: dict[str, Any]
    catalog: AlertCatalog
    inventory: Inventory | None
    health: HealthMemo
    notices: list[str] = field(default_factory=list)
    answers: "collections.OrderedDict[str, dict | None]" = field(default_factory=collections.OrderedDict)
    opened_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def key(self) -> tuple:
        return tuple(self.state.get(k) for k in STATE_KEYS)


@dataclass
class AlertAnswer:
    """One alert of a webhook payload and the runbook section it resolved to (or not)."""

    alert: dict[str, Any]
    result: dict[str, Any] | None  # one result of ``Answer.as_dict()``, None when nothing matched
    via: str | None  # alert | retrieval | None

    @property
    def matched(self) -> bool:
        return self.result is not None


class WarmIndex:
    """The serving bundle, refreshed in the background; ``ask`` and ``resolve_alerts`` use it."""

    def __init__(self, repo: Path | None, *, qdrant_url: str | None = None, check_seconds: float = 30.0):
        self.repo = repo
        self.qdrant_url = qdrant_url
        self.check_seconds = check_seconds
        self._query_lock = threading.Lock()
        self._check_lock = threading.Lock()  # one check at a time (the loop, or a caller)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reloads = 0  # generations picked up after the start
        self.checked = threading.Event()  # set after every completed check (tests wait on it)
        self.bundle = self._build(None)

    # -------------------------------------------------------------- lifecycle
    def _build(self, retriever: Retriever | None) -> Bundle:
        from rbh.indexer.alerts import catalog_for_project
        from rbh.indexer.query import Retriever
        from rbh.project import load_project

        project = load_project(self.repo)
        if retriever is None:
            retriever = Retriever(project, qdrant_url=self.qdrant_url).open()
        else:
            retriever.index_config = project.config.index  # the same generation seen through the reloaded config
        notices: list[str] = []
        inventory = None
        try:
            from rbh.checks.api import load_inventory

            inventory = load_inventory(project)
        except Exception as exc:  # noqa: BLE001 - alerts still resolve through the catalog's own loader
            log.debug("load_inventory failed", exc_info=True)
            notices.append(f"manifests could not be read for alerts ({type(exc).__name__})")
        runbooks = project.load_runbooks(with_git=False)
        catalog = catalog_for_project(project, runbooks, inventory=inventory)
        retriever.dense_vector("warm up")  # load the embedding model now, not on the first page
        health = self._health_for(project, inventory)
        return Bundle(project, retriever, dict(retriever.state), catalog, inventory, health, notices)

    @staticmethod
    def _health_for(project: Project, inventory: Inventory | None) -> HealthMemo:
        """Store every runbook's findings for this repository state now (``rbh.checks.api.refresh_health``:
        incremental when an earlier state is stored), so no answer waits for the checks."""
        from rbh.checks.api import refresh_health

        try:
            refresh_health(project, inventory=inventory)
        except Exception as exc:  # noqa: BLE001 - answers then compute health themselves
            log.warning("health not prepared (%s: %s); computed per answer instead", type(exc).__name__, exc)
        return HealthMemo(dt.date.today())

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="rbh-serve-index-check", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._query_lock:
            self.bundle.retriever.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.check_seconds):
            try:
                self.check()
            except Exception as exc:  # noqa: BLE001 - keep serving the current generation
                log.warning("index check failed, still serving the index at %s: %s: %s",
                            (self.bundle.state.get("commit") or "?")[:8], type(exc).__name__, exc)

    def check(self) -> bool:
        """Open the index as published now; swap it in. True when it is a new generation."""
        from rbh.indexer.query import Retriever

        with self._check_lock:
            return self._check(Retriever)

    def _check(self, Retriever: Any) -> bool:  # noqa: N803 - the class, passed in to keep its import lazy
        try:
            fresh = Retriever(self.bundle.project, qdrant_url=self.qdrant_url).open()
            state = dict(fresh.state)
            old = self.bundle
            new_generation = tuple(state.get(k) for k in STATE_KEYS) != old.key
            if new_generation:
                try:
                    bundle = self._build(fresh)
                except BaseException:
                    fresh.close()
                    raise
            else:
                health = old.health
                if health.today != dt.date.today():  # review-overdue findings move with the date
                    health = self._health_for(old.project, old.inventory)
                bundle = Bundle(old.project, fresh, state, old.catalog, old.inventory, health, old.notices,
                                old.answers if health is old.health else collections.OrderedDict())
            with self._query_lock:
                self.bundle = bundle
                old.retriever.close()
            if new_generation:
                self.reloads += 1
                log.info("serving index generation at commit %s (indexed %s)", (state.get("commit") or "?")[:8],
                         state.get("indexed_at"))
            return new_generation
        finally:
            self.checked.set()

    # -------------------------------------------------------------- queries
    def ask(self, opts: AskOptions) -> dict[str, Any]:
        """The dict ``rbh ask --json`` prints, for an ``indexer.answer.AskOptions`` (resolved against
        the serving generation's config as ``rbh ask`` resolves it; no reranker, no LLM here)."""
        from rbh.indexer.answer import AskRequest, build_answer
        from rbh.indexer.query import retrieve

        with self._query_lock:
            b = self.bundle
            req = AskRequest.resolve(opts, b.project.config)
            retrieval = retrieve(b.retriever, req.query, catalog=b.catalog if req.alert_lookup else None,
                                 payload=req.payload, top_k=req.top_k, per_runbook=req.per_runbook,
                                 filters=req.filters, min_score=req.min_score)
            answer = build_answer(b.project, req.query, retrieval, state=b.state, inventory=b.inventory,
                                  with_health=req.health, cache=b.health)
        answer.notices[:0] = b.notices
        return answer.as_dict()

    def resolve_alerts(self, alerts: list[dict[str, Any]]) -> list[AlertAnswer]:
        """Each alert of a webhook payload to its runbook section: alert lookup (rules' runbook_url,
        front matter, rendered summary or description), else retrieval over its rendered text."""
        from rbh.indexer.alerts import mapping
        from rbh.indexer.answer import AskOptions

        out = []
        for alert in alerts:
            b = self.bundle
            # what the lookup reads: the name and the annotations (other labels only reach it rendered
            # into the annotations), so an alert that fires again is answered from memory
            labels = mapping(alert.get("labels"))
            key = json.dumps([labels.get("alertname"), alert.get("annotations")], sort_keys=True, default=str)
            with self._query_lock:
                known = key in b.answers
                result = b.answers.get(key)
            if not known:
                data = self.ask(AskOptions(payload_text=json.dumps({"alerts": [alert]}), top_k=1, per_runbook=1))
                result = data["results"][0] if data["results"] and not data["no_match"] else None
                with self._query_lock:
                    b.answers[key] = result
                    while len(b.answers) > MAX_REMEMBERED_ALERTS:
                        b.answers.popitem(last=False)
            out.append(AlertAnswer(alert, result, result.get("via") if result else None))
        return out

    def status(self) -> dict[str, Any]:
        b = self.bundle
        return {"index": {k: b.state.get(k) for k in STATE_KEYS}, "alerts_known": len(b.catalog),
                "generations_picked_up": self.reloads, "since": b.opened_at.isoformat(timespec="seconds")}
