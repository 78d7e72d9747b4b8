"""``rbh serve`` on a real socket over the indexed drift scenario of the example platform: the
enriched chat message, resolved follow-ups, failing and hanging targets, the ask API (same JSON as
``rbh ask --json``), bad input, metrics, a new index generation picked up without a restart, and
escaping of runbook text for every chat format."""

from __future__ import annotations

import json
import logging
import re

import pytest

pytest.importorskip("starlette", reason="rbh serve needs its extra: pip install -e '.[serve]'")
import httpx  # noqa: E402

from serve_support import (  # noqa: E402
    CHECKOUT_ALERT, CHECKOUT_LINK, TOKEN, ChatSink, am_payload, indexed_drift, running_service, texts_of,
)

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def drift(tmp_path_factory):
    return indexed_drift(tmp_path_factory)


@pytest.fixture
def sinks():
    made: list[ChatSink] = []

    def make(mode: str = "ok") -> ChatSink:
        made.append(ChatSink(mode))
        return made[-1]

    yield make
    for s in made:
        s.close()


def targets(*pairs):
    from rbh.indexer.serve.notify import Target

    return [Target(name, kind, sink.url) for name, kind, sink in pairs]


def post_alerts(base: str, payload: dict, headers=AUTH) -> httpx.Response:
    return httpx.post(f"{base}/v1/alertmanager", json=payload, headers=headers, timeout=60)


# ------------------------------------------------------------------------------------- webhook


def test_group_gets_one_message_with_link_steps_and_health(drift, sinks):
    slack = sinks()
    unknown = {"labels": {"alertname": "TotallyUnknownThing"}, "annotations": {"summary": "zzqx vlorp"}}
    with running_service(drift, targets(("slack", "slack", slack))) as (base, app):
        resp = post_alerts(base, am_payload(CHECKOUT_ALERT, unknown))
        assert resp.status_code == 200, resp.text
        assert resp.json()["matched"] == 1 and resp.json()["alerts"] == 2
        [msg] = slack.wait(1)
        metrics = httpx.get(f"{base}/metrics").text
    shown = texts_of(msg)
    assert msg["text"].startswith("[FIRING:2] CheckoutHighLatency, TotallyUnknownThing")
    assert CHECKOUT_LINK in shown
    assert "Runbook: Checkout > Alert: CheckoutHighLatency" in shown
    # the drift renamed the Deployment: the health line says so
    assert re.search(r"Health: \d+ open findings?: .*checkout", shown)
    # first steps quoted verbatim from the runbook
    section = (drift / "runbooks/services/checkout.md").read_text()
    assert "1. Look at p99 per service on the same graph to see who is slow:" in shown
    steps = [b for b in msg["blocks"] if b["type"] == "rich_text"][0]["elements"]
    pre = [e for e in steps if e["type"] == "rich_text_preformatted"][0]["elements"][0]["text"]
    assert pre.removesuffix("\n…") in section and pre.count("```") % 2 == 0  # whole steps
    assert "No runbook section found for this alert." in shown
    assert 'rbh_serve_alerts_total{result="matched"} 1.0' in metrics
    assert 'rbh_serve_alerts_total{result="unmatched"} 1.0' in metrics
    assert 'rbh_serve_notifications_total{result="sent",target="slack"} 1.0' in metrics


def test_resolved_alert_follows_up_the_original(drift, sinks):
    slack = sinks()
    with running_service(drift, targets(("slack", "slack", slack))) as (base, _):
        assert post_alerts(base, am_payload(CHECKOUT_ALERT)).status_code == 200
        slack.wait(1)
        assert post_alerts(base, am_payload(CHECKOUT_ALERT, status="resolved")).status_code == 200
        first, second = slack.wait(2)
    assert second["text"].startswith("[RESOLVED] CheckoutHighLatency")
    shown = texts_of(second)
    assert "Follows up the notification of 20" in shown
    assert CHECKOUT_LINK in shown
    assert "First steps" not in shown  # a resolved alert needs no steps


