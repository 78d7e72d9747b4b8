"""Issue 14, round 4: free-text misses of the new-user round 7 (bench/README.md, "Issue 14, round 4"),
fixed by a general rule and reproduced here on a real git repository with a real index:

- on a troubleshooting page of many problems (`## Too few PGs per OSD warning is shown`, then
  `### Symptoms` / `### Solution`), a generic subsection's subject is its parent heading: the
  question's word pairs that heading repeats count for the subsection's phrase evidence;
- a question that reports a failure ("naisdevice cannot connect") asks for troubleshooting: a page
  titled "Troubleshooting naisdevice" matches it as well as the page titled "naisdevice" does.

``data/ask_round4/`` holds two pages of rook/rook (d0c3b9ce6, ``Documentation/``), Apache-2.0,
and three of nais/doc (9fb61544, ``docs/operate/naisdevice/``), MIT.
"""

from __future__ import annotations

from pathlib import Path

from ask_support import ask_json, index
from checks_support import commit_history

DATA = Path(__file__).parent / "data" / "ask_round4"


def rook(tmp_path: Path) -> Path:
    root = tmp_path / "rook"
    commit_history(root, [{
        "Documentation/Troubleshooting/ceph-common-issues.md": (DATA / "ceph-common-issues.md").read_text(encoding="utf-8"),
        "Documentation/Storage-Configuration/Advanced/ceph-osd-mgmt.md": (DATA / "ceph-osd-mgmt.md").read_text(encoding="utf-8"),
    }])
    index(root)
    return root


def test_a_subsection_has_the_phrases_of_the_problem_heading_it_sits_under(tmp_path):
    """"too many PGs per OSD": the Symptoms of `## Too few PGs per OSD warning is shown` repeat
    "health warn", "pgs per", "per osd"; `Troubleshooting Techniques > Ceph Commands` repeats five
    pairs, three of them stop-word pairs ("cluster is", "is in", "the ceph"), and ranked first. With
    the problem heading's pairs counted once more, the problem's Symptoms answer."""
    root = rook(tmp_path)
    results = ask_json(root, "the ceph cluster is in HEALTH_WARN with too many PGs per OSD", "--top-k", "3")["results"]
    assert [(r["path"].rsplit("/", 1)[-1], r["heading_path"]) for r in results] == [
        ("ceph-common-issues.md", ["Too few PGs per OSD warning is shown", "Symptoms"]),
        ("ceph-osd-mgmt.md", ["Remove an OSD"]),
        ("ceph-common-issues.md", ["Troubleshooting Techniques", "Ceph Commands"]),
    ]


def test_topic_pairs_are_those_of_the_parent_headings():
    from rbh.indexer.query import Hit, topic_pairs

    hit = Hit(id="x", text="", meta={"title": "Ceph Common Issues",
                                     "heading_path": ["Ceph Common Issues", "Too few PGs per OSD", "Symptoms"]})
    assert topic_pairs(hit) == {("too", "few"), ("few", "pgs"), ("pgs", "per"), ("per", "osd")}
    own = Hit(id="y", text="", meta={"title": "T", "heading_path": ["Show cluster kubernetes version"]})
    assert topic_pairs(own) == set()


def nais(tmp_path: Path) -> Path:
    root = tmp_path / "nais"
    commit_history(root, [{
        "docs/operate/naisdevice/README.md": (DATA / "naisdevice-README.md").read_text(encoding="utf-8"),
        "docs/operate/naisdevice/how-to/install.md": (DATA / "naisdevice-how-to-install.md").read_text(encoding="utf-8"),
        "docs/operate/naisdevice/how-to/troubleshooting.md":
            (DATA / "naisdevice-how-to-troubleshooting.md").read_text(encoding="utf-8"),
    }])
    index(root)
    return root


def test_a_failure_question_matches_the_troubleshooting_page_title(tmp_path):
    """nais/doc, a Diataxis site: "naisdevice cannot connect" matched the explanation page titled
    "naisdevice" (one title word, all of it named) over "Troubleshooting naisdevice"; a question
    that reports a failure now names the troubleshooting page's title word too (here its
    "Firewall blocks outgoing UDP connections" answers). A question that
    reports none ("what is naisdevice") keeps the explanation first."""
    root = nais(tmp_path)
    first = ask_json(root, "naisdevice cannot connect")["results"][0]
    assert (first["path"], first["anchor"]) == ("docs/operate/naisdevice/how-to/troubleshooting.md", "firewall-blocks-outgoing-udp-connections")
    first = ask_json(root, "what is naisdevice")["results"][0]
    assert first["path"] == "docs/operate/naisdevice/README.md"


def test_reports_failure():
    from rbh.indexer.query import reports_failure

    assert [reports_failure(q) for q in (
        "naisdevice cannot connect", "PVC is stuck pending", "my pod is crashlooping", "the api is down",
        "builds are failing", "can't log in", "how do I set up an alert", "what is naisdevice",
        "how do I see the logs of my application")] == [True, True, True, True, True, True, False, False, False]
