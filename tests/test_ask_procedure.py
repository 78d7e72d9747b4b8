"""Issue 14: the alert that paged shows its runbook's procedure (Diagnosis and Mitigation), on the most
common public layout: one alert per file (Meaning / Impact / Diagnosis / Mitigation), alerts linking
with GitHub blob URLs. Built from the OpenShift set's real files in a temporary git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ask_support import ask_json, cli, index
from checks_support import commit_history
from conftest import SHARED_DATA

DATA = SHARED_DATA / "openshift"  # the OpenShift set beside the checkout (conftest)
CMO = "runbooks/alerts/cluster-monitoring-operator"
RULES = "rules/openshift__cluster-monitoring-operator/assets/cluster-monitoring-operator/prometheus-rule.yaml"
ALERT = "KubeDeploymentReplicasMismatch"
CONFIG = """\
runbooks:
  include: ["runbooks/**/*.md"]
manifests:
  include: ["rules/**/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "https://github.com/openshift/runbooks/blob/*/": "runbooks/"
"""

@pytest.fixture(scope="module")
def openshift(tmp_path_factory) -> Path:
    """The OpenShift runbooks as a repository (only the tests that take this fixture need the data:
    the others build their own repository and run everywhere)."""
    if not (DATA / RULES).is_file():
        pytest.skip("OpenShift bench data not present")
    root = tmp_path_factory.mktemp("procedure") / "repo"
    files: dict[str, str | bytes] = {"rbh.yaml": CONFIG, RULES: (DATA / RULES).read_bytes()}
    for p in sorted((DATA / CMO).glob("*.md")):
        files[f"{CMO}/{p.name}"] = p.read_bytes()
    commit_history(root, [files])
    index(root)
    return root


def _queries(kind: str) -> str:
    for line in (DATA / "queries.jsonl").read_text().splitlines():
        q = json.loads(line)
        if q.get("alert") == ALERT and q["query_kind"] == kind:
            return q["query"]
    raise AssertionError(kind)


def _shows_procedure(out: str) -> None:
    assert "## Diagnosis" in out and "## Mitigation" in out
    assert out.index("## Meaning") < out.index("## Impact") < out.index("## Diagnosis") < out.index("## Mitigation")
    # the Mitigation text in full, the Diagnosis text begins
    assert "You can safely delete the pods because they are" in out
    assert "The alert message under the `deployment` label describes where the discrepancy" in out


def test_alert_name_shows_diagnosis_and_mitigation_and_cites_the_runbook_url(openshift):
    code, out, err = cli(["ask", "--repo", str(openshift), ALERT, "--top-k", "1"])
    assert code == 0, err
    _shows_procedure(out)
    assert "    https://github.com/openshift/runbooks/blob/master/alerts/cluster-monitoring-operator/KubeDeploymentReplicasMismatch.md" in out
    answer = ask_json(openshift, ALERT, "--top-k", "1")
    r = answer["results"][0]
    assert r["url_source"] == "runbook_url" and r["via"] == "alert"
    assert [s["heading"] for s in r["procedure"]] == ["", "Meaning", "Impact", "Diagnosis", "Mitigation"][1 if not r["procedure"][0]["heading"] == "" else 0:]
    assert {s["heading"]: s["action"] for s in r["procedure"] if s["heading"]} == {
        "Meaning": False, "Impact": False, "Diagnosis": True, "Mitigation": True}


@pytest.mark.parametrize("kind", ["summary", "description"])
def test_rendered_alert_text_shows_the_procedure(openshift, kind):
    code, out, err = cli(["ask", "--repo", str(openshift), _queries(kind), "--top-k", "2"])
    assert code == 0, err
    _shows_procedure(out)


def test_free_text_without_rules_shows_the_best_page_and_one_line_for_the_next(openshift):
    code, out, err = cli(["ask", "--repo", str(openshift), _queries("summary"), "--no-alert-lookup", "--top-k", "3"])
    assert code == 0, err
    _shows_procedure(out)
    assert out.index("[1] KubeDeploymentReplicasMismatch") < out.index("Also relevant:") < out.index("[2] ")
    tail = out[out.index("Also relevant:"):]
    assert "## Diagnosis" not in tail and "(--expand shows these in full" in tail
    code, expanded, _ = cli(["ask", "--repo", str(openshift), _queries("summary"), "--no-alert-lookup", "--top-k", "3", "--expand"])
    assert "Also relevant:" not in expanded and len(expanded) > len(out)


def test_full_lifts_the_cap_and_lines_wrap(openshift):
    code, capped, _ = cli(["ask", "--repo", str(openshift), ALERT, "--top-k", "1"])
    code, full, _ = cli(["ask", "--repo", str(openshift), ALERT, "--top-k", "1", "--full"])
    assert "more line(s)" in capped and "more line(s)" not in full and len(full) > len(capped)
    text = (DATA / CMO / f"{ALERT}.md").read_text()
    fenced = False
    for line in text.splitlines():  # every line of the runbook is there, prose re-wrapped at most
        if line.startswith("```"):
            fenced = not fenced
        if fenced and line.strip():
            assert line in full
    from rbh.indexer.render import wrap_block

    long = "word " * 60
    assert all(len(x) <= 50 for x in wrap_block(long, 50))
    assert wrap_block("```\n" + long + "\n```", 50)[1] == "    " + long  # code is never re-wrapped


def test_procedure_page_detection_by_general_vocabulary():
    """One alert per file in the vocabulary of different corpora is a procedure page; a page whose
    top-level sections name other topics (several alerts, a failover how-to) is not."""
    from rbh.indexer.answer import ProcedureSection, is_procedure_page

    def page(*headings: str) -> list[ProcedureSection]:
        from rbh.indexer.answer import is_action_heading

        return [ProcedureSection("Title", 1, "t", 1, "# Title", False)] + [
            ProcedureSection(h, 2, h.lower(), i, f"## {h}\ntext", is_action_heading(h)) for i, h in enumerate(headings, 2)]

    assert is_procedure_page(page("Meaning", "Impact", "Diagnosis", "Mitigation"))
    assert is_procedure_page(page("Overview", "Symptoms", "Troubleshooting steps", "Resolution"))
    assert is_procedure_page(page("Summary", "How to fix"))
    assert not is_procedure_page(page("Symptoms", "Alert: PaymentsProviderErrors", "Fail over to the fallback provider", "Diagnosis"))
    assert is_procedure_page(page("Diagnosis", "Mitigation"))
    assert not is_procedure_page(page("Meaning", "Impact"))  # nothing to act on
    assert not is_procedure_page(page("Meaning"))


SETEXT_RUNBOOK = """\
DatabaseHACritical
==================

Meaning
-------

The `DatabaseHACritical` alert fires when the cluster has no ready standby replicas.

Impact
------

A failure of the primary loses data.

Diagnosis
---------

Get the status of the instances:

```bash
kubectl get pods -l role=instance -o wide
```

Mitigation
----------

Scale the cluster back to three instances.
"""
SETEXT_RULES = """\
groups:
  - name: db
    rules:
      - alert: DatabaseHACritical
        expr: vector(1)
        annotations:
          summary: Database cluster has no standby replicas!
          runbook_url: https://github.com/acme/charts/blob/main/docs/runbooks/DatabaseHACritical.md
"""


def test_setext_runbook_through_a_github_blob_url(tmp_path):
    """The cnpg layout: setext headings, GitHub blob runbook_url, rules outside a runbooks folder."""
    root = tmp_path / "charts"
    commit_history(root, [{
        "docs/runbooks/DatabaseHACritical.md": SETEXT_RUNBOOK,
        "prometheus_rules/db.yaml": SETEXT_RULES,
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["prometheus_rules/*.yaml"]\n'
                    'check:\n  runbook_urls:\n    prefixes:\n      "https://github.com/acme/charts/blob/*/": ""\n',
    }])
    index(root)
    for question in ("DatabaseHACritical", "Database cluster has no standby replicas!"):
        code, out, err = cli(["ask", "--repo", str(root), question, "--top-k", "1"])
        assert code == 0, err
        assert "https://github.com/acme/charts/blob/main/docs/runbooks/DatabaseHACritical.md" in out
        assert out.count("## Diagnosis") == 1 and "## Mitigation" in out and "---------" not in out
        assert "    kubectl get pods -l role=instance -o wide" in out
        assert "Scale the cluster back to three instances." in out


def test_an_anchorless_runbook_url_names_the_page_not_the_best_section(tmp_path):
    """The runbook_url links the whole page: the answer's head names the page, though the section
    the alert's text matched best (here Impact) is where the citation points."""
    root = tmp_path / "svc"
    commit_history(root, [{
        "docs/runbooks/IngestHighLatency.md": "# IngestHighLatency\n\n## Meaning\n\nIngestion is slow.\n\n"
                                              "## Impact\n\nIngestion performance will be poor\n\n"
                                              "## Diagnosis\n\n1. Check the latency panel.\n\n"
                                              "## Mitigation\n\n1. Allocate more resources to the database.\n",
        "alerts.yaml": "groups:\n- name: ingest\n  rules:\n  - alert: IngestHighLatency\n    expr: vector(1)\n"
                       "    annotations:\n      summary: Ingestion performance will be poor\n"
                       "      runbook_url: https://github.com/acme/svc/blob/main/docs/runbooks/IngestHighLatency.md\n",
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["alerts.yaml"]\n'
                    'check:\n  runbook_urls:\n    prefixes:\n      "https://github.com/acme/svc/blob/*/": ""\n',
    }])
    index(root)
    code, out, err = cli(["ask", "--repo", str(root), "IngestHighLatency", "--top-k", "1"])
    assert code == 0, err
    assert out.splitlines()[0] == "[1] IngestHighLatency  (alert IngestHighLatency -> runbook_url)"
    assert "## Diagnosis" in out and "Allocate more resources to the database." in out
