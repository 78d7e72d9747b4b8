"""Shared parts of the ``rbh serve`` tests: a chat webhook on loopback that speaks Slack's incoming
webhook protocol (and can fail or hang), the service itself on a real socket, and the drifted
example indexed once."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TOKEN = "serve-test-token-0123456789"
CHECKOUT_LINK = "https://runbooks.shop.example/services/checkout/#alert-checkouthighlatency"


class ChatSink:
    """A loopback HTTP server standing in for a chat webhook.

    ``mode``: ``ok`` answers as Slack does (200, body ``ok``); ``fail`` answers 500 every time;
    ``hang`` accepts the request and answers only when ``release`` is set (after the test).
    Every received JSON body is kept in ``messages``; ``wait(n)`` blocks until n arrived.
    """

    def __init__(self, mode: str = "ok", reply_status: int = 200):
        self.mode = mode
        self.reply_status = reply_status
        self.messages: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.attempts = 0
        self.release = threading.Event()
        self._cond = threading.Condition()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with sink._cond:
                    sink.attempts += 1
                    sink._cond.notify_all()
                if sink.mode == "hang":
                    sink.release.wait(60)
                    return
                if sink.mode == "fail":
                    self._reply(500, b"internal_error")
                    return
                with sink._cond:
                    sink.messages.append(json.loads(body))
                    sink.headers.append(dict(self.headers))
                    sink._cond.notify_all()
                self._reply(sink.reply_status, b"ok")

            def _reply(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002 - keep the test output clean
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, n: int, timeout: float = 60) -> list[dict[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.messages) >= n, timeout), \
                f"chat sink got {len(self.messages)} message(s), expected {n}"
            return list(self.messages)

    def wait_attempts(self, n: int, timeout: float = 60) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.attempts >= n, timeout), f"{self.attempts} attempt(s), expected {n}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_service(repo: Path, targets: list, *, token: str = TOKEN, check_seconds: float = 3600, backoff: float = 0.05,
                    **serve_settings):
    """``rbh serve``'s app on a real loopback socket in a thread; yields (base URL, app)."""
    import uvicorn

    from rbh.indexer.serve.service import bind, build

    app, warm, _ = build(repo, token=token, targets=targets, backoff=backoff, check_seconds=check_seconds, **serve_settings)
    ready = threading.Event()
    app.state.on_ready = ready.set
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert ready.wait(120), "rbh serve did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        warm.close()
        sock.close()


def texts_of(slack_message: dict[str, Any]) -> str:
    """Every text a Slack Block Kit message shows, in order (what the responder reads)."""
    out: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if x.get("type") == "link":
                out.append(x.get("url", ""))
            elif isinstance(x.get("text"), str):
                out.append(x["text"])
            for k, v in x.items():
                if k != "text" or not isinstance(v, str):
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(slack_message.get("blocks"))
    return "".join(out)


def indexed_drift(tmp_path_factory) -> Path:
    """The example platform with the drift scenario committed (checkout's Deployment renamed, the
    PaymentsProviderErrors alert deleted), indexed by ``rbh index`` in a new process."""
    import drift
    from conftest import copy_example, run_rbh_subprocess

    root = copy_example(tmp_path_factory.mktemp("serve") / "drift")
    drift.apply_drift(root)
    proc = run_rbh_subprocess(["index", "--repo", str(root), "--quiet"])
    assert proc.returncode == 0, proc.stderr
    return root


def am_payload(*alerts: dict, status: str = "firing", group_key: str = "{}:{alertname=\"CheckoutHighLatency\"}",
               version: str = "4") -> dict[str, Any]:
    """An Alertmanager webhook payload, as Alertmanager 0.25 sends it."""
    return {
        "receiver": "rbh", "status": status, "version": version, "groupKey": group_key, "truncatedAlerts": 0,
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://127.0.0.1:9093",
        "alerts": [{"status": status, "startsAt": "2026-11-26T02:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "", "fingerprint": f"{i:016x}", **a} for i, a in enumerate(alerts)],
    }


CHECKOUT_ALERT = {
    "labels": {"alertname": "CheckoutHighLatency", "severity": "critical", "namespace": "checkout", "service": "checkout"},
    "annotations": {"summary": "Checkout p99 latency is 2.1s",
                    "description": "p99 latency of checkout in checkout has been above 1.5s for 10 minutes.",
                    "runbook_url": CHECKOUT_LINK},
}
