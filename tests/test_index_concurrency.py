"""Readers while ``rbh index`` runs in another process: every answer comes from a complete index."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from rbh.indexer.store import open_store
from rbh.indexer.sync import sync
from rbh.project import load_project

RUNBOOK = "---\ntitle: Service {n}\nservice: svc{n}\n---\n# Service {n}\n\n## Symptoms\n\nsvc{n} errors rise.\n\n## Mitigation\n\nRestart svc{n}.\n"


def test_readers_during_an_index_run_in_another_process_see_old_or_new_never_partial(make_repo):
    repo = make_repo({f"runbooks/svc{n}.md": RUNBOOK.format(n=n) for n in range(40)})
    project = load_project(repo.root)
    assert sync(project).chunks_total == 80
    for n in range(0, 40, 2):
        repo.delete(f"runbooks/svc{n}.md")  # 20 runbooks go: 80 -> 40 chunks ...
    for n in range(100, 110):
        repo.write(f"runbooks/svc{n}.md", RUNBOOK.format(n=n))  # ... and 10 arrive: 60 chunks in the end
    repo.commit("reorganise")

    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with open_store(project) as store:
                    seen.append((store.state.chunks, store.count()))
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    code = ("import sys; from rbh.project import load_project; from indexer.sync import sync; "
            f"r = sync(load_project({str(repo.root)!r})); print(r.mode, r.chunks_total)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["incremental", "60"]
    assert errors == []
    assert len(seen) >= 3
    assert set(seen) <= {(80, 80), (60, 60)}  # the recorded state always matches the content served
    with open_store(project) as store:
        assert store.count() == 60


def test_second_rbh_index_process_gets_the_one_line_in_use_error(make_repo):
    """Two indexers at once: the one that comes second (a real `rbh index` process) is refused in one line."""
    from conftest import run_rbh_subprocess
    from rbh.indexer.pipelines import IndexSettings
    from rbh.indexer.store import StoreWriter, store_settings

    repo = make_repo({f"runbooks/svc{n}.md": RUNBOOK.format(n=n) for n in range(3)})
    project = load_project(repo.root)
    sync(project)
    with StoreWriter(store_settings(project), IndexSettings.from_project(project).dim):
        proc = run_rbh_subprocess(["index", "--repo", str(repo.root)])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (f"rbh: error: index at {repo.root / '.rbh' / 'qdrant'} is in use by another rbh process "
                                   f"(pid {__import__('os').getpid()})")
