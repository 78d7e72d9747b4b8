"""Issue 10, input side: hostile repository content cannot hang rbh or crash it, and git runs safely.

Each ``test_redteam_*`` test is named after a finding of the red-team pass and listed in the
reliability table of ``bench/README.md``; they run against real components (real git repositories in
temp folders, the real store through ``rbh index``/``rbh ask``, a real loopback HTTP git server).
Every case of the pathological corpus (``tests/data/pathological.yaml``) runs under a generous hang
guard: a guard against hangs, not a speed assertion (speed is measured by ``bench/pathological.py``).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import stat
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ask_support import cli, index, make_shop
from conftest import PROJECT_ROOT
from pathological import load_cases, run_case

HANG_GUARD_SECONDS = 60
NON_UTF8_NAME = b"runbooks/caf\xe9.md"
SHOWN_NAME = "runbooks/caf\\xe9.md"  # as rbh names it: the byte that is not UTF-8 escaped
ADJACENT = "".join("{{ $labels.l%d }}" % i for i in range(7))

HOSTILE_RULES = f"""\
groups:
  - name: hostile
    rules:
      - alert: DiskAlmostFull
        expr: node_filesystem_avail_bytes < 1
        annotations:
          summary: "Disk {ADJACENT} on this node is almost full"
          runbook_url: https://runbooks.example.test/postgres/#disk-almost-full
"""
BOMB_LEVELS = "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefgh", "bcdefghi"))
BOMB_FRONT_MATTER = "---\na: &a [" + ",".join(['"lol"'] * 10) + "]\n" + BOMB_LEVELS + "---\n# Bomb\n\n## Steps\n\nRestart the bomb pods.\n"
SURROGATE = '---\ntitle: "Caf\\ud800"\nowner: team-a\nalerts: [RedisEvictions]\n---\n# Surrogate\n\n## Steps\n\nRestart the cache.\n'
ODD_NAMED = "# Odd\n\n## Steps\n\nRestart the odd pods.\n"


def within_guard(fn, *args, seconds: float = HANG_GUARD_SECONDS):
    """``fn(*args)`` in a thread; fails the test if it is still running after *seconds* (a hang)."""
    result: dict = {}
    done = threading.Event()

    def target():
        try:
            result["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            result["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, daemon=True).start()
    if not done.wait(seconds):
        pytest.fail(f"still running after {seconds} s: a hang (the guard is generous, not a speed limit)")
    if "error" in result:
        raise result["error"]
    return result["value"]


def check_json(root: Path, *args: str) -> dict:
    code, out, err = cli(["check", "--repo", str(root), "--format", "json", "--fail-on", "never", *args])
    assert code == 0 and "Traceback" not in err, err
    return json.loads(out)


def commit_all(root: Path, message: str = "hostile") -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hostile_shop(tmp_path_factory) -> Path:
    """The shop of the ask tests plus hostile content: adjacent templates in an alert, a front-matter
    alias bomb, a lone surrogate, a file name that is not UTF-8 and one with a control character;
    committed and indexed."""
    root = make_shop(tmp_path_factory.mktemp("hostile") / "shop", {
        "manifests/prometheus/hostile.yaml": HOSTILE_RULES,
        "runbooks/bomb.md": BOMB_FRONT_MATTER,
        "runbooks/surrogate.md": SURROGATE,
    })
    with open(os.path.join(os.fsencode(root), NON_UTF8_NAME), "wb") as fh:
        fh.write(ODD_NAMED.encode())
    (root / "runbooks" / "bell\x07.md").write_text(ODD_NAMED, encoding="utf-8")
    commit_all(root)
    index(root)
    return root


# ------------------------------------------------------------------ the corpus under the hang guard

EXPECTED = {  # what the components make of a case (beyond finishing)
    "billion-laughs-manifest": ("problems", "alias bomb"),
    "front-matter-alias-bomb": ("problems", "alias bomb"),
    "front-matter-deep": ("problems", "nesting depth"),
    "front-matter-lone-surrogate": ("problems", "lone surrogate"),
    "deep-yaml": ("problems", "nesting depth"),
    "config-alias-bomb": ("error", "nodes once aliases are expanded"),
}


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c.name)
def test_pathological_corpus(case):
    result = within_guard(run_case, case)
    if case.name in EXPECTED:
        key, needle = EXPECTED[case.name]
        assert needle in str(result[key]), result
    if case.kind == "alert":
        assert result["matches"] == 0  # the hostile query does not match: the fail path is the slow one


# ------------------------------------------------------------------ hangs


def test_redteam_adjacent_templates_linear(hostile_shop):
    """7 adjacent {{ }} templates: a non-matching alert text returns (was exponential: 137 s at 5);
    the rendered text still resolves to the alert's runbook."""
    miss = "Disk " + "x" * 3000 + " on that node is almost full"
    code, out, err = within_guard(cli, ["ask", "--repo", str(hostile_shop), "--json", miss])
    assert code == 0, err
    assert json.loads(out)["alert_matches"] == []
    hit = "Disk sda1 on this node is almost full"
    code, out, err = within_guard(cli, ["ask", "--repo", str(hostile_shop), "--json", hit])
    assert code == 0, err
    assert [(m["alert"], m["path"], m["matched_on"]) for m in json.loads(out)["alert_matches"]] == [
        ("DiskAlmostFull", "runbooks/postgres.md", "summary")]


