"""Config validation, git metadata in one pass, project defaults and the CLI's exit-code table."""

from __future__ import annotations

import pytest

from rbh import git as rgit
from rbh.config import load_config
from rbh.errors import ConfigError, GitError
from rbh.paths import glob_match, safe_relpath
from rbh.project import load_project


def test_config_unknown_key_names_file_and_key(tmp_path):
    (tmp_path / "rbh.yaml").write_text("store:\n  pathh: x\n")
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert str(exc.value) == "rbh.yaml: store.pathh: unknown key"


def test_config_wrong_type_and_bad_yaml(tmp_path):
    (tmp_path / "rbh.yaml").write_text("ask:\n  top_k: many\n")
    with pytest.raises(ConfigError, match=r"^rbh.yaml: ask.top_k: Input should be a valid integer"):
        load_config(tmp_path)
    (tmp_path / "rbh.yaml").write_text("ask: [\n")
    with pytest.raises(ConfigError, match=r"^rbh.yaml:2: not valid YAML"):
        load_config(tmp_path)


def test_config_defaults_without_file(tmp_path):
    cfg, path = load_config(tmp_path)
    assert path is None and cfg.store.path == ".rbh/qdrant" and cfg.check.fail_on == "error"


@pytest.mark.parametrize(
    "path,pattern,ok",
    [
        ("runbooks/a.md", "runbooks/**/*.md", True),
        ("runbooks/x/y/a.md", "runbooks/**/*.md", True),
        ("docs/a.md", "runbooks/**/*.md", False),
        ("a.md", "**/*.md", True),
        ("manifests/k8s/a.yaml", "manifests/**/*.y*ml", True),
        ("manifests/k8s/a.json", "manifests/**/*.y*ml", False),
    ],
)
def test_glob_match(path, pattern, ok):
    assert glob_match(path, pattern) is ok


@pytest.mark.parametrize("raw,expected", [("a/b/../c.md", "a/c.md"), ("../etc/passwd", None), ("/etc/passwd", None), ("./x.md", "x.md"), ("a/../..", None)])
def test_safe_relpath_never_escapes(tmp_path, raw, expected):
    assert safe_relpath(tmp_path, raw) == expected


def test_last_changes_one_pass(git_repo):
    git_repo.write("runbooks/a.md", "# A\n")
    git_repo.write("runbooks/b.md", "# B\n")
    first = git_repo.commit("add a and b", author="Alice Example", date="2026-01-02T10:00:00+00:00")
    git_repo.write("runbooks/b.md", "# B v2\n")
    second = git_repo.commit("edit b", author="Bob Example", date="2026-03-04T10:00:00+00:00")
    info = rgit.last_changes(git_repo.repo, "HEAD", paths=["runbooks/a.md", "runbooks/b.md", "runbooks/missing.md"])
    assert set(info) == {"runbooks/a.md", "runbooks/b.md"}
    assert (info["runbooks/a.md"].sha, info["runbooks/a.md"].author) == (first, "Alice Example")
    assert (info["runbooks/b.md"].sha, info["runbooks/b.md"].author) == (second, "Bob Example")
    assert info["runbooks/b.md"].date.isoformat() == "2026-03-04T10:00:00+00:00"


