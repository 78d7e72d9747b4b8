"""Go template actions (``{{ ... }}``) in alert annotations, runbook URLs and manifests, found by a
linear scan.

The regular expression ``\\{\\{.*?\\}\\}`` rescans to the end of the text from every ``{{`` that is
never closed, so a hostile annotation of many ``{{`` costs quadratic time; ``str.find`` from left to
right looks at each character once or twice.
"""

from __future__ import annotations

from typing import Callable, Iterator


def actions(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``{{ ... }}`` action, left to right; an unclosed ``{{`` is literal text."""
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2
        pos = end + 2


def split_template(text: str) -> list[str]:
    """Literal pieces around the actions (one more piece than there are actions)."""
    pieces: list[str] = []
    pos = 0
    for start, end in actions(text):
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    return pieces


def replace_actions(text: str, replacement: Callable[[str], str]) -> str:
    """*text* with each action replaced by ``replacement(action text, braces included)``."""
    out: list[str] = []
    pos = 0
    for start, end in actions(text):
        out.append(text[pos:start])
        out.append(replacement(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)
