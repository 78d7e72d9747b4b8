"""Shell lexing with positions: a fenced block's logical command lines (continuations joined,
console prompts dropped), ``$(...)`` and backtick substitutions masked and read on their own, and
POSIX word splitting (``split_shell``: what ``shlex`` does in posix mode, with offsets, at regex
speed; tests hold the two equal). Knows nothing about kubectl or what a reference is.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator

MAX_COMMAND_CHARS = 20_000
# a placeholder: `<pod-name>`, `<value before scaledown>` (words inside, but no space after `<` or
# before `>`, which would be redirections: `cmd < in.txt > out.txt`)
_ANGLE = re.compile(r"<[^<>\s](?:[^<>\n]{0,78}[^<>\s])?>")
_PROMPT = re.compile(r"^\s*(?:[\w.@:~/-]*\s*)?[$%]\s+")
ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(slots=True)
class Token:
    text: str
    line: int
    column: int


@dataclass
class LogicalLine:
    """One logical command line (continuations joined) and the map back to file positions."""

    text: str
    segments: list[tuple[int, int, int]]  # (offset in text, line, column of that character), one per physical line

    def pos(self, offset: int) -> tuple[int, int]:
        if len(self.segments) == 1:  # one physical line: the common case
            _, line, col = self.segments[0]
            return line, col + max(0, offset)
        i = bisect.bisect_right(self.segments, (offset, 1 << 62, 0)) - 1
        start, line, col = self.segments[max(i, 0)]
        return line, col + max(0, offset - start)

    def slice(self, offset: int, length: int) -> "LogicalLine":
        segments = []
        for start, line, col in self.segments:
            if start <= offset:
                segments = [(0, line, col + offset - start)]
            elif start < offset + length:
                segments.append((start - offset, line, col))
        return LogicalLine(self.text[offset : offset + length], segments or [(0, 1, 1)])


def prompt_end(raw: str) -> int | None:
    """Where the command starts on a line that begins with a shell prompt (``$ ``, ``% ``,
    ``user@host:~$ ``); None for any other line (a command's output, in a console block)."""
    m = _PROMPT.match(raw)
    return m.end() if m else None


def has_prompt(code: str) -> bool:
    """Whether any line of a console block starts with a shell prompt (``$ ``, ``% ``, ``user@host:~$ ``)."""
    return any(_PROMPT.match(raw) for raw in code.split("\n"))


def logical_lines(code: str, first_line: int, console: bool, indent: int = 0) -> Iterator[LogicalLine]:
    lines = code.split("\n")
    buf, segments = "", []
    for i, raw in enumerate(lines):
        lineno = first_line + i
        offset = 0
        if not buf:
            m = _PROMPT.match(raw)
            if m and (console or raw.lstrip().startswith(("$ ", "% "))):
                offset = m.end()
            elif console:
                continue  # console output, not a command
        part = raw[offset:]
        cont = part.rstrip().endswith("\\")
        if cont:
            part = part.rstrip()[:-1]
        segments.append((len(buf), lineno, indent + offset + 1))
        buf += part + " "
        if cont and len(buf) < MAX_COMMAND_CHARS:
            continue
        if buf.strip():
            yield LogicalLine(buf[:MAX_COMMAND_CHARS], segments)
        buf, segments = "", []
    if buf.strip():
        yield LogicalLine(buf[:MAX_COMMAND_CHARS], segments)


def _mask_substitutions(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace ``$(...)`` and backticks with same-length placeholders; return the inner commands with offsets."""
    inner: list[tuple[int, str]] = []
    if "$(" in text or "`" in text:
        out = list(text)
        i = 0
        while True:
            a, b = text.find("$(", i), text.find("`", i)
            if a < 0 and b < 0:
                break
            if a >= 0 and (b < 0 or a < b):
                if text.startswith("$((", a):  # arithmetic, not a command
                    i = a + 3
                    continue
                depth, j = 1, a + 2
                while j < len(text) and depth:
                    depth += text[j] == "("
                    depth -= text[j] == ")"
                    j += 1
                if depth:  # never closed: literal text (each unclosed "$(" rescanned the rest, quadratic)
                    break
                inner.append((a + 2, text[a + 2 : j - 1]))
                out[a:j] = ["$"] + ["_"] * (j - a - 1)
                i = j
            else:
                j = text.find("`", b + 1)
                if j < 0:
                    break
                inner.append((b + 1, text[b + 1 : j]))
                out[b : j + 1] = ["$"] + ["_"] * (j - b)
                i = j + 1
        text = "".join(out)
    if "<" in text:
        text = _ANGLE.sub(lambda m: "$" + "_" * (len(m.group(0)) - 1), text)
    return text, inner


# POSIX shell words, as shlex splits them in posix mode (whitespace_split, punctuation_chars="|&;()",
# commenters="#"), but with offsets and at regex speed; tests compare the two on random input.
_WORD_CHAR = r"""(?:[^\s'"\\|&;()#]|\\.|\\$|'[^']*'|"(?:[^"\\]|\\.)*")"""
_SHELL_TOKEN = re.compile(rf"""(?P<op>[|&;()]+)|(?P<comment>\#.*)|(?P<word>{_WORD_CHAR}(?:{_WORD_CHAR}|\#)*)|(?P<rest>\S+)""", re.S)
_UNQUOTE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|\\$""", re.S)
_DQ_ESCAPE = re.compile(r"""\\([\\"$`\n])""")


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return _DQ_ESCAPE.sub(lambda e: "" if e.group(1) == "\n" else e.group(1), m.group(2))
        return m.group(3) or ""

    return _UNQUOTE.sub(one, word)


def split_shell(text: str) -> list[tuple[str, int]]:
    """(token, offset) pairs of one shell line: words unquoted, operators (``|``, ``&&``, ``;`` ...) kept."""
    out: list[tuple[str, int]] = []
    for m in _SHELL_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "comment":
            break
        if kind == "op":
            out.append((m.group(0), m.start()))
        elif kind == "word":
            out.append((_unquote(m.group(0)), m.start()))
        else:  # an unbalanced quote: shlex gives up on the line; keep the raw text so nothing is lost
            out.append((m.group(0), m.start()))
    return out


# a redirection and its target are not arguments: `kubectl get pods > pods.txt` names no pod
# `pods.txt`, `docker compose logs > debug-logs.txt` no service `debug-logs.txt`
_REDIRECT = re.compile(r"(?:\d+|&)?(?:>>?|>\||<<?-?|<>|>&|<&)(.*)", re.S)

MAX_SUBSTITUTION_DEPTH = 8  # $( $( ... ) ) nested deeper is not read for commands: each level rescans its text


def simple_commands(logical: LogicalLine, level: int = 0) -> Iterator[list[Token]]:
    """Simple commands (split at pipes, ;, &&, ||) of one logical line, as positioned tokens."""
    masked, inner = _mask_substitutions(logical.text)
    for offset, sub in inner if level < MAX_SUBSTITUTION_DEPTH else ():
        yield from simple_commands(logical.slice(offset, len(sub)), level + 1)
    current: list[Token] = []
    pending = 0  # tokens still to drop after a redirection operator: its target (`> out.txt`, `2>&1`)
    for tok, start in split_shell(masked):
        if pending:
            pending -= 1
            if tok == "&":  # `2>&1` splits as `2>`, `&`, `1`
                pending = 1
            continue
        m = _REDIRECT.fullmatch(tok) if masked[start:start + 1] not in ("'", '"') else None
        if m and not (tok.startswith("<") and tok.endswith(">")):  # `<pod-name>` is a placeholder
            pending = 0 if m.group(1) else 1
            continue
        if tok and tok[0] in "|&;()" and set(tok) <= set("|&;()"):
            if current:
                yield current
            current = []
            continue
        line, col = logical.pos(start)
        current.append(Token(tok, line, col))
    if current:
        yield current


def strip_prefix(tokens: list[Token]) -> list[Token]:
    """Drop env assignments and wrappers (sudo, time, watch -n 5, env) before the real command."""
    i = 0
    while i < len(tokens):
        t = tokens[i].text
        if ENV_ASSIGN.match(t) or t in ("sudo", "time", "env", "exec", "nohup", "command", "builtin"):
            i += 1
        elif t == "watch":
            i += 1
            while i < len(tokens) and tokens[i].text.startswith("-"):
                i += 2 if tokens[i].text in ("-n", "--interval") else 1
        else:
            break
    return tokens[i:]
