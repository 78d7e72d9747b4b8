"""File names git would quote or that break a line-based parse, read from a real repository.

Every git command that lists paths runs with ``-z`` (``rbh.git.last_changes`` and ``diff_names``, the
history memo's ``git log --name-only``, runbook renames), and a patch's file comes from its
``---``/``+++`` lines, never from ``diff --git a/X b/Y``: a quote, tab, newline, leading blank or
`` b/`` inside a name must come back as the very name the work tree has.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rbh import git as rgit
from rbh.checks.engine import run_checks
from rbh.checks.history import load_history
from rbh.checks.history_cache import repo_history
from rbh.runbook_urls import runbook_renames
from rbh.project import load_project
from checks_support import commit_history

ODD = ['runbooks/we"ird.md', "runbooks/tab\there.md", "runbooks/new\nline.md", "runbooks/x b/y.md", "runbooks/ lead.md"]
DEPLOY = 'manifests/x b/deploy "v1".yaml'  # " b/" and a quote: git prints it C-quoted, and split at " b/"

CONFIG = "runbooks:\n  include: ['runbooks/**/*.md']\nmanifests:\n  include: ['manifests/**/*.yaml']\n"


def deployment(name: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n"
            f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n"
            f"    spec:\n      containers:\n        - name: app\n          image: shop/{name}:1\n")


@pytest.fixture
def odd_repo(tmp_path: Path):
    files = {"rbh.yaml": CONFIG, DEPLOY: deployment("cart")}
    files.update({p: f"# {p.split('/')[-1].strip()}\n\nnothing yet\n" for p in ODD})
    later = {DEPLOY: deployment("cart-api"), ODD[0]: "# weird\n\n`kubectl -n shop rollout restart deploy/cart`\n"}
    root = tmp_path / "repo"
    repo, shas = commit_history(root, [files, later])
    return root, repo, shas


def test_last_changes_reads_every_odd_name(odd_repo):
    _, repo, shas = odd_repo
    found = rgit.last_changes(repo, "HEAD", paths=[*ODD, DEPLOY])
    assert {p: info.sha for p, info in found.items()} == {
        ODD[0]: shas[1], ODD[1]: shas[0], ODD[2]: shas[0], ODD[3]: shas[0], ODD[4]: shas[0], DEPLOY: shas[1]}


def test_diff_names_reads_odd_names_and_renames(odd_repo):
    root, repo, shas = odd_repo
    assert rgit.diff_names(repo, shas[0], shas[1]) == [rgit.Change("M", DEPLOY), rgit.Change("M", ODD[0])]
    repo.git.mv(ODD[1], "runbooks/x b/re\"named\there.md")
    (root / "runbooks/ lead.md").write_text("# lead\n\nchanged\n", encoding="utf-8")
    assert rgit.diff_names(repo, "HEAD") == [rgit.Change("M", ODD[4]),
                                             rgit.Change("R", "runbooks/x b/re\"named\there.md", ODD[1])]


def test_runbook_renames_read_odd_names(odd_repo):
    root, repo, _ = odd_repo
    new = "runbooks/x b/re\"named\nrunbook.md"
    repo.git.mv(ODD[0], new)
    repo.git.commit("-m", "rename")
    assert runbook_renames(repo)[ODD[0]][0] == new


def test_manifest_history_names_the_file_with_b_slash_and_quote(odd_repo):
    _, repo, shas = odd_repo
    rename = load_history(repo, ["manifests"]).renamed_to("cart")
    assert (rename.new, rename.sha, rename.path) == ("cart-api", shas[1], DEPLOY)


def test_history_memo_and_rule_see_the_odd_names(odd_repo):
    root, _, shas = odd_repo
    project = load_project(root)
    facts = repo_history(project, use_cache=False)
    assert {p: facts.last_change(p).sha for p in [*ODD, DEPLOY]} == {
        ODD[0]: shas[1], ODD[1]: shas[0], ODD[2]: shas[0], ODD[3]: shas[0], ODD[4]: shas[0], DEPLOY: shas[1]}
    assert facts.manifests.renamed_to("cart").path == DEPLOY
    found = [f for f in run_checks(project, use_cache=False).findings if f.rule == "RBH101"]
    assert [(f.path, f.line, f.suggestion, f.suggestion_source) for f in found] == [
        (ODD[0], 3, "cart-api", f"renamed in {shas[1][:8]}")]
