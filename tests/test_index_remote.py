"""Runbooks from another repository: a URL cloned into the cache folder and fetched later, or a path."""

from __future__ import annotations

import pytest

from rbh.indexer.remote import cache_folder, is_url, safe_url
from rbh.indexer.store import open_store
from rbh.indexer.sync import sync
from rbh.errors import GitError
from rbh.project import load_project

RUNBOOK = "---\ntitle: Cart\n---\n# Cart\n\n## Mitigation\n\nRestart the cart pods: `kubectl -n shop rollout restart deploy/cart`.\n"


def test_url_source_is_cloned_then_fetched(make_repo, tmp_path):
    upstream = make_repo({"runbooks/cart.md": RUNBOOK})
    home = tmp_path / "ops"  # config + store only: not a git repository
    home.mkdir()
    project = load_project(home, require_git=False)
    url = f"file://{upstream.root}"
    first = sync(project, source=url)
    assert (first.mode, first.added, first.commit) == ("full", 1, upstream.repo.head.commit.hexsha)
    clone = cache_folder(project, url)
    assert clone.parent == home / ".rbh" / "remotes" and (clone / ".git").is_dir()

    upstream.write("runbooks/payments.md", RUNBOOK.replace("Cart", "Payments").replace("cart", "payments"))
    sha = upstream.commit("payments runbook")
    second = sync(project, source=url)  # fetched: the new commit of the remote's default branch
    assert (second.mode, second.added, second.unchanged, second.commit) == ("incremental", 1, 1, sha)
    with open_store(project) as store:
        assert store.state.source == url and store.state.files == 2


def test_path_source_and_config_source(make_repo, tmp_path):
    upstream = make_repo({"docs/oncall/cart.md": RUNBOOK, "README.md": "not a runbook"})
    home = make_repo({"rbh.yaml": f"index:\n  source: {upstream.root}\nrunbooks:\n  include: ['docs/oncall/**/*.md']\n"})
    report = sync(load_project(home.root))
    assert (report.files, report.chunks_total) == (1, 1)


def test_transports_that_run_commands_are_refused(tmp_path):
    project = load_project(tmp_path, require_git=False)
    with pytest.raises(GitError, match="unsupported git source 'ext::sh -c touch% /tmp/pwned'"):
        sync(project, source="ext::sh -c touch% /tmp/pwned")


def test_clone_failure_is_one_line_without_credentials(tmp_path):
    project = load_project(tmp_path, require_git=False)
    with pytest.raises(GitError) as err:
        sync(project, source=f"file://user:hunter2@{tmp_path}/missing.git")
    assert "hunter2" not in str(err.value) and str(err.value).startswith("cannot fetch runbooks from file://")
    assert "\n" not in str(err.value)


def test_url_helpers():
    assert is_url("https://git.example.com/sre/runbooks.git") and is_url("git@github.com:sre/runbooks.git")
    assert not is_url("../runbooks") and not is_url("ext::sh -c id")
    assert safe_url("https://bot:t0ken@git.example.com/x.git") == "https://git.example.com/x.git"
