"""Issue 14, round 5: a phrasal verb written as two words and its closed compound meet (new-user
round 8, bench/README.md "Issue 14, round 5"), reproduced on a real git repository with a real index.

The run book template teams fork (SkeltonThatcher/run-book-template, ``data/ask_round5/``, CC BY-SA
4.0) writes "Failover and Recovery procedures" and "How does roll-back happen?". "over" is a stop
word, so "fail over" was indexed and asked as "fail" alone; "rollback" is one term, "roll-back" two.
A listed verb + particle also yields the closed compound's term, in documents and questions alike
(lexical version lex-3: an index of lex-1 is rebuilt).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ask_support import ask_json, index
from checks_support import commit_history

DATA = Path(__file__).parent / "data" / "ask_round5"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rbt") / "rbt"
    commit_history(root, [{"run-book-template.md": (DATA / "run-book-template.md").read_text(encoding="utf-8")}])
    index(root)
    return root


def test_two_words_find_the_closed_compound(template):
    """"fail over" (two words) finds the "Failover and Recovery procedures" section; before, nothing
    matched (best relevance 0.33 < 0.35)."""
    answer = ask_json(template, "how do we fail over to the secondary data centre", "--no-health")
    assert not answer["no_match"]
    assert answer["results"][0]["heading_path"][1:] == ["Failover and Recovery procedures"]


def test_the_closed_compound_finds_two_words(template):
    """"rollback" (one word) finds "How does roll-back happen?" under Deployment; before, nothing matched.
    The other way round from the page's "Failover" above: the page writes two words."""
    answer = ask_json(template, "how do I do a rollback", "--no-health")
    assert not answer["no_match"]
    assert answer["results"][0]["heading_path"][1:] == ["Operational tasks", "Deployment"]


def test_an_unrelated_question_still_matches_nothing(template):
    answer = ask_json(template, "what is the rollback procedure for my sourdough starter", "--no-health")
    assert answer["no_match"]


def test_join_phrasal_verbs():
    from rbh.indexer.encoding.terms import join_phrasal_verbs

    assert join_phrasal_verbs("we failed over, then Rolled back the set-up") == "we failover, then rollback the setup"
    assert join_phrasal_verbs("Tore down the cluster, fell back to v1") == "teardown the cluster, fallback to v1"
    # not listed, or not a verb + particle of the list: unchanged
    assert join_phrasal_verbs("check out the checkout service; it failed. Over there") == \
        "check out the checkout service; it failed. Over there"


def test_query_term_groups():
    from rbh.indexer.encoding.terms import query_term_groups, query_terms, term_id

    def groups(text):
        return set(query_term_groups(text))

    def ids(*terms):
        return frozenset(term_id(t) for t in terms)

    # no phrasal verb (and no verb in -ing, which also asks for its agent noun: round 6): each term
    # alone, the ids of query_terms
    plain = "the pod crashlooped after the deploy"
    assert groups(plain) == {ids(t) for t in ("pod", "crashloop", "deploy")}
    assert sorted({t for g in query_term_groups(plain) for t in g}) == query_terms(plain)
    # apart: the verb, or the closed compound; the compound is no term of its own
    assert groups("failed over") == {ids("fail", "failov")}
    assert sorted({t for g in query_term_groups("failed over") for t in g}) == query_terms("failed over")


def test_documents_and_queries_get_the_compound_term():
    """Both sides: a page's "rolled back" holds the term a question's "rollback" asks for."""
    from rbh.indexer.encoding.terms import document_weights, term_id, tokenize

    assert tokenize("we rolled back the set-up") == ["roll", "back", "set-up", "set", "rollback", "setup"]
    indices, _ = document_weights("The release was rolled back.")
    assert term_id("rollback") in indices
    assert tokenize("check out the log in the pod") == ["check", "log", "pod", "login"]  # a known false join, harmless
