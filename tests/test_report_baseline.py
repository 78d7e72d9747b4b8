"""The baseline: known debt keyed by rule, file and normalized reference (not line), with counts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbh.checks import baseline, suppress
from rbh.checks.model import CheckResult
from rbh.errors import ConfigError
from report_samples import finding


def debt():
    return [
        finding("RBH101", "runbooks/cart.md", 10, "deployment `cart` not found", reference="Deployment/cart"),
        finding("RBH101", "runbooks/cart.md", 30, "deployment `cart` not found", reference="Deployment/cart"),
        finding("RBH302", "runbooks/payments.md", 2, "review overdue", reference="review"),
        finding("RBH101", "runbooks/payments.md", 9, "x", reference="Deployment/y", suppressed="inline"),
    ]


def test_written_baseline_is_sorted_counted_and_skips_inline_suppressions(tmp_path):
    path = tmp_path / "b.json"
    assert baseline.write(debt(), path) == 3
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == 1
    fp = debt()[0].fingerprint
    assert doc["findings"] == [
        {"rule": "RBH101", "path": "runbooks/cart.md", "reference": "Deployment/cart", "fingerprint": fp, "count": 2,
         "message": "deployment `cart` not found"},
        {"rule": "RBH302", "path": "runbooks/payments.md", "reference": "review", "fingerprint": debt()[2].fingerprint,
         "count": 1, "message": "review overdue"},
    ]
    # Same findings in another order: the same bytes.
    other = tmp_path / "c.json"
    baseline.write(list(reversed(debt())), other)
    assert other.read_bytes() == path.read_bytes()


def test_known_findings_stay_known_when_lines_move_and_new_ones_fail(tmp_path):
    path = tmp_path / "b.json"
    baseline.write(debt(), path)
    base = baseline.load(path)
    moved = [f.with_(line=f.line + 7) for f in debt()[:3]]
    new_copy = finding("RBH101", "runbooks/cart.md", 90, "deployment `cart` not found", reference="Deployment/cart")
    new_ref = finding("RBH101", "runbooks/cart.md", 12, "deployment `carts` not found", reference="Deployment/carts")
    out, stale = base.apply([*moved, new_copy, new_ref])
    assert [(f.line, f.suppressed) for f in out] == [(17, "baseline"), (37, "baseline"), (9, "baseline"), (90, None), (12, None)]
    assert out[0].suppression_reason == "known debt, listed in b.json"
    assert stale == 0


def test_fixed_debt_is_counted_as_stale(tmp_path):
    path = tmp_path / "b.json"
    baseline.write(debt(), path)
    out, stale = baseline.load(path).apply([debt()[0]])
    assert out[0].suppressed == "baseline"
    assert stale == 1  # the review entry matched nothing; the cart entry matched one of two


def test_apply_uses_the_configured_baseline_and_notes_stale_entries(make_repo):
    from rbh.project import load_project

    repo = make_repo({"rbh.yaml": "check:\n  baseline: ci/rbh-baseline.json\n", "runbooks/cart.md": "# Cart\n"})
    project = load_project(repo.root)
    baseline.write(debt(), repo.root / "ci" / "rbh-baseline.json")
    result = CheckResult(findings=[debt()[0], debt()[2].with_(message="review overdue by 3 days")])
    suppress.apply(result, project)
    # The review finding's reference is stable although its message changed.
    assert [f.suppressed for f in result.findings] == ["baseline", "baseline"]
    assert result.notices == []
    result = CheckResult(findings=[debt()[0]])
    suppress.apply(result, project)
    assert result.notices == ["baseline rbh-baseline.json: 1 entry no longer matches a finding (fixed debt); "
                              "shrink it with 'rbh check --write-baseline'"]


def test_configured_baseline_must_stay_inside_the_repository(make_repo):
    from rbh.project import load_project

    repo = make_repo({"rbh.yaml": "check:\n  baseline: ../outside.json\n"})
    with pytest.raises(ConfigError, match="must be a path inside the repository"):
        baseline.resolve_path(load_project(repo.root))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "not found"),
        ("{", "b.json:1: not valid JSON"),
        ("[]", "expected an object with a 'findings' list"),
        ('{"version": 9, "findings": []}', "version 9 is not supported"),
        ('{"version": 1, "findings": [{"rule": "RBH101"}]}', "findings[0] has no 'fingerprint'"),
        ('{"version": 1, "findings": [{"fingerprint": "ab", "count": 0}]}', "findings[0].count must be a positive integer"),
    ],
)
def test_malformed_baselines_are_one_line_config_errors(tmp_path, content, message):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        baseline.load(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_the_engine_uses_the_default_baseline_file_for_every_caller(make_repo):
    """rbh ask and the docs site call run_checks directly: they must see the same baseline as rbh check."""
    from rbh.checks.engine import run_checks
    from rbh.project import load_project

    files = {
        "manifests/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart-api, namespace: shop}\n",
        "runbooks/cart.md": "# Cart\n\n```bash\nkubectl -n shop get deploy/cart\n```\n",
    }
    repo = make_repo(files)
    project = load_project(repo.root)
    first = run_checks(project)
    assert [(f.rule, f.suppressed) for f in first.findings if f.rule == "RBH101"] == [("RBH101", None)]
    baseline.write(first.findings, repo.root / baseline.DEFAULT_FILE)
    again = run_checks(load_project(repo.root))
    assert [(f.rule, f.suppressed) for f in again.findings if f.rule == "RBH101"] == [("RBH101", "baseline")]
    repo.write("rbh.yaml", 'check:\n  baseline: ""\n')
    off = run_checks(load_project(repo.root))
    assert [(f.rule, f.suppressed) for f in off.findings if f.rule == "RBH101"] == [("RBH101", None)]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["version", "findings", "fingerprint", "count", "rule", "path"]) | st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(_JSON)
def test_any_json_is_a_baseline_or_a_one_line_config_error(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("b") / "b.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        base = baseline.load(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        base.apply(debt())