def test_redteam_front_matter_alias_bomb(hostile_shop):
    """A billion-laughs front matter is RBH001 (bounded loader), and every other runbook is checked."""
    report = within_guard(check_json, hostile_shop)
    bomb = [(f["rule"], f["line"]) for f in report["findings"] if f["path"] == "runbooks/bomb.md"]
    assert bomb == [("RBH001", 1)]
    message = next(f["message"] for f in report["findings"] if f["path"] == "runbooks/bomb.md")
    assert "alias bomb" in message
    assert report["summary"]["runbooks_checked"] == 8


def test_redteam_helm_detection_linear(make_repo, rbh):
    """A 160 KB manifest of unclosed '{{ a ' (80 KB took 50 s through the old quadratic regex) is read
    in bounded time and not taken for a chart; a real chart is still recognised, at its line."""
    from rbh.checks.sources._yaml import looks_like_helm_template

    hostile = "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata:\n  a: \"" + "{{ a " * 32_000 + "\"\n"
    assert within_guard(looks_like_helm_template, hostile) is None
    chart = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    assert looks_like_helm_template(chart) == 4
    repo = make_repo({"runbooks/a.md": ODD_NAMED, "manifests/hostile.yaml": hostile, "manifests/chart.yaml": chart})
    code, out, err = within_guard(rbh, ["check", "--repo", str(repo.root), "--format", "json", "--fail-on", "never"])
    assert code == 0, err
    located = {(f["path"], f["line"]) for f in json.loads(out)["findings"] if f["rule"] == "RBH002"}
    assert ("manifests/chart.yaml", 4) in located and not any(p == "manifests/hostile.yaml" for p, _ in located)


# ------------------------------------------------------------------ odd input: findings, not crashes


def test_redteam_non_utf8_filename_is_rbh001(hostile_shop):
    """A file name that is not UTF-8 is RBH001 with the name escaped, in every format; the other
    runbooks are checked, indexed and answered."""
    report = check_json(hostile_shop)
    odd = [(f["rule"], f["severity"], f["message"]) for f in report["findings"] if f["path"] == SHOWN_NAME]
    assert odd == [("RBH001", "warning", "file name is not valid UTF-8 (shown with \\xNN escapes): not read; rename the file")]
    for fmt in ("sarif", "gitlab"):
        code, out, err = cli(["check", "--repo", str(hostile_shop), "--format", fmt, "--fail-on", "never"])
        assert code == 0, err
        json.loads(out)
        assert "caf" in out and "xe9" in out  # valid JSON naming the file (escaped; SARIF may also percent-encode)
    code, out, err = cli(["check", "--repo", str(hostile_shop), "--format", "text", "--fail-on", "never"])
    assert code == 0 and f"{SHOWN_NAME}:1:1" in out
    # named on the command line (argv bytes arrive as surrogates): the same finding
    code, out, err = cli(["check", "--repo", str(hostile_shop), "--fail-on", "never", os.fsdecode(NON_UTF8_NAME)])
    assert code == 0 and out.startswith(f"{SHOWN_NAME}:1:1  warning  RBH001"), out + err
    code, out, err = cli(["index", "--repo", str(hostile_shop)])
    assert code == 0 and "up to date" in out, err
    code, out, err = cli(["ask", "--repo", str(hostile_shop), "--json", "restart the odd pods"])
    assert code == 0, err
    paths = [r["path"] for r in json.loads(out)["results"]]
    assert "runbooks/bell\x07.md" in paths and SHOWN_NAME not in paths  # the readable twin is indexed


