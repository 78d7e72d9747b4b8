"""Show untrusted text without letting it drive the screen: one home for every renderer.

Runbook text, front matter, file names, git author names and LLM replies are written by people we
do not trust (see SECURITY.md). Printed raw, they can move the cursor and erase the health line
(ANSI escapes, ``\\r``, backspace), hide ``; curl ... | sh`` inside a command that a responder copies
(conceal codes, carriage return, bidi overrides such as U+202E), smuggle text past a reader
(zero-width and Unicode tag characters), or start a new line where only one was expected (a
newline in a title or a file name). Every renderer passes such text through this module:

* ``one_line(text)``: for a field that must stay on its line (a path, a title, a message): every
  control, format, line-separator and lone-surrogate character, newline included, becomes a visible
  escape such as ``\\x1b``, ``\\n`` or ``\\u202e``. Tab stays.
* ``block(text)``: for multi-line text (a quoted runbook section): the same, except that newline
  and tab stay; ``\\r\\n`` is read as a newline, a lone ``\\r`` is escaped.
* ``inert_workflow_commands(text)``: for output that a CI runner reads line by line: no line can
  start a GitHub Actions workflow command (``::cmd::`` after leading blanks, or ``##[cmd]``
  anywhere), whatever the text says.
* ``inert_json(text)`` / ``inert_xml(text)``: the same for serialised JSON or XML, without
  changing the data: ``##[`` becomes ``##\\u005b`` or ``##&#91;``, which parse to the same string.
* ``message_line(text)``: all of it for one line of stderr (an error, a warning, a notice):
  secrets redacted (``rbh.redact``), one line, no workflow command.

The escape is what Python would write in a string literal, so it is unambiguous and copyable, and
what a reader sees is exactly what the bytes say.
"""

from __future__ import annotations

import logging
import re

from rbh.redact import redact

# What gets escaped: Unicode categories Cc (C0 and C1 controls, DEL), Cf (format characters: bidi
# embeddings, overrides and isolates, zero-width space, word joiner, soft hyphen, BOM, tag
# characters, ...), Zl/Zp (line and paragraph separator) and Cs (lone surrogates, which also break
# any UTF-8 writer). Kept: ZWNJ and ZWJ (U+200C, U+200D), which scripts such as Persian and emoji
# sequences need and which cannot reorder or hide text. The ranges are written out (Unicode 15.1)
# rather than computed from ``unicodedata`` at import, which would cost a pass over 1.1 M code
# points on every start; tests/test_security_output.py checks them against ``unicodedata``.
_UNSAFE_RANGES = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (tab \x09 and newline \x0a handled apart), DEL, C1
    "\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
)
_UNSAFE_BLOCK = re.compile(f"[{_UNSAFE_RANGES}]")
_UNSAFE_LINE = re.compile(f"[{_UNSAFE_RANGES}\n]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b", "\x08": "\\b", "\x07": "\\a", "\x0c": "\\f", "\x0b": "\\v"}


def escape_char(ch: str) -> str:
    """``\\x1b``, ``\\n``, ``\\u202e``, ``\\U000e0041``: the character as a visible escape."""
    if ch in _NAMED:
        return _NAMED[ch]
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def one_line(text: object) -> str:
    """*text* for a single-line field: controls, format characters and newlines become visible escapes."""
    s = text if isinstance(text, str) else str(text)
    return _UNSAFE_LINE.sub(lambda m: escape_char(m.group(0)), s)


def block(text: object) -> str:
    """*text* for a multi-line display: like ``one_line``, but newlines (and ``\\r\\n``) stay newlines."""
    s = text if isinstance(text, str) else str(text)
    s = s.replace("\r\n", "\n")
    return _UNSAFE_BLOCK.sub(lambda m: escape_char(m.group(0)), s)


def has_unsafe(text: str) -> bool:
    """True when ``block`` would change *text* (something in it would not show as written)."""
    return bool(_UNSAFE_BLOCK.search(text.replace("\r\n", "\n")))


# "Blanks" as the runner trims them (.NET TrimStart): Unicode white space, which Python's \s matches.
_WORKFLOW_V2 = re.compile(r"^([^\S\n]*)::", re.M)


def inert_workflow_commands(text: str) -> str:
    """*text* with no line that a GitHub Actions runner would execute as a workflow command.

    The runner takes a line as a command when, after leading blanks, it starts with ``::``, or when
    ``##[`` appears anywhere in it (the older syntax). A backslash is put in front: visible, and the
    rest of the line stays as it was.
    """
    text = _WORKFLOW_V2.sub(lambda m: m.group(1) + "\\::", text)
    return text.replace("##[", "##\\[")


def inert_json(serialised: str) -> str:
    """Serialised JSON that no CI runner reads as a workflow command, parsing to the same data.

    ``rbh check --format json`` printed into a GitHub Actions log is read line by line like any
    output: ``##[stop-commands]token`` inside a message would switch off every later annotation.
    ``##[`` can only occur inside a JSON string (``#`` is not JSON syntax), and no JSON escape
    contains ``#``, so writing its ``[`` as ``\\u005b`` is exact. A line cannot start with ``::``:
    JSON escapes newlines and every line of the output starts with blanks, a quote or a bracket.
    """
    return serialised.replace("##[", "##\\u005b")


def inert_xml(serialised: str) -> str:
    """Serialised XML that no CI runner reads as a workflow command, with the same text to any parser:
    ``##[`` as ``##&#91;``, and a line of element text that starts with ``::`` as ``&#58;:``."""
    text = _WORKFLOW_V2.sub(lambda m: m.group(1) + "&#58;:", serialised)
    return text.replace("##[", "##&#91;")


def message_line(text: object) -> str:
    """One line for stderr: secrets redacted, controls as escapes, no workflow command."""
    return inert_workflow_commands(one_line(redact(text if isinstance(text, str) else str(text))))


class RedactingFilter(logging.Filter):
    """Log lines with secrets redacted and control characters shown as escapes (``rbh.textsafe``).

    A log line often quotes a file name or a value from the repository; printed raw it could move
    the cursor or start a CI workflow command, like any other untrusted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = inert_workflow_commands(one_line(redact(msg)))
        if clean != msg:
            record.msg, record.args = clean, ()
        return True
