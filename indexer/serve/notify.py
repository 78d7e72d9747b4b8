"""Delivery to chat webhooks: one bounded queue and one worker per target, so a failing or hanging
target delays only its own messages.

Each call has the target's timeout; a failure (connection error, timeout, 5xx, 429) is retried with
exponential backoff (``Retry-After`` honoured up to a cap), then logged and counted as failed. Any
other 4xx is not retried: the payload or the URL is wrong. Calls go only to the configured URLs:
redirects are not followed and proxy settings from the environment are not used. URLs are secrets
(a Slack webhook URL is a credential): logs name the target, never its URL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # slack | mattermost | rocketchat | teams
    url: str

    def __repr__(self) -> str:  # never the URL: it is a credential
        return f"Target({self.name!r}, {self.kind!r})"


def targets_from_env(value: str | None) -> list[Target]:
    """``RBH_SERVE_WEBHOOKS="slack=https://hooks.slack.com/...  teams=https://..."``: kind=URL entries
    separated by spaces, commas or newlines; an optional name as ``name:kind=URL``."""
    from rbh.errors import ConfigError

    out: list[Target] = []
    for n, entry in enumerate((value or "").replace(",", " ").split(), start=1):
        head, sep, url = entry.partition("=")
        if not sep:
            raise ConfigError(f"RBH_SERVE_WEBHOOKS: entry {n}: expected kind=URL (kinds: slack, mattermost, rocketchat, teams)")
        name, _, kind = head.rpartition(":")
        if kind not in ("slack", "mattermost", "rocketchat", "teams"):
            raise ConfigError(f"RBH_SERVE_WEBHOOKS: entry {n}: unknown kind {kind[:20]!r} (slack, mattermost, rocketchat, teams)")
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"RBH_SERVE_WEBHOOKS: entry {n}: the URL must start with https:// or http://")
        out.append(Target(name or f"{kind}-{n}", kind, url))
    return out


class Notifier:
    """Queues rendered messages per target and delivers them in the background (asyncio)."""

    def __init__(self, targets: list[Target], *, timeout: float = 5.0, retries: int = 3, queue_size: int = 1000,
                 backoff: float = 0.5, metrics: Any = None, on_delivered: Callable[[str, bool], None] | None = None):
        self.targets = targets
        self.timeout = timeout
        self.retries = retries
        self.queue_size = queue_size
        self.backoff = backoff
        self.metrics = metrics
        self.on_delivered = on_delivered
        self._queues: dict[str, asyncio.Queue] = {}
        self._tasks: list[asyncio.Task] = []
        self._http: httpx.AsyncClient | None = None  # opened by start()

    async def start(self) -> None:
        import httpx

        self._http = httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                         headers={"User-Agent": "rbh-serve", "Content-Type": "application/json"})
        for t in self.targets:
            q: asyncio.Queue = asyncio.Queue(self.queue_size)
            self._queues[t.name] = q
            self._tasks.append(asyncio.create_task(self._worker(t, q), name=f"rbh-notify-{t.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        if self._http is not None:
            await self._http.aclose()

    def submit(self, render: Callable[[str], dict[str, Any]], what: str) -> int:
        """Queue one message (``render(kind) -> JSON payload``) for every target; returns how many
        targets took it. Never waits: a full queue drops that target's copy, logged and counted."""
        queued = 0
        for t in self.targets:
            q = self._queues.get(t.name)
            if q is None:
                continue
            try:
                q.put_nowait((render(t.kind), what, time.monotonic()))
                queued += 1
            except asyncio.QueueFull:
                log.error("chat target %s: queue full (%d waiting), dropped the notification for %s", t.name, q.qsize(), what)
                self._count(t, False)
        return queued

    def depth(self) -> dict[str, int]:
        return {name: q.qsize() for name, q in self._queues.items()}

    async def join(self) -> None:
        """Wait until every queued message was delivered or given up (for tests and the bench)."""
        for q in self._queues.values():
            await q.join()

    def _count(self, t: Target, ok: bool) -> None:
        if self.metrics is not None:
            self.metrics.notifications.labels(target=t.name, result="sent" if ok else "failed").inc()
        if self.on_delivered is not None:
            self.on_delivered(t.name, ok)

    async def _worker(self, t: Target, q: asyncio.Queue) -> None:
        while True:
            body, what, queued_at = await q.get()
            try:
                ok = await self._deliver(t, body, what)
                self._count(t, ok)
                if self.metrics is not None and ok:
                    self.metrics.notify_latency.labels(target=t.name).observe(time.monotonic() - queued_at)
            except Exception:  # noqa: BLE001 - a worker must survive anything one message does
                log.exception("chat target %s: unexpected error delivering %s", t.name, what)
                self._count(t, False)
            finally:
                q.task_done()

    async def _deliver(self, t: Target, body: dict[str, Any], what: str) -> bool:
        import httpx

        assert self._http is not None, "Notifier.start() opens the client before any worker runs"

        reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                if self.metrics is not None:
                    self.metrics.retries.labels(target=t.name).inc()
            delay = self.backoff * (2 ** attempt)
            try:
                resp = await self._http.post(t.url, json=body, timeout=self.timeout)
            except httpx.TimeoutException:
                reason = f"no answer within {self.timeout:g} s"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}"
            else:
                if resp.status_code < 300:
                    return True
                reason = f"HTTP {resp.status_code}"
                if resp.status_code not in RETRYABLE:
                    log.error("chat target %s: %s for %s, not retried (check the URL and the target's kind)", t.name, reason, what)
                    return False
                after = resp.headers.get("retry-after", "")
                if after.isdigit():
                    delay = max(delay, min(float(after), MAX_RETRY_AFTER))
            if attempt < self.retries:
                log.warning("chat target %s: %s for %s, retry %d of %d in %.1f s", t.name, reason, what, attempt + 1,
                            self.retries, delay)
                await asyncio.sleep(delay)
        log.error("chat target %s: gave up on %s after %d attempt(s): %s", t.name, what, self.retries + 1, reason)
        return False


def allow_repo_webhooks_from_env() -> bool:
    """``RBH_TRUST_REPO_URLS=1`` (or the deprecated ``RBH_SERVE_ALLOW_REPO_WEBHOOKS=1``): rbh.config decides."""
    from rbh.config import trust_repo_webhooks

    return trust_repo_webhooks()
