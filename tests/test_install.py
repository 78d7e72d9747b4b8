"""Installs as a user gets them: the built wheel in clean venvs, outside the repository.

These tests build the wheel from a copy of the project's tracked files, create real venvs and run
pip (from the package index, with pip's cache), so they take a minute or two; they are what tells
us that `pip install runbook-health` and the CI integrations work as documented.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT, copy_example

pytestmark = pytest.mark.slow

CORE_LIMIT_MB = 150
PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RBH_", "VIRTUAL_ENV", "PYTHONPATH"))}
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\nstdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}")
    return proc


def _clean_copy(dest: Path) -> Path:
    """The project's tracked files (what a clean clone has), without .venv, .rbh or build output."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = PROJECT_ROOT / rel
        if not src.is_file():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def _venv(path: Path) -> Path:
    _run([sys.executable, "-m", "venv", str(path)], cwd=path.parent)
    return path / "bin"


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = _clean_copy(work / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(src)], cwd=work)
    (built,) = (work / "dist").glob("runbook_health-*.whl")
    return built


@pytest.fixture(scope="module")
def core_venv(wheel: Path, tmp_path_factory) -> Path:
    """A clean venv with the wheel installed and no extras."""
    bin_dir = _venv(tmp_path_factory.mktemp("core") / "venv")
    _run([str(bin_dir / "python"), *PIP, str(wheel)], cwd=wheel.parent)
    return bin_dir


def test_core_install_is_small_and_checks_the_example(core_venv: Path, tmp_path: Path):
    venv = core_venv.parent
    size = _size_mb(venv)
    assert size <= CORE_LIMIT_MB, f"core install is {size:.0f} MB"
    example = copy_example(tmp_path / "example")
    proc = _run([str(core_venv / "rbh"), "check", "--format", "text"], cwd=example)
    assert "0 errors, 0 warnings" in proc.stdout


def test_core_install_leaves_the_heavy_libraries_out(core_venv: Path, tmp_path: Path):
    probe = "import importlib.util as u; print([m for m in ('haystack', 'qdrant_client', 'wordllama', 'material') if u.find_spec(m)])"
    assert _run([str(core_venv / "python"), "-c", probe], cwd=tmp_path).stdout.strip() == "[]"


def test_ask_without_the_extra_says_what_to_install(core_venv: Path, tmp_path: Path):
    example = copy_example(tmp_path / "example")
    for command in (["ask", "checkout is slow"], ["index"], ["eval", "q.jsonl"]):
        proc = _run([str(core_venv / "rbh"), *command], cwd=example, check=False)
        assert proc.returncode == 2, proc
        assert proc.stderr.strip().splitlines() == [
            f"rbh: error: 'rbh {command[0]}' needs the 'ask' extra: pip install 'runbook-health[ask]'"
        ]
        assert proc.stdout == ""


def test_generic_top_level_names_are_not_installed(core_venv: Path, tmp_path: Path):
    for name in ("checks", "indexer"):
        proc = _run([str(core_venv / "python"), "-c", f"import {name}"], cwd=tmp_path, check=False)
        assert proc.returncode == 1 and f"No module named '{name}'" in proc.stderr
    proc = _run([str(core_venv / "python"), "-c", "import rbh.checks.cli, rbh.checks.mkdocs_plugin; print('ok')"], cwd=tmp_path)
    assert proc.stdout.strip() == "ok"


def test_version_has_one_source(core_venv: Path, tmp_path: Path):
    from rbh import __version__

    assert _run([str(core_venv / "rbh"), "--version"], cwd=tmp_path).stdout.strip() == f"rbh, version {__version__}"
    meta = _run([str(core_venv / "python"), "-c", "import importlib.metadata as m; print(m.version('runbook-health'))"], cwd=tmp_path)
    assert meta.stdout.strip() == __version__


