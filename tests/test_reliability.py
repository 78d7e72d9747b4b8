"""Issue 7: hostile and broken input through BOTH ``rbh check`` and ``rbh index``, git layouts the
other test files leave out, a Qdrant server that accepts and never answers, and API keys in ``-vv``
logs. Each test names the input it proves in the table of ``bench/README.md``
("Reliability and security (issue 7)"); items proved elsewhere are referenced there, not repeated.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter

import pytest

from rbh.checks.sources._yaml import MAX_MANIFEST_BYTES
from rbh.indexer.store.document_store import RbhDocumentStore

GITIGNORE = ".rbh/\n"  # the index lives in the work tree; the fixtures commit with `git add -A`


def runbook(title: str, service: str) -> str:
    return (f"---\ntitle: {title}\nservice: {service}\n---\n# {title}\n\n## Steps\n\n"
            f"Restart the {service} pods when {service} latency is high.\n\n"
            f"```bash\nkubectl -n shop get pods -l app={service}\n```\n")


GOOD = {
    ".gitignore": GITIGNORE,
    "runbooks/checkout.md": runbook("Checkout latency", "checkout"),
    "runbooks/payments.md": runbook("Payments errors", "payments"),
}
SECRET_VALUE = "hunter2-do-not-print-me"
SECRET_B64 = "aHVudGVyMi1kby1ub3QtcHJpbnQtbWU="
HUGE_RUNBOOK_BYTES = 20 * 1024 * 1024

BAD_RUNBOOKS: dict[str, str | bytes] = {
    "runbooks/broken-front-matter.md": "---\ntitle: [unclosed\n---\n# Broken\n\n## Steps\n\nDo it.\n",
    "runbooks/wrong-type.md": "---\ntitle: Wrong\nlast_reviewed: soon\n---\n# Wrong\n\n## Steps\n\nDo it.\n",
    "runbooks/latin1.md": "# Caf\xe9\n\n## Steps\n\nCaf\xe9 au lait.\n".encode("latin-1"),
    "runbooks/binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "runbooks/huge.md": b"# Huge\n\n" + b"filler text\n" * (HUGE_RUNBOOK_BYTES // 12),
    "runbooks/long-line.md": "# Long\n\n" + "x" * 1_000_000 + "\n",
    "runbooks/nested.md": "# Nested\n\n" + "".join("  " * i + "- item\n" for i in range(400)),
    "runbooks/fence.md": "# Fence\n\n## Steps\n\n```bash\nkubectl get pods\n",
    "runbooks/dup.md": "# Dup\n\n## Steps\n\nOne.\n\n## Steps\n\nTwo.\n\n## Steps\n\nThree.\n",
    "runbooks/links.md": "# Links\n\n## See\n\n[second](dup.md#steps_1) and [fourth](dup.md#steps_3)\n",
}
BOMB = "a: &a [" + ",".join(['"lol"'] * 10) + "]\n" + "".join(
    f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefgh", "bcdefghi")
)
BAD_MANIFESTS = {
    "manifests/invalid.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: [\n",
    "manifests/nokind.yaml": "apiVersion: v1\nmetadata: {name: orphan}\n",
    "manifests/bomb.yaml": BOMB,
    "manifests/empty.yaml": "---\n---\n",
    "manifests/huge.yaml": "# filler\n" * (MAX_MANIFEST_BYTES // 9 + 10),
    "manifests/chart.yaml": "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    "manifests/secret.yaml": ("apiVersion: v1\nkind: Secret\nmetadata: {name: db-creds, namespace: shop}\n"
                              f"data:\n  password: {SECRET_B64}\nstringData:\n  token: {SECRET_VALUE}\n"),
}


def store_paths(root) -> Counter:
    """Runbook path -> number of chunks in the serving local index (read the way readers do)."""
    from rbh.indexer.store import open_store
    from rbh.project import load_project

    with open_store(load_project(root)) as store:
        return Counter(d.meta["path"] for d in RbhDocumentStore.over_reader(store).filter_documents())


def store_anchors(root, path: str) -> list[str]:
    from rbh.indexer.store import open_store
    from rbh.project import load_project

    with open_store(load_project(root)) as store:
        return sorted(d.meta["anchor"] for d in RbhDocumentStore.over_reader(store).filter_documents() if d.meta["path"] == path)


def files_containing(root, needle: bytes) -> list[str]:
    hits = []
    for dirpath, _, names in os.walk(root / ".rbh"):
        for name in names:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as fh:
                if needle in fh.read():
                    hits.append(full)
    return hits


@pytest.fixture
def hostile_repo(make_repo):
    repo = make_repo({**GOOD, **BAD_RUNBOOKS, **BAD_MANIFESTS})
    os.symlink("/etc/passwd", repo.root / "runbooks" / "outside.md")
    os.symlink("/etc/hosts", repo.root / "manifests" / "outside.yaml")
    return repo


def test_bad_runbooks_and_manifests_through_check_and_index(hostile_repo, rbh):
    """Every bad runbook is a finding (check) and a warning (index) with file and line; the good runbooks
    are checked and indexed; symlinks out of the repository are never read; Secret values appear nowhere."""
    root = hostile_repo.root
    code, out, err = rbh(["check", "--repo", str(root), "--format", "json", "--fail-on", "error"])
    assert code == 1 and "Traceback" not in err
    report = json.loads(out)
    by_path: dict[str, list] = {}
    for f in report["findings"]:
        by_path.setdefault(f["path"], []).append((f["rule"], f["line"], f["severity"]))
    expected_runbooks = {
        "runbooks/broken-front-matter.md": [("RBH001", 2, "error")],
        "runbooks/wrong-type.md": [("RBH001", 3, "error")],
        "runbooks/latin1.md": [("RBH001", 1, "warning")],
        "runbooks/binary.md": [("RBH001", 1, "warning")],
        "runbooks/huge.md": [("RBH001", 1, "warning")],
        "runbooks/fence.md": [("RBH001", 5, "warning")],
        "runbooks/links.md": [("RBH302", 5, "error")],  # #steps_3 does not exist; #steps_1 does
    }
    for path, findings in expected_runbooks.items():
        assert by_path.pop(path) == findings, path
    assert by_path == {
        "manifests/invalid.yaml": [("RBH002", 5, "error")],
        "manifests/nokind.yaml": [("RBH002", 1, "error")],
        "manifests/bomb.yaml": [("RBH002", 1, "error")],
        "manifests/huge.yaml": [("RBH002", 1, "warning")],
        "manifests/chart.yaml": [("RBH002", 3, "warning")],
        # the good runbooks are still checked: no workload in the (broken) manifests has app=<service>
        "runbooks/checkout.md": [("RBH104", 12, "warning")],
        "runbooks/payments.md": [("RBH104", 12, "warning")],
    }  # nothing for the nested, long-line, duplicate-anchor runbooks, the empty or Secret manifests
    assert report["summary"]["runbooks_checked"] == 12  # the 12 committed runbooks; not the symlink
    assert SECRET_VALUE not in out + err and SECRET_B64 not in out + err

    code, out, err = rbh(["index", "--repo", str(root)])
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("rbh: warning: ")]
    assert [w.split(": ", 2)[2].split(": ", 1)[0] for w in warnings] == [
        "runbooks/binary.md:1", "runbooks/broken-front-matter.md:2", "runbooks/fence.md:5",
        "runbooks/huge.md:1", "runbooks/latin1.md:1", "runbooks/wrong-type.md:3"]
    assert "over the 5,000,000-byte limit: skipped" in warnings[3]
    chunks = store_paths(root)
    assert set(chunks) == {
        "runbooks/checkout.md", "runbooks/payments.md", "runbooks/broken-front-matter.md", "runbooks/wrong-type.md",
        "runbooks/latin1.md", "runbooks/long-line.md", "runbooks/nested.md", "runbooks/fence.md", "runbooks/dup.md",
        "runbooks/links.md"}  # binary and 20 MB files skipped; the symlink never followed
    assert chunks["runbooks/checkout.md"] == 1 and chunks["runbooks/long-line.md"] == 501  # 1 MB line in 2,000-char parts
    assert store_anchors(root, "runbooks/dup.md") == ["steps", "steps_1", "steps_2"]  # MkDocs' anchors
    assert files_containing(root, SECRET_VALUE.encode()) == [] and files_containing(root, b"root:x:0:0") == []

    for question in ("db-creds password token", "checkout latency is high"):
        code, out, err = rbh(["ask", "--repo", str(root), "--json", question])
        assert code == 0, err
        assert SECRET_VALUE not in out + err and SECRET_B64 not in out + err
    best = json.loads(out)["results"][0]  # the good runbooks answer among the broken ones
    assert best["path"] == "runbooks/checkout.md" and "Restart the checkout pods" in best["text"]


def test_index_outside_a_git_repository_is_a_one_line_error(tmp_path, rbh):
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "a.md").write_text(runbook("A", "a"))
    for command in ("check", "index"):
        code, out, err = rbh([command, "--repo", str(tmp_path)])
        assert (code, out) == (2, "")
        assert err.strip().splitlines() == [
            f"rbh: error: {tmp_path} is not inside a git repository (use --repo PATH or run 'git init')"]


def test_detached_head_checks_and_indexes_the_checked_out_commit(make_repo, rbh):
    repo = make_repo(GOOD)
    first = repo.repo.head.commit.hexsha
    repo.write("runbooks/redis.md", runbook("Redis memory", "redis"))
    repo.commit("redis")
    repo.repo.git.checkout("--detach", first)
    code, out, err = rbh(["check", "--repo", str(repo.root), "--format", "json"])
    assert code == 0 and json.loads(out)["summary"]["runbooks_checked"] == 2
    code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 0 and out.startswith(f"indexed {first[:8]} ")
    assert set(store_paths(repo.root)) == {"runbooks/checkout.md", "runbooks/payments.md"}


def test_submodule_contents_are_neither_checked_nor_indexed(make_repo, rbh):
    """A submodule is another repository's history: check (work tree) and index (tree at a ref) agree to
    leave it out, so the same runbooks are checked and indexed."""
    vendored = make_repo({"runbooks/vendored.md": runbook("Vendored", "vendored")})
    repo = make_repo(GOOD)
    repo.repo.git.execute(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q",
                           str(vendored.root), "runbooks/vendor"])
    repo.commit("vendor runbooks")
    assert (repo.root / "runbooks" / "vendor" / "runbooks" / "vendored.md").is_file()
    code, out, err = rbh(["check", "--repo", str(repo.root), "--format", "json"])
    assert code == 0 and json.loads(out)["summary"]["runbooks_checked"] == 2, out
    code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 0 and set(store_paths(repo.root)) == {"runbooks/checkout.md", "runbooks/payments.md"}
    code, out, err = rbh(["index", "--repo", str(repo.root), "--worktree"])
    assert code == 0 and set(store_paths(repo.root)) == {"runbooks/checkout.md", "runbooks/payments.md"}


@pytest.fixture
def silent_server():
    """A loopback TCP server that accepts connections and never answers (a hung Qdrant)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in accepted:
        conn.close()


