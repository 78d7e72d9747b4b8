"""Issue 14, round 6: retrieval misses of new-user rounds 10 and 11 (bench/README.md, "Issue 14,
round 6"), reproduced on real git repositories with a real index.

coder/observability (``data/ask_round6/coder/``, CC0 1.0) keeps its runbooks as one ``## AlertName``
section per alert in a page per component ("Postgres Runbooks"). The title match favoured the other
layout, a page per alert titled by the alert's name: here every section of a page shares the
component's title, and "postgres is running out of connections" answered PostgresDown (its "Postgres
is not currently running" repeats the pair "postgres is") over PostgresConnectionsRunningLow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ask_support import ask_json, index
from checks_support import commit_history

DATA = Path(__file__).parent / "data" / "ask_round6"


@pytest.fixture(scope="module")
def coder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("coder") / "coder"
    files = {f"runbooks/{p.name}": p.read_text(encoding="utf-8") for p in sorted((DATA / "coder").glob("*.md"))}
    commit_history(root, [files])
    index(root)
    return root


def test_an_alert_name_heading_is_its_section_title(coder):
    """The section headed ``PostgresConnectionsRunningLow`` names three of the question's words, as a
    page titled by the alert would; before, PostgresDown was first and this section second."""
    answer = ask_json(coder, "postgres is running out of connections", "--no-health")
    assert answer["results"][0]["heading"] == "PostgresConnectionsRunningLow"


def test_one_word_of_an_alert_name_is_no_title_match(coder):
    """The other questions of the round keep their answers: one shared word ("postgres", "coderd")
    is no evidence, and names sharing two words still rank by the section's text."""
    expect = {
        "postgres is down": "PostgresDown",
        "the postgres notification queue is filling up": "PostgresNotificationQueueFillingUp",
        "fewer coderd replicas are alive than expected": "CoderdReplicas",
        "workspace builds keep failing": "CoderdWorkspaceBuildFailures",
        "provisionerd daemons are not running": "ProvisionerdReplicas",
    }
    got = {q: ask_json(coder, q, "--no-health")["results"][0]["heading"] for q in expect}
    assert got == expect


def test_name_heading():
    from rbh.indexer.query import Hit, name_heading

    def hit(*path: str) -> Hit:
        return Hit(id="x", text="", meta={"title": path[0], "heading_path": list(path)})

    assert name_heading(hit("Postgres Runbooks", "PostgresDown")) == "PostgresDown"
    assert name_heading(hit("Playbooks", "Alerts", "`CortexRequestLatency`", "Read path")) == "CortexRequestLatency"
    assert name_heading(hit("PostgresDown", "Meaning")) is None  # a page per alert: its title is matched already
    assert name_heading(hit("Runbook", "Check the Nginx Configuration")) is None
    assert name_heading(hit("Runbook", "HTTPS", "Postgres")) is None  # an acronym, one word