def test_redteam_lone_surrogate_front_matter(hostile_shop):
    """A "\\ud800" escape in front matter is RBH001 at its line; the rest of the front matter is kept
    (its alert still links the runbook) and no output format crashes."""
    report = check_json(hostile_shop)
    found = [(f["rule"], f["line"]) for f in report["findings"] if f["path"] == "runbooks/surrogate.md"]
    assert found == [("RBH001", 2)]
    for fmt in ("text", "json", "sarif", "gitlab", "junit", "github"):
        code, out, err = cli(["check", "--repo", str(hostile_shop), "--format", fmt, "--fail-on", "never"])
        assert code == 0 and "Traceback" not in err, (fmt, err)
        out.encode("utf-8")  # every character encodable
    code, out, err = cli(["ask", "--repo", str(hostile_shop), "--json", "RedisEvictions"])
    assert code == 0, err
    assert "runbooks/surrogate.md" in {m["path"] for m in json.loads(out)["alert_matches"]}


def test_redteam_junit_valid_xml_with_odd_names(hostile_shop):
    """JUnit stays well-formed XML with a non-UTF-8 name and a control character in a name."""
    code, out, err = cli(["check", "--repo", str(hostile_shop), "--format", "junit", "--fail-on", "never"])
    assert code == 0, err
    suites = {s.get("name") for s in ET.fromstring(out.encode("utf-8")).iter("testsuite")}
    assert SHOWN_NAME in suites and "runbooks/surrogate.md" in suites