def test_last_changes_stops_reading_history_once_every_file_is_found(git_repo):
    """The runbook changed by the newest commit needs only that commit: git is stopped there. An
    older commit whose tree cannot be read (here deleted from the object store) shows that the rest
    of history is never walked; a file only that old commit could answer for still fails loudly."""
    import subprocess

    git_repo.write("runbooks/a.md", "# A\n")
    git_repo.write("runbooks/old.md", "# Old\n")
    git_repo.commit("add a and old", date="2026-01-02T10:00:00+00:00")
    for n in range(3):
        git_repo.write("runbooks/a.md", f"# A v{n}\n")
        newest = git_repo.commit(f"edit a {n}", date=f"2026-02-0{n + 1}T10:00:00+00:00")
    root_commit = subprocess.run(["git", "-C", str(git_repo.root), "rev-list", "--max-parents=0", "HEAD"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    tree = subprocess.run(["git", "-C", str(git_repo.root), "rev-parse", f"{root_commit}^{{tree}}"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (git_repo.root / ".git" / "objects" / tree[:2] / tree[2:]).unlink()  # the first commit's tree is gone

    info = rgit.last_changes(git_repo.repo, "HEAD", paths=["runbooks/a.md"])
    assert {p: i.sha for p, i in info.items()} == {"runbooks/a.md": newest}
    with pytest.raises(GitError, match="^git log failed"):
        rgit.last_changes(git_repo.repo, "HEAD", paths=["runbooks/a.md", "runbooks/old.md"])


def test_list_files_lists_regular_files_only_and_escapes_undecodable_names(git_repo):
    import os
    import subprocess

    git_repo.write("runbooks/a.md", "# A\n")
    git_repo.write("runbooks/deep/er/b.md", "# B\n")
    git_repo.write("run.sh", "#!/bin/sh\n")
    (git_repo.root / "run.sh").chmod(0o755)
    git_repo.write("name with spaces\tand tab.md", "# C\n")
    os.symlink("runbooks/a.md", git_repo.root / "link.md")
    with open(os.path.join(os.fsencode(git_repo.root), b"caf\xe9.md"), "wb") as f:  # a Latin-1 name
        f.write(b"# D\n")
    first = git_repo.commit("files")
    # a submodule entry (gitlink) without the submodule itself
    subprocess.run(["git", "-C", str(git_repo.root), "update-index", "--add", "--cacheinfo", f"160000,{first},vendor/sub"], check=True)
    git_repo.commit("gitlink")
    undecodable: set[str] = set()
    files = rgit.list_files(git_repo.repo, "HEAD", undecodable)
    assert files == sorted(["caf\\xe9.md", "name with spaces\tand tab.md", "run.sh", "runbooks/a.md", "runbooks/deep/er/b.md"])
    assert undecodable == {"caf\\xe9.md"}
    assert rgit.list_files(git_repo.repo, first) == [f for f in files if f != "vendor/sub"]


def test_git_errors_are_one_line(tmp_path, git_repo):
    with pytest.raises(GitError, match="is not inside a git repository"):
        rgit.open_repo(tmp_path)
    with pytest.raises(GitError, match="no commits yet"):
        rgit.resolve_ref(git_repo.repo, "HEAD")
    git_repo.write("a.md", "x")
    git_repo.commit()
    with pytest.raises(GitError, match="unknown git ref 'nope'"):
        rgit.resolve_ref(git_repo.repo, "nope")


def test_project_defaults_runbooks_folder_or_every_md(make_repo):
    repo = make_repo({"runbooks/a.md": "# A", "runbooks/sub/b.md": "# B", "README.md": "# r", "manifests/k.yaml": "kind: X"})
    project = load_project(repo.root)
    assert project.runbook_paths() == ["runbooks/a.md", "runbooks/sub/b.md"]
    assert project.manifest_paths() == ["manifests/k.yaml"]
    flat = make_repo({"a.md": "# A", "docs/b.md": "# B", "README.md": "# r"})
    assert load_project(flat.root).runbook_paths() == ["a.md", "docs/b.md"]


def test_symlink_outside_repository_is_never_followed(make_repo, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("# secret\n")
    repo = make_repo({"runbooks/a.md": "# A"})
    (repo.root / "runbooks" / "link.md").symlink_to(outside)
    assert load_project(repo.root).runbook_paths() == ["runbooks/a.md"]


def test_cli_version_help_and_exit_codes(rbh, tmp_path):
    from rbh import __version__

    code, out, _ = rbh(["--version"])
    assert code == 0 and out.strip() == f"rbh, version {__version__}"
    code, out, _ = rbh(["--help"])
    assert code == 0 and "Examples:" in out
    code, _, err = rbh(["no-such-command"])
    assert code == 2 and err == "rbh: error: No such command 'no-such-command'. (see 'rbh --help')\n"


@pytest.mark.parametrize("args, message", [
    (["explain", "--repo", ".", "RBH101"], "rbh: error: No such option '--repo'. Did you mean '--help'? (see 'rbh explain --help')"),
    (["check", "--fail-on", "bogus"], "rbh: error: Invalid value for '--fail-on': 'bogus' is not one of 'error', 'warning', "
                                      "'info', 'never'. (see 'rbh check --help')"),
])
def test_usage_errors_are_one_line_with_exit_2(rbh, args, message):
    """Click's own form is three lines (usage, "Try ...", error); rbh prints one, like its other errors."""
    code, out, err = rbh(args)
    assert (code, out, err) == (2, "", message + "\n")


def test_every_command_is_named_in_the_lazy_registry():
    """The CLI root is the one registry: every click command of a command module is listed there."""
    import importlib

    import click

    from rbh.cli import LAZY_COMMANDS

    modules = {module for module, _, _ in LAZY_COMMANDS.values()}
    found = {}
    for module in modules:
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, click.Command) and getattr(value.callback, "__module__", None) == module:
                found[value.name] = (module, value.callback.__name__ if value.callback else None)
    assert sorted(found) == sorted(LAZY_COMMANDS)
    for name, (module, attr, _) in LAZY_COMMANDS.items():
        assert getattr(importlib.import_module(module), attr).name == name
