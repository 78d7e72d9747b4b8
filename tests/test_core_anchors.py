"""Anchors as one contract (issue 12): ours equal Python-Markdown's ``toc`` ids on real corpora.

The differential test renders every runbook of every real corpus we have with the Markdown that
MkDocs runs (front matter stripped by MkDocs' own ``get_data``; MkDocs' default extensions plus
``attr_list``, which our parser honours) and compares the heading ids in order with ours. The
corpora: our example runbooks, the OpenShift set, and the repositories of
``bench/build_checks_repos.sh`` when they have been built. Known differences are listed in
``KNOWN`` with the reason.
"""

from __future__ import annotations

import threading
import os
from pathlib import Path

import markdown
import pytest
from mkdocs.utils.meta import get_data

from rbh import anchors
from rbh.runbook import parse_runbook

ROOT = Path(__file__).resolve().parents[1]
# Real corpora that are present on this machine (bench/build_checks_repos.sh rebuilds DATA); absent
# ones are skipped, so a clean CI clone runs the example and whatever data it has.
DATA = Path(os.environ.get("RBH_BENCH_DATA", "/work/data"))
CORPORA = {
    "example": ROOT / "runbooks",
    "openshift": ROOT.parent / "shared" / "bench-data" / "openshift" / "runbooks",
    "thanos": DATA / "checks" / "thanos/mixin",
    "kubevirt": DATA / "checks" / "kubevirt/docs",
    "cnpg": DATA / "checks" / "cnpg/charts/cluster/docs",
    "tempo": DATA / "checks" / "tempo/operations/tempo-mixin",
    "rhobs": DATA / "checks" / "rhobs/docs/sop",
    "srerun": DATA / "checks" / "srerun/content/runbooks",
}

# (corpus, path relative to the corpus folder) -> why our ids differ from Python-Markdown's there.
_INDENTED_FENCE = ("a fence indented inside a list item: Python-Markdown's fenced_code does not see it, so the "
                   "MkDocs site renders the shell comments in it (`# Check VMI status`) as headings; rbh, GitHub "
                   "and CommonMark read them as code")
_LIST_HEADING = ("`   ### Heading` indented three spaces under a list item: CommonMark (GitHub, rbh) makes it a "
                 "heading, Python-Markdown a paragraph of the list item (it needs four spaces of indentation)")
KNOWN: dict[tuple[str, str], str] = {
    ("openshift", "alerts/cluster-dns-operator/CoreDNSErrorsHigh.md"): _INDENTED_FENCE,
    ("openshift", "alerts/machine-config-operator/MachineConfigDaemonPivotError.md"): _INDENTED_FENCE,
    ("openshift", "alerts/openshift-virtualization-operator/VirtualMachineStuckInUnhealthyState.md"): _INDENTED_FENCE,
    ("openshift", "alerts/openshift-virtualization-operator/VirtualMachineStuckOnNode.md"): _INDENTED_FENCE,
    ("kubevirt", "runbooks/VirtualMachineStuckInUnhealthyState.md"): _INDENTED_FENCE,
    ("kubevirt", "runbooks/VirtualMachineStuckOnNode.md"): _INDENTED_FENCE,
    ("openshift", "alerts/cluster-monitoring-operator/PrometheusPossibleNarrowSelectors.md"): _LIST_HEADING,
}


def _markdown_ids(text: str) -> list[str]:
    _, body = text, text
    body, _meta = get_data(text)
    md = markdown.Markdown(extensions=["toc", "tables", "fenced_code", "attr_list"])
    md.convert(body)

    def walk(tokens):
        for t in tokens:
            yield t["id"]
            yield from walk(t["children"])

    return list(walk(md.toc_tokens))


def _corpus_files():
    for name, folder in CORPORA.items():
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.md")):
            yield pytest.param(name, folder, path, id=f"{name}:{path.relative_to(folder)}")


def test_corpora_present():
    present = [n for n, f in CORPORA.items() if f.is_dir()]
    assert "example" in present


@pytest.mark.parametrize("corpus,folder,path", list(_corpus_files()))
def test_anchors_equal_python_markdown_on_real_corpora(corpus, folder, path):
    text = path.read_text(encoding="utf-8", errors="replace")
    theirs = _markdown_ids(text)
    ours = [h.anchor for h in parse_runbook(str(path), text).headings]
    key = (corpus, str(path.relative_to(folder)))
    if key in KNOWN:
        pytest.xfail(KNOWN[key])
    assert ours == theirs


