"""Inline suppression: disable (file or section scope), enable, disable-next-line, snooze with expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbh.checks import suppress
from rbh.checks.model import CheckResult
from rbh.checks.suppress import Directive, parse_directive
from rbh.runbook import parse_runbook
from report_samples import finding

TODAY = dt.date(2026, 11, 26)

RUNBOOK = """\
---
title: Cart
---
<!-- rbh: disable RBH302 reason="reviewed with the team, date tracked elsewhere" -->
# Cart

## Diagnosis
<!-- rbh: disable unknown-workload reason="legacy cluster" -->
kubectl -n shop get deploy/legacy

### Logs
kubectl -n shop logs deploy/legacy-2

## Mitigation
kubectl -n shop rollout restart deploy/cart

<!-- rbh: disable-next-line RBH102 -->

kubectl -n shop-core scale deploy/cart-api --replicas=3
kubectl -n shop-core scale deploy/cart-api --replicas=4

<!-- rbh: disable-next-line all reason="whole block" -->
```bash
kubectl -n old get deploy/one
kubectl -n old get deploy/two
```
kubectl -n old get deploy/three

## Escalation
<!-- rbh: snooze RBH101 until=2026-12-31 reason="rename ships next sprint" -->
kubectl get deploy/ledger
<!-- rbh: enable RBH101 -->
kubectl get deploy/ledger-2