def test_failing_and_hanging_targets_do_not_stop_the_others(drift, sinks, caplog):
    good, teams, failing, hanging = sinks(), sinks(), sinks("fail"), sinks("hang")
    tgs = targets(("good", "slack", good), ("teams", "teams", teams), ("failing", "slack", failing),
                  ("hanging", "mattermost", hanging))
    with caplog.at_level(logging.WARNING, logger="rbh.indexer.serve"), running_service(drift, tgs) as (base, app):
        for i in range(3):
            payload = am_payload(CHECKOUT_ALERT, group_key=f"group-{i}")
            assert post_alerts(base, payload).status_code == 200  # the receiver never waits for chat
        assert len(good.wait(3)) == 3
        assert len(teams.wait(3)) == 3
        failing.wait_attempts(4)  # 1 try + 3 retries for the first message
        hanging.wait_attempts(1)
        hanging.release.set()
    card = teams.messages[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"] == CHECKOUT_LINK
    logs = caplog.text
    assert "chat target failing: HTTP 500" in logs and "gave up" in logs
    assert failing.url not in logs and "secret" not in logs  # a webhook URL is a credential


# ------------------------------------------------------------------------------------- bad input


BAD = [
    ("missing token", {}, json.dumps(am_payload(CHECKOUT_ALERT)), 401, "missing bearer token"),
    ("wrong token", {"Authorization": "Bearer nope-nope-nope-nope"}, json.dumps(am_payload(CHECKOUT_ALERT)), 401, "wrong bearer token"),
    ("malformed JSON", AUTH, '{"version": "4", "alerts": [', 400, "not valid JSON"),
    ("wrong version", AUTH, json.dumps(am_payload(CHECKOUT_ALERT, version="3")), 422, "version '3' is not supported"),
    ("no alerts", AUTH, json.dumps({"version": "4", "alerts": []}), 422, "no alerts"),
    ("oversized", AUTH, json.dumps(am_payload({**CHECKOUT_ALERT, "annotations": {"description": "x" * 2_000_000}})), 413, "over the limit"),
]


def test_bad_input_gets_its_status_and_one_log_line(drift, sinks, caplog):
    slack = sinks()
    with caplog.at_level(logging.WARNING, logger="rbh.indexer.serve"), \
            running_service(drift, targets(("slack", "slack", slack))) as (base, _):
        for name, headers, body, status, reason in BAD:
            caplog.clear()
            resp = httpx.post(f"{base}/v1/alertmanager", content=body,
                              headers={**headers, "Content-Type": "application/json"}, timeout=60)
            assert resp.status_code == status, name
            assert reason in resp.json()["error"], name
            lines = [r.getMessage() for r in caplog.records if r.name == "rbh.indexer.serve"]
            assert len(lines) == 1 and f": {status} " in lines[0], (name, lines)
            assert TOKEN not in caplog.text
            assert httpx.get(f"{base}/healthz").json()["status"] == "ok"  # still serving
        # and a good delivery after all that still goes out
        assert post_alerts(base, am_payload(CHECKOUT_ALERT)).status_code == 200
        slack.wait(1)
        assert httpx.get(f"{base}/v1/ask", params={"q": "x"}).status_code == 401
        assert httpx.post(f"{base}/v1/ask", json={"q": "x", "bogus": 1}, headers=AUTH).status_code == 422


def test_rate_limit_answers_429_and_keeps_serving_others(drift, caplog):
    from rbh.indexer.serve.app import RateLimiter

    with caplog.at_level(logging.WARNING, logger="rbh.indexer.serve"), \
            running_service(drift, [], rate_limit_per_minute=2) as (base, _):
        codes = [httpx.get(f"{base}/v1/ask", params={"q": "checkout"}, headers=AUTH, timeout=60).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert httpx.get(f"{base}/healthz").status_code == 200  # not rate limited
    assert [r.getMessage() for r in caplog.records if "429" in r.getMessage()] == \
        ["GET /v1/ask from 127.0.0.1: 429 rate limit exceeded"]
    limiter = RateLimiter(3)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # per client address


# ------------------------------------------------------------------------------------- ask API


def test_ask_api_gives_the_json_of_rbh_ask(drift, rbh):
    code, out, err = rbh(["ask", "--repo", str(drift), "--json", "--top-k", "3", "checkout p99 latency is high"])
    assert code == 0, err
    cli = json.loads(out)
    with running_service(drift, []) as (base, _):
        got = httpx.get(f"{base}/v1/ask", params={"q": "checkout p99 latency is high", "top_k": "3"}, headers=AUTH, timeout=60)
        posted = httpx.post(f"{base}/v1/ask", json={"query": "checkout p99 latency is high", "top_k": 3}, headers=AUTH, timeout=60)
        payload = httpx.post(f"{base}/v1/ask", json={"payload": am_payload(CHECKOUT_ALERT)}, headers=AUTH, timeout=60)
    assert got.status_code == posted.status_code == payload.status_code == 200
    for answer in (got.json(), posted.json()):
        assert set(answer) == set(cli)
        assert [r["citation"] for r in answer["results"]] == [r["citation"] for r in cli["results"]]
        assert answer["results"][0]["findings"] == cli["results"][0]["findings"]
        assert set(answer["results"][0]) == set(cli["results"][0])
    top = payload.json()["results"][0]
    assert (top["path"], top["anchor"], top["via"]) == ("runbooks/services/checkout.md", "alert-checkouthighlatency", "alert")


def test_new_index_generation_is_served_without_a_restart(tmp_path, rbh):
    import git

    from conftest import copy_example

    root = copy_example(tmp_path / "example")
    assert rbh(["index", "--repo", str(root), "--quiet"])[0] == 0
    with running_service(root, [], check_seconds=0.5) as (base, app):
        warm = app.state.warm
        first = httpx.get(f"{base}/healthz").json()["index"]["commit"]
        assert warm.check() is False  # nothing new published
        page = root / "runbooks/services/checkout.md"
        page.write_text(page.read_text() + "\n## Zebra crossing drill\n\nWalk the quokka to the zebra crossing.\n")
        repo = git.Repo(root)
        repo.git.add("-A")
        repo.git.commit("-m", "add a drill")
        assert rbh(["index", "--repo", str(root), "--quiet"])[0] == 0
        # the background check (every 0.5 s here) finds the new generation: wait on its event
        for _ in range(100):
            if warm.reloads:
                break
            warm.checked.wait(60)
            warm.checked.clear()
        health = httpx.get(f"{base}/healthz").json()
        answer = httpx.get(f"{base}/v1/ask", params={"q": "quokka zebra crossing drill"}, headers=AUTH, timeout=60).json()
    assert health["index"]["commit"] != first and health["generations_picked_up"] == 1
    assert answer["results"][0]["heading"] == "Zebra crossing drill"


# ------------------------------------------------------------------------------------- config


def test_repo_webhooks_need_opt_in_and_the_token_variable_is_not_repo_config(tmp_path, caplog, monkeypatch):
    from rbh.indexer.serve.service import chat_targets, read_token
    from rbh.config import load_config
    from rbh.errors import ConfigError
    from rbh.project import load_project

    from conftest import copy_example

    root = copy_example(tmp_path / "example")
    cfg = root / "rbh.yaml"
    cfg.write_text(cfg.read_text() + "serve:\n  webhooks:\n    - {name: attacker, kind: slack, url: 'https://evil.example/hook'}\n")
    project = load_project(root)
    monkeypatch.delenv("RBH_SERVE_WEBHOOKS", raising=False)
    with caplog.at_level(logging.WARNING, logger="rbh.indexer.serve"):
        assert chat_targets(project, allow_repo_webhooks=False) == []
    assert "ignored without --allow-repo-webhooks" in caplog.text
    assert [t.name for t in chat_targets(project, allow_repo_webhooks=True)] == ["attacker"]
    monkeypatch.setenv("RBH_SERVE_WEBHOOKS", "oncall:slack=https://hooks.example/a teams=https://teams.example/b")
    assert [(t.name, t.kind) for t in chat_targets(project, False)] == [("oncall", "slack"), ("teams-2", "teams")]
    cfg.write_text("serve:\n  token_env: GITHUB_TOKEN\n")
    with pytest.raises(ConfigError, match="serve.token_env: unknown key"):
        load_config(root)
    monkeypatch.setenv("MY_TOKEN", "short")
    with pytest.raises(ConfigError, match=r"at least 16 characters in \$MY_TOKEN"):
        read_token("MY_TOKEN")


def test_serve_without_token_is_a_usage_error(tmp_path, monkeypatch):
    from conftest import run_rbh_subprocess

    proc = run_rbh_subprocess(["serve", "--repo", str(tmp_path), "--token-env", "RBH_TEST_NO_SUCH_TOKEN"])
    assert proc.returncode == 2
    assert "rbh: error: rbh serve needs a bearer token of at least 16 characters in $RBH_TEST_NO_SUCH_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------- escaping


HOSTILE_STEPS = """1. Run this <!channel> <@U123> @here @channel
   ```
   [click](https://evil.example) *bold* <https://evil.example|innocent>
   ```
2. ![img](https://evil.example/track.png)"""


def hostile_note():
    from rbh.indexer.serve.chat import AlertNote, GroupNote

    alert = AlertNote("firing", "Evil*Alert_<!here>", {"team": "@all [x](https://evil.example)"}, "<!channel> **now**",
                      "https://runbooks.example/x", "Title <!subteam^S1> [x](https://evil.example)", "a.md:1",
                      "1 open finding: deployment `x` not found <@U1>", HOSTILE_STEPS, "alert")
    return GroupNote("firing", "k", "rbh", {}, [alert])


def test_slack_message_shows_runbook_text_literally():
    from rbh.indexer.serve.chat import render_slack

    msg = render_slack(hostile_note())
    for block in msg["blocks"]:
        for el in block.get("elements", []) if block["type"] != "rich_text" else []:
            assert el["type"] == "plain_text"  # context blocks: never mrkdwn
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
    assert "mrkdwn" not in json.dumps(msg)
    # rich_text text elements are literal; the only parsed field is the fallback text
    assert "<" not in msg["text"] and "*" not in msg["text"] and "&lt;!here&gt;" in msg["text"]
    links = [e["url"] for b in msg["blocks"] if b["type"] == "rich_text" for s in b["elements"]
             for e in s["elements"] if e["type"] == "link"]
    assert links == ["https://runbooks.example/x"]
    assert HOSTILE_STEPS in texts_of(msg)  # verbatim, shown as plain text


def test_mattermost_message_escapes_markdown_and_mentions():
    from rbh.indexer.serve.chat import ZWSP, render_markdown

    text = render_markdown(hostile_note())["text"]
    assert "@here" not in text and "@channel" not in text and "@all" not in text
    assert "[x](https" not in text and "![img]" not in text.split("```")[0]
    assert "\\[x\\]\\(https" in text and "Evil\\*Alert\\_" in text
    # the runbook's own fence cannot close ours: a longer fence around the steps, kept verbatim
    assert "\n````\n" + HOSTILE_STEPS.replace("@here @channel", f"@{ZWSP}here @{ZWSP}channel") + "\n````" in text


def test_teams_card_puts_runbook_text_only_in_text_runs():
    from rbh.indexer.serve.chat import render_teams

    card = render_teams(hostile_note())["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert {b["type"] for b in card["body"]} == {"RichTextBlock"}  # TextBlock would parse markdown
    runs = [i["text"] for b in card["body"] for i in b["inlines"]]
    assert HOSTILE_STEPS in runs
    assert [a["url"] for a in card["actions"]] == ["https://runbooks.example/x"]


@pytest.mark.parametrize("url,ok", [
    ("https://runbooks.example/a#b", True), ("http://x.example/p?q=1", True), ("javascript:alert(1)", False),
    ("https://user:pw@evil.example/", False), ("https://x.example/a b", False), ("ftp://x.example/", False),
    ("https://x.example/a|<b>", True),
])
def test_only_plain_http_links_are_shown(url, ok):
    from rbh.indexer.serve.chat import safe_link

    link = safe_link(url)
    assert (link is not None) == ok
    if link:
        assert "|" not in link and "<" not in link and ">" not in link


def test_first_steps_are_the_first_list_verbatim():
    from rbh.indexer.serve.chat import first_steps

    text = "## Alert: X\n\nIntro line.\n\n1. Do this:\n\n    ```bash\n    kubectl get pods\n    ```\n\n2. Then that.\n\nAfterwards, relax.\n"
    assert first_steps(text) == "1. Do this:\n\n    ```bash\n    kubectl get pods\n    ```\n\n2. Then that."
    assert first_steps("## H\n\nJust a paragraph\nof two lines.\n") == "Just a paragraph\nof two lines."
