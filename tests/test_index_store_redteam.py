"""Regression tests for the red-team findings about the store (issue 10): no store from git, only
our own generations swept, damage detected. Real git repositories, the real embedded store, the CLI."""

from __future__ import annotations

import json
import shutil

import git
import pytest

from rbh.indexer.sync import sync
from rbh.project import load_project
from test_index_sync import FILES


@pytest.fixture
def indexed(make_repo):
    repo = make_repo({**FILES, ".gitignore": ".rbh/\n"})
    assert sync(load_project(repo.root)).chunks_total == 12
    return repo


def _store(repo):
    return repo.root / ".rbh" / "qdrant"


def _generation(repo):
    root = _store(repo)
    return root / json.loads((root / "PUBLISHED").read_text())["generation"]


def test_redteam_committed_store_is_not_opened(indexed, tmp_path, rbh):
    """A `.rbh/` folder force-added by a pull request: neither `rbh ask` nor `rbh index` opens it,
    in the clone that receives it or in the repository it came from."""
    indexed.repo.git.add("-f", ".rbh/qdrant")
    indexed.commit("add an index (hostile)")
    clone = tmp_path / "clone"
    git.Repo.clone_from(str(indexed.root), str(clone))
    assert (clone / ".rbh" / "qdrant" / "PUBLISHED").is_file()
    for root in (clone, indexed.root):
        for args in (["ask", "--no-cache", "redis memory"], ["index"], ["index", "--full"]):
            code, out, err = rbh([args[0], "--repo", str(root), *args[1:]])
            assert (code, out) == (2, ""), (root, args)
            assert "holds files tracked by git: rbh never opens an index from git" in err
            assert "git rm -r --cached .rbh/qdrant" in err and len(err.strip().splitlines()) == 1
        code, out, _ = rbh(["index", "--repo", str(root), "--status"])
        assert code == 0 and "unusable: git tracks files under .rbh/qdrant" in out


def test_redteam_store_not_created_by_this_user_is_not_opened(indexed, make_repo, rbh):
    """A store folder that arrived by other means (an archive, a shared cache): its marker is not in
    this user's registry, so it is refused; `rbh index` builds a new store beside its files."""
    other = make_repo({**FILES, ".gitignore": ".rbh/\n"})
    shutil.copytree(_store(indexed), _store(other))
    foreign_gen = _generation(other).name
    code, out, err = rbh(["ask", "--repo", str(other.root), "--no-cache", "redis memory"])
    assert (code, out) == (2, "") and "was not created by rbh for this user, so rbh does not open it" in err
    code, out, err = rbh(["index", "--repo", str(other.root)])
    assert code == 0 and "full rebuild" in out and "was not created by rbh for this user: building a new one" in err
    assert (_store(other) / foreign_gen).is_dir()  # not ours: left in place
    assert _generation(other).name != foreign_gen
    code, out, _ = rbh(["ask", "--repo", str(other.root), "--no-cache", "--json", "redis memory usage close to maxmemory eviction"])
    assert code == 0 and json.loads(out)["results"][0]["path"] == "runbooks/redis.md"


def test_redteam_store_path_outside_repo_keeps_foreign_generations(make_repo, tmp_path, rbh, monkeypatch):
    """`store.path` in a pull request's rbh.yaml cannot point outside the repository (or rbh's cache);
    where the user does point it elsewhere (RBH_STORE_PATH), only generations rbh marked are removed."""
    elsewhere = tmp_path / "elsewhere"
    for name in ("gen-1", "gen-2.r1", "edge-1-abcdef"):
        (elsewhere / name).mkdir(parents=True)
        (elsewhere / name / "keep.txt").write_text("someone else's data")
    repo = make_repo({**FILES, ".gitignore": ".rbh/\n", "rbh.yaml": f"store:\n  path: {elsewhere}\n"})
    for args in (["index"], ["index", "--full"], ["ask", "--no-cache", "redis"]):
        code, out, err = rbh([args[0], "--repo", str(repo.root), *args[1:]])
        assert (code, out) == (2, "") and "store.path" in err and "leaves the repository" in err
    repo2 = make_repo({**FILES, ".gitignore": ".rbh/\n", "rbh.yaml": "store:\n  path: ../../elsewhere\n"})
    assert rbh(["index", "--repo", str(repo2.root)])[0] == 2
    monkeypatch.setenv("RBH_STORE_PATH", str(elsewhere))  # the user's own choice: trusted
    project = load_project(repo.root)
    for full in (False, True, True):
        sync(project, full=full)
    for name in ("gen-1", "gen-2.r1", "edge-1-abcdef"):
        assert (elsewhere / name / "keep.txt").read_text() == "someone else's data"
    assert len(list(elsewhere.glob("edge-*"))) == 3  # the foreign one, the serving one and the spare


def test_redteam_damaged_store_is_not_a_confident_no_match(indexed, rbh):
    """Segment files lost or truncated: `rbh ask` says the index is damaged (never "No runbook
    matches"), `rbh index` does not report "up to date" over it but rebuilds, `--full` always works."""
    gen = _generation(indexed)
    for f in (gen / "shard").rglob("*"):
        if f.is_file() and f.suffix in (".dat", ".mmap"):
            f.write_bytes(b"")
    code, out, err = rbh(["ask", "--repo", str(indexed.root), "--no-cache", "redis memory usage"])
    assert (code, out) == (2, "") and "is damaged (" in err and "run 'rbh index --full'" in err
    assert "No runbook matches" not in out + err
    code, out, err = rbh(["index", "--repo", str(indexed.root)])
    assert code == 0 and "up to date" not in out and "full rebuild" in out and "rebuilding it" in err
    code, out, _ = rbh(["ask", "--repo", str(indexed.root), "--no-cache", "--json", "redis memory usage close to maxmemory eviction"])
    assert code == 0 and json.loads(out)["results"][0]["path"] == "runbooks/redis.md"


@pytest.mark.parametrize("garbage", ["{not json", '{"generation": "../../etc"}', '{"generation": "edge-9-missing"}'])
def test_redteam_unreadable_pointer_is_damage_and_full_rebuild_works(indexed, rbh, garbage):
    (_store(indexed) / "PUBLISHED").write_text(garbage)
    code, out, err = rbh(["ask", "--repo", str(indexed.root), "--no-cache", "redis memory usage"])
    assert (code, out) == (2, "") and ("is damaged" in err or "run 'rbh index --full'" in err)
    code, out, err = rbh(["index", "--repo", str(indexed.root), "--full"])
    assert code == 0 and "full rebuild" in out
    assert rbh(["ask", "--repo", str(indexed.root), "--no-cache", "redis memory usage"])[0] == 0


def test_redteam_empty_index_is_not_a_confident_no_match(make_repo, rbh):
    repo = make_repo({"docs/notes.txt": "not a runbook", ".gitignore": ".rbh/\n"})
    code, _, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 0 and "the index is empty" in err
    code, out, err = rbh(["ask", "--repo", str(repo.root), "--no-cache", "redis memory"])
    assert (code, out) == (2, "") and "is empty: the commit it was built from has no runbook text under the runbook globs" in err and "rbh index --full" in err