def test_wheel_holds_what_the_checks_and_plugin_read(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every package file of the source tree that is not Python is data somebody reads at run time.
    for top, package in (("checks", "rbh/checks"), ("indexer", "rbh/indexer"), ("rbh", "rbh")):
        for src in (PROJECT_ROOT / top).rglob("*"):
            if not src.is_file() or "__pycache__" in src.parts or src.suffix == ".pyc":
                continue
            rel = src.relative_to(PROJECT_ROOT / top).as_posix()
            assert f"{package}/{rel}" in names, f"{package}/{rel} missing from the wheel"
    assert not [n for n in names if n.startswith(("checks/", "indexer/", "tests/"))]


def test_mkdocs_build_with_the_plugin_from_the_wheel(wheel: Path, tmp_path: Path):
    bin_dir = _venv(tmp_path / "venv")
    _run([str(bin_dir / "python"), *PIP, f"{wheel}[site]"], cwd=tmp_path)
    example = copy_example(tmp_path / "example")
    _run([str(bin_dir / "mkdocs"), "build", "--strict", "-q", "-d", str(tmp_path / "out")], cwd=example,
         env={"NO_MKDOCS_2_WARNING": "1"})
    assert "rbh-health" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def _step(action: dict, name: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("name") == name)


def test_github_action_install_and_check_steps_run_as_written(tmp_path: Path):
    """The action's own shell lines, with github.action_path set to a clean clone."""
    action_path = _clean_copy(tmp_path / "action")
    action = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text(encoding="utf-8"))
    bin_dir = _venv(tmp_path / "venv")
    path_env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    install = _step(action, "Install rbh")
    _run(["bash", "-e", "-c", install["run"]], cwd=tmp_path, env={**path_env, "PACKAGE": "", "ACTION_PATH": str(action_path)})

    example = copy_example(tmp_path / "workspace")
    runbook = example / "runbooks" / "services" / "checkout.md"
    runbook.write_text(runbook.read_text(encoding="utf-8").replace("deploy/checkout -c", "deploy/checkout-old -c", 1), encoding="utf-8")
    check = _step(action, "rbh check")
    output = tmp_path / "github_output"
    output.write_text("")
    proc = _run(["bash", "-e", "-c", check["run"]], cwd=tmp_path, check=False, env={
        **path_env, "RBH_REPO": str(example), "FAIL_ON": "error", "CHANGED_SINCE": "", "SARIF_FILE": str(tmp_path / "rbh.sarif"),
        "ANNOTATIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_ACTIONS": "true",
    })
    assert proc.returncode == 0, proc.stderr  # the step records the code; the "Fail on findings" step fails
    assert "exit-code=1" in output.read_text()
    assert "::error file=runbooks/services/checkout.md" in proc.stdout
    assert (tmp_path / "rbh.sarif").stat().st_size > 0


def test_gitlab_snippet_install_and_script_run_as_written(tmp_path: Path):
    snippet = yaml.safe_load((PROJECT_ROOT / "ci" / "gitlab-ci-snippet.yml").read_text(encoding="utf-8"))["rbh-check"]
    lines = [line for line in snippet["before_script"] if not line.startswith("apt-get")]  # git is on this machine
    bin_dir = _venv(tmp_path / "venv")
    path_env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    example = copy_example(tmp_path / "project")

    unset = _run(["bash", "-e", "-c", "\n".join(lines)], cwd=example, check=False, env={**path_env, "RBH_PACKAGE": ""})
    assert unset.returncode == 2 and "set RBH_PACKAGE" in unset.stderr

    source = _clean_copy(tmp_path / "rbh-src")
    _run(["bash", "-e", "-c", "\n".join(lines)], cwd=example, env={**path_env, "RBH_PACKAGE": str(source)})
    proc = _run(["bash", "-e", "-c", "\n".join(snippet["script"])], cwd=example, check=False, env=path_env)
    assert proc.returncode == 0, proc.stderr
    assert (example / "gl-code-quality-report.json").read_text().strip() == "[]"
    assert "<testsuite" in (example / "rbh-junit.xml").read_text()
