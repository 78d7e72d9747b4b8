"""End to end with a real Alertmanager (Debian's ``prometheus-alertmanager``) on loopback.

``rbh serve`` runs as a user runs it (the console script, token from the environment, chat targets
from ``RBH_SERVE_WEBHOOKS``); Alertmanager routes to it with ``http_config.authorization``; alerts
are posted to Alertmanager's API; loopback servers speaking Slack's webhook protocol receive the
enriched message. One of them always fails and one hangs: the good one still gets every message.
Waits are on events (lines on stderr, messages arriving), never sleeps.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="rbh serve needs its extra: pip install -e '.[serve]'")
import httpx  # noqa: E402

from serve_support import CHECKOUT_ALERT, CHECKOUT_LINK, TOKEN, ChatSink, free_port, indexed_drift, texts_of  # noqa: E402

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = [pytest.mark.slow]
if ALERTMANAGER is None:
    pytest.skip("the end-to-end tests need Alertmanager: make test installs Debian's prometheus-alertmanager when run "
                "as root (scripts/ensure-alertmanager.sh); else: sudo apt-get install prometheus-alertmanager",
                allow_module_level=True)

AM_CONFIG = """\
route:
  receiver: rbh
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: rbh
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: {token_file}
"""


class Proc:
    """A process whose stderr lines are collected by a thread; ``wait_for(text)`` is an event wait."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        with self._cond:
            ok = self._cond.wait_for(lambda: any(text in ln for ln in self.lines) or self.proc.poll() is not None, timeout)
            found = [ln for ln in self.lines if text in ln]
            assert ok and found, f"{text!r} not seen; exit {self.proc.poll()}; output:\n" + "\n".join(self.lines[-30:])
            return found[0]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def drift(tmp_path_factory):
    return indexed_drift(tmp_path_factory)


@pytest.fixture(scope="module")
def stack(drift, tmp_path_factory):
    """Chat sinks, ``rbh serve`` and Alertmanager wired together; yields (good, failing, hanging, am_url, serve)."""
    good, failing, hanging = ChatSink(), ChatSink("fail"), ChatSink("hang")
    rbh = shutil.which("rbh", path=str(Path(sys.executable).parent))
    webhooks = f"good:slack={good.url} failing:slack={failing.url} hanging:mattermost={hanging.url}"
    serve = Proc([rbh, "-v", "serve", "--repo", str(drift), "--port", "0"],
                 env={"RBH_SERVE_TOKEN": TOKEN, "RBH_SERVE_WEBHOOKS": webhooks})
    line = serve.wait_for("rbh serve: listening on http://127.0.0.1:")
    serve_url = line.split("listening on ", 1)[1].split(" ", 1)[0]
    assert "3 chat target(s): good, failing, hanging" in line

    work = tmp_path_factory.mktemp("alertmanager")
    token_file = work / "token"
    token_file.write_text(TOKEN)
    (work / "alertmanager.yml").write_text(AM_CONFIG.format(url=f"{serve_url}/v1/alertmanager", token_file=token_file))
    am_port = free_port()
    am = Proc([ALERTMANAGER, f"--config.file={work / 'alertmanager.yml'}", f"--storage.path={work / 'data'}",
               f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=", "--log.level=info"])
    am.wait_for("Listening on")
    serve.url = serve_url
    try:
        yield good, failing, hanging, f"http://127.0.0.1:{am_port}", serve
    finally:
        am.stop()
        hanging.release.set()
        serve.stop()
        for s in (good, failing, hanging):
            s.close()


def post_to_alertmanager(am_url: str, alert: dict, ends_at: dt.datetime | None = None) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    body = [{"labels": alert["labels"], "annotations": alert["annotations"],
             "startsAt": (now - dt.timedelta(minutes=5)).isoformat(), "generatorURL": "http://prometheus.example/graph",
             **({"endsAt": ends_at.isoformat()} if ends_at else {})}]
    resp = httpx.post(f"{am_url}/api/v2/alerts", json=body, timeout=30)
    assert resp.status_code == 200, resp.text


def test_alertmanager_delivers_the_enriched_message_then_the_resolved_one(stack):
    good, failing, hanging, am_url, serve = stack
    post_to_alertmanager(am_url, CHECKOUT_ALERT)
    [firing] = good.wait(1)
    shown = texts_of(firing)
    assert firing["text"].startswith("[FIRING:1] CheckoutHighLatency")
    assert CHECKOUT_LINK in shown
    assert "Runbook: Checkout > Alert: CheckoutHighLatency" in shown
    assert "Health: " in shown and "open finding" in shown and "checkout" in shown.split("Health: ", 1)[1]
    assert "1. Look at p99 per service on the same graph to see who is slow:" in shown

    # the alert clears: Alertmanager sends the resolved notification, rbh follows up the original
    post_to_alertmanager(am_url, CHECKOUT_ALERT, ends_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    _, resolved = good.wait(2)
    assert resolved["text"].startswith("[RESOLVED] CheckoutHighLatency")
    assert "Follows up the notification of " in texts_of(resolved)
    assert CHECKOUT_LINK in texts_of(resolved)

    # the failing target was retried and given up on, the hanging one is still waiting: neither
    # held the good target back
    failing.wait_attempts(2)
    hanging.wait_attempts(1)
    assert failing.messages == [] and hanging.messages == []
    serve.wait_for("chat target failing: HTTP 500")
    assert not any(TOKEN in ln or failing.url in ln for ln in serve.lines)

    metrics = httpx.get(f"{serve.url}/metrics").text
    assert 'rbh_serve_notifications_total{result="sent",target="good"} 2.0' in metrics
    assert 'rbh_serve_alerts_total{result="matched"} 2.0' in metrics
