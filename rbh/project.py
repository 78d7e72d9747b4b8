"""A runbook repository: its root, its config and the files that are runbooks or manifests.

Defaults when the config is silent: runbooks are ``runbooks/**/*.md`` when that folder exists, else
every ``*.md`` file but the repository's meta files (README, CHANGELOG ...) and a Hugo site's ``archetypes/`` and ``themes/``; manifests are ``manifests/**/*.y*ml`` and ``manifests/**/*.json`` when that
folder exists.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rbh import git as rgit
from rbh.config import Config, Globs, load_config
from rbh.paths import UNDECODABLE_NAME, glob_folder, select, walk_files
from rbh.runbook import Runbook, parse_runbook, too_large_runbook

if TYPE_CHECKING:
    from git import Repo

DEFAULT_RUNBOOK_GLOBS = ["runbooks/**/*.md"]
FALLBACK_RUNBOOK_GLOBS = ["**/*.md"]
# Without a config and a runbooks/ folder every *.md is a runbook, except files that are never runbook
# pages: repository meta files (a README below the root may be a folder's runbook index; the other
# meta files are never runbooks, wherever a monorepo keeps them: `operator/CONTRIBUTING.md`), a Hugo
# site's archetypes (templates whose front matter is Go template code, not YAML) and themes,
# coding-agent instructions, Jekyll partials and page templates, vendored dependencies, at any depth: a docs site often
# lives in a subfolder (``operator/website/archetypes/``) of a project that keeps its runbooks elsewhere.
FALLBACK_RUNBOOK_EXCLUDE = ["README.md", "Readme.md", "readme.md", "**/CHANGELOG.md", "**/CONTRIBUTING.md",
                            "**/CODE_OF_CONDUCT.md", "**/SECURITY.md", "**/LICENSE.md", ".github/**", "**/node_modules/**",
                            "**/archetypes/**", "**/themes/**",
                            # instructions for coding agents, not for responders
                            "**/AGENTS.md", "**/CLAUDE.md", "**/GEMINI.md", "**/.claude/**", "**/.cursor/**",
                            # Jekyll partials and layouts (fragments whose links resolve from the page
                            # that includes them), a built site, and page templates to copy
                            "**/_includes/**", "**/_layouts/**", "**/_site/**", "**/_templates/**",
                            # test inputs (`spec/fixtures/markdown.md`, Go's `testdata/`): pages written to
                            # exercise a renderer, their links made up
                            "**/fixtures/**", "**/testdata/**", "**/__fixtures__/**",
                            # vendored dependencies (Go modules, jsonnet-bundler, Bundler): other
                            # projects' pages, which the team neither writes nor fixes
                            "**/vendor/**"]
DEFAULT_MANIFEST_GLOBS = ["manifests/**/*.yaml", "manifests/**/*.yml", "manifests/**/*.json"]


def runbook_globs(config: Globs, has_runbooks_folder: bool) -> tuple[list[str], list[str]]:
    """(include, exclude) runbook globs: the config's, else ``runbooks/**/*.md`` when the tree has a
    ``runbooks`` folder, else every markdown file but the usual non-runbooks (README, CHANGELOG ...).
    The one place runbook selection is decided: the work tree (``Project``) and an indexed tree
    (``indexer.components.source``, which may be a remote clone) both ask here."""
    if config.include:
        return list(config.include), list(config.exclude)
    if has_runbooks_folder:
        return list(DEFAULT_RUNBOOK_GLOBS), list(config.exclude)
    return list(FALLBACK_RUNBOOK_GLOBS), list(config.exclude) + FALLBACK_RUNBOOK_EXCLUDE


@dataclass
class Project:
    root: Path
    config: Config
    config_path: Path | None = None
    repo: Repo | None = field(default=None, repr=False)  # when the root is a repository

    # ---------------------------------------------------------------- globs
    @property
    def runbook_include(self) -> list[str]:
        return runbook_globs(self.config.runbooks, (self.root / "runbooks").is_dir())[0]

    @property
    def runbook_exclude(self) -> list[str]:
        return runbook_globs(self.config.runbooks, (self.root / "runbooks").is_dir())[1]

    @property
    def runbook_folder(self) -> str:
        """Where runbook URLs map when the config gives no prefix (see ``rbh.runbook_urls``)."""
        return glob_folder(self.runbook_include)

    @property
    def manifest_include(self) -> list[str]:
        if self.config.manifests.include:
            return self.config.manifests.include
        return DEFAULT_MANIFEST_GLOBS if (self.root / "manifests").is_dir() else []

    @property
    def manifest_exclude(self) -> list[str]:
        return list(self.config.manifests.exclude)

    # ---------------------------------------------------------------- files in the work tree
    @cached_property
    def undecodable_names(self) -> set[str]:
        """Escaped names of work-tree files whose names are not UTF-8 (reported, never read)."""
        self.worktree_files  # noqa: B018 - the walk fills the set
        return self._undecodable

    @cached_property
    def worktree_files(self) -> list[str]:
        self._undecodable: set[str] = set()
        return walk_files(self.root, self._undecodable)

    def runbook_paths(self) -> list[str]:
        return select(self.worktree_files, self.runbook_include, self.runbook_exclude)

    def manifest_paths(self) -> list[str]:
        return select(self.worktree_files, self.manifest_include, self.manifest_exclude)

    def read_bytes(self, rel: str) -> bytes:
        if "\\" in rel and rel in self.undecodable_names:  # escaped names hold a backslash; no walk otherwise
            raise OSError(errno.EILSEQ, UNDECODABLE_NAME)
        return (self.root / rel).read_bytes()

    @property
    def slugger(self):
        """Heading anchors as the repository's site makes them (``toc.slugify`` in its mkdocs.yml)."""
        if getattr(self, "_slugger", None) is None:
            from rbh.anchors import slugger_for

            self._slugger = slugger_for(self.root)
        return self._slugger

    def load_runbooks(self, paths: list[str] | None = None, with_git: bool = True) -> list[Runbook]:
        """Parse runbooks from the work tree; git metadata attached from one pass over history."""
        paths = self.runbook_paths() if paths is None else paths
        limit = self.config.index.max_file_bytes
        runbooks = []
        for p in paths:
            if "\\" in p and p in self.undecodable_names:
                from rbh.runbook import Problem

                runbooks.append(Runbook(path=p, text="", problems=[Problem(1, UNDECODABLE_NAME, "encoding")]))
                continue
            try:
                size = (self.root / p).stat().st_size
                if size > limit:  # never read a 20 MB file only to skip it
                    runbooks.append(too_large_runbook(p, size, limit))
                    continue
                data = self.read_bytes(p)
            except OSError as exc:
                from rbh.runbook import Problem

                runbooks.append(Runbook(path=p, text="", problems=[Problem(1, f"cannot read: {exc.strerror}", "parse")]))
                continue
            runbooks.append(parse_runbook(p, data, max_bytes=limit, slugger=self.slugger))
        from rbh.anchors import mkdocs_nav_titles

        titles = mkdocs_nav_titles(self.root)
        for rb in runbooks:
            rb.site_title = titles.get(rb.path)
        if with_git and self.repo is not None and runbooks and rgit.has_commits(self.repo):
            info = rgit.last_changes(self.repo, "HEAD", paths=[r.path for r in runbooks])
            for rb in runbooks:
                rb.git = info.get(rb.path)
        return runbooks


def load_project(repo_path: str | Path | None = None, require_git: bool = True) -> Project:
    """The project for ``--repo`` (default: the git repository containing the current directory)."""
    from rbh.errors import GitError

    try:
        repo = rgit.open_repo(repo_path)
        root = rgit.repo_root(repo)
    except GitError:
        if require_git:
            raise
        repo, root = None, Path(repo_path or ".").resolve()
    config, cfg_path = load_config(root)
    return Project(root=root, config=config, config_path=cfg_path, repo=repo)
