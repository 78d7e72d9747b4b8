"""The ``rbh serve`` HTTP application (Starlette, run by uvicorn).

Routes:

=========================  =====================================================================
``POST /v1/alertmanager``  Alertmanager webhook (payload version 4) -> one enriched chat message
                           per group to every configured target; answers 200 once queued
``GET|POST /v1/ask``       the JSON of ``rbh ask --json``
``GET|POST /``             the search page (no script at all; a strict CSP)
``GET /page.css``          its style sheet
``GET /healthz``           liveness and the index generation served (no token)
``GET /metrics``           Prometheus metrics (no token: counts and latencies only)
=========================  =====================================================================

Every request but ``/healthz`` and ``/metrics`` counts against a per-client rate limit. The webhook
and the API need ``Authorization: Bearer <token>``; the page takes the token once in its form and
keeps a cookie derived from it (HttpOnly, SameSite=Strict). Refusals get their status and one log
line: 401 (token), 400 (not JSON), 413 (body too big), 415 (not JSON content), 422 (wrong payload
version or shape), 429 (rate).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from rbh.indexer.serve.warm import WarmIndex

from rbh.indexer.alerts import mapping
from rbh.indexer.serve.chat import RENDERERS, GroupNote, clean, note_for
from rbh.indexer.serve.notify import Notifier

log = logging.getLogger("rbh.indexer.serve")

COOKIE = "rbh_serve"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
MAX_FOLLOW_UPS = 10_000


class Refused(Exception):
    """A request refused with *status*; *reason* goes to the log line and the JSON body."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None):
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


@dataclass
class Settings:
    token: str
    max_body_bytes: int = 1_000_000
    rate_limit_per_minute: int = 600
    max_alerts_per_message: int = 10


class Metrics:
    """The service's own Prometheus registry (a test can build several apps in one process)."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = r = CollectorRegistry()
        self.requests = Counter("rbh_serve_requests", "HTTP requests by route and status", ["route", "method", "status"], registry=r)
        self.latency = Histogram("rbh_serve_request_duration_seconds", "Time to answer a request", ["route"], registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.alerts = Counter("rbh_serve_alerts", "Alerts received, by whether a runbook section was found", ["result"], registry=r)
        self.notifications = Counter("rbh_serve_notifications", "Chat notifications by target and outcome", ["target", "result"], registry=r)
        self.retries = Counter("rbh_serve_notification_retries", "Chat webhook calls retried", ["target"], registry=r)
        self.notify_latency = Histogram("rbh_serve_notification_delivery_seconds", "From queued to delivered", ["target"], registry=r,
                                        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.queue = Gauge("rbh_serve_notification_queue", "Notifications waiting per target", ["target"], registry=r)
        self.generations = Counter("rbh_serve_index_generations", "Index generations picked up since the start", registry=r)


class RateLimiter:
    """A token bucket per client address: *per_minute* requests, refilled continuously."""

    def __init__(self, per_minute: int):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if ok else tokens, now)
            while len(self._buckets) > 10_000:
                self._buckets.popitem(last=False)
            return ok


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _page_template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("rbh.indexer.serve", "templates"),
                             autoescape=jinja2.select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["grouped"] = grouped_findings
    return env.get_template("page.html")


def grouped_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per distinct finding (the same stale name on eleven lines is one problem), errors first."""
    groups: dict[tuple, list[int]] = {}
    for f in findings:
        groups.setdefault((f.get("severity"), f.get("rule"), f.get("message"), f.get("suggestion")), []).append(int(f.get("line") or 0))
    out = []
    for (sev, rule, msg, sugg), lines in groups.items():
        lines.sort()
        where = ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines[:6])) + (", …" if len(lines) > 6 else "")
        out.append({"severity": sev, "rule": rule, "message": msg, "suggestion": sugg, "where": where, "first": lines[0]})
    return sorted(out, key=lambda g: ({"error": 0, "warning": 1}.get(g["severity"], 2), g["first"]))


