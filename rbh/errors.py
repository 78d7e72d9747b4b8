"""One exception family, mapped to exit codes in one place.

Exit codes (documented in the README):
  0  clean
  1  findings at or above --fail-on
  2  usage or configuration error (bad flag, bad config file, not a git repository, store locked ...)
  3  unexpected error (a bug: please report it)

Raise the most specific subclass with a one-line, user-facing message. The CLI prints
``rbh: error: <message>`` and exits with the class's code; no traceback for user mistakes.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 3


class RbhError(Exception):
    """Base of every error rbh raises on purpose."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


class ConfigError(RbhError):
    """The config file, an option or a front matter field is invalid."""


class UsageError(RbhError):
    """A command was called in a way that cannot work: a missing extra, a bad argument."""


class GitError(RbhError):
    """Not a git repository, unknown ref, unreadable history."""


class SourceError(RbhError):
    """A runbook or manifest cannot be read or parsed."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None):
        loc = path or ""
        if path and line:
            loc = f"{path}:{line}"
        super().__init__(f"{loc}: {message}" if loc else message, hint=hint)
        self.path = path
        self.line = line
        self.detail = message


class StoreError(RbhError):
    """The vector store cannot be opened, is locked, incompatible or unreachable."""


class LLMError(RbhError):
    """The optional LLM endpoint failed; callers fall back to the extractive answer."""


class UnexpectedError(RbhError):
    exit_code = EXIT_UNEXPECTED
