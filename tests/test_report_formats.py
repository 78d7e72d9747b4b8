"""Output formats for CI: SARIF (schema-validated, golden), JSON (golden), GitHub annotations, JUnit."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from rbh.checks.formats import github, junit, sarif
from rbh.checks.model import CheckResult
from checks_support import assert_golden
from report_samples import fake_docs, finding, sample_result

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def sarif_validator():
    return jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def render(fmt, result, **kw) -> str:
    out = io.StringIO()
    fmt.render(result, out, **kw)
    return out.getvalue()


@pytest.fixture
def fake_registry(monkeypatch):
    """The renderers read rule metadata from the registry; the goldens use a fixed set of rules."""
    import rbh.checks.ruledocs as ruledocs

    monkeypatch.setattr(ruledocs, "all_docs", fake_docs)


# ------------------------------------------------------------------ SARIF


def test_the_vendored_schema_is_the_official_sarif_2_1_0_schema():
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert {"result", "suppression", "reportingDescriptor", "region"} <= set(SCHEMA["definitions"])


def test_sarif_matches_the_golden_file_and_validates(fake_registry, monkeypatch):
    import rbh

    monkeypatch.setattr(rbh, "__version__", "0.0.0-test")
    text = render(sarif, sample_result())
    doc = json.loads(text)
    sarif_validator().validate(doc)
    assert_golden("check.sarif", text)


def test_sarif_rules_results_fingerprints_and_suppressions(fake_registry):
    result = sample_result()
    doc = sarif.to_sarif(result)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["RBH101", "RBH102", "RBH302", "RBH401"]
    assert rules[2]["defaultConfiguration"] == {"level": "warning"}
    assert rules[3]["defaultConfiguration"] == {"level": "note"}
    assert rules[0]["shortDescription"]["text"] == "A command names a workload no manifest defines."
    assert rules[0]["fullDescription"]["text"] == "Reports unknown-workload findings."
    assert "## Why it matters" in rules[0]["help"]["markdown"]

    results = run["results"]
    assert len(results) == len(result.findings)  # suppressed findings are kept, marked
    by_line = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"]): r for r in results}
    cart = by_line[("runbooks/cart.md", 10, "RBH101")]
    assert cart["ruleIndex"] == 0
    assert cart["level"] == "error"
    assert cart["locations"][0]["physicalLocation"]["region"] == {"startLine": 10, "startColumn": 21}
    assert cart["message"]["text"] == "deployment `cart` not found in the manifests  (did you mean `cart-api` (renamed in 1a2b3c4d))"
    assert cart["properties"]["suggestionSource"] == "renamed in 1a2b3c4d"
    fp = result.findings[0].fingerprint
    assert cart["partialFingerprints"] == {"rbhFingerprint/v1": fp, "primaryLocationLineHash": f"{fp}:1"}
    assert "suppressions" not in cart

    inline = by_line[("runbooks/payments.md", 20, "RBH101")]
    assert inline["suppressions"] == [{"kind": "inSource", "state": "accepted", "justification": "legacy, removed in Q3",
                                       "properties": {"rbhSuppression": "inline"}}]
    snooze = by_line[("runbooks/payments.md", 24, "RBH101")]
    assert snooze["suppressions"][0]["kind"] == "inSource"
    baseline = by_line[("manifests/search.yaml", 1, "RBH401")]
    assert baseline["suppressions"][0]["kind"] == "external"
    assert baseline["level"] == "note"

    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes == [{"level": "warning", "message": {"text": result.notices[0]}}]


def test_sarif_fingerprint_does_not_depend_on_the_line(fake_registry):
    a = finding("RBH101", "runbooks/cart.md", 10, "deployment `cart` not found", reference="Deployment/cart")
    b = a.with_(line=42, column=7)
    fa = sarif.to_sarif(CheckResult([a]))["runs"][0]["results"][0]["partialFingerprints"]
    fb = sarif.to_sarif(CheckResult([b]))["runs"][0]["results"][0]["partialFingerprints"]
    assert fa == fb
    c = a.with_(reference="Deployment/cart-api")
    fc = sarif.to_sarif(CheckResult([c]))["runs"][0]["results"][0]["partialFingerprints"]
    assert fc != fa


def test_sarif_repeated_findings_get_distinct_primary_hashes(fake_registry):
    a = finding("RBH101", "runbooks/cart.md", 10, "deployment `cart` not found", reference="Deployment/cart")
    results = sarif.to_sarif(CheckResult([a, a.with_(line=20)]))["runs"][0]["results"]
    assert [r["partialFingerprints"]["primaryLocationLineHash"] for r in results] == [f"{a.fingerprint}:1", f"{a.fingerprint}:2"]


def test_empty_sarif_is_valid(fake_registry):
    doc = sarif.to_sarif(CheckResult([]))
    sarif_validator().validate(doc)
    assert doc["runs"][0]["results"] == []
    assert "toolExecutionNotifications" not in doc["runs"][0]["invocations"][0]


def test_sarif_with_the_real_rule_registry_validates():
    from rbh.checks.ruledocs import all_docs

    docs = all_docs()
    assert len(docs) >= 18
    f = finding("RBH101", "runbooks/cart.md", 3, "x").with_(rule=docs[0].id, name=docs[0].name)
    doc = sarif.to_sarif(CheckResult([f]))
    sarif_validator().validate(doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [d.id for d in docs]
    assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
    assert doc["runs"][0]["results"][0]["ruleIndex"] == 0


def test_sarif_rejects_what_the_schema_forbids():
    """The validator is live: a result without a message is caught (guards against a no-op test)."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "rbh"}}, "results": [{"ruleId": "X"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        sarif_validator().validate(bad)