def create_app(warm: WarmIndex, notifier: Notifier, settings: Settings, metrics: Metrics | None = None) -> Starlette:
    """The ASGI app over a ``WarmIndex`` and a ``Notifier`` (started and stopped with the app)."""
    metrics = metrics or Metrics()
    notifier.metrics = metrics
    limiter = RateLimiter(settings.rate_limit_per_minute)
    template = _page_template()
    css = resources.files("rbh.indexer.serve").joinpath("templates/page.css").read_text(encoding="utf-8")
    token = settings.token.encode()
    cookie_value = hmac.new(token, b"rbh-serve-page-v1", hashlib.sha256).hexdigest()
    follow_ups: collections.OrderedDict[str, str] = collections.OrderedDict()
    seen_generations = {"n": 0}

    # ---------------------------------------------------------------- helpers
    def client_of(request: Request) -> str:
        return request.client.host if request.client else "?"

    def check_token(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if not header:
            raise Refused(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
            raise Refused(401, "wrong bearer token", {"WWW-Authenticate": "Bearer"})

    def page_authed(request: Request) -> bool:
        return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), cookie_value.encode())

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > settings.max_body_bytes):
            raise Refused(413, f"body of {declared[:20]} bytes is over the limit of {settings.max_body_bytes}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_body_bytes:
                raise Refused(413, f"body over the limit of {settings.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def read_json(request: Request) -> Any:
        body = await read_body(request)
        ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if ctype not in ("application/json", "") and not ctype.endswith("+json"):
            raise Refused(415, f"content type {ctype[:60]!r}, expected application/json")
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Refused(400, f"body is not valid JSON ({getattr(exc, 'msg', type(exc).__name__)})") from None

    def instrument(route: str, handler, *, limited: bool = True):
        async def endpoint(request: Request) -> Response:
            start = time.perf_counter()
            try:
                if limited and not limiter.allow(client_of(request)):
                    raise Refused(429, "rate limit exceeded", {"Retry-After": "1"})
                response = await handler(request)
            except Refused as exc:
                log.warning("%s %s from %s: %d %s", request.method, route, client_of(request), exc.status, exc.reason)
                response = JSONResponse({"error": exc.reason}, exc.status, headers=exc.headers)
            except Exception as exc:  # noqa: BLE001 - one bad request must not stop the service
                log.exception("%s %s from %s: 500 %s", request.method, route, client_of(request), type(exc).__name__)
                response = JSONResponse({"error": f"internal error ({type(exc).__name__})"}, 500)
            metrics.requests.labels(route=route, method=request.method, status=str(response.status_code)).inc()
            metrics.latency.labels(route=route).observe(time.perf_counter() - start)
            return response
        return endpoint

    # ---------------------------------------------------------------- webhook
    async def alertmanager(request: Request) -> Response:
        check_token(request)
        payload = await read_json(request)
        if not isinstance(payload, dict):
            raise Refused(422, "expected an Alertmanager webhook payload (a JSON object)")
        if str(payload.get("version")) != "4":
            raise Refused(422, f"payload version {clean(payload.get('version'), 20)!r} is not supported (expected \"4\")")
        alerts = payload.get("alerts")
        if not isinstance(alerts, list) or not alerts or not all(isinstance(a, dict) for a in alerts):
            raise Refused(422, "payload has no alerts (expected a non-empty list of alert objects)")
        status = "resolved" if payload.get("status") == "resolved" else "firing"
        group_key = clean(payload.get("groupKey") or "", 500)
        shown = alerts[: settings.max_alerts_per_message]
        answers = await run_in_threadpool(warm.resolve_alerts, shown)
        notes, sections = [], set()
        matched = 0
        for ans in answers:
            metrics.alerts.labels(result="matched" if ans.matched else "unmatched").inc()
            matched += ans.matched
            note = note_for(ans.alert, ans.result)
            where = (ans.result or {}).get("citation")
            if where and where in sections:
                note.steps = ""  # the same section is quoted once per message
            sections.add(where)
            notes.append(note)
        follows = None
        if status == "firing":
            follow_ups.setdefault(group_key, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
            while len(follow_ups) > MAX_FOLLOW_UPS:
                follow_ups.popitem(last=False)
        else:
            follows = follow_ups.pop(group_key, None)
        labels = mapping(payload.get("groupLabels"))
        group = GroupNote(status, group_key, clean(payload.get("receiver") or "", 100),
                          {k: clean(v, 80) for k, v in labels.items()}, notes,
                          omitted=len(alerts) - len(shown) + _count(payload.get("truncatedAlerts")),
                          follows_up=follows)
        queued = notifier.submit(lambda kind: RENDERERS[kind](group), group.title)
        for name, depth in notifier.depth().items():
            metrics.queue.labels(target=name).set(depth)
        return JSONResponse({"status": "accepted", "alerts": len(alerts), "matched": matched,
                             "targets": queued, "message": group.title})

    # ---------------------------------------------------------------- ask API
    def ask_options(data: dict[str, Any]):
        from rbh.indexer.answer import AskOptions

        def names(v: Any) -> tuple[str, ...]:
            vals = v if isinstance(v, list) else [v] if v else []
            return tuple(s.strip() for x in vals for s in str(x).split(",") if s.strip())

        def number(key: str, hi: int) -> int | None:
            v = data.get(key)
            if v in (None, ""):
                return None
            try:
                n = int(v)
            except (TypeError, ValueError):
                raise Refused(422, f"{key} must be a whole number") from None
            if not 1 <= n <= hi:
                raise Refused(422, f"{key} must be between 1 and {hi}")
            return n

        unknown = set(data) - {"q", "query", "payload", "service", "team", "tag", "top_k", "per_runbook", "alert_lookup", "health"}
        if unknown:
            raise Refused(422, f"unknown field {sorted(unknown)[0][:40]!r}")
        query = str(data.get("q") or data.get("query") or "").strip()
        payload = data.get("payload")
        payload_text = None
        if payload is not None:
            from rbh.indexer.alerts import iter_payload_alerts

            if not any(True for _ in iter_payload_alerts(payload)):
                raise Refused(422, "payload holds no alerts")
            payload_text = json.dumps(payload)
        if not query and payload_text is None:
            raise Refused(422, "give q (a question) or payload (an Alertmanager payload)")

        def flag(key: str) -> bool | None:
            v = data.get(key)
            if v is None or v == "":
                return None
            return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes", "on")

        health = flag("health")
        return AskOptions(query=query[:8000], payload_text=payload_text, service=names(data.get("service")),
                          team=names(data.get("team")), tag=names(data.get("tag")), top_k=number("top_k", 50),
                          per_runbook=number("per_runbook", 20), alert_lookup=flag("alert_lookup"),
                          health=True if health is None else health)

    async def ask_api(request: Request) -> Response:
        from rbh.redact import redact

        check_token(request)
        if request.method == "POST":
            data = await read_json(request)
            if not isinstance(data, dict):
                raise Refused(422, "expected a JSON object such as {\"q\": \"checkout latency\"}")
        else:
            qs = parse_qs(request.url.query, keep_blank_values=False)
            data = {k: (v if k in ("service", "team", "tag") else v[-1]) for k, v in qs.items()}
        opts = ask_options(data)
        answer = await run_in_threadpool(warm.ask, opts)
        text = redact(json.dumps(answer, indent=2, ensure_ascii=False)) + "\n"
        return Response(text, media_type="application/json")

    # ---------------------------------------------------------------- page
    def render_page(q: str = "", alert: str = "", answer: dict | None = None, error: str | None = None,
                    authed: bool = False, status: int = 200, set_cookie: bool = False) -> Response:
        html = template.render(q=q, alert=alert, answer=answer, error=error, authed=authed, index=warm.status()["index"])
        resp = HTMLResponse(html, status, headers=SECURITY_HEADERS)
        if set_cookie:
            resp.set_cookie(COOKIE, cookie_value, max_age=12 * 3600, httponly=True, samesite="strict", path="/")
        return resp

    async def page_answer(q: str, alert: str) -> tuple[dict | None, str | None]:
        from rbh.indexer.alerts import iter_payload_alerts

        data: dict[str, Any] = {"q": q}
        text = alert.strip()
        if text:
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if parsed is not None and any(True for _ in iter_payload_alerts(parsed)):
                data["payload"] = parsed
            else:
                data["q"] = (q + "\n" + text).strip()
        if not data["q"] and "payload" not in data:
            return None, None
        try:
            opts = ask_options(data)
        except Refused as exc:
            return None, exc.reason
        return await run_in_threadpool(warm.ask, opts), None

    async def page_get(request: Request) -> Response:
        q = (request.query_params.get("q") or "")[:8000]
        alert = (request.query_params.get("alert") or "")[:100_000]
        authed = page_authed(request)
        if (q or alert) and not authed:
            return render_page(q, alert, error="Enter the service token to search.", status=401)
        answer, error = await page_answer(q, alert) if authed else (None, None)
        return render_page(q, alert, answer, error, authed)

    async def page_post(request: Request) -> Response:
        body = await read_body(request)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        q = (form.get("q", [""])[-1])[:8000]
        alert = (form.get("alert", [""])[-1])[:100_000]
        given = form.get("token", [""])[-1].strip()
        set_cookie = False
        if given:
            if not hmac.compare_digest(given.encode(), token):
                log.warning("POST / from %s: 401 wrong token in the search form", client_of(request))
                return render_page(q, alert, error="That token is not right.", status=401)
            set_cookie = True
        elif not page_authed(request):
            log.warning("POST / from %s: 401 no token in the search form", client_of(request))
            return render_page(q, alert, error="Enter the service token to search.", status=401)
        answer, error = await page_answer(q, alert)
        return render_page(q, alert, answer, error, True, set_cookie=set_cookie)

    async def page(request: Request) -> Response:
        return await (page_post(request) if request.method == "POST" else page_get(request))

    async def page_css(request: Request) -> Response:
        return Response(css, media_type="text/css", headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=300"})

    # ---------------------------------------------------------------- ops
    async def healthz(request: Request) -> Response:
        st = warm.status()
        if warm.reloads > seen_generations["n"]:
            metrics.generations.inc(warm.reloads - seen_generations["n"])
            seen_generations["n"] = warm.reloads
        return JSONResponse({"status": "ok", **st, "queues": notifier.depth()})

    async def prometheus(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if warm.reloads > seen_generations["n"]:
            metrics.generations.inc(warm.reloads - seen_generations["n"])
            seen_generations["n"] = warm.reloads
        for name, depth in notifier.depth().items():
            metrics.queue.labels(target=name).set(depth)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def lifespan(app: Starlette):
        await notifier.start()
        warm.start()
        on_ready = getattr(app.state, "on_ready", None)
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            await notifier.stop()

    from contextlib import asynccontextmanager

    routes = [
        Route("/v1/alertmanager", instrument("/v1/alertmanager", alertmanager), methods=["POST"]),
        Route("/v1/ask", instrument("/v1/ask", ask_api), methods=["GET", "POST"]),
        Route("/", instrument("/", page), methods=["GET", "POST"]),
        Route("/page.css", instrument("/page.css", page_css, limited=False), methods=["GET"]),
        Route("/healthz", instrument("/healthz", healthz, limited=False), methods=["GET"]),
        Route("/metrics", instrument("/metrics", prometheus, limited=False), methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=asynccontextmanager(lifespan))
    app.state.warm, app.state.notifier, app.state.metrics = warm, notifier, metrics
    return app
