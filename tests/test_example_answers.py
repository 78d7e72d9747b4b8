"""The demo's questions on the real example platform: the top result is the right runbook section,
with and without alert-aware lookup (so retrieval itself is held to it, not only the alert table)."""

from __future__ import annotations

import json

import pytest

QUESTIONS = [
    ("checkout p99 latency is high", "runbooks/services/checkout.md", "alert-checkouthighlatency"),
    ("postgres replica is lagging behind the primary", "runbooks/data/postgresql.md", "alert-postgresreplicationlag"),
    ("KubePodCrashLooping", "runbooks/platform/pod-crashlooping.md", "alert-kubepodcrashlooping"),
    ("payments provider returning errors", "runbooks/services/payments.md", "alert-paymentsprovidererrors"),
]


@pytest.fixture(scope="module")
def indexed_example(tmp_path_factory):
    from conftest import copy_example, run_rbh_subprocess

    root = copy_example(tmp_path_factory.mktemp("answers") / "example")
    proc = run_rbh_subprocess(["index", "--repo", str(root), "--quiet"])
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.parametrize("lookup", ["--alert-lookup", "--no-alert-lookup"])
@pytest.mark.parametrize("question,path,anchor", QUESTIONS)
def test_top_result_is_the_right_section(indexed_example, rbh, question, path, anchor, lookup):
    code, out, err = rbh(["ask", "--repo", str(indexed_example), "--json", "--top-k", "3", lookup, question])
    assert code == 0, err
    top = json.loads(out)["results"][0]
    assert (top["path"], top["anchor"]) == (path, anchor)
    assert top["citation"].startswith(f"{path}:{top['line']}#{anchor} @ ")


def test_drift_scenario_answer_carries_the_finding_and_its_suggestion(drift_repo, rbh):
    code, _, err = rbh(["index", "--repo", str(drift_repo), "--quiet"])
    assert code == 0, err
    code, out, err = rbh(["ask", "--repo", str(drift_repo), "--top-k", "1", "CheckoutHighLatency"])
    assert code == 0, err
    assert "health: 11 open finding(s): this runbook may be out of date" in out
    assert ("error   RBH101 lines 62, 86, 107, 108, 114, 130, ... (in this section): deployment `checkout` not found"
            " in namespace `checkout` or any other  (did you mean `checkout-api`)") in out


def test_alert_section_on_a_one_alert_page_brings_the_whole_procedure(indexed_example, rbh):
    """`## Alert: KubePodCrashLooping` holds two lines; its siblings Diagnosis and Mitigation are what
    the responder needs, and the page names no other alert: the answer is the procedure."""
    code, out, err = rbh(["ask", "--repo", str(indexed_example), "--json", "--top-k", "1", "KubePodCrashLooping"])
    assert code == 0, err
    top = json.loads(out)["results"][0]
    procedure = {s["heading"]: s["action"] for s in top["procedure"]}
    assert procedure["Alert: KubePodCrashLooping"] is True  # the linked section in full
    assert procedure["Diagnosis"] is True and procedure["Mitigation"] is True
    code, text, err = rbh(["ask", "--repo", str(indexed_example), "--top-k", "1", "KubePodCrashLooping"])
    assert "    ## Diagnosis" in text.splitlines() and "    ## Mitigation" in text.splitlines()


def test_alert_section_on_a_page_of_several_alerts_stays_one_section(indexed_example, rbh):
    code, out, err = rbh(["ask", "--repo", str(indexed_example), "--json", "--top-k", "1", "CheckoutHighLatency"])
    assert code == 0, err
    top = json.loads(out)["results"][0]
    assert (top["anchor"], top["procedure"]) == ("alert-checkouthighlatency", None)


def test_a_section_shown_with_its_subsections_is_named_and_spaced_once(indexed_example, rbh):
    """The best free-text result is the alert section with its steps: its head names that section
    (not only the page), and one blank line, not two, separates it from 'Also relevant:'."""
    code, out, err = rbh(["ask", "--repo", str(indexed_example), "--top-k", "3", "--no-alert-lookup",
                          "payments provider returning errors"])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "[1] Payments > Alert: PaymentsProviderErrors"
    at = lines.index("Also relevant:")
    assert lines[at - 1] == "" and lines[at - 2] != ""
