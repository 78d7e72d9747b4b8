"""Go template actions (``{{ ... }}``) in alert annotations, runbook URLs and manifests, found by a
linear scan.

The regular expression ``\\{\\{.*?\\}\\}`` rescans to the end of the text from every ``{{`` that is
never closed, so a hostile annotation of many ``{{`` costs quadratic time; ``str.find`` from left to
right looks at each character once or twice.
"""

from __future__ import annotations

from typing import Callable, Iterator


def actions(text: str, left: str = "{{", right: str = "}}") -> Iterator[tuple[int, int]]:
    """(start, end) of each ``{{ ... }}`` action, left to right; an unclosed ``{{`` is literal text.

    *left* and *right* are other delimiters a template engine was told to use (Go's ``Delims``:
    operators that ship rules through Helm write ``[[ .RunbookURL ]]`` so that Helm leaves them alone)."""
    pos = 0
    while True:
        start = text.find(left, pos)
        if start < 0:
            return
        end = text.find(right, start + len(left))
        if end < 0:
            return
        yield start, end + len(right)
        pos = end + len(right)


def split_template(text: str) -> list[str]:
    """Literal pieces around the actions (one more piece than there are actions)."""
    pieces: list[str] = []
    pos = 0
    for start, end in actions(text):
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    return pieces


def replace_actions(text: str, replacement: Callable[[str], str], left: str = "{{", right: str = "}}") -> str:
    """*text* with each action replaced by ``replacement(action text, braces included)``."""
    out: list[str] = []
    pos = 0
    for start, end in actions(text, left, right):
        out.append(text[pos:start])
        out.append(replacement(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)
