"""Shared fixtures: real git repositories in temp folders, the project's own example, CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# rbh's per-user cache (the registry of stores rbh created) goes to a temp folder, not the home folder
os.environ["RBH_CACHE_DIR"] = tempfile.mkdtemp(prefix="rbh-test-cache-")
# before any test module imports Haystack: no telemetry thread (its retries leaked into CLI output)
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "bench-data"
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))


class GitRepo:
    """A real git repository in a temp folder, written file by file and committed with GitPython."""

    def __init__(self, root: Path):
        import git

        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")
        with self.repo.config_writer() as cw:
            cw.set_value("user", "name", "Test Author")
            cw.set_value("user", "email", "test@example.com")
            cw.set_value("commit", "gpgsign", "false")

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink()

    def commit(self, message: str = "change", author: str | None = None, date: str | None = None) -> str:
        import git

        self.repo.git.add("-A")
        actor = git.Actor(author, f"{author.lower().replace(' ', '.')}@example.com") if author else None
        env = {}
        if date:
            env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        with self.repo.git.custom_environment(**env):
            if actor:
                self.repo.git.commit("-m", message, "--allow-empty", f"--author={actor.name} <{actor.email}>")
            else:
                self.repo.git.commit("-m", message, "--allow-empty")
        return self.repo.head.commit.hexsha


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty real git repository (branch main) in a temp folder."""
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., GitRepo]:
    """Factory: ``make_repo({"runbooks/a.md": "...", ...})`` -> committed GitRepo."""
    counter = {"n": 0}

    def _make(files: dict[str, str | bytes] | None = None, message: str = "initial") -> GitRepo:
        counter["n"] += 1
        repo = GitRepo(tmp_path / f"repo{counter['n']}")
        for rel, content in (files or {}).items():
            repo.write(rel, content)
        if files:
            repo.commit(message)
        return repo

    return _make


def copy_example(dest: Path) -> Path:
    """A real git clone of the project's own committed example (runbooks, manifests, rbh.yaml)."""
    import git

    git.Repo.clone_from(str(PROJECT_ROOT), str(dest))
    repo = git.Repo(dest)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Test Author")
        cw.set_value("user", "email", "test@example.com")
    return dest


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A fresh clone of this repository (the example platform), safe to modify."""
    return copy_example(tmp_path / "example")


@pytest.fixture
def drift_repo(tmp_path: Path) -> Path:
    """A clone of the example with the drift scenario committed on top (see scripts/drift.py)."""
    import drift

    dest = copy_example(tmp_path / "drift")
    drift.apply_drift(dest)
    return dest


@pytest.fixture
def rbh():
    """Run the rbh CLI in-process: ``rbh(["check", "--repo", p])`` -> (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    def _run(args: list[str], input: str | None = None, env: dict[str, str] | None = None):
        from rbh.cli import run

        runner = CliRunner()
        result = runner.invoke(_Runner(run), args, input=input, env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return _run


class _Runner:
    """Adapts ``rbh.cli.run`` (returns an exit code) to CliRunner.invoke (expects a click command)."""

    def __init__(self, run):
        self.run = run
        self.name = "rbh"

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        code = self.run(list(args or []))
        sys.exit(code)


def run_rbh_subprocess(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300):
    """Run the installed ``rbh`` console script as a separate process (the way a user does)."""
    exe = shutil.which("rbh", path=str(Path(sys.executable).parent)) or "rbh"
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([exe, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


# ------------------------------------------------------------------ docs site (mkdocs builds, shared per session)


class SiteBuild:
    """A real ``mkdocs build --strict`` of a repository: where it is and what the build said."""

    def __init__(self, root: Path, site: Path, proc: subprocess.CompletedProcess):
        self.root, self.site, self.returncode, self.log = root, site, proc.returncode, proc.stdout + proc.stderr

    def html(self, url: str) -> str:
        """The built HTML of a page URL such as ``services/checkout/``."""
        return (self.site / url / "index.html").read_text(encoding="utf-8")


def build_site(root: Path, strict: bool = True) -> SiteBuild:
    """``mkdocs build`` of *root*'s mkdocs.yml in a separate process, the way a user runs it."""
    site = root / "build" / "site"
    # the installed console script, not ``python -m`` from *root*: that would import the clone's checks/ package
    exe = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    args = [exe, "build", "-f", str(root / "mkdocs.yml"), "-d", str(site)] + (["--strict"] if strict else [])
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True, env=env, timeout=600)
    return SiteBuild(root, site, proc)


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> SiteBuild:
    """The example platform's docs site, built once per session from a clone of the committed tree."""
    return build_site(copy_example(tmp_path_factory.mktemp("site") / "example"))


@pytest.fixture(scope="session")
def drift_site(tmp_path_factory) -> SiteBuild:
    """The docs site of a clone with the drift scenario committed (scripts/drift.py), built once per session."""
    import drift

    root = copy_example(tmp_path_factory.mktemp("site") / "drift")
    drift.apply_drift(root)
    return build_site(root)
