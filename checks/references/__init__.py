"""What a runbook points at: ``extract_references(runbook) -> list[Reference]``.

Three modules, each one concern: ``shell`` lexes command lines (logical lines, substitutions, POSIX
words with offsets), ``grammar`` parses the ``kubectl``/``oc`` and ``docker compose`` commands among
them, and ``extract`` turns a runbook's front matter, fenced blocks, inline code, links and prose
into ``Reference`` objects. Each ``Reference`` keeps its file, line and column, and its strength:
``command`` when it comes from a fenced command block (the responder will paste it), ``prose`` from
inline code and text, ``front-matter`` from the YAML header. Nothing read here is ever executed.
"""

from __future__ import annotations

from rbh.checks.references.extract import Reference, extract_references, front_matter_line, is_placeholder
from rbh.checks.references.grammar import KINDS, KubectlCall, parse_compose, parse_kubectl
from rbh.checks.references.shell import split_shell

__all__ = [
    "KINDS",
    "KubectlCall",
    "Reference",
    "extract_references",
    "front_matter_line",
    "is_placeholder",
    "parse_compose",
    "parse_kubectl",
    "split_shell",
]