def test_redteam_alert_json_bad_input_exit_2(hostile_shop, tmp_path):
    """Bad --alert-json input is a one-line usage error (exit 2), never an unexpected error (exit 3)."""
    bad = {
        "latin1.json": b'{"alerts": [{"labels": {"alertname": "caf\xe9"}}]}',
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
        "broken.json": b"{not json",
        "empty.json": b"",
        "no-alerts.json": b'{"alerts": 5}',
    }
    expected = {
        "latin1.json": "rbh: error: --alert-json: not valid UTF-8 (byte 0xe9 at offset 41)",
        "deep.json": "rbh: error: --alert-json: nested too deeply to be an Alertmanager payload",
        "broken.json": "rbh: error: --alert-json: not valid JSON (line 1: Expecting property name enclosed in double quotes)",
        "empty.json": "rbh: error: --alert-json: not valid JSON (line 1: Expecting value)",
        "no-alerts.json": "rbh: error: --alert-json: no alerts found (expected an Alertmanager webhook payload with 'alerts')",
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        code, out, err = cli(["ask", "--repo", str(hostile_shop), "--alert-json", str(tmp_path / name)])
        assert (code, err.strip()) == (2, expected[name]), name
    # lone surrogates are legal JSON: repaired, and the payload is answered
    good = json.dumps({"alerts": [{"labels": {"alertname": "RedisEvictions"}, "annotations": {"summary": "\ud800"}}]})
    (tmp_path / "surrogate.json").write_text(good, encoding="ascii")
    code, out, err = cli(["ask", "--repo", str(hostile_shop), "--alert-json", str(tmp_path / "surrogate.json")])
    assert code == 0, err


# ------------------------------------------------------------------ git


def _fsmonitor_repo(make_repo, tmp_path: Path):
    """A repository whose local config names a core.fsmonitor hook that writes a marker file."""
    marker = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "fsmonitor-hook.sh"
    hook.write_text(f"#!/bin/sh\necho ran >> '{marker}'\nexit 1\n", encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    repo = make_repo({"runbooks/a.md": ODD_NAMED, "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
                      "mkdocs.yml": ("site_name: Runbooks\ndocs_dir: runbooks\ntheme:\n  name: material\n"
                                     f"  custom_dir: {PROJECT_ROOT / 'site' / 'overrides'}\nplugins:\n  - rbh-health\n")})
    with repo.repo.config_writer() as cw:
        cw.set_value("core", "fsmonitor", str(hook))
    (repo.root / "runbooks" / "a.md").write_text(ODD_NAMED + "\nMore.\n", encoding="utf-8")  # a dirty work tree
    return repo, marker


def test_redteam_fsmonitor_not_run(make_repo, tmp_path, rbh):
    """core.fsmonitor set by the repository's config never runs: not in --changed-since, not in the
    index of the work tree, not in the MkDocs plugin's dirty check (real mkdocs build)."""
    from conftest import build_site

    repo, marker = _fsmonitor_repo(make_repo, tmp_path)
    subprocess.run(["git", "status", "--porcelain"], cwd=repo.root, capture_output=True)
    assert marker.exists(), "the hook must run for plain git, or this test proves nothing"
    marker.unlink()
    code, out, err = rbh(["check", "--repo", str(repo.root), "--changed-since", "HEAD", "--fail-on", "never"])
    assert code == 0, err
    assert not marker.exists(), "rbh check --changed-since ran the fsmonitor hook"
    code, out, err = rbh(["index", "--repo", str(repo.root), "--worktree", "-q"])
    assert code == 0, err
    assert not marker.exists(), "rbh index --worktree ran the fsmonitor hook"
    site = build_site(repo.root, strict=False)
    assert site.returncode == 0, site.log
    assert "plus uncommitted changes" in (repo.root / "build" / "site" / "a" / "index.html").read_text(encoding="utf-8")
    assert not marker.exists(), "the MkDocs plugin's dirty check ran the fsmonitor hook"


def test_redteam_source_error_has_git_message(make_repo, rbh, tmp_path):
    """--source failures carry git's own reason (GitPython's wrapper left a lone quote)."""
    repo = make_repo({"runbooks/a.md": ODD_NAMED})
    missing = tmp_path / "no-such-repo"
    code, out, err = rbh(["index", "--repo", str(repo.root), "--source", f"file://{missing}"])
    assert code == 2
    assert err.strip() == (f"rbh: error: cannot fetch runbooks from file://{missing}: "
                           f"fatal: '{missing}' does not appear to be a git repository")


class _AuthGitServer(http.server.SimpleHTTPRequestHandler):
    """Serves a bare repository over git's dumb HTTP protocol, behind HTTP basic auth."""

    expected = ""
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        auth = self.headers.get("Authorization", "")
        type(self).seen.append(auth)
        if auth != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def test_redteam_url_credentials_not_on_disk(make_repo, rbh, tmp_path):
    """user:password in a --source URL authenticate (through git's credential mechanism), and appear
    in no file rbh writes (clone config, store, caches) nor in its output."""
    user, password = "indexer", "s3cret-Pa55word"
    source = make_repo({"runbooks/remote.md": "# Remote\n\n## Steps\n\nRestart the remote pods.\n"})
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(source.root), str(served / "runbooks.git")], check=True)
    subprocess.run(["git", "update-server-info"], cwd=served / "runbooks.git", check=True)
    handler = type("Handler", (_AuthGitServer,), {"expected": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(), "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        project = make_repo({"rbh.yaml": "runbooks:\n  include: ['runbooks/**/*.md']\n"})
        url = f"http://{user}:{password}@127.0.0.1:{server.server_address[1]}/runbooks.git"
        code, out, err = rbh(["index", "--repo", str(project.root), "--source", url])
        assert code == 0, err
        assert handler.expected in handler.seen  # the credentials did reach the server
        assert password not in out + err
        code, out, err = rbh(["index", "--repo", str(project.root), "--source", url])  # fetch into the cache
        assert code == 0 and password not in out + err, err
    finally:
        server.shutdown()
    leaks = []
    for dirpath, _, names in os.walk(project.root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                if password.encode() in fh.read():
                    leaks.append(os.path.join(dirpath, name))
    assert leaks == []


def test_a_symlinked_mkdocs_yml_is_not_read_for_anchors_or_titles(tmp_path):
    """mkdocs.yml linked to a file outside the repository configures nothing: anchors, page titles
    and the index's site signature come from the repository's own files only."""
    from rbh.anchors import NOT_MKDOCS, mkdocs_nav_titles, site_signature, slugger_for

    outside = tmp_path / "outside.yml"
    outside.write_text("site_name: x\nnav:\n  - Secret title: a.md\nmarkdown_extensions:\n  - toc:\n      separator: _\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    before = site_signature(repo)
    (repo / "mkdocs.yml").symlink_to(outside)
    assert slugger_for(repo) == NOT_MKDOCS and slugger_for(repo)("Two words") == "two-words"
    assert mkdocs_nav_titles(repo) == {}
    assert site_signature(repo) == before