# ------------------------------------------------------------------ JSON (owned by the engine; golden here)


def test_json_matches_the_golden_file(monkeypatch):
    import rbh
    from rbh.checks.formats import FORMATS

    monkeypatch.setattr(rbh, "__version__", "0.0.0-test")
    text = render(FORMATS["json"], sample_result())
    json.loads(text)
    assert_golden("check.json", text)


# ------------------------------------------------------------------ GitHub


@pytest.mark.parametrize(
    "raw, data, prop",
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),  # an already-escaped sequence cannot smuggle a newline in
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_github_escaping_follows_the_actions_rules(raw, data, prop):
    assert github.escape_data(raw) == data
    assert github.escape_property(raw) == prop


def test_github_annotations(monkeypatch, tmp_path):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    text = render(github, sample_result())
    assert text.splitlines() == [
        "::notice file=manifests/search.yaml,line=40,col=1,title=RBH401 runbook-missing::service `search-indexer` has no runbook (ümlaut ok)",
        "::error file=runbooks/cart.md,line=10,col=1,title=RBH102 wrong-namespace::deployment `cart-api` is in namespace `shop-core`, not `shop`  (did you mean `kubectl -n shop-core ...`)",
        "::error file=runbooks/cart.md,line=10,col=21,title=RBH101 unknown-workload::deployment `cart` not found in the manifests  (did you mean `cart-api` (renamed in 1a2b3c4d))",
        "::warning file=runbooks/payments.md,line=3,col=1,title=RBH302 review-overdue::review overdue: last reviewed 2026-01-02, every 90 days%0A(due 2026-04-02)",
        "::warning file=runbooks/payments.md,line=7,title=rbh::snooze of RBH101 expired on 2026-01-01; its findings are reported again",
        "rbh: 2 errors, 1 warning, 1 info (3 suppressed)",
    ]


