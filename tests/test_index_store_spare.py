"""The embedded store's spare generation (``indexer.store.edge``): the generation that publishing
replaces is kept and recycled by the next incremental run, which rewrites only the files that differ
from the serving one. Real git repositories, the real Qdrant Edge store, the real indexer."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest

from rbh.indexer.store import open_store
from rbh.indexer.store.edge import POINTER, SHARD
from rbh.indexer.store.shardfiles import mirror_shard
from rbh.indexer.sync import sync
from rbh.project import load_project

from test_index_sync import FILES, runbook


def _serving(root: Path) -> str:
    return json.loads((root / POINTER).read_text())["generation"]


def _generations(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("edge-*"))


def _contents(project) -> dict[str, tuple]:
    with open_store(project) as store:
        return {r.id: (r.payload["meta"]["path"], r.payload["meta"]["chunk_index"], r.payload["content"]) for r in store.scroll()}


def test_incremental_runs_recycle_the_replaced_generation_and_match_a_rebuild(make_repo, caplog):
    caplog.set_level(logging.DEBUG, logger="rbh.indexer.store.edge")
    repo = make_repo(FILES)
    project = load_project(repo.root)
    root = project.root / ".rbh" / "qdrant"
    assert sync(project).mode == "full"
    edits = [
        lambda: repo.write("runbooks/kafka.md", FILES["runbooks/kafka.md"] + "\n## Rebalance\n\nTrigger a rebalance.\n"),
        lambda: repo.write("runbooks/etcd.md", runbook("Etcd quorum", "etcd", "EtcdNoLeader", "etcd has no leader")),
        lambda: repo.delete("runbooks/redis.md"),
        lambda: repo.write("runbooks/checkout.md", FILES["runbooks/checkout.md"].replace("two seconds", "three seconds")),
    ]
    previous = _serving(root)
    for i, edit in enumerate(edits):
        edit()
        repo.commit(f"edit {i}")
        spare = [g for g in _generations(root) if g != previous]
        files = sum(1 for p in (root / previous / SHARD).rglob("*") if p.is_file())
        caplog.clear()
        assert sync(project).mode == "incremental"
        serving = _serving(root)
        # serving + the generation it replaced, nothing else
        assert _generations(root) == sorted([serving, previous])
        made = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"generation {serving}:")]
        if not spare:  # the first incremental run: nothing to recycle yet
            assert made == [f"generation {serving}: a copy of {previous}"]
        else:  # the spare was renamed into the new generation, and only part of it rewritten
            assert not (root / spare[0]).exists() and len(made) == 1, made
            rewritten = re.fullmatch(rf"generation {serving}: the spare {spare[0]}, (\d+) files rewritten from {previous}", made[0])
            assert rewritten and 0 < int(rewritten.group(1)) < files, (made, files)
        previous = serving
    incremental = _contents(project)
    assert {path for path, _, _ in incremental.values()} == {"runbooks/checkout.md", "runbooks/payments.md",
                                                             "runbooks/kafka.md", "runbooks/etcd.md"}
    assert any("three seconds" in text for _, _, text in incremental.values())
    assert sync(project, full=True).mode == "full"
    assert _contents(project) == incremental  # what the spare became holds exactly what a rebuild holds


@pytest.fixture
def with_spare(make_repo):
    """A repository indexed twice: a serving generation and its spare."""
    repo = make_repo(FILES)
    project = load_project(repo.root)
    root = project.root / ".rbh" / "qdrant"
    sync(project)
    repo.write("runbooks/kafka.md", FILES["runbooks/kafka.md"] + "\nMore.\n")
    repo.commit("more")
    assert sync(project).mode == "incremental" and len(_generations(root)) == 2
    return repo, project, root


def test_a_spare_a_reader_holds_is_left_alone(with_spare):
    repo, project, root = with_spare
    first = _serving(root)
    reader = open_store(project)  # a long-lived reader (rbh serve) on the serving generation
    assert reader.collection == first
    for n in range(2):
        repo.write("runbooks/kafka.md", FILES["runbooks/kafka.md"] + "\nMore.\n" * (n + 2))
        repo.commit(f"more {n}")
        assert sync(project).mode == "incremental"
        # the reader's generation is never recycled nor removed while it reads
        assert (root / first).is_dir() and reader.count() == 12 and reader.collection == first != _serving(root)
    assert len(_generations(root)) == 3  # serving, its spare, and the reader's
    reader.close()
    repo.write("runbooks/kafka.md", FILES["runbooks/kafka.md"] + "\nLess.\n")
    repo.commit("less")
    before = _serving(root)
    sync(project)
    assert not (root / first).exists() and _generations(root) == sorted([_serving(root), before])


def test_a_spare_forged_to_look_unchanged_is_copied_whole(with_spare):
    """A file whose size and time match the serving one's is trusted by the mirror. If the recycled
    generation does not load, the run copies the serving one whole: still incremental, no rebuild."""
    repo, project, root = with_spare
    serving, spare = root / _serving(root), next(root / g for g in _generations(root) if g != _serving(root))
    forged = 0
    for src in (serving / SHARD).rglob("segment.json"):
        dest = spare / SHARD / src.relative_to(serving / SHARD)
        if dest.is_file():
            dest.write_bytes(b"{" * src.stat().st_size)
            os.utime(dest, ns=(src.stat().st_atime_ns, src.stat().st_mtime_ns))
            forged += 1
    assert forged
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nEvict.\n")
    repo.commit("evict")
    report = sync(project)
    assert report.mode == "incremental" and report.warnings == []
    assert sum(1 for path, _, _ in _contents(project).values() if path == "runbooks/redis.md") == 3


def test_mirror_rewrites_what_differs_and_never_follows_a_link(tmp_path):
    src, dest, outside = tmp_path / "src", tmp_path / "dest", tmp_path / "outside.txt"
    (src / "seg").mkdir(parents=True)
    (src / "same.dat").write_bytes(b"a" * 100)
    (src / "changed.dat").write_bytes(b"new")
    (src / "seg" / "data").write_bytes(b"x" * 10)
    (src / "was-a-file").mkdir()
    (src / "whole-second.dat").write_bytes(b"s")
    os.utime(src / "whole-second.dat", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    (src / "same.dat").touch()
    os.utime(src / "same.dat", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    dest.mkdir()
    outside.write_text("not mine")
    (dest / "same.dat").write_bytes(b"a" * 100)
    os.utime(dest / "same.dat", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    (dest / "changed.dat").write_bytes(b"old")  # same size, another time
    (dest / "was-a-file").write_text("file")
    (dest / "whole-second.dat").write_bytes(b"t")  # same size and time, but times are whole seconds
    os.utime(dest / "whole-second.dat", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    (dest / "extra").mkdir()
    (dest / "extra" / "junk").write_text("junk")
    (dest / "seg").mkdir()
    (dest / "seg" / "link").symlink_to(outside)
    (dest / "seg" / "data").symlink_to(outside)  # a link where the source has a file: replaced, target untouched
    same_inode = (dest / "same.dat").stat().st_ino
    copied = mirror_shard(src, dest)
    assert copied == 3  # changed.dat, seg/data, whole-second.dat
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == [
        "changed.dat", "same.dat", "seg", "seg/data", "was-a-file", "whole-second.dat"]
    assert (dest / "same.dat").stat().st_ino == same_inode
    assert (dest / "changed.dat").read_bytes() == b"new" and (dest / "whole-second.dat").read_bytes() == b"s"
    assert not (dest / "seg" / "data").is_symlink() and (dest / "seg" / "data").read_bytes() == b"x" * 10
    assert (dest / "was-a-file").is_dir() and outside.read_text() == "not mine"


def test_status_shows_the_serving_size_and_what_the_spare_adds(with_spare, rbh):
    repo, project, root = with_spare
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--status"])
    size_line = next(line for line in out.splitlines() if line.startswith("size:"))
    match = re.fullmatch(r"size:        ([\d.]+) MB \(([\d.]+) MB on disk with the spare copy the next 'rbh index' updates\)", size_line)
    assert code == 0 and match, size_line

    def megabytes(gen: Path) -> float:
        return sum(f.stat().st_blocks * 512 for f in gen.rglob("*") if f.is_file()) / 1e6

    serving = megabytes(root / _serving(root))
    assert float(match.group(1)) == round(serving, 1)
    assert float(match.group(2)) == round(serving + sum(megabytes(root / g) for g in _generations(root) if g != _serving(root)), 1)


def test_a_run_killed_while_writing_into_the_recycled_spare_leaves_the_index_serving(with_spare, monkeypatch):
    from rbh.indexer.components import writer as writer_module

    repo, project, root = with_spare
    live, before = _serving(root), _contents(project)
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\n## Failover\n\nPromote the replica.\n")
    repo.commit("failover")
    real = writer_module.to_record

    def dying(doc):
        raise KeyboardInterrupt("killed")

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(writer_module, "to_record", dying)
        sync(project)
    assert writer_module.to_record is real
    assert _serving(root) == live and _contents(project) == before  # the spare was written into, not the index
    assert _generations(root) == [live]  # the half-written spare is gone; the next run copies
    report = sync(project)
    assert report.mode == "incremental" and _serving(root) != live
    assert sum(1 for path, _, _ in _contents(project).values() if path == "runbooks/redis.md") == 4
