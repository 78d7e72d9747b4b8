"""Issue 14, round 7: retrieval misses of new-user round 13 (bench/README.md, "Issue 14, round 7"),
reproduced on a real git repository with a real index.

openshift/elasticsearch-operator keeps its alerts' runbooks in one long page (``data/ask_round7/``,
Apache 2.0), a ``## Title`` section per alert. "elasticsearch cluster health is yellow" answered
"Cluster Health is Red > Troubleshooting": the fused ranking had "Cluster Healthy is Yellow" first, but
phrase evidence turned it, as Red's heading repeats the pairs "cluster health" and "health is" and
Yellow's "Healthy" repeated neither (nor, stemmed ``healthi``, the term ``health``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ask_support import ask_json, index
from checks_support import commit_history

DATA = Path(__file__).parent / "data" / "ask_round7"


@pytest.fixture(scope="module")
def eo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("eo") / "eo"
    commit_history(root, [{"docs/alerts.md": (DATA / "alerts.md").read_text(encoding="utf-8")}])
    index(root)
    return root


def test_a_noun_in_the_question_finds_its_adjective_in_a_heading(eo):
    """The question's "health" is the heading's "Healthy": the Yellow section is first, covering every
    word of the question; before, it was 4th after three of Red's sections."""
    answer = ask_json(eo, "elasticsearch cluster health is yellow", "--no-health", "--per-runbook", "5")
    first = answer["results"][0]
    assert first["heading_path"] == ["Alerts", "Elasticsearch Cluster Healthy is Yellow"]
    assert first["term_coverage"] == 1.0
    assert answer["notices"] == []


def test_the_other_alerts_of_the_page_keep_their_sections(eo):
    """Questions naming other sections of the page still get them first."""
    expect = {
        "elasticsearch cluster health is red": "Elasticsearch Cluster Health is Red",
        "elasticsearch node disk flood watermark reached": "Elasticsearch Node Disk Flood Watermark Reached",
        "elasticsearch jvm heap use is high": "Elasticsearch JVM Heap Use is High",
    }
    got = {q: ask_json(eo, q, "--no-health")["results"][0]["heading_path"][1] for q in expect}
    assert got == expect


def test_adjective_forms():
    from rbh.indexer.encoding.terms import adjective_forms, query_term_groups, term_id

    assert adjective_forms("cluster health is yellow") == {"cluster": "clusteri", "health": "healthi", "yellow": "yellowi"}
    # short words make other words (read/ready, part/party); inflected, -e, -s, -y and -ing words ask nothing
    assert adjective_forms("read the bus part; disks failed, noise, faulty, pending") == {}
    assert frozenset({term_id("health"), term_id("healthi")}) in query_term_groups("cluster health")


def test_phrase_words_fold_an_adjective_in_y():
    from rbh.indexer.query import phrase_words

    assert phrase_words("Cluster Healthy is Yellow") == phrase_words("cluster health is yellow")
    assert phrase_words("pod not ready, every time") == ["pod", "not", "ready", "every", "time"]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Path:
    """One page of our own words whose title says "healthy" where the question says "health"."""
    root = tmp_path_factory.mktemp("nodes") / "nodes"
    page = ("# Keeping kubelets healthy\n\nWhen a node goes NotReady, look at the kubelet first: `journalctl -u kubelet`"
            " on the node, then the disk and memory pressure conditions in `kubectl describe node`.\n")
    commit_history(root, [{"docs/kubelet.md": page}])
    index(root)
    return root


def test_the_weak_match_notice_reads_an_adjective_as_its_noun(nodes):
    """"kubelet health probe": the answer says "kubelet" and "healthy", two of the three words, so no
    weak-match notice (before, "health" was missing from it and the notice named it)."""
    answer = ask_json(nodes, "kubelet health probe", "--no-health")
    assert answer["results"][0]["path"] == "docs/kubelet.md"
    assert not [n for n in answer["notices"] if n.startswith("weak match")]


def test_a_title_in_the_adjective_is_named_by_the_noun():
    from rbh.indexer.encoding.terms import adjective_forms
    from rbh.indexer.query import _title_match, title_words

    q = title_words("elasticsearch cluster health")
    t = title_words("Elasticsearch Cluster Healthy")
    assert _title_match(q, t, "title") < 1.0
    assert _title_match(q, t, "title", adjective_forms("elasticsearch cluster health")) == 1.0
