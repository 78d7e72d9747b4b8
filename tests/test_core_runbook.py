"""The runbook parser: anchors identical to MkDocs, fences, links, front matter, problems."""

from __future__ import annotations

import datetime as dt

import markdown
import pytest

from rbh.runbook import parse_duration_days, parse_runbook, slugify

HEADINGS = [
    "Checkout latency",
    "Diagnose `kubectl` & friends",
    "Step 2: roll back (if needed)",
    "Alert: KubePodCrashLooping",
    "Café — naïve résumé",
    "What's **really** going on?",
    "[Linked](other.md) heading",
    "Checkout latency",  # duplicate -> _1
    "Checkout latency",  # duplicate -> _2
    "p99 > 2s / 5xx spike",
    "Under_score and-dash",
]


def _toc_anchors(md_text: str) -> list[str]:
    md = markdown.Markdown(extensions=["toc"])
    md.convert(md_text)
    out = []

    def walk(tokens):
        for t in tokens:
            out.append(t["id"])
            walk(t["children"])

    walk(md.toc_tokens)
    return out


def test_anchors_match_python_markdown_toc():
    text = "\n\n".join(f"{'#' * (1 + i % 3)} {h}" for i, h in enumerate(HEADINGS)) + "\n"
    ours = [h.anchor for h in parse_runbook("x.md", text).headings]
    assert ours == _toc_anchors(text)


def test_headings_inside_fences_are_not_headings():
    text = "# Real\n\n```bash\n# comment, not a heading\nkubectl get pods\n```\n\n~~~\n## nope\n~~~\n## Also real\n"
    rb = parse_runbook("x.md", text)
    assert [(h.text, h.line) for h in rb.headings] == [("Real", 1), ("Also real", 11)]
    assert [(b.lang, b.line, b.start_line, b.end_line) for b in rb.code_blocks] == [("bash", 3, 4, 6), ("", 8, 9, 10)]
    assert rb.code_blocks[0].text == "# comment, not a heading\nkubectl get pods"


def test_nested_fence_in_list_is_dedented_and_line_numbers_count_front_matter():
    text = "---\ntitle: T\n---\n# T\n1. Restart:\n   ```sh\n   kubectl -n shop rollout restart deploy/cart\n   ```\n"
    rb = parse_runbook("x.md", text)
    (block,) = rb.code_blocks
    assert block.text == "kubectl -n shop rollout restart deploy/cart"
    assert (block.line, block.start_line, block.end_line, block.indent) == (6, 7, 8, 3)
    assert rb.headings[0].line == 4 and rb.body_line == 4


def test_links_inline_code_and_comments_with_positions():
    text = "See [Postgres](../data/postgresql.md#mitigation) and `kubectl top pods`.\n<!-- rbh: disable RBH101 -->\nDash: https://grafana.shop.example/d/abc/checkout.\n"
    rb = parse_runbook("x.md", text)
    assert [(l.target, l.line, l.column, l.kind) for l in rb.links] == [
        ("../data/postgresql.md#mitigation", 1, 5, "inline"),
        ("https://grafana.shop.example/d/abc/checkout", 3, 7, "bare"),
    ]
    assert [(c.text, c.line, c.column) for c in rb.inline_code] == [("kubectl top pods", 1, 55)]
    assert [(c.text, c.line) for c in rb.comments] == [("rbh: disable RBH101", 2)]


def test_front_matter_schema_and_unknown_keys_kept():
    text = (
        "---\ntitle: Checkout\nservice: checkout\nowner: group:checkout-team\nalerts: [A, B]\n"
        "last_reviewed: 2026-10-01\nreview_every: 12w\ntags: [payments]\nrunbook_version: 3\n---\n# Checkout\n"
    )
    rb = parse_runbook("x.md", text)
    fm = rb.front_matter
    assert (fm.title, fm.service, fm.owner, fm.alerts, fm.tags) == ("Checkout", ["checkout"], "group:checkout-team", ["A", "B"], ["payments"])
    assert fm.last_reviewed == dt.date(2026, 10, 1) and fm.review_every == 84
    assert fm.review_due() == dt.date(2026, 12, 24)
    assert fm.extra == {"runbook_version": 3}
    assert rb.problems == []


def test_wrong_type_in_front_matter_names_key_and_line_and_keeps_the_rest():
    text = "---\ntitle: T\nalerts:\n  nested: mapping\nlast_reviewed: yesterday\n---\n# T\n"
    rb = parse_runbook("runbooks/t.md", text)
    assert rb.front_matter.title == "T" and rb.front_matter.alerts == []
    assert sorted((p.line, p.code) for p in rb.problems) == [(3, "front-matter"), (5, "front-matter")]
    assert "front matter key 'alerts'" in rb.problems[0].message or "front matter key 'alerts'" in rb.problems[1].message


def test_broken_front_matter_yaml_is_a_problem_with_its_line():
    rb = parse_runbook("x.md", "---\ntitle: [unclosed\n---\n# Body\n")
    assert [(p.code, p.line) for p in rb.problems] == [("front-matter", 2)]
    assert [h.text for h in rb.headings] == ["Body"]


def test_unterminated_fence_binary_and_bad_utf8():
    rb = parse_runbook("x.md", "# A\n```bash\nkubectl get pods\n## not a heading\n")
    assert [(p.code, p.line) for p in rb.problems] == [("fence", 2)]
    assert [h.text for h in rb.headings] == ["A"] and not rb.code_blocks[0].closed
    assert [p.code for p in parse_runbook("x.md", b"\x00\x01\x02PNG").problems] == ["binary"]
    bad = parse_runbook("x.md", b"# Title\ncaf\xe9\n")
    assert [(p.code, p.line) for p in bad.problems] == [("encoding", 2)] and bad.headings[0].text == "Title"
    big = parse_runbook("x.md", b"x" * 2000, max_bytes=1000)
    assert [p.code for p in big.problems] == ["too-large"]


def test_setext_headings_and_attr_list_ids():
    rb = parse_runbook("x.md", "Title\n=====\n\nSection\n-------\n\n## Custom {#my-id}\n")
    assert [(h.level, h.text, h.anchor) for h in rb.headings] == [(1, "Title", "title"), (2, "Section", "section"), (2, "Custom", "my-id")]


@pytest.mark.parametrize("value,days", [(30, 30), ("90d", 90), ("12w", 84), ("6 months", 180), ("1y", 365)])
def test_durations(value, days):
    assert parse_duration_days(value) == days


@pytest.mark.parametrize("value", ["soon", 0, -5, True, "3 fortnights"])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration_days(value)


def test_slugify_is_the_mkdocs_default():
    assert slugify("Alert: KubePodCrashLooping") == "alert-kubepodcrashlooping"
    assert slugify("  Spaces   and -- dashes ") == "spaces-and-dashes"
