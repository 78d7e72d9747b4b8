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
    assert name_heading(hit("Coderd Runbooks", "CoderdCPUUsage")) == "CoderdCPUUsage"
    assert name_heading(hit("Playbooks", "Alerts", "`CortexRequestLatency`", "Read path")) == "CortexRequestLatency"
    assert name_heading(hit("PostgresDown", "Meaning")) is None  # a page per alert: its title is matched already
    assert name_heading(hit("Runbook", "Check the Nginx Configuration")) is None
    assert name_heading(hit("Runbook", "HTTPS", "Postgres")) is None  # an acronym, one word


@pytest.fixture(scope="module")
def infra(tmp_path_factory) -> Path:
    """Pages written after openfoodfacts-infrastructure's layout (titles and headings only)."""
    root = tmp_path_factory.mktemp("off") / "off"
    commit_history(root, [{f"docs/{p.name}": p.read_text(encoding="utf-8") for p in sorted((DATA / "off").glob("*.md"))}])
    index(root)
    return root


def test_a_verb_in_ing_finds_its_agent_noun(infra):
    """"bots are crawling" finds the page about "crawlers": Snowball keeps "-er" on short words
    (crawler, worker, server), so the two never shared a term; before, the fail2ban page answered."""
    answer = ask_json(infra, "bots are crawling the site and overloading production", "--no-health")
    assert not answer["no_match"]
    assert answer["results"][0]["path"] == "docs/how-to-mitigate-crawlers-on-prod.md"
    # the weak-match notice reads the words as retrieval does: the answer's title says "crawlers"
    assert not [n for n in answer["notices"] if n.startswith("weak match")]


def test_agent_nouns():
    from rbh.indexer.encoding.terms import agent_nouns, query_term_groups, term_id

    assert agent_nouns("bots are crawling, workers keep building") == {"crawl": "crawler", "build": "builder"}
    # only a verb in -ing: no comparative ("high" -> "higher"), no noun to verb, no -e stem ("using")
    assert agent_nouns("very high replication lag on the crawler, using the scheduler") == {}
    assert frozenset({term_id("crawl"), term_id("crawler")}) in query_term_groups("crawling")