## Old
<!-- rbh: snooze RBH101 until=2026-11-25 -->
kubectl get deploy/expired
<!-- rbh: disable RBH999 -->
<!-- rbh: snooze RBH101 -->
<!-- rbh: frobnicate RBH101 -->
<!-- rbh: disable RBH101 reason="unterminated -->
<!-- an ordinary comment -->
"""
P = "runbooks/cart.md"


def line_of(text: str) -> int:
    return next(i for i, ln in enumerate(RUNBOOK.splitlines(), 1) if text in ln)


def run(findings, today=TODAY):
    rb = parse_runbook(P, RUNBOOK)
    result = CheckResult(findings=findings, runbooks=[rb])
    suppress.apply(result, None, today=today, use_baseline=False)
    return result


def status(result):
    return [(f.rule, f.line, f.suppressed, f.suppression_reason) for f in result.findings]


@pytest.fixture(autouse=True)
def known_rules(monkeypatch):
    monkeypatch.setattr(suppress, "_known_rules", lambda: {"rbh101", "unknown-workload", "rbh102", "wrong-namespace",
                                                            "rbh302", "review-overdue", "rbh202", "rbh403"})


def test_disable_before_the_first_heading_covers_the_whole_file_front_matter_included():
    r = run([finding("RBH302", P, 2, "review overdue"), finding("RBH302", P, line_of("deploy/expired"), "x")])
    reason = "reviewed with the team, date tracked elsewhere"
    assert status(r) == [("RBH302", 2, "inline", reason), ("RBH302", line_of("deploy/expired"), "inline", reason)]


def test_disable_under_a_heading_covers_the_rest_of_the_section_and_its_subsections():
    legacy, legacy2, cart = line_of("deploy/legacy"), line_of("deploy/legacy-2"), line_of("rollout restart")
    r = run([finding("RBH101", P, legacy, "a"), finding("RBH101", P, legacy2, "b"), finding("RBH101", P, cart, "c"),
             finding("RBH102", P, legacy, "other rule")])
    assert status(r) == [
        ("RBH101", legacy, "inline", "legacy cluster"),
        ("RBH101", legacy2, "inline", "legacy cluster"),  # ### Logs is inside ## Diagnosis
        ("RBH101", cart, None, None),  # ## Mitigation ends the section
        ("RBH102", legacy, None, None),  # only the named rule
    ]


def test_disable_next_line_skips_blank_lines_and_covers_one_line():
    first, second = line_of("--replicas=3"), line_of("--replicas=4")
    r = run([finding("RBH102", P, first, "a"), finding("RBH102", P, second, "b")])
    assert status(r) == [("RBH102", first, "inline", None), ("RBH102", second, None, None)]


def test_disable_next_line_before_a_fence_covers_the_whole_code_block():
    one, two, three = line_of("deploy/one"), line_of("deploy/two"), line_of("deploy/three")
    r = run([finding("RBH101", P, one, "a"), finding("RBH102", P, two, "b"), finding("RBH101", P, three, "c")])
    assert status(r) == [("RBH101", one, "inline", "whole block"), ("RBH102", two, "inline", "whole block"),
                         ("RBH101", three, None, None)]


def test_snooze_suppresses_until_its_date_and_enable_ends_it():
    ledger, ledger2 = line_of("deploy/ledger"), line_of("deploy/ledger-2")
    r = run([finding("RBH101", P, ledger, "a"), finding("RBH101", P, ledger2, "b")])
    assert status(r) == [("RBH101", ledger, "snooze", "snoozed until 2026-12-31: rename ships next sprint"),
                         ("RBH101", ledger2, None, None)]
    # The snooze holds through its last day and ends after it.
    assert run([finding("RBH101", P, ledger, "a")], today=dt.date(2026, 12, 31)).findings[0].suppressed == "snooze"
    later = run([finding("RBH101", P, ledger, "a")], today=dt.date(2027, 1, 1))
    assert later.findings[0].suppressed is None
    assert f"{P}:{line_of('until=2026-12-31')}: snooze of RBH101 expired on 2026-12-31; its findings are reported again" in later.notices


def test_expired_snooze_and_malformed_directives_are_notices_not_errors():
    expired = line_of("deploy/expired")
    r = run([finding("RBH101", P, expired, "a")])
    assert r.findings[0].suppressed is None
    assert r.notices == [
        f"{P}:{line_of('RBH999')}: ignored: rbh disable: unknown rule rbh999 ('rbh rules' lists them)",
        f"{P}:{line_of('<!-- rbh: snooze RBH101 -->')}: ignored: rbh snooze needs until=YYYY-MM-DD",
        f"{P}:{line_of('frobnicate')}: ignored: unknown rbh directive 'frobnicate' (expected disable, enable, disable-next-line or snooze)",
        f"{P}:{line_of('unterminated')}: ignored: cannot read rbh directive: No closing quotation",
        f"{P}:{line_of('until=2026-11-25')}: snooze of RBH101 expired on 2026-11-25; its findings are reported again",
    ]


def test_findings_in_other_files_and_already_suppressed_findings_are_left_alone():
    f1 = finding("RBH302", "runbooks/other.md", 2, "x")
    f2 = finding("RBH302", P, 2, "y", suppressed="baseline", suppression_reason="known")
    r = run([f1, f2])
    assert status(r) == [("RBH302", 2, None, None), ("RBH302", 2, "baseline", "known")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rbh: disable RBH101", Directive("disable", frozenset({"rbh101"}), 1)),
        ("RBH:disable  rbh101,Unknown-Workload  reason='a b'", Directive("disable", frozenset({"rbh101", "unknown-workload"}), 1, "a b")),
        ("rbh: disable RBH101 RBH102", Directive("disable", frozenset({"rbh101", "rbh102"}), 1)),
        ("rbh: snooze all until=2027-01-31", Directive("snooze", frozenset({"all"}), 1, None, dt.date(2027, 1, 31))),
        ("rbh: disable-next-line\n  RBH102", Directive("disable-next-line", frozenset({"rbh102"}), 1)),
        ("TODO: fix", None),
        ("rbh: disable", "rbh disable names no rule (use a rule ID such as RBH101, a rule name, or 'all')"),
        ("rbh: snooze RBH101 until=31.12.2026", "rbh snooze: until='31.12.2026' is not a date (expected YYYY-MM-DD)"),
        ("rbh: disable RBH101 until=2026-12-31", "until= only applies to snooze, not to disable"),
        ("rbh: disable RBH101 because=x", "unknown option 'because' in rbh disable (expected reason=... or until=YYYY-MM-DD)"),
    ],
)
def test_parse_directive(text, expected):
    assert parse_directive(text, 1) == expected


def test_rule_names_work_like_ids():
    r = run([finding("RBH101", P, line_of("deploy/legacy"), "a")])
    assert r.findings[0].suppressed == "inline"  # the directive says unknown-workload


def test_apply_loads_runbooks_from_the_project_when_the_result_has_none(make_repo):
    from rbh.project import load_project

    repo = make_repo({"runbooks/cart.md": RUNBOOK})
    project = load_project(repo.root)
    result = CheckResult(findings=[finding("RBH302", P, 2, "review overdue")])
    suppress.apply(result, project, today=TODAY)
    assert result.findings[0].suppressed == "inline"


MANIFEST = """\
# rbh: disable RBH202 reason="alerts of this file page nobody"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: exporter
  # rbh: disable RBH403 reason="an exporter needs no runbook"
  namespace: monitoring
