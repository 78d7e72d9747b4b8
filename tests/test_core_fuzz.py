"""Property-based tests: the markdown parser and front matter loader never raise, and every line
number they report points inside the file."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbh.runbook import parse_runbook

MD_PIECES = st.sampled_from([
    "# Title", "## Section", "### Sub `code`", "```bash", "```", "~~~", "    indented", "- item", "1. step",
    "   ```sh", "kubectl -n shop get pods", "[link](a.md#b)", "<!-- rbh: disable RBH101 -->", "<!--", "-->",
    "---", "===", "title: x", "alerts: [A", "last_reviewed: 2026-13-45", "review_every: soon", "| a | b |",
    "https://grafana.example/d/x", "`unterminated", "\t", "", "\u00e9\u00e8", "\x00", "\r", "{#id}",
])


def _check_lines(rb, text: str) -> None:
    n = max(1, text.count("\n") + 1)
    for item in [*rb.headings, *rb.inline_code, *rb.links, *rb.comments, *rb.problems]:
        assert 1 <= item.line <= n, (item, n)
    for block in rb.code_blocks:
        assert 1 <= block.line <= block.end_line <= n


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MD_PIECES, max_size=40).map("\n".join))
def test_parser_never_raises_on_markdown_shaped_input(text):
    rb = parse_runbook("fuzz.md", text)
    _check_lines(rb, rb.text or text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_parser_never_raises_on_arbitrary_bytes(data):
    rb = parse_runbook("fuzz.md", data)
    _check_lines(rb, rb.text)


FM_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20) | st.dates().map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
FM_KEYS = st.sampled_from(["title", "service", "owner", "team", "alerts", "severity", "last_reviewed", "review_every", "tags", "dashboards", "other"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(FM_KEYS, FM_VALUES, max_size=8))
def test_front_matter_loader_never_raises(data):
    import yaml

    try:
        block = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return
    text = f"---\n{block}---\n# Body\n"
    rb = parse_runbook("fuzz.md", text)
    _check_lines(rb, text)
    assert [h.text for h in rb.headings] == ["Body"]
    for p in rb.problems:
        assert p.code == "front-matter"