def test_github_properties_with_commas_and_colons_are_escaped(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    f = finding("RBH101", "runbooks/a,b:c.md", 2, "x%y")
    line = render(github, CheckResult([f])).splitlines()[0]
    assert line == "::error file=runbooks/a%2Cb%3Ac.md,line=2,col=1,title=RBH101 unknown-workload::x%25y"


def test_github_step_summary_is_appended(monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    render(github, sample_result())
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### rbh check: 2 errors, 1 warning, 1 info in 3 files\n")
    assert "| error | ` runbooks/cart.md:10 ` | RBH101 unknown-workload | `` deployment `cart` not found in the manifests (did you mean `cart-api` (renamed in 1a2b3c4d)) `` |" in text
    assert "3 suppressed findings (1 baseline, 1 inline, 1 snooze)." in text
    assert "legacy" not in text  # suppressed findings are counted, not listed


def test_github_summary_escapes_table_cells():
    f = finding("RBH101", "runbooks/a.md", 2, "a | b <script>")
    text = github.step_summary(CheckResult([f]))
    assert "| ` a \\| b <script> ` |" in text  # a code span: no HTML or markdown renders inside


def test_github_clean_run(monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert render(github, CheckResult([], files_checked=4)) == "rbh: no findings\n"
    assert summary.read_text(encoding="utf-8") == "### rbh check: no findings\n\n4 runbooks checked.\n"


# ------------------------------------------------------------------ JUnit


def test_junit_one_suite_per_file_one_failing_case_per_finding():
    root = ET.fromstring(render(junit, sample_result()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == ("8", "4", "3", "0")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["manifests/search.yaml", "runbooks/cart.md", "runbooks/payments.md", "runbooks/search.md"]
    cart = suites["runbooks/cart.md"]
    assert (cart.get("tests"), cart.get("failures")) == ("2", "2")
    case = cart.findall("testcase")[1]
    assert case.get("name") == "RBH101 unknown-workload (line 10)"
    assert case.get("file") == "runbooks/cart.md"
    fail = case.find("failure")
    assert fail.get("message") == "deployment `cart` not found in the manifests"
    assert fail.get("type") == "RBH101 error"
    assert fail.text.splitlines()[:2] == ["runbooks/cart.md:10:21: error: deployment `cart` not found in the manifests",
                                          "did you mean: cart-api (renamed in 1a2b3c4d)"]
    skipped = suites["runbooks/payments.md"].findall("testcase")[1].find("skipped")
    assert skipped.get("message") == "suppressed (inline): legacy, removed in Q3"
    clean = suites["runbooks/search.md"].findall("testcase")
    assert [(c.get("name"), list(c)) for c in clean] == [("no findings", [])]


def test_junit_survives_control_characters_and_markup():
    f = finding("RBH101", "runbooks/a.md", 2, "bad \x1b[31m <b>&</b> \x00")
    root = ET.fromstring(render(junit, CheckResult([f])))
    msg = root.find("testsuite/testcase/failure").get("message")
    assert msg == "bad \\x1b[31m <b>&</b> \\x00"  # visible escapes (rbh.textsafe), and valid XML


def test_junit_is_deterministic():
    assert render(junit, sample_result()) == render(junit, sample_result())


# ------------------------------------------------------------------ GitLab Code Quality


def test_gitlab_code_quality_issues():
    from rbh.checks.formats import gitlab

    result = sample_result()
    issues = json.loads(render(gitlab, result))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("RBH401 runbook-missing", "info", {"path": "manifests/search.yaml", "lines": {"begin": 40}}),
        ("RBH102 wrong-namespace", "major", {"path": "runbooks/cart.md", "lines": {"begin": 10}}),
        ("RBH101 unknown-workload", "major", {"path": "runbooks/cart.md", "lines": {"begin": 10}}),
        ("RBH302 review-overdue", "minor", {"path": "runbooks/payments.md", "lines": {"begin": 3}}),
    ]
    assert issues[2]["description"] == "deployment `cart` not found in the manifests  (did you mean `cart-api` (renamed in 1a2b3c4d))"
    assert issues[2]["fingerprint"] == result.findings[0].fingerprint


def test_gitlab_fingerprints_are_unique_for_repeated_findings():
    from rbh.checks.formats import gitlab

    a = finding("RBH101", "runbooks/cart.md", 10, "deployment `cart` not found", reference="Deployment/cart")
    issues = json.loads(render(gitlab, CheckResult([a, a.with_(line=20)])))
    assert issues[0]["fingerprint"] == a.fingerprint
    assert len({i["fingerprint"] for i in issues}) == 2


def test_github_unwritable_step_summary_is_a_warning(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-dir" / "summary.md"))
    text = render(github, CheckResult([], files_checked=1))
    assert text == "rbh: no findings\n"
    assert "cannot write the step summary" in caplog.text