---
apiVersion: apps/v1
kind: Deployment
metadata:
  # rbh: disable-next-line RBH101

  name: other   # trailing comment
  namespace: monitoring
---
kind: Service
metadata: {name: other}  # rbh: snooze RBH403 until=2026-01-01
"""
M = "manifests/exporters.yaml"


def test_yaml_directives_cover_their_document_or_the_next_content_line():
    def mline(text: str) -> int:
        return next(i for i, ln in enumerate(MANIFEST.splitlines(), 1) if text in ln)

    findings = [
        finding("RBH302", M, mline("name: exporter"), "202 stand-in").with_(rule="RBH202", name="alert-without-runbook-url"),
        finding("RBH401", M, mline("name: exporter"), "a").with_(rule="RBH403", name="service-without-runbook"),
        finding("RBH401", M, mline("namespace: monitoring"), "b").with_(rule="RBH403", name="service-without-runbook"),
        finding("RBH401", M, mline("name: other   #"), "c").with_(rule="RBH403", name="service-without-runbook"),
        finding("RBH101", M, mline("name: other   #"), "d"),
        finding("RBH101", M, mline("name: other   #") + 1, "e"),
        finding("RBH401", M, mline("kind: Service"), "f").with_(rule="RBH403", name="service-without-runbook"),
    ]
    result = CheckResult(findings=findings)
    out, notices = suppress.apply_inline(result.findings, [], TODAY, read_manifest=lambda p: MANIFEST if p == M else None)
    assert [(f.rule, f.line, f.suppressed) for f in out] == [
        ("RBH202", 5, "inline"),  # file scope: the directive is above the first document's content
        ("RBH403", 5, None),  # the disable comes later in the document
        ("RBH403", 7, "inline"),
        ("RBH403", 14, None),  # next document
        ("RBH101", 14, "inline"),  # next content line: blank line skipped
        ("RBH101", 15, None),
        ("RBH403", 17, None),  # expired snooze
    ]
    assert notices == [f"{M}:18: snooze of RBH403 expired on 2026-01-01; its findings are reported again"]


def test_a_directive_on_a_heading_line_covers_that_heading_s_section():
    text = "# A\n\n## B <!-- rbh: disable RBH101 -->\nkubectl get deploy/x\n\n## C\nkubectl get deploy/y\n"
    rb = parse_runbook(P, text)
    result = CheckResult(findings=[finding("RBH101", P, 3, "heading"), finding("RBH101", P, 4, "x"),
                                   finding("RBH101", P, 7, "y")], runbooks=[rb])
    suppress.apply(result, None, today=TODAY, use_baseline=False)
    assert [f.suppressed for f in result.findings] == ["inline", "inline", None]


_DIRECTIVE_WORDS = st.sampled_from(["rbh:", "disable", "enable", "disable-next-line", "snooze", "RBH101", "all",
                                    "until=2026-12-31", "until=bad", 'reason="x y"', "reason='", ",", "#", "-->", "\n"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_DIRECTIVE_WORDS | st.text(max_size=12), max_size=12).map(" ".join))
def test_no_directive_text_can_break_the_run(text):
    parsed = parse_directive(text, 1)
    assert parsed is None or isinstance(parsed, (str, Directive))
    md = f"# T\n<!-- {text} -->\n## S\n<!-- rbh: {text} -->\nbody\n"
    rb = parse_runbook(P, md)
    scopes, notices = suppress.scopes_for(rb, TODAY, None)
    assert all(0 <= s.start <= s.end + 1 for s in scopes) and all(isinstance(n, str) for n in notices)
    suppress.yaml_scopes(M, f"# rbh: {text}\nkind: X\n---\n# {text}\n", TODAY, None)