@pytest.mark.parametrize("heading,anchor", [
    ("Check pg_stat_activity", "check-pg_stat_activity"),
    ("Run `pg_stat_activity` query", "run-pg_stat_activity-query"),
    ("_Emphasis_ and __strong__", "emphasis-and-strong"),
    ("snake_case_name and *star*", "snake_case_name-and-star"),
    ("![logo](x.png) Logo", "logo"),
    ("See <https://example.com>", "see-httpsexamplecom"),
    ("A &amp; B", "a-b"),
    ("Escaped \\_under\\_", "escaped-_under_"),
    ("[Link `code`](x.md) after", "link-code-after"),
    ("Title {#custom-id}", "custom-id"),
    ("Title {: #x .y }", "x"),
    ("Use {placeholder}", "use"),
    ("Pods {namespace}/{name}", "pods-namespacename"),
    ("Check {{ $labels.pod }}", "check-labelspod"),
    ("*emph*_under_", "emphunder"),
    ("**Bold _nested_ text**", "bold-nested-text"),
    ("__init__ method", "init-method"),
    ("[link][nowhere] undefined", "linknowhere-undefined"),
    ("Café & <em>Q&amp;A</em>", "cafe-qa"),
])
def test_heading_anchor_examples(heading, anchor):
    assert parse_runbook("x.md", f"## {heading}\n").headings[0].anchor == anchor
    assert _markdown_ids(f"## {heading}\n") == [anchor]


def test_duplicates_in_every_style_are_accepted():
    rb = parse_runbook("x.md", "# Symptoms\n\n## Symptoms\n\n## Symptoms\n")
    assert [h.anchor for h in rb.headings] == ["symptoms", "symptoms_1", "symptoms_2"]
    accepted = anchors.accepted_anchors(rb.headings)
    for frag in ("symptoms", "symptoms_1", "symptoms-1", "symptoms-2", "Symptoms_2"):
        assert anchors.has_anchor(frag, accepted), frag
    assert not anchors.has_anchor("symptoms-3", accepted)


def test_mkdocs_slugify_setting_is_read_safely(tmp_path):
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/object/apply:pymdownx.slugs.slugify {kwds: {case: lower}}\n")
    slugger = anchors.slugger_for(tmp_path)
    assert slugger.name == "pymdownx.slugs.slugify"
    assert slugger("Straße Ünïcode") == "straße-ünïcode"
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/name:markdown.extensions.toc.slugify_unicode\n")
    assert anchors.slugger_for(tmp_path).name == "markdown.extensions.toc.slugify_unicode"
    assert parse_runbook("x.md", "## Größe\n", slugger=anchors.slugger_for(tmp_path)).headings[0].anchor == "größe"
    # an arbitrary callable is never imported: the default applies
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/name:os.system\n")
    assert anchors.slugger_for(tmp_path).name == anchors.DEFAULT.name
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/object/apply:os.system [touch pwned]\n"
        "extra: !!python/object/new:os.system [touch pwned]\n")
    assert anchors.slugger_for(tmp_path).name == anchors.DEFAULT.name and not (tmp_path / "pwned").exists()


def test_attribute_lists_only_when_the_site_enables_attr_list(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nmarkdown_extensions:\n  - toc:\n      permalink: true\n  - tables\n")
    plain = anchors.slugger_for(tmp_path)
    assert not plain.attr_list
    assert parse_runbook("x.md", "## Title {#custom}\n", slugger=plain).headings[0].anchor == "title-custom"
    md = markdown.Markdown(extensions=["toc", "tables"])
    md.convert("## Title {#custom}\n")
    assert md.toc_tokens[0]["id"] == "title-custom"
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nmarkdown_extensions:\n  - attr_list\n  - toc\n")
    assert parse_runbook("x.md", "## Title {#custom}\n", slugger=anchors.slugger_for(tmp_path)).headings[0].anchor == "custom"


def test_redteam_anchor_dedup_linear():
    """Issue 10: 5,000 identical headings took 18 s (quadratic de-duplication). Under a generous
    hang guard, not a speed assert: the parse must finish, with Python-Markdown's ids."""
    text = "## Same\n\n" * 5000 + "## Same_3\n"
    done = threading.Event()
    result: list = []

    def run():
        result.append(parse_runbook("x.md", text))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(60), "anchor de-duplication hangs on 5,000 identical headings"
    ids = [h.anchor for h in result[0].headings]
    assert ids[:3] == ["same", "same_1", "same_2"] and ids[4999] == "same_4999" and ids[5000] == "same_5000"
    assert len(set(ids)) == len(ids)