def test_slow_qdrant_server_times_out_with_bounded_retries(make_repo, rbh, silent_server):
    repo = make_repo({**GOOD, "rbh.yaml": "store:\n  timeout: 1\n  retries: 1\n"})
    for args in (["index"], ["index", "--status"], ["ask", "restart checkout"]):
        start = time.monotonic()
        code, out, err = rbh([*args, "--repo", str(repo.root), "--qdrant-url", f"http://{silent_server}"])
        elapsed = time.monotonic() - start
        assert (code, out) == (2, ""), (args, err)
        assert err.strip().splitlines() == [
            f"rbh: error: cannot reach Qdrant at http://{silent_server} after 2 attempt(s): timed out"], args
        assert elapsed < 60, (args, elapsed)  # a hang check, not a performance target


def test_api_keys_never_reach_errors_or_debug_logs(make_repo, silent_server):
    """``-vv`` logs and the error never show the key from the environment."""
    from conftest import run_rbh_subprocess

    key = "rbh-test-key-0123456789abcdef"
    repo = make_repo({**GOOD, "rbh.yaml": "store:\n  timeout: 1\n  retries: 1\n"})
    runs = [(["-vv", "index"], {}), (["-vv", "ask", "restart checkout"], {})]
    for args, env in runs:
        proc = run_rbh_subprocess([*args, "--repo", str(repo.root), "--qdrant-url", f"http://{silent_server}"],
                                  env={"RBH_QDRANT_API_KEY": key, **env}, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert key not in proc.stdout + proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith(f"rbh: error: cannot reach Qdrant at http://{silent_server}")


def test_index_killed_with_sigkill_mid_write_keeps_serving_and_the_next_run_repairs(make_repo):
    """A real ``kill -9`` of ``rbh index`` while it writes a new generation (not an exception inside it):
    readers keep getting the previous complete index, and the next run sweeps the half-written one."""
    import signal
    import subprocess
    import sys

    from conftest import run_rbh_subprocess

    files = {".gitignore": GITIGNORE, **{f"runbooks/svc{n}.md": runbook(f"Service {n}", f"svc{n}") for n in range(60)}}
    repo = make_repo(files)
    assert run_rbh_subprocess(["index", "--repo", str(repo.root)]).returncode == 0
    store = repo.root / ".rbh" / "qdrant"
    served = {p.name for p in store.iterdir()}
    for n in range(30):
        repo.delete(f"runbooks/svc{n}.md")
    repo.commit("retire half of the services")

    exe = os.path.join(os.path.dirname(sys.executable), "rbh")
    proc = subprocess.Popen([exe, "index", "--full", "--repo", str(repo.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if {p.name for p in store.iterdir()} - served - {"writer.lock", "leases"}:
            break  # a new generation folder exists: the writer is mid-way
        time.sleep(0.005)
    killed_mid_write = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert killed_mid_write, "the indexer finished before a new generation appeared"
    assert len(store_paths(repo.root)) == 60  # the previous complete index still answers
    leftovers = {p.name for p in store.iterdir()} - served - {"leases"}  # leases: the readers just above
    assert leftovers, "the killed run left nothing behind to repair"

    again = run_rbh_subprocess(["index", "--repo", str(repo.root)])
    assert again.returncode == 0, again.stderr
    assert len(store_paths(repo.root)) == 30
    assert {p.name for p in store.iterdir()} & leftovers <= {"writer.lock"}  # the half-written generation is gone


def test_the_local_index_and_caches_never_show_up_in_git_status(make_repo, rbh):
    """A repository that does not ignore ``.rbh/``: `git add -A` must not commit the index, and checking
    out another commit must not delete it."""
    repo = make_repo({k: v for k, v in GOOD.items() if k != ".gitignore"})
    assert rbh(["index", "--repo", str(repo.root)])[0] == 0
    assert rbh(["ask", "--repo", str(repo.root), "checkout latency is high"])[0] == 0
    assert (repo.root / ".rbh" / "ask-cache.json").is_file()
    assert repo.repo.git.status("--porcelain", "--untracked-files=all") == ""
